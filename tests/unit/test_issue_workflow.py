"""The triage state machine, move by move (pure: no app, no database)."""

from __future__ import annotations

import pytest

from council.errors import TransitionRefused
from council.issues import workflow
from council.issues.workflow import Facts, IssueKind
from council.issues.workflow import IssueStatus as S

# (from, to, facts beyond the status) for every move the table allows, with facts that pass.
ALLOWED = [
    (S.SUBMITTED, S.TRIAGE, {}),
    (S.TRIAGE, S.ACCEPTED, {}),
    (S.TRIAGE, S.MERGED, {"merge_target_found": True, "merge_target_status": S.TRIAGE}),
    (S.TRIAGE, S.REFERRED, {"department_chosen": True}),
    (S.SUBMITTED, S.REFERRED, {"department_chosen": True, "kind": IssueKind.SNAP}),
    (S.TRIAGE, S.REJECTED, {"reason": "不属于议事会议事范围"}),
    (S.REFERRED, S.VERIFIED, {"orders_verified": True, "reason": "现场查看已整改"}),
    (S.VERIFIED, S.CLOSED, {"orders_closed": True}),
    (S.ACCEPTED, S.CLOSED, {}),
    (S.REJECTED, S.CLOSED, {}),
    (S.SUBMITTED, S.WITHDRAWN, {}),
    (S.TRIAGE, S.WITHDRAWN, {}),
]


@pytest.mark.parametrize(("frm", "to", "facts"), ALLOWED)
def test_allowed_move(frm: S, to: S, facts: dict) -> None:
    assert workflow.advance(Facts(status=frm, **facts), to) is to


def test_the_table_is_exactly_the_allowed_moves() -> None:
    assert set(workflow.TRANSITIONS) == {(frm, to) for frm, to, _ in ALLOWED}


# Gates: the move exists but the facts do not allow it.
REFUSED_BY_GATE = [
    (S.TRIAGE, S.MERGED, {}, "找不到要合并到的诉求"),
    (
        S.TRIAGE,
        S.MERGED,
        {"merge_target_found": True, "merge_target_is_self": True, "merge_target_status": S.TRIAGE},
        "不能把诉求合并到它自己",
    ),
    (
        S.TRIAGE,
        S.MERGED,
        {"merge_target_found": True, "merge_target_status": S.CLOSED},
        "只能合并到仍在办理的诉求",
    ),
    (
        S.TRIAGE,
        S.MERGED,
        {"merge_target_found": True, "merge_target_status": S.MERGED},
        "只能合并到仍在办理的诉求",
    ),
    (
        S.TRIAGE,
        S.MERGED,
        {"merge_target_found": True, "merge_target_status": S.REJECTED},
        "只能合并到仍在办理的诉求",
    ),
    (S.TRIAGE, S.REFERRED, {}, "转办须选择服务本议事会的职能部门"),
    (S.SUBMITTED, S.REFERRED, {"department_chosen": True}, "只有随手拍可以不经受理直接转办"),
    (S.SUBMITTED, S.REFERRED, {"kind": IssueKind.SNAP}, "转办须选择服务本议事会的职能部门"),
    (S.TRIAGE, S.REJECTED, {}, "不予受理须写明公开理由"),
    (S.REFERRED, S.VERIFIED, {"reason": "已查看"}, "工单尚未全部核查为办理满意"),
    (S.REFERRED, S.VERIFIED, {"orders_verified": True}, "核实须写明核实情况"),
    (S.VERIFIED, S.CLOSED, {}, "转办的工单尚未全部结案"),
    (S.TRIAGE, S.ACCEPTED, {"kind": IssueKind.PROPOSAL}, "立项商户提议须写明理由"),
]


@pytest.mark.parametrize(("frm", "to", "facts", "message"), REFUSED_BY_GATE)
def test_gate_refuses(frm: S, to: S, facts: dict, message: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        workflow.advance(Facts(status=frm, **facts), to)
    assert message in refused.value.message
    assert refused.value.status_code == 409


def test_R22_referred_issue_cannot_close_without_verification() -> None:
    with pytest.raises(TransitionRefused, match="须先核实办理结果"):
        workflow.advance(Facts(status=S.REFERRED, orders_closed=True, reason="x"), S.CLOSED)


def test_R21_proposal_accepted_with_reason() -> None:
    facts = Facts(status=S.TRIAGE, kind=IssueKind.PROPOSAL, reason="列入下次议事会议程")
    assert workflow.advance(facts, S.ACCEPTED) is S.ACCEPTED


ALL_PAIRS = [(a, b) for a in S for b in S if (a, b) not in workflow.TRANSITIONS]


@pytest.mark.parametrize(("frm", "to"), ALL_PAIRS)
def test_every_move_outside_the_table_is_refused_in_chinese(frm: S, to: S) -> None:
    facts = Facts(
        status=frm,
        reason="理由",
        department_chosen=True,
        orders_verified=True,
        orders_closed=True,
        merge_target_found=True,
        merge_target_status=S.TRIAGE,
    )
    with pytest.raises(TransitionRefused) as refused:
        workflow.advance(facts, to)
    assert refused.value.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)


def test_no_move_leaves_a_final_state() -> None:
    for final in (S.MERGED, S.CLOSED, S.WITHDRAWN):
        assert workflow.allowed_moves(final) == []


def test_public_and_open_states_do_not_overlap() -> None:
    assert not workflow.PUBLIC & workflow.OPEN
    assert S.WITHDRAWN not in workflow.PUBLIC | workflow.OPEN


def test_R22_referred_issues_move_only_with_their_work_orders() -> None:
    """The facilitator is never offered 核实 or 办结 of a referred issue: its orders move it."""
    assert workflow.offered_moves(S.REFERRED, IssueKind.ISSUE) == []
    assert workflow.offered_moves(S.VERIFIED, IssueKind.ISSUE) == []
    assert S.VERIFIED in workflow.allowed_moves(S.REFERRED)


def test_a_snap_is_offered_referral_straight_away_and_other_issues_are_not() -> None:
    assert S.REFERRED in workflow.offered_moves(S.SUBMITTED, IssueKind.SNAP)
    assert S.REFERRED not in workflow.offered_moves(S.SUBMITTED, IssueKind.ISSUE)
    assert S.REFERRED in workflow.offered_moves(S.TRIAGE, IssueKind.ISSUE)
