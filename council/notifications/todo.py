"""我的待办: what waits for the signed-in person across their councils, overdue first.

Each source reads one domain's records for this person and says what to do, by when and
where; the page sorts and counts them. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import (
    ActionItem,
    ActionPlan,
    Attendance,
    Evidence,
    Invitation,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesConfirmation,
)
from council.consultations.workflow import ItemStatus, MinutesStatus
from council.conventions.models import ArticleComment, Convention, ConventionVersion
from council.conventions.workflow import VersionStatus
from council.councils import service as councils
from council.councils.models import ClaimStatus, Council, Shop, ShopRepresentative
from council.councils.permissions import Action, Actor, can
from council.i18n import N_, _
from council.programmes.kinds import ClaimState
from council.programmes.models import PointClaim, RatingRound, RatingScore, RatingScorer
from council.voting import service as voting
from council.voting.models import Ballot
from council.voting.workflow import Status as BallotStatus
from council.workflows import supervision
from council.workorders import service_reads as orders

# Kinds in the order the header counts them, each with the label of its count.
KINDS: Mapping[str, str] = {
    "meeting": N_("会议"),
    "ballot": N_("表决"),
    "comment": N_("征求意见"),
    "minutes": N_("纪要确认"),
    "item": N_("整改"),
    "verify": N_("核验"),
    "objection": N_("异议答复"),
    "workflow": N_("重大事项"),
    "order": N_("工单"),
    "claim": N_("申请审核"),
    "programme": N_("街区事务"),
}


@dataclass(frozen=True)
class Todo:
    kind: str
    council: Council
    what: str  # what to do, as the person reads it ("确认纪要")
    title: str  # on what
    link: str
    since: dt.datetime  # when it started waiting
    due: dt.datetime | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Todos:
    items: list[Todo]
    counts: list[tuple[str, str, int]]  # (kind, label, count), kinds with something waiting

    @property
    def total(self) -> int:
        return len(self.items)


Source = Callable[[AsyncSession, Actor, Mapping[UUID, Council], dt.datetime], Awaitable[list[Todo]]]


def _end_of(day: dt.date, council: Council) -> dt.datetime:
    """The last moment of ``day`` in the council's time zone, in UTC."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(council.timezone))
    return local.astimezone(dt.UTC)


def _with(actor: Actor, councils_: Mapping[UUID, Council], action: Action) -> list[UUID]:
    return [cid for cid in councils_ if can(actor, action, cid)]


async def meetings(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Invitations to meetings not yet held or in session that the person has not signed in to."""
    signed = sa.exists().where(
        Attendance.meeting_id == Meeting.id, Attendance.person_id == actor.person_id
    )
    rows = await db.execute(
        sa.select(Meeting, Invitation)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(
            Invitation.person_id == actor.person_id,
            Invitation.excused.is_(False),
            Meeting.council_id.in_(list(councils_)),
            Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.LIVE]),
            ~signed,
        )
    )
    found = []
    for meeting, invitation in rows:
        council = councils_[meeting.council_id]
        live = meeting.status is MeetingStatus.LIVE
        found.append(
            Todo(
                "meeting",
                council,
                _("会议进行中，请签到") if live else _("应邀参会"),
                meeting.title,
                f"/c/{council.slug}/meetings/{meeting.id}/phone",
                invitation.created_at,
                meeting.starts_at,
                overdue=live,
            )
        )
    return found


async def ballots(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Open ballots on which the person holds a vote not yet cast."""
    rows = await db.execute(
        sa.select(Ballot).where(
            Ballot.council_id.in_(_with(actor, councils_, Action.CAST_VOTE)),
            Ballot.status == BallotStatus.OPEN,
        )
    )
    found = []
    for ballot in rows.scalars():
        waiting = [s for s in await voting.seats(db, actor, ballot) if not s.voted and not s.absent]
        if not waiting:
            continue
        council = councils_[ballot.council_id]
        found.append(
            Todo(
                "ballot",
                council,
                _("投票"),
                ballot.question,
                f"/c/{council.slug}/ballots/{ballot.id}",
                ballot.opened_at or ballot.created_at,
                ballot.closes_at,
            )
        )
    return found


async def conventions(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Convention versions in their comment period that the person has not commented on."""
    commented = sa.exists().where(
        ArticleComment.version_id == ConventionVersion.id,
        ArticleComment.author_id == actor.person_id,
    )
    rows = await db.execute(
        sa.select(ConventionVersion, Convention)
        .join(Convention, Convention.id == ConventionVersion.convention_id)
        .where(
            ConventionVersion.council_id.in_(_with(actor, councils_, Action.COMMENT_CONVENTION)),
            ConventionVersion.status == VersionStatus.COMMENTING,
            sa.or_(
                ConventionVersion.comment_closes_at.is_(None),
                ConventionVersion.comment_closes_at > now,
            ),
            ~commented,
        )
    )
    found = []
    for version, convention in rows:
        council = councils_[version.council_id]
        found.append(
            Todo(
                "comment",
                council,
                _("对公约草案提意见"),
                version.title,
                f"/c/{council.slug}/conventions/{convention.id}/v/{version.number}",
                version.comment_opens_at or version.created_at,
                version.comment_closes_at,
            )
        )
    return found


async def minutes(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Draft minutes of meetings the person attended, not yet confirmed by them."""
    confirmed = sa.exists().where(
        MinutesConfirmation.minutes_id == Minutes.id,
        MinutesConfirmation.person_id == actor.person_id,
    )
    rows = await db.execute(
        sa.select(Minutes, Meeting)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .join(
            Attendance,
            sa.and_(Attendance.meeting_id == Meeting.id, Attendance.person_id == actor.person_id),
        )
        .where(
            Minutes.council_id.in_(_with(actor, councils_, Action.CONFIRM_MINUTES)),
            Minutes.status == MinutesStatus.DRAFT,
            ~confirmed,
        )
    )
    found = []
    for record, meeting in rows:
        council = councils_[record.council_id]
        found.append(
            Todo(
                "minutes",
                council,
                _("确认纪要"),
                meeting.title,
                f"/c/{council.slug}/meetings/{meeting.id}#minutes-record-{record.id.hex}",
                record.created_at,
            )
        )
    return found


def _items_with_plan_and_shop() -> sa.Select[tuple[ActionItem, ActionPlan, Shop]]:
    return (
        sa.select(ActionItem, ActionPlan, Shop)
        .join(ActionPlan, ActionPlan.id == ActionItem.plan_id)
        .join(Shop, Shop.id == ActionItem.shop_id)
    )


async def action_items(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Items of the shops the person represents that wait for evidence; overdue past their day."""
    rows = await db.execute(
        _items_with_plan_and_shop()
        .join(
            ShopRepresentative,
            sa.and_(
                ShopRepresentative.shop_id == Shop.id,
                ShopRepresentative.person_id == actor.person_id,
                ShopRepresentative.status == ClaimStatus.VERIFIED,
            ),
        )
        .where(
            ActionItem.council_id.in_(_with(actor, councils_, Action.SUBMIT_EVIDENCE)),
            ActionItem.status.in_([ItemStatus.OPEN, ItemStatus.RETURNED]),
        )
    )
    found = []
    for item, plan, shop in rows:
        council = councils_[item.council_id]
        due = _end_of(item.deadline, council)
        returned = item.status is ItemStatus.RETURNED
        found.append(
            Todo(
                "item",
                council,
                _("整改材料被退回，请重新提交") if returned else _("提交整改材料"),
                f"{plan.title} · {shop.name}",
                f"/c/{council.slug}/plans/{plan.id}",
                item.created_at,
                due,
                overdue=now >= due,
            )
        )
    return found


async def verifications(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Submitted evidence for a supervisor to verify, never evidence they uploaded (rule 12)."""
    own = sa.exists().where(
        Evidence.item_id == ActionItem.id, Evidence.uploaded_by_id == actor.person_id
    )
    rows = await db.execute(
        _items_with_plan_and_shop().where(
            ActionItem.council_id.in_(_with(actor, councils_, Action.VERIFY_ACTION_ITEMS)),
            ActionItem.status == ItemStatus.SUBMITTED,
            ~own,
        )
    )
    found = []
    for item, plan, shop in rows:
        council = councils_[item.council_id]
        found.append(
            Todo(
                "verify",
                council,
                _("核验整改材料"),
                f"{plan.title} · {shop.name}",
                f"/c/{council.slug}/plans/{plan.id}",
                item.updated_at,
            )
        )
    return found


async def supervision_queue(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Major matters waiting for a supervisor's word or the facilitator's move, and
    objections to notices waiting for the facilitator's answer (overdue flagged, rule 8)."""
    found = []
    for cid in _with(actor, councils_, Action.VIEW_SUPERVISION):
        council = councils_[cid]
        queue = await supervision.queue(db, actor, council, now)
        waiting = []
        if can(actor, Action.SUPERVISE, cid):
            waiting += queue.for_supervisors
        if can(actor, Action.MANAGE_WORKFLOWS, cid):
            waiting += queue.for_facilitator
        for w in waiting:
            found.append(
                Todo(
                    "workflow",
                    council,
                    w.what,
                    w.matter.title,
                    f"/c/{council.slug}/matters/{w.matter.id}/timeline",
                    w.workflow.stage_started_at,
                )
            )
        if can(actor, Action.MANAGE_NOTICES, cid):
            for due in queue.objections:
                found.append(
                    Todo(
                        "objection",
                        council,
                        _("书面答复异议"),
                        due.notice.title,
                        f"/c/{council.slug}/notices/{due.notice.id}",
                        due.objection.created_at,
                        due.objection.due_at,
                        overdue=due.overdue,
                    )
                )
    return found


async def work_orders(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """The work orders of /me/orders, in every council the person or their department serves."""
    return [
        Todo(
            "order",
            t.council,
            _(t.what),
            _("工单 #%(n)s %(title)s", n=t.order.number, title=t.order.title),
            f"/c/{t.council.slug}/orders/{t.order.id}",
            t.order.created_at,
            t.order.due_at,
            overdue=t.overdue,
        )
        for t in await orders.todo(db, actor, now)
    ]


async def claims(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Membership and shop claims for the facilitator to decide."""
    found = []
    for cid in _with(actor, councils_, Action.VERIFY_CLAIMS):
        council = councils_[cid]
        pending = await councils.pending_claims(db, cid)
        link = f"/c/{council.slug}/manage"
        for membership, person in pending.memberships:
            found.append(
                Todo(
                    "claim",
                    council,
                    _("审核成员申请"),
                    person.display_name,
                    link,
                    membership.created_at,
                )
            )
        for rep, person, shop in pending.shops:
            title = f"{person.display_name} · {shop.name}"
            found.append(Todo("claim", council, _("审核店铺代表申请"), title, link, rep.created_at))
    return found


async def programmes(
    db: AsyncSession, actor: Actor, councils_: Mapping[UUID, Council], now: dt.datetime
) -> list[Todo]:
    """Rating rounds the person scores in and has not scored yet; points claims to review."""
    scored = sa.exists().where(RatingScore.scorer_id == RatingScorer.id)
    rows = await db.execute(
        sa.select(RatingRound)
        .join(RatingScorer, RatingScorer.round_id == RatingRound.id)
        .where(
            RatingScorer.person_id == actor.person_id,
            RatingRound.council_id.in_(list(councils_)),
            RatingRound.computed_at.is_(None),
            RatingRound.opens_at <= now,
            RatingRound.closes_at > now,
            ~scored,
        )
    )
    found = [
        Todo(
            "programme",
            councils_[r.council_id],
            _("文明诚信商户评分"),
            r.title,
            f"/c/{councils_[r.council_id].slug}/ratings/{r.id}",
            r.opens_at,
            r.closes_at,
        )
        for r in rows.scalars()
    ]
    reviewers = _with(actor, councils_, Action.REVIEW_POINTS)
    applied = await db.execute(
        sa.select(PointClaim.council_id, sa.func.count(), sa.func.min(PointClaim.created_at))
        .where(
            PointClaim.council_id.in_(reviewers),
            PointClaim.status == ClaimState.APPLIED,
            PointClaim.person_id != actor.person_id,
        )
        .group_by(PointClaim.council_id)
    )
    for cid, count, oldest in applied:
        council = councils_[cid]
        found.append(
            Todo(
                "programme",
                council,
                _("审核积分申请"),
                _("%(n)s 条积分申请", n=count),
                f"/c/{council.slug}/points/manage",
                oldest,
            )
        )
    return found


SOURCES: Sequence[Source] = (
    meetings,
    ballots,
    conventions,
    minutes,
    action_items,
    verifications,
    supervision_queue,
    work_orders,
    claims,
    programmes,
)

_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


def ordered(items: list[Todo]) -> list[Todo]:
    """Overdue first, then the nearest deadline, then the longest waiting."""
    return sorted(items, key=lambda t: (not t.overdue, t.due or _FAR, t.since))


async def todos(db: AsyncSession, actor: Actor, now: dt.datetime) -> Todos:
    """Everything waiting for ``actor`` in the councils where they hold a verified role."""
    if actor.person_id is None:
        return Todos([], [])
    ids = set(actor.roles) | set(actor.departments)
    rows = await db.execute(sa.select(Council).where(Council.id.in_(list(ids))))
    councils_ = {c.id: c for c in rows.scalars()}
    items: list[Todo] = []
    for source in SOURCES:
        items += await source(db, actor, councils_, now)
    counted = Counter(t.kind for t in items)
    counts = [(k, _(label), counted[k]) for k, label in KINDS.items() if counted[k]]
    return Todos(ordered(items), counts)
