"""HTTP plumbing shared by every room: who is asking, rendering, errors, security."""
