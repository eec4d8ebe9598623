"""What the administrator keeps for the street (departments, their liaisons and the councils
they serve, the working-day calendar) and a council's time limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit import service as audit
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import Conflict, FormInvalid, NotAllowed, NotFound
from council.i18n import _
from council.workorders import workflow
from council.workorders.calendar import WorkCalendar
from council.workorders.models import (
    CalendarDay,
    DayKind,
    Department,
    DepartmentCouncil,
    DepartmentLiaison,
    OrderSettings,
    WorkOrder,
)
from council.workorders.schemas import (
    CalendarForm,
    DepartmentForm,
    LiaisonForm,
    OrderSettingsForm,
)

MAX_CALENDAR_SPAN = 31  # days in one entry of the calendar form: a holiday, not a season


def _admin_only(actor: Actor, action: Action) -> None:
    if not can(actor, action):
        raise NotAllowed(_("只有街道管理员可以管理职能部门和工作日历"))


# --- departments ----------------------------------------------------------------------------


async def serving(db: AsyncSession, council_id: UUID) -> list[Department]:
    """The departments that serve this council, by name."""
    return list(
        (
            await db.execute(
                sa.select(Department)
                .join(DepartmentCouncil, DepartmentCouncil.department_id == Department.id)
                .where(DepartmentCouncil.council_id == council_id)
                .order_by(Department.name)
            )
        ).scalars()
    )


async def serving_one(db: AsyncSession, council_id: UUID, value: str | UUID) -> Department | None:
    """The department named by ``value`` (its id) if it serves this council."""
    try:
        wanted = value if isinstance(value, UUID) else UUID(value)
    except ValueError:
        return None
    return await db.scalar(
        sa.select(Department)
        .join(DepartmentCouncil, DepartmentCouncil.department_id == Department.id)
        .where(Department.id == wanted, DepartmentCouncil.council_id == council_id)
    )


async def department_serving(db: AsyncSession, council: Council, department_id: UUID) -> Department:
    """The department's public page exists only in the councils it serves."""
    department = await serving_one(db, council.id, department_id)
    if department is None:
        raise NotFound(_("找不到这个职能部门"))
    return department


@dataclass(frozen=True)
class LiaisonRow:
    liaison: DepartmentLiaison
    person: Person


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    councils: list[Council]
    liaisons: list[LiaisonRow]


async def all_departments(db: AsyncSession) -> list[DepartmentRow]:
    departments = list(
        (await db.execute(sa.select(Department).order_by(Department.name))).scalars()
    )
    links = await db.execute(
        sa.select(DepartmentCouncil.department_id, Council)
        .join(Council, Council.id == DepartmentCouncil.council_id)
        .order_by(Council.name)
    )
    councils: dict[UUID, list[Council]] = {}
    for department_id, council in links:
        councils.setdefault(department_id, []).append(council)
    people = await db.execute(
        sa.select(DepartmentLiaison, Person)
        .join(Person, Person.id == DepartmentLiaison.person_id)
        .where(DepartmentLiaison.ended_at.is_(None))
        .order_by(Person.display_name)
    )
    liaisons: dict[UUID, list[LiaisonRow]] = {}
    for liaison, person in people:
        liaisons.setdefault(liaison.department_id, []).append(LiaisonRow(liaison, person))
    return [DepartmentRow(d, councils.get(d.id, []), liaisons.get(d.id, [])) for d in departments]


async def liaison_people(db: AsyncSession, department_id: UUID) -> list[UUID]:
    """Who is told about the department's orders: its active liaisons."""
    rows = await db.execute(
        sa.select(DepartmentLiaison.person_id).where(
            DepartmentLiaison.department_id == department_id, DepartmentLiaison.ended_at.is_(None)
        )
    )
    return list(rows.scalars())


def _categories(text: str) -> str:
    return "\n".join(dict.fromkeys(c.strip()[:60] for c in text.splitlines() if c.strip()))


async def create_department(
    db: AsyncSession, actor: Actor, form: DepartmentForm, now: dt.datetime
) -> Department:
    _admin_only(actor, Action.MANAGE_DEPARTMENTS)
    taken = FormInvalid({"name": _("已有同名的职能部门")}, {"name": form.name, "unit": form.unit})
    if await db.scalar(sa.select(Department.id).where(Department.name == form.name)):
        raise taken
    department = Department(name=form.name, unit=form.unit, categories=_categories(form.categories))
    try:
        async with db.begin_nested():
            db.add(department)
            await db.flush()
    except IntegrityError as exc:
        raise taken from exc
    await audit.record_by(
        db,
        actor,
        None,
        "department.created",
        ("department", department.id),
        {"name": department.name, "unit": department.unit},
        at=now,
    )
    return department


async def _department(db: AsyncSession, department_id: UUID) -> Department:
    department = await db.get(Department, department_id)
    if department is None:
        raise NotFound(_("找不到这个职能部门"))
    return department


async def set_councils(
    db: AsyncSession,
    actor: Actor,
    department_id: UUID,
    council_ids: Sequence[UUID],
    now: dt.datetime,
) -> None:
    """The councils a department serves. One it stops serving must hold no open order of it."""
    _admin_only(actor, Action.MANAGE_DEPARTMENTS)
    department = await _department(db, department_id)
    wanted = set(
        (await db.execute(sa.select(Council.id).where(Council.id.in_(list(council_ids))))).scalars()
    )
    current = set(
        (
            await db.execute(
                sa.select(DepartmentCouncil.council_id).where(
                    DepartmentCouncil.department_id == department.id
                )
            )
        ).scalars()
    )
    dropped = current - wanted
    if dropped:
        open_orders = await db.scalar(
            sa.select(sa.func.count(WorkOrder.id)).where(
                WorkOrder.department_id == department.id,
                WorkOrder.council_id.in_(dropped),
                WorkOrder.status.not_in(list(workflow.FINISHED)),
            )
        )
        if open_orders:
            raise Conflict(
                _(
                    "%(d)s还有 %(n)s 个未结案的工单，不能停止服务这些议事会",
                    d=department.name,
                    n=open_orders,
                )
            )
        await db.execute(
            sa.delete(DepartmentCouncil).where(
                DepartmentCouncil.department_id == department.id,
                DepartmentCouncil.council_id.in_(dropped),
            )
        )
    for council_id in sorted(wanted - current):
        db.add(DepartmentCouncil(council_id=council_id, department_id=department.id))
    await db.flush()
    # Each council's own chain says which departments took up or stopped serving it.
    for council_id, action in [
        *((c, "department.serves") for c in sorted(wanted - current)),
        *((c, "department.stops_serving") for c in sorted(dropped)),
    ]:
        await audit.record_by(
            db,
            actor,
            council_id,
            action,
            ("department", department.id),
            {"name": department.name},
            at=now,
        )


async def add_liaison(
    db: AsyncSession, actor: Actor, department_id: UUID, form: LiaisonForm, now: dt.datetime
) -> DepartmentLiaison:
    _admin_only(actor, Action.MANAGE_DEPARTMENTS)
    department = await _department(db, department_id)
    values = {"login": form.login, "title": form.title}
    person = await db.scalar(sa.select(Person).where(Person.login == form.login.strip().lower()))
    if person is None:
        raise FormInvalid({"login": _("找不到这个账号，请先请对方注册")}, values)
    liaison = await db.scalar(
        sa.select(DepartmentLiaison).where(
            DepartmentLiaison.department_id == department.id,
            DepartmentLiaison.person_id == person.id,
        )
    )
    if liaison is not None and liaison.ended_at is None:
        raise FormInvalid(
            {"login": _("%(p)s 已是%(d)s的联络员", p=person.display_name, d=department.name)},
            values,
        )
    if liaison is None:
        liaison = DepartmentLiaison(department_id=department.id, person_id=person.id)
        db.add(liaison)
    liaison.title = form.title
    liaison.ended_at = None
    await db.flush()
    await audit.record_by(
        db,
        actor,
        None,
        "department.liaison_added",
        ("department", department.id),
        {"name": department.name, "liaison": person.display_name, "title": form.title},
        at=now,
    )
    return liaison


async def end_liaison(db: AsyncSession, actor: Actor, liaison_id: UUID, now: dt.datetime) -> None:
    _admin_only(actor, Action.MANAGE_DEPARTMENTS)
    liaison = await db.get(DepartmentLiaison, liaison_id)
    if liaison is None or liaison.ended_at is not None:
        raise NotFound(_("找不到这位联络员"))
    liaison.ended_at = now
    person = await db.get(Person, liaison.person_id)
    await audit.record_by(
        db,
        actor,
        None,
        "department.liaison_ended",
        ("department", liaison.department_id),
        {"liaison": person.display_name if person else ""},
        at=now,
    )


# --- the working-day calendar -----------------------------------------------------------------


async def work_calendar(db: AsyncSession) -> WorkCalendar:
    rows = (await db.execute(sa.select(CalendarDay.day, CalendarDay.kind))).all()
    return WorkCalendar.of(
        holidays=[day for day, kind in rows if kind is DayKind.HOLIDAY],
        workdays=[day for day, kind in rows if kind is DayKind.WORKDAY],
    )


async def calendar_days(db: AsyncSession, year: int) -> list[CalendarDay]:
    stmt = (
        sa.select(CalendarDay)
        .where(CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return list((await db.execute(stmt)).scalars())


async def set_days(db: AsyncSession, actor: Actor, form: CalendarForm, now: dt.datetime) -> int:
    """Mark each day from ``start`` to ``end`` as a holiday or a make-up working day (a day
    already in the calendar takes the new kind). Deadlines already set do not move."""
    _admin_only(actor, Action.EDIT_CALENDAR)
    values = {
        "start": form.start,
        "end": form.end or "",
        "kind": form.kind.value,
        "note": form.note,
    }
    try:
        start = dt.date.fromisoformat(form.start)
        end = dt.date.fromisoformat(form.end) if form.end else start
    except ValueError:
        raise FormInvalid({"start": _("没有这个日期")}, values) from None
    if end < start:
        raise FormInvalid({"end": _("结束日期不能早于开始日期")}, values)
    if (end - start).days >= MAX_CALENDAR_SPAN:
        raise FormInvalid({"end": _("一次最多登记 %(n)s 天", n=MAX_CALENDAR_SPAN)}, values)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    # A make-up working day on a weekday would change nothing: a mistake worth saying.
    weekdays = [d for d in days if form.kind is DayKind.WORKDAY and d.weekday() < 5]
    if weekdays:
        message = _("调休上班日须是周六或周日：%(d)s", d=weekdays[0].isoformat())
        raise FormInvalid({"start": message}, values)
    existing = {
        row.day: row
        for row in (
            await db.execute(sa.select(CalendarDay).where(CalendarDay.day.in_(days)))
        ).scalars()
    }
    for day in days:
        row = existing.get(day) or CalendarDay(day=day)
        row.kind = form.kind
        row.note = form.note
        db.add(row)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        None,
        "calendar.days_set",
        ("calendar", f"{start.isoformat()}/{end.isoformat()}"),
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "kind": form.kind.value,
            "note": form.note,
        },
        at=now,
    )
    return len(days)


async def remove_day(db: AsyncSession, actor: Actor, day_id: UUID, now: dt.datetime) -> None:
    _admin_only(actor, Action.EDIT_CALENDAR)
    row = await db.get(CalendarDay, day_id)
    if row is None:
        raise NotFound(_("日历中没有这一天"))
    await db.delete(row)
    await audit.record_by(
        db,
        actor,
        None,
        "calendar.day_removed",
        ("calendar", row.day.isoformat()),
        {"day": row.day.isoformat(), "kind": row.kind.value, "note": row.note},
        at=now,
    )


# --- a council's time limits ------------------------------------------------------------------


async def order_settings(
    db: AsyncSession, council_id: UUID, *, lock: bool = False
) -> OrderSettings:
    """This council's row, created with the defaults (12345: 3 and 13 working days) on first
    use. ``lock`` takes it FOR UPDATE: numbering a new order or summons queues on this row."""
    stmt = sa.select(OrderSettings).where(OrderSettings.council_id == council_id)
    if lock:
        stmt = stmt.with_for_update()
    row = await db.scalar(stmt)
    if row is None:
        row = OrderSettings(council_id=council_id)
        try:
            async with db.begin_nested():
                db.add(row)
                await db.flush()
        except IntegrityError:
            row = (await db.execute(stmt)).scalar_one()
    return row


async def update_settings(
    db: AsyncSession, actor: Actor, council: Council, form: OrderSettingsForm, now: dt.datetime
) -> None:
    if not can(actor, Action.EDIT_SETTINGS, council.id):
        raise NotAllowed(_("只有主持人可以修改办理时限"))
    row = await order_settings(db, council.id, lock=True)
    changes = {
        "inquiry_days": form.inquiry_days,
        "complaint_days": form.complaint_days,
        "arrival_minutes": form.arrival_minutes,
        "remind_hours": form.remind_hours,
    }
    for name, value in changes.items():
        setattr(row, name, value)
    await audit.record_by(
        db, actor, council.id, "order.settings_changed", ("council", council.id), changes, at=now
    )
