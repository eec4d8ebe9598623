"""Article-by-article difference between two versions of a convention. Pure; no I/O.

Articles are paired by their ``key`` (kept when a revision copies an article), so a moved or
renumbered article is compared with its own earlier text. Inside an article the text is
compared character by character: Chinese has no spaces to split words on.
"""

from __future__ import annotations

import difflib
import enum
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


def text_diff(old: str, new: str) -> tuple[Segment, ...]:
    """Segments that rebuild ``old`` (same + removed) and ``new`` (same + added)."""
    if old == new:
        return (Segment(Op.SAME, new),) if new else ()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments: list[Segment] = []

    def add(op: Op, text: str) -> None:
        if not text:
            return
        if segments and segments[-1].op is op:
            segments[-1] = Segment(op, segments[-1].text + text)
        else:
            segments.append(Segment(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add(Op.SAME, old[i1:i2])
        else:
            add(Op.REMOVED, old[i1:i2])
            add(Op.ADDED, new[j1:j2])
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
    # A removed article goes after the new position of the last kept article before it.
    new_position_of = {a.key: a.position for a in new}
    anchor = 0
    for a in sorted(old, key=lambda x: x.position):
        if a.key in new_keys:
            anchor = new_position_of[a.key]
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
