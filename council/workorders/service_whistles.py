"""吹哨报到: the facilitator summons several departments to one place at once; each liaison
reports arrival (measured against the council's limit, 30 minutes by default) and then its
part; the summons stays open until the last summoned department has reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import Conflict, FormInvalid, NotAllowed, NotFound
from council.i18n import _
from council.issues import service as issues
from council.issues.models import Issue
from council.issues.workflow import IssueStatus
from council.workorders import service as orders
from council.workorders import service_departments as departments
from council.workorders.models import Department, Whistle, WorkOrder
from council.workorders.schemas import WhistleForm
from council.workorders.workflow import OrderKind, OrderStatus

MIN_DEPARTMENTS = 2


def link(council: Council, whistle: Whistle) -> str:
    return f"/c/{council.slug}/whistles/{whistle.id}"


async def summon(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: WhistleForm,
    department_ids: Sequence[str],
    now: dt.datetime,
) -> Whistle:
    """One summons, one emergency order per department (due by 24:00 the same day); an issue
    named by its number is referred to all of them at once."""
    if not can(actor, Action.DISPATCH_ORDERS, council.id):
        raise NotAllowed(_("只有主持人可以吹哨召集职能部门"))
    values = {
        "title": form.title,
        "place": form.place,
        "brief": form.brief,
        "minutes": form.minutes,
        "issue_number": form.issue_number,
        "departments": list(department_ids),
    }
    chosen: list[Department] = []
    for value in dict.fromkeys(department_ids):
        department = await departments.serving_one(db, council.id, value)
        if department is not None:
            chosen.append(department)
    if len(chosen) < MIN_DEPARTMENTS:
        message = _(
            "吹哨须召集至少 %(n)s 个服务本议事会的部门；只找一个部门请直接转办", n=MIN_DEPARTMENTS
        )
        raise FormInvalid({"departments": message}, values)
    issue = await _issue(db, actor, council, form.issue_number, values)
    settings = await departments.order_settings(db, council.id, lock=True)
    settings.last_whistle_number += 1
    whistle = Whistle(
        council_id=council.id,
        number=settings.last_whistle_number,
        title=form.title,
        place=form.place,
        brief=form.brief.strip(),
        issue_id=issue.id if issue else None,
        summoned_by_id=actor.person_id,
        summoned_at=now,
        arrive_by=now + dt.timedelta(minutes=form.minutes),
    )
    db.add(whistle)
    await db.flush()
    names = "、".join(d.name for d in chosen)
    if issue is not None:
        await issues.follow_orders(
            db,
            actor,
            council,
            issue,
            IssueStatus.REFERRED,
            now,
            note=_("吹哨报到：召集%(d)s到%(p)s", d=names, p=form.place),
            department_chosen=True,
            department=names,
        )
    for department in chosen:
        await orders.dispatch(
            db,
            actor,
            council,
            department,
            OrderKind.EMERGENCY,
            now,
            title=form.title,
            place=form.place,
            brief=form.brief.strip(),
            issue=issue,
            whistle=whistle,
        )
    await audit.record_by(
        db,
        actor,
        council.id,
        "whistle.summoned",
        ("whistle", whistle.id),
        {
            "number": whistle.number,
            "place": whistle.place,
            "departments": [d.name for d in chosen],
            "arrive_by": whistle.arrive_by.isoformat(),
        },
        at=now,
    )
    return whistle


async def _issue(
    db: AsyncSession, actor: Actor, council: Council, number: str, values: dict
) -> Issue | None:
    digits = number.strip().lstrip("#＃").strip()
    if not digits:
        return None
    found = None
    if digits.isdigit() and 0 < int(digits) < 10**9:
        found = await db.scalar(
            sa.select(Issue)
            .where(Issue.council_id == council.id, Issue.number == int(digits))
            .with_for_update()
        )
    if found is None:
        raise FormInvalid({"issue_number": _("找不到这个诉求编号")}, values)
    return await issues.get_visible(db, actor, council, found.id, lock=True)


async def arrive(
    db: AsyncSession, actor: Actor, council: Council, order_id: UUID, now: dt.datetime
) -> WorkOrder:
    """报到: the time is recorded; arriving also accepts the order (签收)."""
    order = await orders.get(db, council, order_id, lock=True)
    orders.require_liaison(actor, council, order)
    if order.whistle_id is None:
        raise Conflict(_("这个工单不是吹哨报到，不需要报到"))
    if order.arrived_at is not None:
        raise Conflict(_("已于 %(t)s 报到", t=orders.local(order.arrived_at, council)))
    whistle = await db.get(Whistle, order.whistle_id)
    assert whistle is not None  # noqa: S101 - a foreign key
    order.arrived_at = now
    late = now > whistle.arrive_by
    minutes = int((now - whistle.summoned_at).total_seconds() // 60)
    note = _("%(m)s 分钟后到场", m=minutes) + ("，" + _("超过报到时限") if late else "")
    if order.status is OrderStatus.DISPATCHED:
        await orders.accept(db, actor, council, order.id, now)
    await orders.event(db, order, "arrived", actor, now, note=note)
    await orders.audit_entry(db, actor, order, "arrived", now, minutes=minutes, late=late)
    return order


@dataclass(frozen=True)
class Summoned:
    order: WorkOrder
    department: Department
    minutes: int | None  # to arrival, from the summons
    late: bool


@dataclass(frozen=True)
class WhistleRecord:
    whistle: Whistle
    summoned: list[Summoned]
    issue: Issue | None

    @property
    def reported(self) -> int:
        return sum(1 for s in self.summoned if s.order.replied_at is not None)


async def get(db: AsyncSession, council: Council, whistle_id: UUID) -> Whistle:
    whistle = await db.scalar(
        sa.select(Whistle).where(Whistle.id == whistle_id, Whistle.council_id == council.id)
    )
    if whistle is None:
        raise NotFound(_("找不到这次吹哨报到"))
    return whistle


async def record(db: AsyncSession, whistle: Whistle) -> WhistleRecord:
    rows = await db.execute(
        sa.select(WorkOrder, Department)
        .join(Department, Department.id == WorkOrder.department_id)
        .where(WorkOrder.whistle_id == whistle.id)
        .order_by(Department.name)
    )
    summoned = []
    for order, department in rows:
        minutes = (
            int((order.arrived_at - whistle.summoned_at).total_seconds() // 60)
            if order.arrived_at
            else None
        )
        late = order.arrived_at > whistle.arrive_by if order.arrived_at else False
        summoned.append(Summoned(order, department, minutes, late))
    issue = await db.get(Issue, whistle.issue_id) if whistle.issue_id else None
    return WhistleRecord(whistle, summoned, issue)


async def listing(db: AsyncSession, council: Council) -> list[WhistleRecord]:
    whistles = (
        await db.execute(
            sa.select(Whistle)
            .where(Whistle.council_id == council.id)
            .order_by(Whistle.summoned_at.desc())
        )
    ).scalars()
    return [await record(db, w) for w in whistles]
