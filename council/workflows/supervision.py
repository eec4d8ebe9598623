"""一监督: supervisors' opinions at any stage, their sign-off before the results notice
(rule 11), requests to reopen a stage and the facilitator's answers, and the queue of what
waits for each of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.consultations import links
from council.consultations.common import scoped
from council.consultations.models import Matter
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.councils.service import check
from council.errors import StateRefused, TransitionRefused
from council.i18n import _
from council.notices.models import Notice, Objection
from council.notices.periods import NoticeStatus
from council.workflows import service, workflow
from council.workflows.models import Opinion, OpinionKind, Workflow
from council.workflows.schemas import (
    MoveForm,
    OpinionForm,
    ReopenAnswerForm,
    ReopenForm,
    SignOffForm,
)
from council.workflows.workflow import SignOffFacts, Stage


async def _opinion(
    db: AsyncSession,
    actor: Actor,
    flow: Workflow,
    kind: OpinionKind,
    body: str,
    now: dt.datetime,
    *,
    public: bool,
    reopen_stage: Stage | None = None,
) -> Opinion:
    assert actor.person_id is not None  # noqa: S101 - SUPERVISE needs a signed-in supervisor
    opinion = Opinion(
        council_id=flow.council_id,
        workflow_id=flow.id,
        kind=kind,
        stage=flow.stage,
        author_id=actor.person_id,
        body=body,
        public=public,
        filed_at=now,
        reopen_stage=reopen_stage,
    )
    db.add(opinion)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        flow.council_id,
        f"supervision.{kind.value}",
        ("matter", flow.matter_id),
        {
            "stage": flow.stage.value,
            "public": public,
            "reopen": reopen_stage.value if reopen_stage else None,
        },
        at=now,
    )
    return opinion


async def file_opinion(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    form: OpinionForm,
    now: dt.datetime,
) -> Opinion:
    """A supervision opinion at the current stage: for the council, public where marked."""
    check(actor, council, Action.SUPERVISE, _("只有本议事会的监督员可以提出监督意见"))
    _matter, flow = await service.require(db, council, matter_id, lock=True)
    if flow.stage is Stage.WITHDRAWN:
        refused = TransitionRefused(_("本事项已撤回"))
        raise StateRefused(refused, "body", {"body": form.body, "public": form.public})
    return await _opinion(db, actor, flow, OpinionKind.OPINION, form.body, now, public=form.public)


async def proposed_by(db: AsyncSession, matter: Matter, person_id: UUID | None) -> bool:
    """Whether this person submitted one of the issues or 提议 the matter came from."""
    return any(i.submitter_id == person_id for i in await links.issues_of(db, matter))


async def sign_off(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    form: SignOffForm,
    now: dt.datetime,
) -> Opinion:
    """签字确认 of the implementation; public, since the results notice rests on it."""
    check(actor, council, Action.SUPERVISE, _("只有本议事会的监督员可以签字确认"))
    matter, flow = await service.require(db, council, matter_id, lock=True)
    mine = await db.scalar(
        sa.select(Opinion.id).where(
            Opinion.workflow_id == flow.id,
            Opinion.kind == OpinionKind.SIGNOFF,
            Opinion.author_id == actor.person_id,
        )
    )
    facts = SignOffFacts(
        stage=flow.stage,
        actor_proposed=await proposed_by(db, matter, actor.person_id),
        already_signed=mine is not None,
        plan=await service.plan_state(db, matter),
    )
    if refusal := workflow.signoff_refusal(facts):
        raise StateRefused(TransitionRefused(refusal), "body", {"body": form.body})
    return await _opinion(db, actor, flow, OpinionKind.SIGNOFF, form.body, now, public=True)


async def request_reopen(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    form: ReopenForm,
    now: dt.datetime,
) -> Opinion:
    """Ask that a stage be looked at again; the facilitator must answer before going on."""
    check(actor, council, Action.SUPERVISE, _("只有本议事会的监督员可以要求重新审视"))
    _matter, flow = await service.require(db, council, matter_id, lock=True)
    if refusal := workflow.reopen_refusal(flow.stage, form.stage):
        values = {"stage": form.stage.value, "body": form.body}
        raise StateRefused(TransitionRefused(refusal), "stage", values)
    return await _opinion(
        db, actor, flow, OpinionKind.REOPEN, form.body, now, public=True, reopen_stage=form.stage
    )


async def answer_reopen(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID | str,
    opinion_id: UUID | str,
    form: ReopenAnswerForm,
    now: dt.datetime,
) -> Opinion:
    """The facilitator's written answer; accepting sends the matter back to that stage."""
    check(actor, council, Action.MANAGE_WORKFLOWS, _("只有主持人可以答复监督员的要求"))
    matter, flow = await service.require(db, council, matter_id, lock=True)
    request = await scoped(db, Opinion, council.id, opinion_id)
    values = {"answer": form.answer, "accept": form.accept}
    if request.workflow_id != flow.id or request.kind is not OpinionKind.REOPEN:
        raise StateRefused(TransitionRefused(_("这不是本事项的重新审视要求")), "answer", values)
    if request.answered_at is not None:
        raise StateRefused(TransitionRefused(_("这项要求已经答复")), "answer", values)
    target = request.reopen_stage
    request.answer = form.answer
    request.accepted = form.accept
    request.answered_at = now
    request.answered_by_id = actor.person_id
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "supervision.reopen_answered",
        ("matter", matter.id),
        {
            "stage": request.reopen_stage.value if request.reopen_stage else None,
            "accepted": form.accept,
        },
        at=now,
    )
    target = request.reopen_stage
    if form.accept and target is not None and target is not flow.stage:
        await service.move(
            db, actor, council, matter.id, MoveForm(to=target, reason=form.answer), now
        )
    return request


# --- what waits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    matter: Matter
    workflow: Workflow
    what: str


@dataclass(frozen=True)
class ObjectionDue:
    objection: Objection
    notice: Notice
    overdue: bool


@dataclass(frozen=True)
class Queue:
    for_supervisors: list[Waiting]
    for_facilitator: list[Waiting]
    objections: list[ObjectionDue]


async def queue(db: AsyncSession, actor: Actor, council: Council, now: dt.datetime) -> Queue:
    """What waits: supervisors' sign-offs and opinions before a vote; the facilitator's
    answers to objections (overdue flagged, rule 8) and to reopen requests."""
    check(actor, council, Action.VIEW_SUPERVISION)
    rows = await db.execute(
        sa.select(Workflow, Matter)
        .join(Matter, Matter.id == Workflow.matter_id)
        .where(Workflow.council_id == council.id, Workflow.stage.not_in(workflow.ENDED))
        .order_by(Workflow.stage_started_at)
    )
    supervisors: list[Waiting] = []
    facilitator: list[Waiting] = []
    for flow, matter in rows:
        said = await service.opinions(db, flow)
        if flow.stage is Stage.IMPLEMENTATION and not any(
            o.kind is OpinionKind.SIGNOFF for o in said
        ):
            plan = await service.plan_state(db, matter)
            what = (
                _("行动计划已全部核验，等待监督员签字确认")
                if plan and plan.complete
                else _("实施中：核验完毕后须由监督员签字确认")
            )
            supervisors.append(Waiting(matter, flow, what))
        if flow.stage is Stage.RESOLUTION and not any(
            o.stage is Stage.RESOLUTION and o.kind is OpinionKind.OPINION for o in said
        ):
            supervisors.append(Waiting(matter, flow, _("决议表决前，请提出监督意见")))
        for o in said:
            if o.kind is OpinionKind.REOPEN and o.answered_at is None and o.reopen_stage:
                what = _("监督员要求重新审视“%(s)s”，待答复", s=workflow.label(o.reopen_stage))
                facilitator.append(Waiting(matter, flow, what))
        standing = await service.standing(db, council, matter, flow, now)
        if not standing.blockers:
            what = _("“%(s)s”已具备完成条件，可以进入下一阶段", s=workflow.label(flow.stage))
            facilitator.append(Waiting(matter, flow, what))
    due = await db.execute(
        sa.select(Objection, Notice)
        .join(Notice, Notice.id == Objection.notice_id)
        .where(
            Objection.council_id == council.id,
            Objection.answered_at.is_(None),
            Notice.status != NoticeStatus.DRAFT,
        )
        .order_by(Objection.due_at)
    )
    objections = [ObjectionDue(o, n, now >= o.due_at) for o, n in due]
    return Queue(supervisors, facilitator, objections)
