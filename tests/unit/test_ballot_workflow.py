"""The ballot state machine as a table: every (from, to) pair, its gate, and casting windows."""

from __future__ import annotations

import datetime as dt

import pytest

from council.errors import Conflict, TransitionRefused
from council.voting.workflow import Facts, Status, advance, blockers, check_cast, editable

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
READY = {"choices": 3, "electorate": 21, "now": NOW}

MOVES = {
    (Status.DRAFT, Status.OPEN),
    (Status.OPEN, Status.CLOSED),
    (Status.OPEN, Status.DRAFT),  # S5: a reset, while nobody has voted
    (Status.CLOSED, Status.CERTIFIED),
}


@pytest.mark.parametrize("source", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_only_the_listed_moves_exist(source: Status, target: Status) -> None:
    facts = Facts(status=source, has_result=True, **READY)
    if (source, target) in MOVES:
        assert advance(facts, target) is target
    else:
        assert blockers(facts, target) is None
        with pytest.raises(TransitionRefused):
            advance(facts, target)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"choices": 1}, "至少需要两个选项"),
        ({"electorate": 0}, "投票人名单为空"),
        ({"needs_present": True}, "规则以实到人数为基数，开启时须提供签到名单"),
        ({"closes_at": NOW}, "截止时间已过"),
    ],
)
def test_opening_gate_names_each_reason(change: dict, reason: str) -> None:
    facts = Facts(status=Status.DRAFT, **{**READY, **change})
    assert blockers(facts, Status.OPEN) == [reason]
    with pytest.raises(TransitionRefused) as refused:
        advance(facts, Status.OPEN)
    assert refused.value.reasons == (reason,)


def test_S5_a_reset_is_refused_once_anyone_has_voted() -> None:
    facts = Facts(status=Status.OPEN, votes=1, **READY)
    assert blockers(facts, Status.DRAFT) == ["已有人投票，不能撤回；请结束表决，必要时发起更正表决"]


def test_certify_needs_a_result() -> None:
    assert blockers(Facts(status=Status.CLOSED), Status.CERTIFIED) == ["尚无计票结果"]


def test_R9_certified_is_final() -> None:
    certified = Facts(status=Status.CERTIFIED, has_result=True, **READY)
    assert all(blockers(certified, target) is None for target in Status)


def test_S5_only_drafts_are_editable() -> None:
    assert [s for s in Status if editable(s)] == [Status.DRAFT]


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (Facts(status=Status.DRAFT), "表决尚未开始"),
        (Facts(status=Status.CLOSED), "表决已结束"),
        (Facts(status=Status.CERTIFIED), "表决已结束"),
        (Facts(status=Status.OPEN, now=NOW, opens_at=NOW + dt.timedelta(hours=1)), "表决尚未开始"),
        (Facts(status=Status.OPEN, now=NOW, closes_at=NOW), "表决已结束"),
    ],
)
def test_R16_votes_count_only_while_open(facts: Facts, message: str) -> None:
    with pytest.raises(Conflict) as refused:
        check_cast(facts)
    assert refused.value.message == message


def test_R16_open_inside_window_accepts() -> None:
    check_cast(
        Facts(
            status=Status.OPEN,
            now=NOW,
            opens_at=NOW,
            closes_at=NOW + dt.timedelta(minutes=1),
        )
    )
