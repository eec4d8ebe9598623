"""四议两公开一监督: the gated path of major matters, supervision and the timeline."""
