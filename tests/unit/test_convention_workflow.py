"""The convention version state machine: every allowed move with its gate, every refused one."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from council.conventions import workflow
from council.conventions.workflow import Facts, VersionStatus
from council.errors import TransitionRefused

S = VersionStatus
NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def ready(status: S, **changes: object) -> Facts:
    """Facts under which every gate out of ``status`` is satisfied."""
    base: dict[str, object] = {
        "status": status,
        "now": NOW,
        "articles": 5,
        "comment_opens_at": NOW - 10 * DAY,
        "comment_closes_at": NOW - DAY,
        "comment_period_held": True,
        "legality_reviewed": True,
        "ballot_certified": True,
        "ballot_passed": True,
        "newer_adopted": True,
        "newer_published": True,
    }
    if status is S.DRAFT:
        base.update(comment_opens_at=NOW, comment_closes_at=NOW + 7 * DAY)
    return Facts(**{**base, **changes})  # type: ignore[arg-type]


ALLOWED = {
    (S.DRAFT, S.COMMENTING),
    (S.DRAFT, S.VOTING),
    (S.COMMENTING, S.VOTING),
    (S.VOTING, S.ADOPTED),
    (S.VOTING, S.NOT_ADOPTED),
    (S.ADOPTED, S.SUPERSEDED),
    (S.COMMENTING, S.SUPERSEDED),
    (S.NOT_ADOPTED, S.SUPERSEDED),
}


def test_transition_table_is_exactly_the_allowed_moves() -> None:
    assert set(workflow.TRANSITIONS) == ALLOWED


@pytest.mark.parametrize(
    ("frm", "to"),
    sorted(set(itertools.product(S, S)) - ALLOWED),
    ids=lambda s: s.value,
)
def test_moves_outside_the_table_are_refused_with_a_message(frm: S, to: S) -> None:
    with pytest.raises(TransitionRefused) as refused:
        workflow.advance(ready(frm), to)
    assert refused.value.message


@pytest.mark.parametrize(("frm", "to"), sorted(ALLOWED - {(S.VOTING, S.NOT_ADOPTED)}))
def test_allowed_moves_pass_when_their_gate_is_met(frm: S, to: S) -> None:
    assert workflow.advance(ready(frm), to) is to


def test_a_failed_vote_leaves_the_version_not_adopted() -> None:
    facts = ready(S.VOTING, ballot_passed=False)
    assert workflow.advance(facts, S.NOT_ADOPTED) is S.NOT_ADOPTED
    assert workflow.blocking(facts, S.ADOPTED) == ["表决未通过"]


def test_R4_adoption_needs_a_certified_ballot() -> None:
    facts = ready(S.VOTING, ballot_certified=False)
    assert workflow.blocking(facts, S.ADOPTED) == ["表决结果尚未认证"]
    assert workflow.blocking(facts, S.NOT_ADOPTED) == ["表决结果尚未认证"]


def test_R26_vote_needs_the_legality_review() -> None:
    reasons = workflow.blocking(ready(S.COMMENTING, legality_reviewed=False), S.VOTING)
    assert reasons == ["须先登记街道合法性审核意见，才能提交表决"]


def test_R26_no_fines_in_a_convention_put_to_vote() -> None:
    terms = workflow.coercive_terms(["违反的，处以 200 元罚款。"])
    assert terms == ("罚款",)
    reasons = workflow.blocking(ready(S.COMMENTING, coercive_terms=terms), S.VOTING)
    assert reasons == ["公约不得设定罚款等强制性处罚（出现：罚款）"]
    assert workflow.coercive_terms(["一个月内累计三次的，在公开栏公示。"]) == ()


def test_the_vote_waits_for_the_comment_period_to_end() -> None:
    running = ready(S.COMMENTING, comment_closes_at=NOW + DAY)
    assert workflow.blocking(running, S.VOTING) == ["征求意见期尚未结束"]


def test_a_first_draft_cannot_skip_the_comment_period() -> None:
    reasons = workflow.blocking(ready(S.DRAFT, comment_period_held=False), S.VOTING)
    assert reasons == ["须先公布征求意见，意见期结束后才能提交表决"]


def test_empty_articles_are_named_and_block_publication() -> None:
    facts = ready(S.DRAFT, empty_articles=(2,))
    assert workflow.blocking(facts, S.COMMENTING) == ["第 2 条内容为空"]
    assert "公约至少要有一条条款" in workflow.blocking(ready(S.DRAFT, articles=0), S.COMMENTING)


@pytest.mark.parametrize(
    ("opens", "closes", "reason"),
    [
        (None, None, "请填写征求意见的开始和截止时间"),
        (NOW + 2 * DAY, NOW + DAY, "征求意见的截止时间须晚于开始时间"),
        (NOW - 3 * DAY, NOW - DAY, "征求意见的截止时间已过"),
    ],
)
def test_comment_period_must_be_a_future_window(
    opens: dt.datetime | None, closes: dt.datetime | None, reason: str
) -> None:
    facts = ready(S.DRAFT, comment_opens_at=opens, comment_closes_at=closes)
    assert workflow.blocking(facts, S.COMMENTING) == [reason]


@pytest.mark.parametrize("status", [s for s in S if s is not S.DRAFT], ids=lambda s: s.value)
def test_R9_only_a_draft_is_edited(status: S) -> None:
    assert not workflow.editable(status)
    with pytest.raises(TransitionRefused) as refused:
        workflow.refuse_edit(status)
    assert "不能修改" in refused.value.message or "只有草稿" in refused.value.message
    workflow.refuse_edit(S.DRAFT)


def test_comments_only_inside_the_period() -> None:
    def at(now: dt.datetime, status: S = S.COMMENTING) -> str | None:
        return workflow.accepts_comments(
            Facts(status=status, now=now, comment_opens_at=NOW, comment_closes_at=NOW + DAY)
        )

    assert at(NOW) is None
    assert at(NOW - dt.timedelta(minutes=1)) == "征求意见尚未开始"
    assert at(NOW + DAY) == "征求意见期已结束，不能再提意见"
    assert at(NOW, S.ADOPTED) == "这一版本不在征求意见期，不能提意见"


def test_ending_comments_early_needs_a_running_period_and_a_reason() -> None:
    running = Facts(
        status=S.COMMENTING, now=NOW, comment_opens_at=NOW - DAY, comment_closes_at=NOW + DAY
    )
    assert workflow.end_early_blocking(running, "意见已收齐") == []
    assert workflow.end_early_blocking(running, " ") == ["提前结束征求意见须写明公开理由"]
    ended = Facts(status=S.COMMENTING, now=NOW, comment_closes_at=NOW - DAY)
    assert workflow.end_early_blocking(ended, "x") == ["征求意见期已经结束"]
    # Opened this instant: ending now would leave an empty period (and break its CHECK).
    just_opened = Facts(status=S.COMMENTING, now=NOW, comment_opens_at=NOW, comment_closes_at=None)
    assert workflow.end_early_blocking(just_opened, "x") == ["征求意见尚未开始，不能提前结束"]
