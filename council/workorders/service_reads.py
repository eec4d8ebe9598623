"""Queries over work orders for pages elsewhere too: the queue with overdue flags, a
person's to-do (我的待办), and the public scorecards of the departments with the list behind
each figure."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.i18n import N_
from council.workorders import figures, workflow
from council.workorders import service_departments as departments
from council.workorders.models import Department, DepartmentCouncil, OrderExtension, WorkOrder
from council.workorders.workflow import ExtensionStatus, OrderStatus

MONTHS_SHOWN = 12


def facts_of(order: WorkOrder) -> figures.OrderFacts:
    return figures.OrderFacts(
        status=order.status,
        due_at=order.due_at,
        accepted_at=order.accepted_at,
        replied_at=order.replied_at,
        rating=order.rating,
    )


@dataclass(frozen=True)
class OrderRow:
    order: WorkOrder
    department: Department
    overdue: bool
    due_soon: bool


def _rows(results: Any, now: dt.datetime, remind_hours: int) -> list[OrderRow]:
    rows = []
    for order, department in results:
        facts = facts_of(order)
        rows.append(
            OrderRow(
                order,
                department,
                figures.overdue(facts, now),
                figures.due_soon(facts, now, remind_hours),
            )
        )
    return rows


class Show(enum.StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    FINISHED = "finished"
    ALL = "all"


SHOW_LABELS = {
    Show.OPEN: N_("未结案"),
    Show.OVERDUE: N_("超期未办"),
    Show.FINISHED: N_("已结案"),
    Show.ALL: N_("全部"),
}


async def queue(
    db: AsyncSession,
    council: Council,
    now: dt.datetime,
    *,
    show: Show = Show.OPEN,
    department_id: UUID | None = None,
    limit: int = 300,
) -> list[OrderRow]:
    """The council's orders, oldest deadline first; overdue ones are flagged (and filtered)."""
    stmt = (
        sa.select(WorkOrder, Department)
        .join(Department, Department.id == WorkOrder.department_id)
        .where(WorkOrder.council_id == council.id)
    )
    if show is Show.FINISHED:
        stmt = stmt.where(WorkOrder.status.in_(list(workflow.FINISHED))).order_by(
            WorkOrder.dispatched_at.desc()
        )
    else:
        if show in (Show.OPEN, Show.OVERDUE):
            stmt = stmt.where(WorkOrder.status.not_in(list(workflow.FINISHED)))
        if show is Show.OVERDUE:
            stmt = stmt.where(
                WorkOrder.status.in_(list(workflow.WITH_DEPARTMENT)), WorkOrder.due_at <= now
            )
        stmt = stmt.order_by(WorkOrder.due_at, WorkOrder.number)
    if department_id is not None:
        stmt = stmt.where(WorkOrder.department_id == department_id)
    settings = await departments.order_settings(db, council.id)
    return _rows(await db.execute(stmt.limit(limit)), now, settings.remind_hours)


# --- 我的待办 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Todo:
    council: Council
    order: WorkOrder
    department: Department
    what: str  # what this person is to do, as a label
    overdue: bool
    due_soon: bool


async def todo(db: AsyncSession, actor: Actor, now: dt.datetime) -> list[Todo]:
    """What waits for this person across every council: a liaison's orders to accept, attend
    or answer; a facilitator's replies to verify, orders to close and extensions to decide;
    a resident's handled orders to verify and closed ones to rate. Overdue first."""
    if actor.person_id is None:
        return []
    liaison = [
        sa.and_(WorkOrder.council_id == cid, WorkOrder.department_id.in_(list(dids)))
        for cid, dids in actor.departments.items()
    ]
    runs = [cid for cid in actor.roles if can(actor, Action.DISPATCH_ORDERS, cid)]
    pending_extension = sa.exists().where(
        OrderExtension.order_id == WorkOrder.id, OrderExtension.status == ExtensionStatus.PENDING
    )
    mine = sa.or_(
        sa.and_(sa.or_(*liaison), WorkOrder.status.in_(list(workflow.WITH_DEPARTMENT)))
        if liaison
        else sa.false(),
        sa.and_(
            WorkOrder.council_id.in_(runs),
            sa.or_(
                WorkOrder.status.in_([OrderStatus.REPLIED, OrderStatus.VERIFIED]),
                pending_extension,
            ),
        ),
        sa.and_(
            WorkOrder.raised_by_id == actor.person_id,
            WorkOrder.status.in_([OrderStatus.REPLIED, OrderStatus.CLOSED]),
        ),
    )
    rows = await db.execute(
        sa.select(WorkOrder, Department, Council, pending_extension.label("pending"))
        .join(Department, Department.id == WorkOrder.department_id)
        .join(Council, Council.id == WorkOrder.council_id)
        .where(mine)
        .order_by(WorkOrder.due_at)
    )
    items = []
    windows: dict[UUID, int] = {}
    for order, department, council, pending in rows:
        what = _what(actor, council, order, bool(pending))
        if what is None:
            continue
        facts = facts_of(order)
        if council.id not in windows:
            windows[council.id] = (await departments.order_settings(db, council.id)).remind_hours
        hours = windows[council.id]
        items.append(
            Todo(
                council,
                order,
                department,
                what,
                figures.overdue(facts, now) and order.status in workflow.WITH_DEPARTMENT,
                figures.due_soon(facts, now, hours),
            )
        )
    return sorted(items, key=lambda t: (not t.overdue, t.order.due_at))


def _what(actor: Actor, council: Council, order: WorkOrder, pending: bool) -> str | None:
    handles = order.department_id in actor.departments_in(council.id)
    runs = can(actor, Action.DISPATCH_ORDERS, council.id)
    raised = order.raised_by_id == actor.person_id
    if handles and order.status is OrderStatus.DISPATCHED:
        return N_("到场报到") if order.whistle_id and not order.arrived_at else N_("签收")
    if handles and order.status is OrderStatus.ACCEPTED:
        if order.whistle_id and not order.arrived_at:
            return N_("到场报到")
        return N_("退回重办") if order.returns else N_("办理并反馈")
    if runs and pending:
        return N_("审批延期申请")
    if order.status is OrderStatus.REPLIED and (runs or raised):
        return N_("核查办理结果")
    if runs and order.status is OrderStatus.VERIFIED:
        return N_("结案")
    if raised and order.status is OrderStatus.CLOSED:
        return N_("评价")
    return None


# --- scorecards -------------------------------------------------------------------------------


def month_of(moment: dt.datetime, council: Council) -> str:
    return moment.astimezone(ZoneInfo(council.timezone)).strftime("%Y-%m")


def recent_months(now: dt.datetime, council: Council, count: int = MONTHS_SHOWN) -> list[str]:
    """This month and the ones before it, newest first, as YYYY-MM."""
    local = now.astimezone(ZoneInfo(council.timezone))
    year, month = local.year, local.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def month_bounds(month: str, council: Council) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a YYYY-MM month of the council's calendar starts and ends."""
    year, number = (int(part) for part in month.split("-"))
    zone = ZoneInfo(council.timezone)
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _orders(
    db: AsyncSession,
    council: Council,
    department_ids: Sequence[UUID],
    since: dt.datetime,
    until: dt.datetime,
) -> list[WorkOrder]:
    stmt = (
        sa.select(WorkOrder)
        .where(
            WorkOrder.council_id == council.id,
            WorkOrder.department_id.in_(list(department_ids)),
            WorkOrder.dispatched_at >= since,
            WorkOrder.dispatched_at < until,
        )
        .order_by(WorkOrder.dispatched_at)
    )
    return list((await db.execute(stmt)).scalars())


@dataclass(frozen=True)
class Scorecard:
    department: Department
    month: str
    figures: figures.Figures
    open_overdue: int  # with the department now, past the deadline (all months)


async def scorecards(db: AsyncSession, council: Council, now: dt.datetime) -> list[Scorecard]:
    """This month's figures of every department serving the council."""
    month = recent_months(now, council, 1)[0]
    serving = await departments.serving(db, council.id)
    since, until = month_bounds(month, council)
    rows = await _orders(db, council, [d.id for d in serving], since, until)
    overdue_now = dict(
        (
            await db.execute(
                sa.select(WorkOrder.department_id, sa.func.count(WorkOrder.id))
                .where(
                    WorkOrder.council_id == council.id,
                    WorkOrder.status.in_(list(workflow.WITH_DEPARTMENT)),
                    WorkOrder.due_at <= now,
                )
                .group_by(WorkOrder.department_id)
            )
        ).all()
    )
    return [
        Scorecard(
            d,
            month,
            figures.count((facts_of(o) for o in rows if o.department_id == d.id), now),
            int(overdue_now.get(d.id, 0)),
        )
        for d in serving
    ]


async def monthly(
    db: AsyncSession, council: Council, department: Department, now: dt.datetime
) -> list[tuple[str, figures.Figures]]:
    """The department's figures in this council for each of the last twelve months."""
    months = recent_months(now, council)
    since, _end = month_bounds(months[-1], council)
    _start, until = month_bounds(months[0], council)
    rows = await _orders(db, council, [department.id], since, until)
    by_month: dict[str, list[WorkOrder]] = {m: [] for m in months}
    for order in rows:
        by_month.setdefault(month_of(order.dispatched_at, council), []).append(order)
    return [(m, figures.count((facts_of(o) for o in by_month[m]), now)) for m in months]


async def behind(
    db: AsyncSession,
    council: Council,
    department: Department,
    month: str,
    figure: str,
    now: dt.datetime,
) -> list[WorkOrder]:
    """The orders a figure counts: the same predicate, so list and count agree."""
    since, until = month_bounds(month, council)
    rows = await _orders(db, council, [department.id], since, until)
    return [o for o in rows if figures.matches(figure, facts_of(o), now)]


async def serves(db: AsyncSession, council_id: UUID, department_id: UUID) -> bool:
    found = await db.scalar(
        sa.select(DepartmentCouncil.id).where(
            DepartmentCouncil.council_id == council_id,
            DepartmentCouncil.department_id == department_id,
        )
    )
    return found is not None


# --- an issue's work orders, for the issue page ---------------------------------------------


async def for_issue(
    db: AsyncSession, council: Council, issue_id: UUID, category: str, now: dt.datetime
) -> dict[str, Any]:
    """The issue's orders with their flags, the departments it may be referred to, and the one
    whose categories include the issue's (the referral form's suggestion)."""
    rows = await db.execute(
        sa.select(WorkOrder, Department)
        .join(Department, Department.id == WorkOrder.department_id)
        .where(WorkOrder.council_id == council.id, WorkOrder.issue_id == issue_id)
        .order_by(WorkOrder.number)
    )
    settings = await departments.order_settings(db, council.id)
    serving = await departments.serving(db, council.id)
    suggested = next((d for d in serving if category in d.category_list), None)
    return {
        "orders": _rows(rows, now, settings.remind_hours),
        "department_options": [(d.id.hex, d.name) for d in serving],
        "suggested_department": suggested.id.hex if suggested else "",
        "order_kinds": [(k.value, workflow.kind_label(k)) for k in workflow.OrderKind],
    }
