"""The work-order state machine, move by move (pure: no app, no database)."""

from __future__ import annotations

import pytest

from council.errors import TransitionRefused
from council.workorders import workflow
from council.workorders.workflow import ExtensionFacts, ExtensionStatus, Facts, Rating
from council.workorders.workflow import OrderStatus as S

# Every move the table allows, with facts that pass its gate.
ALLOWED = [
    (S.DISPATCHED, S.ACCEPTED, {}),
    (S.ACCEPTED, S.REPLIED, {"note": "已约谈商户，外摆已收回"}),
    (S.REPLIED, S.VERIFIED, {"note": "现场查看，人行道已畅通"}),
    (S.REPLIED, S.ACCEPTED, {"note": "晚上十点后又摆出来了"}),
    (S.VERIFIED, S.CLOSED, {}),
    (S.CLOSED, S.RATED, {"rating": Rating.BASIC}),
]


@pytest.mark.parametrize(("frm", "to", "facts"), ALLOWED)
def test_allowed_move(frm: S, to: S, facts: dict) -> None:
    assert workflow.advance(Facts(status=frm, **facts), to) is to


def test_the_table_is_exactly_the_loop() -> None:
    assert set(workflow.TRANSITIONS) == {(frm, to) for frm, to, _ in ALLOWED}


REFUSED_BY_GATE = [
    (S.ACCEPTED, S.REPLIED, {}, "反馈须写明办理情况"),
    (S.REPLIED, S.VERIFIED, {}, "核查须写明核查情况"),
    (S.REPLIED, S.ACCEPTED, {"note": " "}, "核查须写明核查情况"),
    (S.REPLIED, S.VERIFIED, {"note": "已办好", "actor_handled": True}, "不能核查自己办理的工单"),
    (S.REPLIED, S.ACCEPTED, {"note": "没办好", "actor_handled": True}, "不能核查自己办理的工单"),
    (S.CLOSED, S.RATED, {}, "请选择满意、基本满意或不满意"),
]


@pytest.mark.parametrize(("frm", "to", "facts", "message"), REFUSED_BY_GATE)
def test_gate_refuses(frm: S, to: S, facts: dict, message: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        workflow.advance(Facts(status=frm, **facts), to)
    assert message in refused.value.message
    assert refused.value.status_code == 409


@pytest.mark.parametrize("frm", [S.DISPATCHED, S.ACCEPTED, S.REPLIED])
def test_R22_an_order_is_never_closed_before_it_is_verified(frm: S) -> None:
    with pytest.raises(TransitionRefused, match="须先经核查"):
        workflow.advance(Facts(status=frm, note="结案"), S.CLOSED)


def test_an_order_is_accepted_before_its_handling_is_reported() -> None:
    with pytest.raises(TransitionRefused, match="请先签收工单"):
        workflow.advance(Facts(status=S.DISPATCHED, note="已处理"), S.REPLIED)


def test_a_rated_order_is_not_rated_again() -> None:
    with pytest.raises(TransitionRefused, match="已经评价过了"):
        workflow.advance(Facts(status=S.RATED, rating=Rating.SATISFIED), S.RATED)


ALL_PAIRS = [(a, b) for a in S for b in S if (a, b) not in workflow.TRANSITIONS]


@pytest.mark.parametrize(("frm", "to"), ALL_PAIRS)
def test_every_move_outside_the_table_is_refused_in_chinese(frm: S, to: S) -> None:
    with pytest.raises(TransitionRefused) as refused:
        workflow.advance(Facts(status=frm, note="理由", rating=Rating.SATISFIED), to)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)


def test_only_a_rated_order_is_final() -> None:
    assert [s for s in S if not workflow.allowed_moves(s)] == [S.RATED]


@pytest.mark.parametrize("status", [S.DISPATCHED, S.ACCEPTED])
def test_extension_is_requested_with_a_reason_while_with_the_department(status: S) -> None:
    facts = ExtensionFacts(order_status=status, reason="需协调供电部门迁移线路")
    assert workflow.request_extension(facts) is ExtensionStatus.PENDING


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (ExtensionFacts(order_status=S.ACCEPTED), "申请延期须写明理由"),
        (ExtensionFacts(order_status=S.ACCEPTED, reason="   "), "申请延期须写明理由"),
        (ExtensionFacts(order_status=S.REPLIED, reason="来不及"), "只有待签收或处置中的工单"),
        (
            ExtensionFacts(order_status=S.ACCEPTED, reason="来不及", pending=True),
            "已有一份延期申请等待审批",
        ),
    ],
)
def test_extension_refused(facts: ExtensionFacts, message: str) -> None:
    with pytest.raises(TransitionRefused, match=message):
        workflow.request_extension(facts)


def test_an_extension_is_decided_once() -> None:
    assert workflow.decide_extension(ExtensionStatus.PENDING, True) is ExtensionStatus.APPROVED
    assert workflow.decide_extension(ExtensionStatus.PENDING, False) is ExtensionStatus.REFUSED
    with pytest.raises(TransitionRefused, match="已处理（已批准）"):
        workflow.decide_extension(ExtensionStatus.APPROVED, False)
