"""How people are named on public pages: private people by surname only (张**)."""

from __future__ import annotations


def mask(name: str) -> str:
    """The first character of a name and a star for each of the others (at least one)."""
    return name[:1] + "*" * max(1, len(name) - 1)
