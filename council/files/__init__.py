"""Uploaded files: validated by content, re-encoded, stored under random names, served with
an authorization check. Shared by every room that takes photos or attachments."""
