"""Open data: each public list of a council as CSV, JSON and a paged JSON API, and its Atom feed."""
