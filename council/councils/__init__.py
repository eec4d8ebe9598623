"""Councils, constituencies, memberships, shops and the permission rules."""
