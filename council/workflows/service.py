"""A major matter on 四议两公开一监督: facts for the gates, stage moves and the records each
stage needs (review, resolution ballot, notices). No HTTP here.

The service loads facts, asks the pure machine (``workflows.workflow``), persists the move
with a timeline event, and writes the audit entry, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.consultations import links
from council.consultations.common import parse_date, scoped
from council.consultations.models import (
    ActionItem,
    ActionPlan,
    AgendaItem,
    Matter,
    Minutes,
    Round,
)
from council.consultations.workflow import ItemStatus, MatterStatus, MinutesStatus
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.councils.service import check
from council.errors import FormInvalid, NotFound, StateRefused, TransitionRefused
from council.i18n import _
from council.issues.workflow import IssueKind
from council.notices import service as notices
from council.notices.models import Notice
from council.notices.periods import NoticeKind, NoticeState
from council.notices.schemas import NoticeForm
from council.voting import service as voting
from council.voting.models import Ballot, Electorate
from council.voting.schemas import BallotForm
from council.voting.tally import MAJORITY, TWO_THIRDS, BaseKind
from council.voting.workflow import Status as BallotStatus
from council.workflows import workflow
from council.workflows.models import Opinion, OpinionKind, Review, Workflow, WorkflowEvent
from council.workflows.schemas import MoveForm, ReviewForm
from council.workflows.workflow import (
    WORKFLOW,
    BallotState,
    Facts,
    PlanState,
    ReviewCount,
    Stage,
)

MATTER = "matter"  # the subject type of a matter's notices
NOTICE_STAGES = {
    NoticeKind.RESOLUTION: Stage.RESOLUTION_NOTICE,
    NoticeKind.RESULTS: Stage.RESULTS_NOTICE,
}
STAGE_NOTICES = {stage: kind for kind, stage in NOTICE_STAGES.items()}


# --- reads ----------------------------------------------------------------------------------


async def of_matter(db: AsyncSession, matter: Matter, *, lock: bool = False) -> Workflow | None:
    stmt = sa.select(Workflow).where(
        Workflow.matter_id == matter.id, Workflow.council_id == matter.council_id
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await db.scalar(stmt)


async def require(
    db: AsyncSession, council: Council, matter_id: UUID | str, *, lock: bool = False
) -> tuple[Matter, Workflow]:
    """The matter and its workflow; a matter not on the path has no workflow page (404)."""
    matter = await scoped(db, Matter, council.id, matter_id)
    found = await of_matter(db, matter, lock=lock)
    if found is None:
        raise NotFound(_("这个议题不是重大事项"))
    return matter, found


async def party_proposals(db: AsyncSession, matter: Matter) -> list:
    return [
        i for i in await links.issues_of(db, matter) if i.kind is IssueKind.PROPOSAL and i.party
    ]


async def _confirmed_minutes(db: AsyncSession, matter: Matter) -> bool:
    found = await db.scalar(
        sa.select(Minutes.id)
        .join(AgendaItem, AgendaItem.id == Minutes.agenda_item_id)
        .join(Round, Round.id == AgendaItem.round_id)
        .where(
            Round.matter_id == matter.id,
            Minutes.council_id == matter.council_id,
            Minutes.status.in_((MinutesStatus.CONFIRMED, MinutesStatus.PUBLISHED)),
        )
        .limit(1)
    )
    return found is not None


async def latest_review(db: AsyncSession, flow: Workflow) -> Review | None:
    return await db.scalar(
        sa.select(Review)
        .where(Review.workflow_id == flow.id)
        .order_by(Review.created_at.desc())
        .limit(1)
    )


def count_of(review: Review) -> ReviewCount:
    return ReviewCount(review.members, review.present, review.yes, review.no, review.abstain)


def ballot_passed(ballot: Ballot) -> bool:
    return bool(json.loads(ballot.result or "{}").get("passed"))


def ballot_state(ballots: list[Ballot]) -> tuple[BallotState, Ballot | None]:
    """The resolution's standing: a certified pass wins over anything still being counted."""
    certified = [b for b in ballots if b.status is BallotStatus.CERTIFIED]
    passed = [b for b in certified if ballot_passed(b)]
    if passed:
        return BallotState.PASSED, passed[-1]
    if any(b.status is BallotStatus.CLOSED for b in ballots):
        return BallotState.UNCERTIFIED, None
    if certified:
        return BallotState.FAILED, certified[-1]
    return BallotState.NONE, None


async def plans_of(db: AsyncSession, matter: Matter) -> list[ActionPlan]:
    return (await plans_of_matters(db, [matter])).get(matter.id, [])


async def plans_of_matters(
    db: AsyncSession, matters: Sequence[Matter]
) -> dict[UUID, list[ActionPlan]]:
    """Each matter's action plans, oldest first, in one statement."""
    found: dict[UUID, list[ActionPlan]] = {}
    if not matters:
        return found
    rows = await db.execute(
        sa.select(ActionPlan)
        .where(
            ActionPlan.matter_id.in_([m.id for m in matters]),
            ActionPlan.council_id == matters[0].council_id,
        )
        .order_by(ActionPlan.created_at)
    )
    for plan in rows.scalars():
        found.setdefault(plan.matter_id, []).append(plan)
    return found


async def of_matters(db: AsyncSession, matters: Sequence[Matter]) -> dict[UUID, Workflow]:
    """The workflow of each matter on the path (四议两公开一监督), in one statement."""
    if not matters:
        return {}
    rows = await db.execute(
        sa.select(Workflow).where(
            Workflow.matter_id.in_([m.id for m in matters]),
            Workflow.council_id == matters[0].council_id,
        )
    )
    return {flow.matter_id: flow for flow in rows.scalars()}


async def plan_state(db: AsyncSession, matter: Matter) -> PlanState | None:
    rows = (
        await db.execute(
            sa.select(ActionItem.status)
            .join(ActionPlan, ActionPlan.id == ActionItem.plan_id)
            .where(ActionPlan.matter_id == matter.id, ActionItem.council_id == matter.council_id)
        )
    ).scalars()
    statuses = list(rows)
    if not statuses:
        return None
    return PlanState(len(statuses), sum(1 for s in statuses if s is ItemStatus.VERIFIED))


async def opinions(db: AsyncSession, flow: Workflow) -> list[Opinion]:
    rows = await db.execute(
        sa.select(Opinion).where(Opinion.workflow_id == flow.id).order_by(Opinion.filed_at)
    )
    return list(rows.scalars())


async def stage_notice(
    db: AsyncSession, council: Council, matter: Matter, kind: NoticeKind
) -> Notice | None:
    return await notices.latest(db, council, MATTER, matter.id, kind)


async def notice_state(
    db: AsyncSession, council: Council, matter: Matter, kind: NoticeKind, now: dt.datetime
) -> NoticeState | None:
    return await notices.state(db, council, await stage_notice(db, council, matter, kind), now)


async def facts(
    db: AsyncSession,
    council: Council,
    matter: Matter,
    flow: Workflow,
    now: dt.datetime,
    reason: str = "",
) -> Facts:
    said = await opinions(db, flow)
    review = await latest_review(db, flow)
    return Facts(
        party_proposal=bool(await party_proposals(db, matter)),
        confirmed_minutes=await _confirmed_minutes(db, matter),
        review=count_of(review) if review else None,
        ballot=ballot_state(await links.ballots_of(db, matter))[0],
        resolution_notice=await notice_state(db, council, matter, NoticeKind.RESOLUTION, now),
        plan=await plan_state(db, matter),
        signed_off=any(o.kind is OpinionKind.SIGNOFF for o in said),
        results_notice=await notice_state(db, council, matter, NoticeKind.RESULTS, now),
        unanswered_reopen=tuple(
            o.reopen_stage
            for o in said
            if o.kind is OpinionKind.REOPEN and o.answered_at is None and o.reopen_stage
        ),
        reason=reason,
    )


# --- changes --------------------------------------------------------------------------------


async def event(
    db: AsyncSession,
    actor: Actor,
    flow: Workflow,
    before: Stage | None,
    after: Stage,
    now: dt.datetime,
    *,
    reason: str = "",
    record: str = "",
) -> None:
    """One line of the timeline and its audit entry."""
    db.add(
        WorkflowEvent(
            council_id=flow.council_id,
            workflow_id=flow.id,
            from_stage=before,
            to_stage=after,
            at=now,
            actor_id=actor.person_id,
            actor_label=actor.display_name,
            reason=reason,
            record=record[:300],
        )
    )
    await db.flush()
    await audit.record_by(
        db,
        actor,
        flow.council_id,
        "workflow.started" if before is None else "workflow.stage_changed",
        ("matter", flow.matter_id),
        {
            "from": before.value if before else None,
            "to": after.value,
            "reason": reason,
            "record": record,
        },
        at=now,
    )


async def start(
    db: AsyncSession, actor: Actor, council: Council, matter_id: UUID | str, now: dt.datetime
) -> Workflow:
    """Mark a matter 重大事项: from now on it goes the gated path, starting with 提议."""
    check(actor, council, Action.MANAGE_WORKFLOWS, _("只有主持人可以把议题列为重大事项"))
    matter = await scoped(db, Matter, council.id, matter_id)
    if await of_matter(db, matter) is not None:
        raise StateRefused(TransitionRefused(_("这个议题已列为重大事项")))
    if matter.status is not MatterStatus.CONSULTING:
        refused = TransitionRefused(_("只有“协商中”的议题可以列为重大事项"))
        raise StateRefused(refused)
    flow = Workflow(
        council_id=council.id, matter_id=matter.id, stage=Stage.PROPOSAL, stage_started_at=now
    )
    db.add(flow)
    await db.flush()
    await event(db, actor, flow, None, Stage.PROPOSAL, now)
    return flow


async def _record_of(
    db: AsyncSession, council: Council, matter: Matter, flow: Workflow, stage: Stage
) -> str:
    """The record that finished ``stage``, in words, for the timeline and the audit chain."""
    if stage is Stage.PROPOSAL:
        found = await party_proposals(db, matter)
        return "、".join(_("提议 #%(n)s %(t)s", n=i.number, t=i.title) for i in found)
    if stage is Stage.DELIBERATION:
        return _("协商纪要已确认")
    if stage is Stage.REVIEW:
        review = await latest_review(db, flow)
        if review is None:
            return ""
        return _(
            "党员 %(m)s 人，到会 %(p)s 人，同意 %(y)s、反对 %(n)s、弃权 %(a)s",
            m=review.members,
            p=review.present,
            y=review.yes,
            n=review.no,
            a=review.abstain,
        )
    if stage is Stage.RESOLUTION:
        _state, ballot = ballot_state(await links.ballots_of(db, matter))
        return _("表决“%(q)s”已认证通过", q=ballot.question) if ballot else ""
    if stage in STAGE_NOTICES:
        notice = await stage_notice(db, council, matter, STAGE_NOTICES[stage])
        return _("%(t)s 公示期满", t=notice.title) if notice else ""
    if stage is Stage.IMPLEMENTATION:
        plan = await plan_state(db, matter)
        if plan is None:
            return ""
        return _("行动计划 %(v)s / %(n)s 已核验，监督员已签字确认", v=plan.verified, n=plan.items)
    return ""


async def move(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    form: MoveForm,
    now: dt.datetime,
) -> Workflow:
    """Finish the current stage (the next starts), send back to an earlier one or withdraw;
    refused moves change nothing and say what is missing."""
    check(actor, council, Action.MANAGE_WORKFLOWS, _("只有主持人可以推进重大事项"))
    matter, flow = await require(db, council, matter_id, lock=True)
    return await _move(db, actor, council, matter, flow, form.to, form.reason.strip(), now)


async def _move(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter: Matter,
    flow: Workflow,
    target: Stage,
    reason: str,
    now: dt.datetime,
) -> Workflow:
    before = flow.stage
    known = await facts(db, council, matter, flow, now, reason)
    try:
        flow.stage = WORKFLOW.advance(before, target, known)
    except TransitionRefused as refused:
        raise StateRefused(refused, "to", {"to": target.value, "reason": reason}) from refused
    forward = target is workflow.next_stage(before)
    record = await _record_of(db, council, matter, flow, before) if forward else ""
    if forward and before in STAGE_NOTICES:
        notice = await stage_notice(db, council, matter, STAGE_NOTICES[before])
        if notice is not None and notice.status.value == "published":
            await notices.close_notice(db, actor, council, notice, now)
    flow.stage_started_at = now
    await event(db, actor, flow, before, target, now, reason=reason, record=record)
    return flow


async def record_review(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    form: ReviewForm,
    now: dt.datetime,
) -> Review:
    """审议: the party members' meeting as its paper record has it (rule 3)."""
    check(actor, council, Action.MANAGE_WORKFLOWS, _("只有主持人可以登记审议记录"))
    _matter, flow = await require(db, council, matter_id, lock=True)
    values = {name: getattr(form, name) for name in form.__struct_fields__ if name != "held_on"} | {
        "held_on": form.held_on
    }
    if flow.stage is not Stage.REVIEW:
        refused = TransitionRefused(
            _("审议记录在“审议”阶段登记，本事项当前为“%(s)s”", s=workflow.label(flow.stage))
        )
        raise StateRefused(refused, "members", values)
    held_on = parse_date(form.held_on)
    count = ReviewCount(form.members, form.present, form.yes, form.no, form.abstain)
    problems = workflow.review_problems(count)
    if held_on is None:
        problems["held_on"] = _("请填写审议会议的日期")
    if problems:
        raise FormInvalid(problems, values)
    assert held_on is not None  # noqa: S101 - checked above
    review = Review(
        council_id=council.id,
        workflow_id=flow.id,
        held_on=held_on,
        members=count.members,
        present=count.present,
        yes=count.yes,
        no=count.no,
        abstain=count.abstain,
        passed=count.passed,
        note=form.note,
        recorded_by_id=actor.person_id,
    )
    db.add(review)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "workflow.review_recorded",
        ("matter", flow.matter_id),
        {
            "members": count.members,
            "present": count.present,
            "yes": count.yes,
            "no": count.no,
            "abstain": count.abstain,
            "passed": count.passed,
            "held_on": held_on.isoformat(),
        },
        at=now,
    )
    return review


def _at_stage(flow: Workflow, wanted: Stage, what: str) -> None:
    if flow.stage is not wanted:
        refusal = _(
            "%(what)s在“%(want)s”阶段进行，本事项当前为“%(cur)s”",
            what=what,
            want=workflow.label(wanted),
            cur=workflow.label(flow.stage),
        )
        raise StateRefused(TransitionRefused(refusal))


async def draft_ballot(
    db: AsyncSession, actor: Actor, council: Council, matter_id: UUID | str, now: dt.datetime
) -> Ballot:
    """决议: a draft ballot of this matter for the representatives, to check and open."""
    check(actor, council, Action.MANAGE_WORKFLOWS, _("只有主持人可以发起决议表决"))
    matter, flow = await require(db, council, matter_id, lock=True)
    _at_stage(flow, Stage.RESOLUTION, _("决议表决"))
    form = BallotForm(
        question=_("是否同意：%(t)s", t=matter.title)[:200],
        description=matter.description[:2000],
        electorate=Electorate.MEMBERS,
        # 代表会议 [practice]: two thirds take part, more than half of those voting agree.
        quorum_rule=TWO_THIRDS.key,
        quorum_measure=BaseKind.CAST,
        pass_rule=MAJORITY.key,
        pass_base=BaseKind.CAST,
    )
    ballot = await voting.create(db, actor, council, form, now)
    ballot.matter_id = matter.id
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "workflow.ballot_drafted",
        ("matter", matter.id),
        {"ballot": ballot.id.hex, "question": ballot.question},
        at=now,
    )
    return ballot


def _counts(ballot: Ballot) -> str:
    result = json.loads(ballot.result or "{}")
    counts = result.get("counts", {})
    return _(
        "同意 %(y)s 票，反对 %(n)s 票，弃权 %(a)s 票；投票 %(c)s 人，应到 %(e)s 人",
        y=counts.get("yes", 0),
        n=counts.get("no", 0),
        a=counts.get("abstain", 0),
        c=result.get("cast", 0),
        e=result.get("eligible", 0),
    )


async def _prefill(
    db: AsyncSession, council: Council, matter: Matter, kind: NoticeKind
) -> NoticeForm:
    """The notice's first draft from the records: the vote for a resolution notice, the plan's
    progress for a results notice; the facilitator completes it before publishing."""
    if kind is NoticeKind.RESOLUTION:
        _state, ballot = ballot_state(await links.ballots_of(db, matter))
        lines = [_("事项：%(t)s", t=matter.title)]
        if ballot is not None:
            lines += [
                _("决议：%(q)s", q=ballot.question),
                _("表决结果：%(c)s", c=_counts(ballot)),
                _("认证时间：%(d)s", d=f"{ballot.certified_at:%Y-%m-%d}"),
            ]
        lines += [
            _(
                "公示期内如有异议，请在本页提出，主持人将在 %(n)s 日内书面答复。",
                n=council.objection_answer_days,
            ),
            council.name,
        ]
        return NoticeForm(
            title=_("决议公示：%(t)s", t=matter.title)[:120], body="\n".join(lines), kind=kind
        )
    plan = await plan_state(db, matter)
    lines = [_("事项：%(t)s", t=matter.title)]
    if plan is not None:
        lines.append(_("实施进度：%(v)s / %(n)s 项已核验", v=plan.verified, n=plan.items))
    lines += [_("账目："), _("实施效果："), council.name]
    return NoticeForm(
        title=_("实施结果公示：%(t)s", t=matter.title)[:120], body="\n".join(lines), kind=kind
    )


async def draft_notice(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    kind: NoticeKind,
    now: dt.datetime,
) -> Notice:
    """The stage's notice (决议公示 or 实施结果公示), drafted at its stage only."""
    check(actor, council, Action.MANAGE_WORKFLOWS, _("只有主持人可以起草公示"))
    matter, flow = await require(db, council, matter_id, lock=True)
    wanted = NOTICE_STAGES.get(kind)
    if wanted is None:
        raise NotFound(_("找不到这个页面"))
    if refusal := workflow.notice_stage_refusal(flow.stage, wanted):
        raise StateRefused(TransitionRefused(refusal))
    if await stage_notice(db, council, matter, kind) is not None:
        message = _("本事项已有这份公示；如需改动，请在公示页修改草稿或发布更正公示")
        raise StateRefused(TransitionRefused(message))
    form = await _prefill(db, council, matter, kind)
    return await notices.draft(db, actor, council, form, now, subject=(MATTER, matter.id))


async def publish_blockers(db: AsyncSession, council: Council, notice: Notice) -> list[str]:
    """Why a matter's stage notice may not be published now (any other notice: none)."""
    wanted = NOTICE_STAGES.get(notice.kind)
    if notice.subject_type != MATTER or notice.subject_id is None or wanted is None:
        return []
    matter = await scoped(db, Matter, council.id, notice.subject_id)
    flow = await of_matter(db, matter)
    if flow is None:
        return []
    if refusal := workflow.notice_stage_refusal(flow.stage, wanted):
        return [refusal]
    if notice.kind is NoticeKind.RESULTS:
        said = await opinions(db, flow)
        return workflow.results_notice_blockers(any(o.kind is OpinionKind.SIGNOFF for o in said))
    return []


async def publish_notice(
    db: AsyncSession, actor: Actor, council: Council, notice_id: UUID | str, now: dt.datetime
) -> Notice:
    """Publish any notice; a matter's stage notice also answers to its workflow (rule 11)."""
    notice = await notices.get(db, actor, council, notice_id)
    blockers = await publish_blockers(db, council, notice)
    return await notices.publish(db, actor, council, notice.id, now, blockers=blockers)


@dataclass(frozen=True)
class Standing:
    """Where a matter stands, for its pages."""

    workflow: Workflow
    blockers: list[str]  # what the current stage still lacks


async def standing(
    db: AsyncSession, council: Council, matter: Matter, flow: Workflow, now: dt.datetime
) -> Standing:
    known = await facts(db, council, matter, flow, now)
    return Standing(flow, workflow.finish_blockers(flow.stage, known))
