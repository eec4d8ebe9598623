"""四议两公开一监督: the gated path of a major matter. Pure: no web, no database.

    提议 ─► 商议 ─► 审议 ─► 决议 ─► 决议公开 ─► 实施 ─► 实施结果公开 ─► 完成
     └──────── any stage: sent back to an earlier one, or withdrawn, with a reason ──► 已撤回

Moving to the next stage finishes the current one and needs its record (DOMAIN §2, rule 1);
no stage is skipped. Supervisors (一监督) file opinions at any stage, sign off before the
results notice (rule 11) and may ask for a stage to be reopened, which must be answered.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from council.i18n import N_, _
from council.machine import Gate, Machine, every
from council.notices.periods import NoticeState
from council.voting.tally import MAJORITY, TWO_THIRDS


class Stage(enum.StrEnum):
    PROPOSAL = "proposal"
    DELIBERATION = "deliberation"
    REVIEW = "review"
    RESOLUTION = "resolution"
    RESOLUTION_NOTICE = "resolution_notice"
    IMPLEMENTATION = "implementation"
    RESULTS_NOTICE = "results_notice"
    DONE = "done"
    WITHDRAWN = "withdrawn"


ORDER: tuple[Stage, ...] = (
    Stage.PROPOSAL,
    Stage.DELIBERATION,
    Stage.REVIEW,
    Stage.RESOLUTION,
    Stage.RESOLUTION_NOTICE,
    Stage.IMPLEMENTATION,
    Stage.RESULTS_NOTICE,
    Stage.DONE,
)
# The seven stages that do work; 完成 and 已撤回 are where the path ends.
ACTIVE: tuple[Stage, ...] = ORDER[:-1]
ENDED = frozenset({Stage.DONE, Stage.WITHDRAWN})


@dataclass(frozen=True)
class StageInfo:
    stage: Stage
    name: str
    actor: str  # who acts [practice]
    record: str  # the record that finishes it


STAGES: Mapping[Stage, StageInfo] = {
    info.stage: info
    for info in (
        StageInfo(Stage.PROPOSAL, N_("提议"), N_("社区党组织"), N_("社区党组织的书面提议")),
        StageInfo(
            Stage.DELIBERATION,
            N_("商议"),
            N_("两委与商居议事会联席会议"),
            N_("本议题协商会议的纪要（已确认）"),
        ),
        StageInfo(Stage.REVIEW, N_("审议"), N_("党员大会"), N_("党员审议记录：到会人数与表决")),
        StageInfo(Stage.RESOLUTION, N_("决议"), N_("代表会议"), N_("已认证并通过的表决")),
        StageInfo(
            Stage.RESOLUTION_NOTICE,
            N_("决议公开"),
            N_("主持人"),
            N_("决议公示：公示期满，异议均已答复"),
        ),
        StageInfo(
            Stage.IMPLEMENTATION,
            N_("实施"),
            N_("行动计划责任人"),
            N_("行动计划各项已核验，监督员签字确认"),
        ),
        StageInfo(
            Stage.RESULTS_NOTICE,
            N_("实施结果公开"),
            N_("主持人"),
            N_("实施结果公示：公示期满，异议均已答复"),
        ),
        StageInfo(Stage.DONE, N_("已完成"), "", ""),
        StageInfo(Stage.WITHDRAWN, N_("已撤回"), "", ""),
    )
}


def label(stage: Stage) -> str:
    return _(STAGES[stage].name)


def next_stage(stage: Stage) -> Stage | None:
    if stage not in ACTIVE:
        return None
    return ORDER[ORDER.index(stage) + 1]


def earlier(stage: Stage) -> list[Stage]:
    """The stages a matter at ``stage`` may be sent back to."""
    return list(ORDER[: ORDER.index(stage)]) if stage in ACTIVE else []


# --- the records each stage needs -------------------------------------------------------------


@dataclass(frozen=True)
class ReviewCount:
    """审议 by the party members: all members (应到), present (实到) and the vote."""

    members: int
    present: int
    yes: int
    no: int = 0
    abstain: int = 0

    @property
    def quorum_met(self) -> bool:
        """Rule 3: at least two thirds of all members present (三分之二以上)."""
        return TWO_THIRDS.met(self.present, self.members)

    @property
    def majority_met(self) -> bool:
        """Rule 3: more than half of all members, not of those present, vote yes (过半数)."""
        return MAJORITY.met(self.yes, self.members)

    @property
    def passed(self) -> bool:
        return self.quorum_met and self.majority_met


def review_problems(count: ReviewCount) -> dict[str, str]:
    """Field → why the counts cannot be a true record of one meeting."""
    problems: dict[str, str] = {}
    if count.members < 1:
        problems["members"] = _("党员总数须至少 1 人")
    elif count.present > count.members:
        problems["present"] = _("到会人数不能多于党员总数")
    if count.yes + count.no + count.abstain > count.present:
        problems["yes"] = _("同意、反对、弃权合计不能多于到会人数")
    return problems


def review_reasons(count: ReviewCount) -> list[str]:
    """Why a review did not pass, with the numbers (DOMAIN §3, worked example 3)."""
    reasons = []
    if not count.quorum_met:
        reasons.append(
            _(
                "审议未通过：到会 %(p)s 人，不足全体党员 %(m)s 人的三分之二（须 %(n)s 人）",
                p=count.present,
                m=count.members,
                n=TWO_THIRDS.needed(count.members),
            )
        )
    if not count.majority_met:
        reasons.append(
            _(
                "审议未通过：同意 %(y)s 票，未超过全体党员 %(m)s 人的半数（须 %(n)s 票）",
                y=count.yes,
                m=count.members,
                n=MAJORITY.needed(count.members),
            )
        )
    return reasons


class BallotState(enum.StrEnum):
    NONE = "none"  # no ballot of this matter has been closed
    UNCERTIFIED = "uncertified"  # closed, the result not yet certified
    FAILED = "failed"  # certified, did not pass
    PASSED = "passed"  # certified and passed


@dataclass(frozen=True)
class PlanState:
    items: int
    verified: int

    @property
    def complete(self) -> bool:
        return self.items > 0 and self.verified == self.items


@dataclass(frozen=True)
class Facts:
    party_proposal: bool = False
    confirmed_minutes: bool = False
    review: ReviewCount | None = None  # the latest recorded
    ballot: BallotState = BallotState.NONE
    resolution_notice: NoticeState | None = None
    plan: PlanState | None = None
    signed_off: bool = False
    results_notice: NoticeState | None = None
    unanswered_reopen: tuple[Stage, ...] = ()  # stages supervisors asked to reopen
    reason: str = ""


def _proposal(f: Facts) -> str | None:
    if f.party_proposal:
        return None
    return _("“提议”阶段须有社区党组织的书面提议：请关联社区党组织提交、已立项的提议（第 1 条）")


def _minutes(f: Facts) -> str | None:
    if f.confirmed_minutes:
        return None
    return _("“商议”阶段须有本议题协商会议的纪要，且纪要已确认（第 1 条）")


def _review(f: Facts) -> list[str]:
    if f.review is None:
        return [_("“审议”阶段须登记党员审议记录：全体党员人数、到会人数和表决结果（第 3 条）")]
    return [f"{reason}（第 3 条）" for reason in review_reasons(f.review)]


def _ballot(f: Facts) -> str | None:
    if f.ballot is BallotState.PASSED:
        return None
    if f.ballot is BallotState.UNCERTIFIED:
        return _("本议题的表决已结束但结果尚未认证，认证后才能完成“决议”（第 4、5 条）")
    if f.ballot is BallotState.FAILED:
        return _("本议题的表决未通过，不能进入“决议公开”（第 4 条）")
    return _("“决议”阶段须有本议题已认证并通过的表决（第 4 条）")


def _notice_done(notice: NoticeState | None, name: str, next_name: str) -> list[str]:
    if notice is None or not notice.published:
        return [_("须先发布%(name)s", name=name)]
    reasons = []
    if not notice.period_over:
        reasons.append(
            _(
                "%(name)s的公示期未满（还剩 %(n)s 天），不能进入“%(next)s”（第 6 条）",
                name=name,
                n=notice.days_left,
                next=next_name,
            )
        )
    if notice.unanswered:
        reasons.append(
            _(
                "%(name)s还有 %(n)s 条异议未答复，不能进入“%(next)s”（第 7 条）",
                name=name,
                n=notice.unanswered,
                next=next_name,
            )
        )
    return reasons


def _resolution_notice(f: Facts) -> list[str]:
    return _notice_done(f.resolution_notice, _("决议公示"), label(Stage.IMPLEMENTATION))


def _results_notice(f: Facts) -> list[str]:
    return _notice_done(f.results_notice, _("实施结果公示"), label(Stage.DONE))


def _plan(f: Facts) -> list[str]:
    reasons = []
    if f.plan is None or f.plan.items == 0:
        reasons.append(_("“实施”阶段须有本议题的行动计划"))
    elif not f.plan.complete:
        left = f.plan.items - f.plan.verified
        reasons.append(_("行动计划还有 %(n)s 项未核验", n=left))
    if not f.signed_off:
        reasons.append(_("实施结果公开前须有监督员签字确认（第 11 条）"))
    return reasons


def _no_pending_reopen(f: Facts) -> str | None:
    if not f.unanswered_reopen:
        return None
    names = "、".join(f"“{label(s)}”" for s in f.unanswered_reopen)
    return _("监督员要求重新审视%(stages)s，主持人须先答复", stages=names)


def _reason_given(f: Facts) -> str | None:
    return None if f.reason.strip() else _("请写明理由")


def _finish(record: Gate[Facts]) -> Gate[Facts]:
    """The stage's record, and no reopen request left unanswered."""

    def gate(f: Facts) -> list[str]:
        reasons = record(f)
        if pending := _no_pending_reopen(f):
            reasons.append(pending)
        return reasons

    return gate


FINISH: Mapping[Stage, Gate[Facts]] = {
    Stage.PROPOSAL: _finish(every(_proposal)),
    Stage.DELIBERATION: _finish(every(_minutes)),
    Stage.REVIEW: _finish(_review),
    Stage.RESOLUTION: _finish(every(_ballot)),
    Stage.RESOLUTION_NOTICE: _finish(_resolution_notice),
    Stage.IMPLEMENTATION: _finish(_plan),
    Stage.RESULTS_NOTICE: _finish(_results_notice),
}


def _gates() -> dict[tuple[Stage, Stage], Gate[Facts]]:
    gates: dict[tuple[Stage, Stage], Gate[Facts]] = {}
    for stage in ACTIVE:
        following = next_stage(stage)
        assert following is not None  # noqa: S101 - every active stage has a next one
        gates[(stage, following)] = FINISH[stage]
        for back in earlier(stage):
            gates[(stage, back)] = every(_reason_given)
        gates[(stage, Stage.WITHDRAWN)] = every(_reason_given)
    return gates


def _refusal(current: Stage, target: Stage) -> str:
    if current in ENDED:
        return _("本事项%(s)s，阶段不能再改变", s=label(current))
    following = next_stage(current)
    if target in ORDER and following is not None and ORDER.index(target) > ORDER.index(following):
        return _(
            "四议两公开须按顺序进行：当前为“%(cur)s”，下一步是“%(next)s”，不能跳到“%(target)s”"
            "（第 1 条）",
            cur=label(current),
            next=label(following),
            target=label(target),
        )
    return _("不能从“%(a)s”变为“%(b)s”", a=label(current), b=label(target))


WORKFLOW = Machine[Stage, Facts]("workflow", gates=_gates(), label=label, refusal=_refusal)


def finish_blockers(stage: Stage, facts: Facts) -> list[str]:
    """What the current stage still lacks before the next may start (empty: ready)."""
    following = next_stage(stage)
    return WORKFLOW.reasons(stage, following, facts) if following else []


# --- 一监督 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignOffFacts:
    stage: Stage
    actor_proposed: bool  # the supervisor submitted a 提议 this matter came from
    already_signed: bool
    plan: PlanState | None


def signoff_refusal(f: SignOffFacts) -> str | None:
    """Why this supervisor may not sign off now (rules 11 and 12 by analogy)."""
    if f.actor_proposed:
        return _("监督员不能为自己提议的事项签字确认")
    if f.stage is not Stage.IMPLEMENTATION:
        return _("签字确认在“实施”阶段进行，本事项当前为“%(s)s”", s=label(f.stage))
    if f.already_signed:
        return _("您已为本事项签字确认")
    if f.plan is None or not f.plan.complete:
        return _("行动计划各项核验完毕后才能签字确认")
    return None


def reopen_refusal(current: Stage, target: Stage) -> str | None:
    """A supervisor asks to reopen a stage this matter has already passed."""
    if current in ENDED:
        return _("本事项%(s)s，不能再要求重新审视", s=label(current))
    if target not in earlier(current) and target is not current:
        return _("只能要求重新审视当前或已经完成的阶段")
    return None


def notice_stage_refusal(stage: Stage, wanted: Stage) -> str | None:
    """A stage's notice is drafted and published only while the matter is at that stage."""
    if stage is wanted:
        return None
    return _(
        "本事项当前为“%(cur)s”，“%(want)s”的公示只能在该阶段发布（第 1 条）",
        cur=label(stage),
        want=label(wanted),
    )


def results_notice_blockers(signed_off: bool) -> list[str]:
    return [] if signed_off else [_("实施结果公开前须有监督员签字确认（第 11 条）")]
