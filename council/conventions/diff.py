"""Article-by-article difference between two versions of a convention. Pure; no I/O.

Articles are paired by their ``key`` (kept when a revision copies an article), so a moved or
renumbered article is compared with its own earlier text. Inside an article the text is
compared character by character: Chinese has no spaces to split words on.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass


class Op(enum.StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"


class Change(enum.StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class ArticleText:
    key: str
    position: int
    heading: str
    body: str


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


@dataclass(frozen=True)
class ArticleDiff:
    change: Change
    old_position: int | None
    new_position: int | None
    heading: tuple[Segment, ...]
    body: tuple[Segment, ...]

    @property
    def moved(self) -> bool:
        return (
            self.old_position is not None
            and self.new_position is not None
            and self.old_position != self.new_position
        )


# Runs of Latin letters, digits and the marks inside numbers and times ("22:30", "1.5") are
# one token; every other character (a Chinese character, a punctuation mark) is its own.
_TOKEN = re.compile(r"[0-9A-Za-z]+(?:[:.．：][0-9A-Za-z]+)*|\s+|.", re.S)
# An unchanged run this short between two changes reads as noise: fold it into the change.
_ISLAND = 3


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def text_diff(old: str, new: str) -> tuple[Segment, ...]:
    """Segments that rebuild ``old`` (same + removed) and ``new`` (same + added)."""
    if old == new:
        return (Segment(Op.SAME, new),) if new else ()
    a, b = tokens(old), tokens(new)
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    # (same text) or (removed, added) pairs, with short unchanged islands folded in
    runs: list[tuple[str, str, str]] = []  # (kind, old text, new text)
    for i, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        old_part, new_part = "".join(a[i1:i2]), "".join(b[j1:j2])
        between = 0 < i < len(opcodes) - 1
        if tag == "equal" and not (between and len(a[i1:i2]) < _ISLAND):
            runs.append(("same", old_part, new_part))
        elif runs and runs[-1][0] == "change":
            _kind, o, n = runs[-1]
            runs[-1] = ("change", o + old_part, n + new_part)
        else:
            runs.append(("change", old_part, new_part))
    segments: list[Segment] = []
    for kind, old_part, new_part in runs:
        if kind == "same":
            segments.append(Segment(Op.SAME, old_part))
            continue
        if old_part:
            segments.append(Segment(Op.REMOVED, old_part))
        if new_part:
            segments.append(Segment(Op.ADDED, new_part))
    return tuple(segments)


def compare(old: Sequence[ArticleText], new: Sequence[ArticleText]) -> list[ArticleDiff]:
    """Every article of either version once, in the new order; removed ones where they were."""
    old_by_key = {a.key: a for a in old}
    new_keys = {a.key for a in new}
    placed: list[tuple[tuple[int, int, int], ArticleDiff]] = []
    for a in new:
        before = old_by_key.get(a.key)
        if before is None:
            diff = ArticleDiff(
                Change.ADDED,
                None,
                a.position,
                text_diff("", a.heading),
                text_diff("", a.body),
            )
        else:
            same = before.heading == a.heading and before.body == a.body
            diff = ArticleDiff(
                Change.UNCHANGED if same else Change.CHANGED,
                before.position,
                a.position,
                text_diff(before.heading, a.heading),
                text_diff(before.body, a.body),
            )
        placed.append(((a.position, 0, 0), diff))
    # A removed article goes after the kept articles that preceded it.
    new_position_of = {a.key: a.position for a in new}
    anchor = 0
    for a in sorted(old, key=lambda x: x.position):
        if a.key in new_keys:
            anchor = max(anchor, new_position_of[a.key])
            continue
        diff = ArticleDiff(
            Change.REMOVED, a.position, None, text_diff(a.heading, ""), text_diff(a.body, "")
        )
        placed.append(((anchor, 1, a.position), diff))
    return [diff for _order, diff in sorted(placed, key=lambda p: p[0])]


@dataclass(frozen=True)
class Summary:
    added: int
    removed: int
    changed: int
    unchanged: int


def summarize(diffs: Sequence[ArticleDiff]) -> Summary:
    def n(change: Change) -> int:
        return sum(1 for d in diffs if d.change is change)

    return Summary(n(Change.ADDED), n(Change.REMOVED), n(Change.CHANGED), n(Change.UNCHANGED))
