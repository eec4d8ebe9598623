"""The work-order loop: refer an issue to a department, accept, ask for more time, reply with
photos, verify (核查), close, rate; reminders before the deadline. Every step goes through
the state machine, writes the order's timeline and an audit entry, and tells who is next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.councils.models import ClaimStatus, Council, Membership, Role
from council.councils.permissions import Action, Actor, Visibility, acts_for, can, may_verify
from council.errors import NotAllowed, NotFound, TransitionRefused
from council.files import service as files
from council.files.images import CleanImage
from council.files.storage import Storage
from council.i18n import _
from council.issues import service as issues
from council.issues.models import Issue
from council.issues.workflow import IssueStatus
from council.notifications import service as notifications
from council.workorders import calendar, workflow
from council.workorders import service_departments as departments
from council.workorders.models import (
    Department,
    OrderExtension,
    Whistle,
    WorkOrder,
    WorkOrderEvent,
)
from council.workorders.schemas import (
    Decision,
    DecisionForm,
    ExtensionForm,
    RateForm,
    ReferForm,
    ReplyForm,
    Verdict,
    VerifyForm,
)
from council.workorders.workflow import ExtensionStatus, OrderKind, OrderStatus

FILE_PARENT = "work_order_event"
SYSTEM = "系统"


def link(council: Council, order: WorkOrder) -> str:
    return f"/c/{council.slug}/orders/{order.id}"


# --- reads ------------------------------------------------------------------------------------


async def get(
    db: AsyncSession, council: Council, order_id: UUID, *, lock: bool = False
) -> WorkOrder:
    """Work orders are public records of their council (their reporters' contacts never are)."""
    stmt = sa.select(WorkOrder).where(WorkOrder.id == order_id, WorkOrder.council_id == council.id)
    if lock:
        stmt = stmt.with_for_update()
    order = await db.scalar(stmt)
    if order is None:
        raise NotFound(_("找不到这个工单"))
    return order


async def of_issue(db: AsyncSession, issue_id: UUID) -> list[WorkOrder]:
    stmt = sa.select(WorkOrder).where(WorkOrder.issue_id == issue_id).order_by(WorkOrder.number)
    return list((await db.execute(stmt)).scalars())


async def timeline(db: AsyncSession, order: WorkOrder) -> list[WorkOrderEvent]:
    stmt = (
        sa.select(WorkOrderEvent)
        .where(WorkOrderEvent.order_id == order.id)
        .order_by(WorkOrderEvent.at, WorkOrderEvent.created_at)
    )
    return list((await db.execute(stmt)).scalars())


async def extensions(db: AsyncSession, order: WorkOrder) -> list[OrderExtension]:
    stmt = (
        sa.select(OrderExtension)
        .where(OrderExtension.order_id == order.id)
        .order_by(OrderExtension.requested_at)
    )
    return list((await db.execute(stmt)).scalars())


async def handlers(db: AsyncSession, order: WorkOrder) -> set[UUID]:
    """Everyone who recorded handling of the order: none of them may verify it."""
    rows = await db.execute(
        sa.select(WorkOrderEvent.actor_id).where(
            WorkOrderEvent.order_id == order.id,
            WorkOrderEvent.kind == "replied",
            WorkOrderEvent.actor_id.is_not(None),
        )
    )
    return set(rows.scalars())  # type: ignore[arg-type]


# --- the timeline, the audit entry and who is told ------------------------------------------


async def event(
    db: AsyncSession,
    order: WorkOrder,
    kind: str,
    actor: Actor | None,
    now: dt.datetime,
    *,
    from_status: OrderStatus | None = None,
    note: str = "",
) -> WorkOrderEvent:
    event = WorkOrderEvent(
        council_id=order.council_id,
        order_id=order.id,
        kind=kind,
        actor_id=actor.person_id if actor else None,
        actor_label=actor.display_name if actor else _(SYSTEM),
        at=now,
        from_status=from_status,
        to_status=order.status,
        note=note,
    )
    db.add(event)
    await db.flush()
    return event


async def audit_entry(
    db: AsyncSession, actor: Actor, order: WorkOrder, action: str, now: dt.datetime, **summary: Any
) -> None:
    await audit.record_by(
        db,
        actor,
        order.council_id,
        f"order.{action}",
        ("work_order", order.id),
        {"number": order.number, "status": order.status.value, **summary},
        at=now,
    )


async def facilitators(db: AsyncSession, council_id: UUID) -> list[UUID]:
    rows = await db.execute(
        sa.select(Membership.person_id).where(
            Membership.council_id == council_id,
            Membership.role == Role.FACILITATOR,
            Membership.status == ClaimStatus.VERIFIED,
        )
    )
    return list(rows.scalars())


async def notify(
    db: AsyncSession,
    council: Council,
    order: WorkOrder,
    people: Iterable[UUID | None],
    text: str,
    now: dt.datetime,
    *,
    skip: UUID | None = None,
) -> None:
    await notifications.notify(db, council.id, people, text, link(council, order), now, skip=skip)


def _headline(order: WorkOrder) -> str:
    return _("工单 #%(n)s「%(t)s」", n=order.number, t=order.title)


# --- dispatch ---------------------------------------------------------------------------------


def limit_days(kind: OrderKind, settings: Any) -> int:
    """Working days a kind of order has in this council (紧急: the same day)."""
    return {
        OrderKind.EMERGENCY: 0,
        OrderKind.INQUIRY: settings.inquiry_days,
        OrderKind.COMPLAINT: settings.complaint_days,
    }[kind]


async def dispatch(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    department: Department,
    kind: OrderKind,
    now: dt.datetime,
    *,
    title: str,
    place: str = "",
    brief: str = "",
    issue: Issue | None = None,
    whistle: Whistle | None = None,
) -> WorkOrder:
    """登记 and 派发 in one step: the order is numbered, its deadline set from the council's
    time limits and the working-day calendar, and the department's liaisons are told."""
    settings = await departments.order_settings(db, council.id, lock=True)
    settings.last_order_number += 1
    due_at = calendar.deadline(
        now, limit_days(kind, settings), council.timezone, await departments.work_calendar(db)
    )
    order = WorkOrder(
        council_id=council.id,
        number=settings.last_order_number,
        department_id=department.id,
        issue_id=issue.id if issue else None,
        whistle_id=whistle.id if whistle else None,
        kind=kind,
        status=OrderStatus.DISPATCHED,
        title=title[:120],
        place=place[:120],
        brief=brief,
        raised_by_id=issue.submitter_id if issue else None,
        dispatched_by_id=actor.person_id,
        dispatched_at=now,
        due_at=due_at,
    )
    db.add(order)
    await db.flush()
    note = _("派发至%(d)s，%(k)s类", d=department.name, k=workflow.kind_label(kind))
    await event(db, order, "dispatched", actor, now, note=f"{note}。{brief}" if brief else note)
    await audit_entry(
        db,
        actor,
        order,
        "dispatched",
        now,
        department=department.name,
        kind=kind.value,
        due_at=due_at.isoformat(),
        issue=issue.number if issue else None,
    )
    text = _("新工单：%(h)s，请签收办理", h=_headline(order))
    await notify(db, council, order, await departments.liaison_people(db, department.id), text, now)
    return order


async def refer(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    issue_id: UUID,
    form: ReferForm,
    now: dt.datetime,
) -> WorkOrder:
    """转办: the issue goes to a department serving this council as a work order."""
    if not can(actor, Action.DISPATCH_ORDERS, council.id):
        raise NotAllowed(_("只有主持人可以转办诉求"))
    issue = await issues.get_visible(db, actor, council, issue_id, lock=True)
    department = await departments.serving_one(db, council.id, form.department_id)
    brief = form.brief.strip()
    label = department.name if department else ""
    await issues.follow_orders(
        db,
        actor,
        council,
        issue,
        IssueStatus.REFERRED,
        now,
        note=brief or _("转办至%(d)s", d=label),
        department_chosen=department is not None,
        department=label,
    )
    assert department is not None  # noqa: S101 - the state machine refused otherwise
    return await dispatch(
        db,
        actor,
        council,
        department,
        form.kind,
        now,
        title=issue.title,
        place=issue.place,
        brief=brief,
        issue=issue,
    )


# --- the department's steps -------------------------------------------------------------------


def require_liaison(actor: Actor, council: Council, order: WorkOrder) -> None:
    if not acts_for(actor, council.id, order.department_id):
        raise NotAllowed(_("只有承办部门的联络员可以办理这个工单"))


async def _move(
    db: AsyncSession,
    actor: Actor,
    order: WorkOrder,
    to: OrderStatus,
    facts: workflow.Facts,
    now: dt.datetime,
    kind: str,
    *,
    note: str = "",
    updates: Mapping[str, Any] | None = None,
    **summary: Any,
) -> WorkOrderEvent:
    """Advance through the state machine and apply ``updates`` with the new status (the
    database checks them together), or TransitionRefused with nothing changed."""
    before = order.status
    order.status = workflow.advance(facts, to)
    for name, value in (updates or {}).items():
        setattr(order, name, value)
    row = await event(db, order, kind, actor, now, from_status=before, note=note)
    await audit_entry(db, actor, order, kind, now, **{"from": before.value, **summary})
    return row


async def accept(
    db: AsyncSession, actor: Actor, council: Council, order_id: UUID, now: dt.datetime
) -> WorkOrder:
    """签收: the department takes the order on."""
    order = await get(db, council, order_id, lock=True)
    require_liaison(actor, council, order)
    await _move(
        db, actor, order, OrderStatus.ACCEPTED, workflow.Facts(order.status), now, "accepted"
    )
    order.accepted_at = now
    return order


async def reply(
    db: AsyncSession,
    storage: Storage | None,
    actor: Actor,
    council: Council,
    order_id: UUID,
    form: ReplyForm,
    images: Sequence[CleanImage],
    *,
    upload_limit: int,
    now: dt.datetime,
) -> WorkOrder:
    """处置 and 反馈: what was done, with photos; the order waits for 核查."""
    order = await get(db, council, order_id, lock=True)
    require_liaison(actor, council, order)
    if order.whistle_id is not None and order.arrived_at is None:
        raise TransitionRefused(_("吹哨报到的工单须先报到，再反馈办理情况"))
    if images and actor.person_id is not None:
        await files.check_quota(db, actor.person_id, len(images), upload_limit, now)
    facts = workflow.Facts(order.status, note=form.reply)
    line = await _move(
        db,
        actor,
        order,
        OrderStatus.REPLIED,
        facts,
        now,
        "replied",
        note=form.reply,
        updates={"reply": form.reply, "replied_at": now},
        photos=len(images),
    )
    if images and storage is not None:
        await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, FILE_PARENT, line.id),
            owner_id=actor.person_id,
            visibility=Visibility.PUBLIC,
            now=now,
        )
    if order.whistle_id is not None:
        await _complete_whistle(db, order.whistle_id, now)
    text = _("%(h)s已反馈办理情况，请核查", h=_headline(order))
    await notify(
        db,
        council,
        order,
        [order.raised_by_id, *await facilitators(db, council.id)],
        text,
        now,
        skip=actor.person_id,
    )
    return order


async def _complete_whistle(db: AsyncSession, whistle_id: UUID, now: dt.datetime) -> None:
    """A summons stays open until every summoned department has reported its part."""
    waiting = await db.scalar(
        sa.select(sa.func.count(WorkOrder.id)).where(
            WorkOrder.whistle_id == whistle_id, WorkOrder.replied_at.is_(None)
        )
    )
    whistle = await db.get(Whistle, whistle_id)
    if whistle is not None and not waiting and whistle.completed_at is None:
        whistle.completed_at = now


# --- more time --------------------------------------------------------------------------------


async def request_extension(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    order_id: UUID,
    form: ExtensionForm,
    now: dt.datetime,
) -> OrderExtension:
    order = await get(db, council, order_id, lock=True)
    require_liaison(actor, council, order)
    pending = await db.scalar(
        sa.select(OrderExtension.id).where(
            OrderExtension.order_id == order.id, OrderExtension.status == ExtensionStatus.PENDING
        )
    )
    reason = form.reason.strip()
    facts = workflow.ExtensionFacts(order.status, reason=reason, pending=pending is not None)
    request = OrderExtension(
        council_id=council.id,
        order_id=order.id,
        requested_by_id=actor.person_id,
        requested_at=now,
        days=form.days,
        reason=reason,
        status=workflow.request_extension(facts),
        due_before=order.due_at,
    )
    db.add(request)
    note = _("申请延期 %(n)s 个工作日：%(r)s", n=form.days, r=reason)
    await event(db, order, "extension_requested", actor, now, note=note)
    await audit_entry(db, actor, order, "extension_requested", now, days=form.days, reason=reason)
    text = _("%(h)s申请延期，请审批", h=_headline(order))
    await notify(
        db, council, order, await facilitators(db, council.id), text, now, skip=actor.person_id
    )
    return request


async def decide_extension(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    order_id: UUID,
    extension_id: UUID,
    form: DecisionForm,
    now: dt.datetime,
) -> OrderExtension:
    if not can(actor, Action.DISPATCH_ORDERS, council.id):
        raise NotAllowed(_("只有主持人可以审批延期申请"))
    order = await get(db, council, order_id, lock=True)
    request = await db.scalar(
        sa.select(OrderExtension).where(
            OrderExtension.id == extension_id, OrderExtension.order_id == order.id
        )
    )
    if request is None:
        raise NotFound(_("找不到这份延期申请"))
    approve = form.decision is Decision.APPROVE
    request.status = workflow.decide_extension(request.status, approve)
    request.decided_by_id = actor.person_id
    request.decided_at = now
    request.decision_note = form.note.strip()
    if approve:
        request.due_after = calendar.extended(
            order.due_at, request.days, council.timezone, await departments.work_calendar(db)
        )
        order.due_at = request.due_after
        order.reminded_at = None
    step = "extension_approved" if approve else "extension_refused"
    note = (
        _("新的期限：%(d)s", d=local(order.due_at, council)) if approve else request.decision_note
    )
    await event(db, order, step, actor, now, note=note)
    await audit_entry(
        db, actor, order, step, now, days=request.days, due_at=order.due_at.isoformat()
    )
    verdict = _("已批准") if approve else _("未批准")
    text = _("%(h)s的延期申请%(v)s", h=_headline(order), v=verdict)
    await notify(db, council, order, [request.requested_by_id], text, now)
    return request


def local(moment: dt.datetime, council: Council) -> str:
    return calendar.deadline_label(moment, council.timezone)


# --- 核查, 结案, 评价 -------------------------------------------------------------------------


async def _follow_issue(
    db: AsyncSession, actor: Actor, council: Council, order: WorkOrder, now: dt.datetime, note: str
) -> None:
    """The issue moves when all of its orders have: verified, then closed (rule 22)."""
    if order.issue_id is None:
        return
    issue = await db.get(Issue, order.issue_id, with_for_update=True)
    if issue is None:
        return
    statuses = [o.status for o in await of_issue(db, issue.id)]
    resolved = all(s in workflow.RESOLVED for s in statuses)
    finished = all(s in workflow.FINISHED for s in statuses)
    if issue.status is IssueStatus.REFERRED and resolved:
        await issues.follow_orders(
            db, actor, council, issue, IssueStatus.VERIFIED, now, note=note, orders_verified=True
        )
    if issue.status is IssueStatus.VERIFIED and finished:
        await issues.follow_orders(
            db,
            actor,
            council,
            issue,
            IssueStatus.CLOSED,
            now,
            note=_("转办工单均已结案"),
            orders_closed=True,
        )


async def verify(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    order_id: UUID,
    form: VerifyForm,
    now: dt.datetime,
) -> WorkOrder:
    """核查: satisfied moves on to 结案; not satisfied sends the order back to the department."""
    order = await get(db, council, order_id, lock=True)
    if not may_verify(actor, council.id, order.raised_by_id):
        raise NotAllowed(_("只有主持人或提出诉求的人可以核查"))
    satisfied = form.verdict is Verdict.SATISFIED
    note = form.note.strip()
    facts = workflow.Facts(
        order.status, note=note, actor_handled=actor.person_id in await handlers(db, order)
    )
    if satisfied:
        updates: dict[str, Any] = {"verified_at": now}
        await _move(
            db,
            actor,
            order,
            OrderStatus.VERIFIED,
            facts,
            now,
            "verified",
            note=note,
            updates=updates,
        )
        await _follow_issue(db, actor, council, order, now, note)
    else:
        updates = {"returns": order.returns + 1}
        await _move(
            db,
            actor,
            order,
            OrderStatus.ACCEPTED,
            facts,
            now,
            "returned",
            note=note,
            updates=updates,
        )
        text = _("%(h)s核查不满意，已退回重新办理：%(r)s", h=_headline(order), r=note)
        await notify(
            db, council, order, await departments.liaison_people(db, order.department_id), text, now
        )
    return order


async def close(
    db: AsyncSession, actor: Actor, council: Council, order_id: UUID, now: dt.datetime
) -> WorkOrder:
    """结案, only after 核查 (rule 22); the person who raised it is asked to rate it."""
    if not can(actor, Action.DISPATCH_ORDERS, council.id):
        raise NotAllowed(_("只有主持人可以结案"))
    order = await get(db, council, order_id, lock=True)
    facts = workflow.Facts(order.status)
    await _move(
        db, actor, order, OrderStatus.CLOSED, facts, now, "closed", updates={"closed_at": now}
    )
    await _follow_issue(db, actor, council, order, now, "")
    text = _("%(h)s已结案，请对办理结果评价", h=_headline(order))
    await notify(db, council, order, [order.raised_by_id], text, now, skip=actor.person_id)
    return order


async def rate(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    order_id: UUID,
    form: RateForm,
    now: dt.datetime,
) -> WorkOrder:
    """评价: 满意 / 基本满意 / 不满意, once, by the person who raised it or the facilitator."""
    order = await get(db, council, order_id, lock=True)
    if not may_verify(actor, council.id, order.raised_by_id):
        raise NotAllowed(_("只有主持人或提出诉求的人可以评价"))
    note = form.note.strip()
    facts = workflow.Facts(order.status, rating=form.rating)
    label = workflow.rating_label(form.rating)
    await _move(
        db,
        actor,
        order,
        OrderStatus.RATED,
        facts,
        now,
        "rated",
        note=f"{label}。{note}" if note else label,
        updates={"rating": form.rating, "rated_at": now},
        rating=form.rating.value,
    )
    return order


# --- reminders --------------------------------------------------------------------------------


async def send_reminders(db: AsyncSession, now: dt.datetime) -> int:
    """Tell the liaisons of every order coming due within its council's reminder window, once
    per deadline (an approved extension sets a new one). Run by `python -m council orders
    remind`, e.g. hourly from cron."""
    rows = await db.execute(
        sa.select(WorkOrder, Council)
        .join(Council, Council.id == WorkOrder.council_id)
        .where(
            WorkOrder.status.in_(list(workflow.WITH_DEPARTMENT)),
            WorkOrder.reminded_at.is_(None),
            WorkOrder.due_at > now,
        )
        .order_by(WorkOrder.due_at)
        .with_for_update(of=WorkOrder)
    )
    sent = 0
    windows: dict[UUID, int] = {}
    for order, council in rows:
        if council.id not in windows:
            windows[council.id] = (await departments.order_settings(db, council.id)).remind_hours
        if order.due_at > now + dt.timedelta(hours=windows[council.id]):
            continue
        order.reminded_at = now
        due = local(order.due_at, council)
        await event(db, order, "reminded", None, now, note=_("办理期限：%(d)s", d=due))
        text = _("%(h)s将于 %(d)s 到期，请抓紧办理", h=_headline(order), d=due)
        await notify(
            db, council, order, await departments.liaison_people(db, order.department_id), text, now
        )
        sent += 1
    return sent
