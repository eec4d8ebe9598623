"""The consultation state machines and quorum arithmetic, by table."""

from __future__ import annotations

import pytest

from council.consultations.quorum import QuorumRule, is_met, needed
from council.consultations.workflow import (
    ITEM,
    MATTER,
    MINUTES,
    ROUND,
    ItemFacts,
    ItemStatus,
    MatterFacts,
    MatterStatus,
    MinutesFacts,
    MinutesStatus,
    Outcome,
    PlanFacts,
    RoundFacts,
    RoundStatus,
    minutes_editable,
    plan_problems,
)
from council.errors import TransitionRefused

M = MatterStatus


@pytest.mark.parametrize(
    ("current", "target", "facts", "allowed"),
    [
        (M.CONSULTING, M.CONSENSUS, MatterFacts(latest_outcome=Outcome.CONSENSUS), True),
        (M.CONSULTING, M.CONSENSUS, MatterFacts(latest_outcome=Outcome.PARTIAL), False),
        (M.CONSULTING, M.CONSENSUS, MatterFacts(latest_outcome=None), False),
        (
            M.CONSULTING,
            M.CONSENSUS,
            MatterFacts(latest_outcome=Outcome.CONSENSUS, has_open_round=True),
            False,
        ),
        (M.CONSULTING, M.SHELVED, MatterFacts(reason="等待区里资金"), True),
        (M.CONSULTING, M.SHELVED, MatterFacts(reason="  "), False),
        (M.SHELVED, M.CONSULTING, MatterFacts(reason="资金到位"), True),
        (M.CONSULTING, M.DECISION, MatterFacts(reason="转表决"), True),
        (M.CONSENSUS, M.DECISION, MatterFacts(), True),
        (M.SHELVED, M.CONSENSUS, MatterFacts(latest_outcome=Outcome.CONSENSUS), False),
        (M.DECISION, M.CONSULTING, MatterFacts(reason="x"), False),
    ],
)
def test_matter_transitions(
    current: MatterStatus, target: MatterStatus, facts: MatterFacts, allowed: bool
) -> None:
    assert MATTER.allowed(current, target, facts) is allowed


@pytest.mark.parametrize(
    ("facts", "allowed"),
    [
        (RoundFacts(outcome=None), False),
        (RoundFacts(outcome=Outcome.CONSENSUS), True),
        (RoundFacts(outcome=Outcome.NONE), False),
        (RoundFacts(outcome=Outcome.NONE, schedules_next=True), True),
        (RoundFacts(outcome=Outcome.NONE, deferral_note="等第三方检测"), True),
        (RoundFacts(outcome=Outcome.PARTIAL), False),
        (RoundFacts(outcome=Outcome.PARTIAL, schedules_next=True), True),
        (RoundFacts(outcome=Outcome.DEFERRED), False),
        (RoundFacts(outcome=Outcome.DEFERRED, deferral_note="雨季后再议"), True),
    ],
)
def test_R23_round_closes_only_with_outcome_and_next_step(facts: RoundFacts, allowed: bool) -> None:
    assert ROUND.allowed(RoundStatus.OPEN, RoundStatus.CLOSED, facts) is allowed


def test_R23_closing_without_outcome_names_the_reason() -> None:
    with pytest.raises(TransitionRefused) as refused:
        ROUND.advance(RoundStatus.OPEN, RoundStatus.CLOSED, RoundFacts(outcome=None))
    assert "结果" in refused.value.message


def test_closed_round_cannot_close_again() -> None:
    assert not ROUND.allowed(RoundStatus.CLOSED, RoundStatus.CLOSED, RoundFacts(Outcome.CONSENSUS))


@pytest.mark.parametrize(
    ("current", "target", "facts", "allowed"),
    [
        (MinutesStatus.DRAFT, MinutesStatus.CONFIRMED, MinutesFacts(confirmations=1), True),
        (MinutesStatus.DRAFT, MinutesStatus.CONFIRMED, MinutesFacts(confirmations=0), False),
        (
            MinutesStatus.DRAFT,
            MinutesStatus.CONFIRMED,
            MinutesFacts(confirmations=2, has_text=False),
            False,
        ),
        (
            MinutesStatus.CONFIRMED,
            MinutesStatus.PUBLISHED,
            MinutesFacts(has_public_text=True),
            True,
        ),
        (MinutesStatus.CONFIRMED, MinutesStatus.PUBLISHED, MinutesFacts(), False),
        (MinutesStatus.DRAFT, MinutesStatus.PUBLISHED, MinutesFacts(has_public_text=True), False),
        (MinutesStatus.PUBLISHED, MinutesStatus.DRAFT, MinutesFacts(), False),
    ],
)
def test_minutes_transitions(
    current: MinutesStatus, target: MinutesStatus, facts: MinutesFacts, allowed: bool
) -> None:
    assert MINUTES.allowed(current, target, facts) is allowed


def test_R9_only_draft_minutes_are_editable() -> None:
    assert minutes_editable(MinutesStatus.DRAFT)
    assert not minutes_editable(MinutesStatus.CONFIRMED)
    assert not minutes_editable(MinutesStatus.PUBLISHED)


It = ItemStatus


@pytest.mark.parametrize(
    ("current", "target", "facts", "allowed"),
    [
        (It.OPEN, It.SUBMITTED, ItemFacts(has_evidence=True), True),
        (It.OPEN, It.SUBMITTED, ItemFacts(has_evidence=False), False),
        (It.RETURNED, It.SUBMITTED, ItemFacts(has_evidence=True), True),
        (It.SUBMITTED, It.VERIFIED, ItemFacts(has_evidence=True), True),
        (It.SUBMITTED, It.VERIFIED, ItemFacts(has_evidence=True, actor_owns_item=True), False),
        (
            It.SUBMITTED,
            It.VERIFIED,
            ItemFacts(has_evidence=True, actor_uploaded_evidence=True),
            False,
        ),
        (It.SUBMITTED, It.RETURNED, ItemFacts(has_evidence=True, reason="照片看不清型号"), True),
        (It.SUBMITTED, It.RETURNED, ItemFacts(has_evidence=True, reason=""), False),
        (It.OPEN, It.VERIFIED, ItemFacts(has_evidence=True), False),
        (It.VERIFIED, It.RETURNED, ItemFacts(has_evidence=True, reason="x"), False),
    ],
)
def test_R12_item_transitions(
    current: ItemStatus, target: ItemStatus, facts: ItemFacts, allowed: bool
) -> None:
    assert ITEM.allowed(current, target, facts) is allowed


def test_R25_merchants_pay_consensus_names_everything() -> None:
    bare = PlanFacts(merchants_pay=True, agreed_text="商户出资治理", owners=0, has_deadline=False)
    assert set(plan_problems(bare)) == {
        "shops",
        "deadline",
        "supervision_group",
        "inspection_frequency",
        "acceptance_method",
    }
    full = PlanFacts(
        merchants_pay=True,
        agreed_text="商户出资治理、居民参与监督",
        owners=37,
        has_deadline=True,
        supervision_group="网格员、物业、居民代表",
        inspection_frequency="每周两次",
        acceptance_method="第三方油烟检测",
    )
    assert plan_problems(full) == {}
    general = PlanFacts(merchants_pay=False, agreed_text="错峰经营", owners=3, has_deadline=True)
    assert plan_problems(general) == {}


def test_plan_deadline_before_today_is_refused() -> None:
    late = PlanFacts(
        merchants_pay=False,
        agreed_text="错峰经营",
        owners=3,
        has_deadline=True,
        deadline_passed=True,
    )
    assert plan_problems(late) == {"deadline": "完成期限不能早于今天"}


@pytest.mark.parametrize(
    ("rule", "present", "eligible", "met"),
    [
        (QuorumRule.MAJORITY, 11, 21, True),
        (QuorumRule.MAJORITY, 10, 21, False),
        (QuorumRule.MAJORITY, 10, 20, False),  # 过半数 is strict: half is not enough
        (QuorumRule.MAJORITY, 11, 20, True),
        (QuorumRule.TWO_THIRDS, 14, 21, True),  # DOMAIN §3 example 2: 14·3 = 42 ≥ 42
        (QuorumRule.TWO_THIRDS, 13, 21, False),
        (QuorumRule.TWO_THIRDS, 8, 11, True),  # example 3: 8·3 = 24 ≥ 22
        (QuorumRule.MAJORITY, 0, 0, False),
    ],
)
def test_R13_quorum_is_exact(rule: QuorumRule, present: int, eligible: int, met: bool) -> None:
    assert is_met(rule, present, eligible) is met
    if eligible:
        assert is_met(rule, needed(rule, eligible), eligible)
        assert not is_met(rule, needed(rule, eligible) - 1, eligible)


def test_overdue_means_the_owner_is_late() -> None:
    import datetime as dt

    from council.consultations.models import ActionItem
    from council.consultations.service_plans import is_overdue

    today = dt.date(2026, 11, 23)
    late = dt.date(2026, 11, 20)
    for status, overdue in [
        (It.OPEN, True),
        (It.RETURNED, True),
        (It.SUBMITTED, False),
        (It.VERIFIED, False),
    ]:
        item = ActionItem(deadline=late, status=status)
        assert is_overdue(item, today) is overdue
    assert not is_overdue(ActionItem(deadline=today, status=It.OPEN), today)


def test_labels_of_equal_values_in_different_machines_stay_apart() -> None:
    from council.consultations.workflow import label

    assert label(MatterStatus.CONSENSUS) == "已达成共识"
    assert label(Outcome.CONSENSUS) == "共识"


def test_R30_three_unexcused_absences_in_a_year_are_flagged() -> None:
    import datetime as dt

    from council.consultations.attendance import Absence, flagged

    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)

    def ago(days: int, excused: bool = False, who: str = "a") -> Absence:
        return Absence(who, now - dt.timedelta(days=days), excused)

    assert flagged([ago(10), ago(40), ago(80)], now) == {"a": 3}
    assert flagged([ago(10), ago(40)], now) == {}
    assert flagged([ago(10), ago(40), ago(80, excused=True)], now) == {}
    assert flagged([ago(10), ago(40), ago(400)], now) == {}  # older than a year
    assert flagged([ago(1, who="a"), ago(2, who="b"), ago(3, who="a")], now) == {}
