"""The article-by-article diff: articles paired by key, text compared by token."""

from __future__ import annotations

from council.conventions.diff import (
    ArticleText,
    Change,
    Op,
    Segment,
    compare,
    summarize,
    text_diff,
)


def rebuild(segments: tuple[Segment, ...], keep: Op) -> str:
    return "".join(s.text for s in segments if s.op in (Op.SAME, keep))


def test_segments_rebuild_both_texts() -> None:
    old = "违反本公约的，由商户联合会处以 200 元罚款，所得用于街区公共卫生。"
    new = "违反本公约的，由商户联合会上门提醒；一个月内累计三次的，在街区公开栏公示。"
    segments = text_diff(old, new)
    assert rebuild(segments, Op.REMOVED) == old
    assert rebuild(segments, Op.ADDED) == new


def test_a_changed_time_is_replaced_whole() -> None:
    segments = text_diff("每晚 23:00 前收回", "每晚 22:30 前收回")
    assert Segment(Op.REMOVED, "23:00") in segments
    assert Segment(Op.ADDED, "22:30") in segments


def test_unchanged_text_is_one_segment() -> None:
    assert text_diff("同一条", "同一条") == (Segment(Op.SAME, "同一条"),)
    assert text_diff("", "") == ()


def a(key: str, position: int, body: str, heading: str = "") -> ArticleText:
    return ArticleText(key, position, heading, body)


def test_articles_pair_by_key_even_when_moved() -> None:
    old = [a("k1", 1, "外摆"), a("k2", 2, "卫生"), a("k3", 3, "罚款")]
    new = [a("k2", 1, "卫生"), a("k1", 2, "外摆一米"), a("k4", 3, "监督")]
    diffs = compare(old, new)
    changes = [(d.change, d.old_position, d.new_position) for d in diffs]
    assert changes == [
        (Change.UNCHANGED, 2, 1),
        (Change.CHANGED, 1, 2),
        (Change.REMOVED, 3, None),
        (Change.ADDED, None, 3),
    ]
    assert diffs[1].moved and not diffs[3].moved
    summary = summarize(diffs)
    assert (summary.added, summary.removed, summary.changed, summary.unchanged) == (1, 1, 1, 1)
