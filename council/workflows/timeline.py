"""The timeline of a major matter: every stage with its dates, records, notices, objections
and answers, and the supervisors' opinions. Public where the records are public: opinions
not marked public, draft notices and ballots still in draft are for the council's staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.consultations import links, service_plans
from council.consultations.models import Matter, Round
from council.consultations.service import rounds_of
from council.consultations.workflow import label as round_label
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.i18n import _
from council.issues.models import Issue
from council.notices import service as notices
from council.notices.service import NoticeView
from council.voting import service as voting
from council.voting.models import Ballot
from council.voting.workflow import STATUS_LABELS as BALLOT_STATUS
from council.workflows import service, workflow
from council.workflows.models import Opinion, Review, Workflow, WorkflowEvent
from council.workflows.workflow import ACTIVE, ORDER, Stage, StageInfo


@dataclass(frozen=True)
class Link:
    text: str
    url: str
    note: str = ""


@dataclass
class StageRow:
    info: StageInfo
    state: str  # "done", "current", "pending"
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    events: list[WorkflowEvent] = field(default_factory=list)
    records: list[Link] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    notices: list[NoticeView] = field(default_factory=list)
    opinions: list[tuple[Opinion, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return workflow.label(self.info.stage)


@dataclass(frozen=True)
class Timeline:
    matter: Matter
    workflow: Workflow
    stages: list[StageRow]
    blockers: list[str]
    withdrawn: WorkflowEvent | None
    sources: list[Issue]
    ballots: list[Ballot]

    @property
    def current(self) -> StageRow | None:
        return next((s for s in self.stages if s.state == "current"), None)


def _state(stage: Stage, current: Stage) -> str:
    if current is Stage.DONE:
        return "done"
    if current is Stage.WITHDRAWN:
        return "pending"
    here, now_at = ORDER.index(stage), ORDER.index(current)
    return "done" if here < now_at else "current" if here == now_at else "pending"


async def events_of(db: AsyncSession, flow: Workflow) -> list[WorkflowEvent]:
    rows = await db.execute(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.workflow_id == flow.id)
        .order_by(WorkflowEvent.at, WorkflowEvent.created_at)
    )
    return list(rows.scalars())


async def _names(db: AsyncSession, ids: set[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await db.execute(sa.select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return dict(rows.all())


async def build(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter: Matter,
    flow: Workflow,
    now: dt.datetime,
) -> Timeline:
    base = f"/c/{council.slug}"
    staff = can(actor, Action.VIEW_SUPERVISION, council.id)
    rows = {stage: StageRow(workflow.STAGES[stage], _state(stage, flow.stage)) for stage in ACTIVE}
    events = await events_of(db, flow)
    withdrawn = None
    for e in events:
        if e.to_stage in rows:
            rows[e.to_stage].started_at = e.at
            rows[e.to_stage].events.append(e)
        if e.from_stage in rows and e.to_stage is not e.from_stage:
            if e.to_stage is workflow.next_stage(e.from_stage):
                rows[e.from_stage].finished_at = e.at
            else:  # sent back or withdrawn: shown, with its reason, where it happened
                rows[e.from_stage].events.append(e)
        if e.to_stage is Stage.WITHDRAWN:
            withdrawn = e

    sources = await links.issues_of(db, matter)
    for issue in sources:
        who = _("社区党组织的提议") if issue.party else _("来源诉求")
        rows[Stage.PROPOSAL].records.append(
            Link(f"#{issue.number} {issue.title}", f"{base}/issues/{issue.id}", who)
        )
    for round_ in await rounds_of(db, matter):
        rows[Stage.DELIBERATION].records.append(
            Link(
                _("第 %(n)s 轮协商", n=round_.number),
                f"{base}/rounds/{round_.id}",
                _("结果：%(o)s", o=_outcome(round_)),
            )
        )
    rows[Stage.REVIEW].reviews = list(
        (
            await db.execute(
                sa.select(Review).where(Review.workflow_id == flow.id).order_by(Review.created_at)
            )
        ).scalars()
    )
    ballots = [b for b in await links.ballots_of(db, matter) if voting.visible(actor, b)]
    for ballot in ballots:
        rows[Stage.RESOLUTION].records.append(
            Link(ballot.question, f"{base}/ballots/{ballot.id}", _ballot_note(ballot))
        )
    for plan in await service.plans_of(db, matter):
        progress = await service_plans.progress(db, council, plan, now)
        rows[Stage.IMPLEMENTATION].records.append(
            Link(
                plan.title,
                f"{base}/plans/{plan.id}",
                _("%(v)s / %(t)s 已核验", v=progress.verified, t=progress.total),
            )
        )
    for notice in await notices.for_subject(db, actor, council, service.MATTER, matter.id):
        stage = service.NOTICE_STAGES.get(notice.kind)
        if stage in rows:
            rows[stage].notices.append(await notices.view(db, actor, council, notice, now))

    said = [o for o in await service.opinions(db, flow) if o.public or staff]
    names = await _names(db, {o.author_id for o in said})
    for o in said:
        if o.stage in rows:
            rows[o.stage].opinions.append((o, names.get(o.author_id, "")))

    standing = await service.standing(db, council, matter, flow, now)
    return Timeline(
        matter=matter,
        workflow=flow,
        stages=[rows[s] for s in ACTIVE],
        blockers=standing.blockers,
        withdrawn=withdrawn,
        sources=sources,
        ballots=ballots,
    )


def _outcome(round_: Round) -> str:
    return round_label(round_.outcome) if round_.outcome is not None else _("进行中")


def _ballot_note(ballot: Ballot) -> str:
    status = _(BALLOT_STATUS[ballot.status])
    if ballot.result:
        passed = service.ballot_passed(ballot)
        return f"{status} · {_('通过') if passed else _('未通过')}"
    return status
