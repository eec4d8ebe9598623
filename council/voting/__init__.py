"""表决: ballots, votes, tally and certification."""
