"""四议两公开一监督 as a table: every legal move, every refused one, and the review arithmetic
of DOMAIN §3 worked example 3. No database."""

from __future__ import annotations

import itertools

import pytest

from council.errors import TransitionRefused
from council.notices.periods import NoticeState
from council.workflows.workflow import (
    ACTIVE,
    ORDER,
    WORKFLOW,
    BallotState,
    Facts,
    PlanState,
    ReviewCount,
    SignOffFacts,
    Stage,
    earlier,
    finish_blockers,
    next_stage,
    notice_stage_refusal,
    reopen_refusal,
    results_notice_blockers,
    review_problems,
    signoff_refusal,
)

S = Stage
OVER = NoticeState(published=True, period_over=True, days_left=0, unanswered=0)
FULL = Facts(
    party_proposal=True,
    confirmed_minutes=True,
    review=ReviewCount(members=11, present=8, yes=6, abstain=2),
    ballot=BallotState.PASSED,
    resolution_notice=OVER,
    plan=PlanState(items=3, verified=3),
    signed_off=True,
    results_notice=OVER,
    reason="按监督意见重新商议",
)
LEGAL = sorted(WORKFLOW.gates, key=lambda pair: (ORDER.index(pair[0]), str(pair[1])))
ILLEGAL = [(a, b) for a, b in itertools.product(Stage, Stage) if (a, b) not in WORKFLOW.gates]


def test_R1_the_table_is_the_seven_stages_in_order() -> None:
    assert [next_stage(s) for s in ACTIVE] == list(ORDER[1:])
    forward = [(a, b) for a, b in LEGAL if b is next_stage(a)]
    assert forward == list(itertools.pairwise(ORDER))


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_R1_every_legal_move_is_allowed_with_its_record(current: Stage, target: Stage) -> None:
    assert WORKFLOW.advance(current, target, FULL) is target


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_R1_every_move_outside_the_table_is_refused(current: Stage, target: Stage) -> None:
    with pytest.raises(TransitionRefused) as refused:
        WORKFLOW.advance(current, target, FULL)
    assert refused.value.message


def test_R1_skipping_a_stage_names_the_next_one() -> None:
    reasons = WORKFLOW.reasons(S.PROPOSAL, S.REVIEW, FULL)
    assert reasons == [
        "四议两公开须按顺序进行：当前为“提议”，下一步是“商议”，不能跳到“审议”（第 1 条）"
    ]
    assert "已完成" in WORKFLOW.reasons(S.DONE, S.PROPOSAL, FULL)[0]


MISSING = [
    (S.PROPOSAL, {"party_proposal": False}, "社区党组织的书面提议"),
    (S.DELIBERATION, {"confirmed_minutes": False}, "纪要已确认"),
    (S.REVIEW, {"review": None}, "党员审议记录"),
    (S.REVIEW, {"review": ReviewCount(11, 8, 5, abstain=3)}, "同意 5 票"),
    (S.REVIEW, {"review": ReviewCount(11, 7, 7)}, "到会 7 人"),
    (S.RESOLUTION, {"ballot": BallotState.NONE}, "已认证并通过的表决"),
    (S.RESOLUTION, {"ballot": BallotState.UNCERTIFIED}, "尚未认证"),
    (S.RESOLUTION, {"ballot": BallotState.FAILED}, "表决未通过"),
    (S.RESOLUTION_NOTICE, {"resolution_notice": None}, "须先发布决议公示"),
    (
        S.RESOLUTION_NOTICE,
        {"resolution_notice": NoticeState(True, False, 3, 0)},
        "公示期未满（还剩 3 天），不能进入“实施”",
    ),
    (
        S.RESOLUTION_NOTICE,
        {"resolution_notice": NoticeState(True, True, 0, 1)},
        "还有 1 条异议未答复",
    ),
    (S.IMPLEMENTATION, {"plan": None}, "须有本议题的行动计划"),
    (S.IMPLEMENTATION, {"plan": PlanState(3, 2)}, "还有 1 项未核验"),
    (S.IMPLEMENTATION, {"signed_off": False}, "监督员签字确认（第 11 条）"),
    (S.RESULTS_NOTICE, {"results_notice": None}, "须先发布实施结果公示"),
    (
        S.RESULTS_NOTICE,
        {"results_notice": NoticeState(True, True, 0, 2)},
        "还有 2 条异议未答复",
    ),
]


@pytest.mark.parametrize(("stage", "missing", "said"), MISSING)
def test_R1_a_stage_finishes_only_with_its_record(
    stage: Stage, missing: dict[str, object], said: str
) -> None:
    facts = Facts(**{**FULL.__dict__, **missing})
    following = next_stage(stage)
    assert following is not None
    with pytest.raises(TransitionRefused) as refused:
        WORKFLOW.advance(stage, following, facts)
    assert any(said in reason for reason in refused.value.reasons), refused.value.reasons
    assert finish_blockers(stage, facts) == list(refused.value.reasons)


@pytest.mark.parametrize("stage", ACTIVE)
def test_R1_an_unanswered_reopen_request_blocks_finishing(stage: Stage) -> None:
    facts = Facts(**{**FULL.__dict__, "unanswered_reopen": (S.DELIBERATION,)})
    reasons = finish_blockers(stage, facts)
    assert reasons == ["监督员要求重新审视“商议”，主持人须先答复"]


@pytest.mark.parametrize("stage", ACTIVE)
def test_R1_sending_back_and_withdrawing_need_a_reason(stage: Stage) -> None:
    blank = Facts(**{**FULL.__dict__, "reason": "  "})
    for target in [*earlier(stage), S.WITHDRAWN]:
        assert WORKFLOW.reasons(stage, target, blank) == ["请写明理由"]
        assert WORKFLOW.allowed(stage, target, FULL)


def test_R3_review_worked_example_3() -> None:
    """11 members: 8 present meets ≥ 2/3 (24 ≥ 22); 6 yes passes (12 > 11); 5 yes fails even
    with the other 3 present abstaining; 7 present is short of the quorum."""
    assert ReviewCount(11, 8, 6).passed
    assert not ReviewCount(11, 8, 5, abstain=3).passed
    assert ReviewCount(11, 8, 5, abstain=3).quorum_met
    assert not ReviewCount(11, 7, 7).quorum_met
    assert not ReviewCount(11, 7, 7).passed  # 7 yes is a majority of all, but no quorum
    assert ReviewCount(3, 2, 2).passed  # 2·3 = 6 ≥ 6 and 2·2 = 4 > 3


def test_R3_review_counts_must_be_one_meeting() -> None:
    assert review_problems(ReviewCount(11, 12, 6)) == {"present": "到会人数不能多于党员总数"}
    assert "yes" in review_problems(ReviewCount(11, 8, 6, no=2, abstain=1))
    assert "members" in review_problems(ReviewCount(0, 0, 0))
    assert review_problems(ReviewCount(11, 8, 6, no=1, abstain=1)) == {}


SIGNOFF_OK = SignOffFacts(S.IMPLEMENTATION, False, False, PlanState(3, 3))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"actor_proposed": True}, "不能为自己提议的事项签字确认"),
        ({"stage": S.RESOLUTION_NOTICE}, "签字确认在“实施”阶段进行"),
        ({"already_signed": True}, "您已为本事项签字确认"),
        ({"plan": PlanState(3, 1)}, "核验完毕后才能签字确认"),
        ({"plan": None}, "核验完毕后才能签字确认"),
    ],
)
def test_R11_signoff_refusals(changes: dict[str, object], said: str) -> None:
    assert signoff_refusal(SIGNOFF_OK) is None
    refusal = signoff_refusal(SignOffFacts(**{**SIGNOFF_OK.__dict__, **changes}))
    assert refusal is not None and said in refusal


def test_R11_results_notice_needs_signoff() -> None:
    assert results_notice_blockers(True) == []
    assert results_notice_blockers(False) == ["实施结果公开前须有监督员签字确认（第 11 条）"]


def test_supervisor_may_ask_to_reopen_only_a_stage_reached() -> None:
    assert reopen_refusal(S.RESOLUTION, S.DELIBERATION) is None
    assert reopen_refusal(S.RESOLUTION, S.RESOLUTION) is None
    assert reopen_refusal(S.RESOLUTION, S.IMPLEMENTATION) is not None
    assert reopen_refusal(S.DONE, S.PROPOSAL) is not None


def test_R1_a_stage_notice_only_at_its_stage() -> None:
    assert notice_stage_refusal(S.RESOLUTION_NOTICE, S.RESOLUTION_NOTICE) is None
    refusal = notice_stage_refusal(S.RESOLUTION, S.RESOLUTION_NOTICE)
    assert refusal is not None and "当前为“决议”" in refusal
