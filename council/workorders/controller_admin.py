"""The administrator's pages for the street: departments with their liaisons and the councils
they serve, and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.permissions import Actor
from council.forms import parse_form
from council.web.auth import require_admin
from council.web.forms import Form
from council.web.render import page, redirect
from council.workorders import service_departments as service
from council.workorders.controller import ids_in
from council.workorders.models import DayKind
from council.workorders.schemas import CalendarForm, DepartmentForm, LiaisonForm

DAY_KIND_LABELS = {DayKind.HOLIDAY: "节假日（不上班）", DayKind.WORKDAY: "调休上班（周末上班）"}


class StreetController(Controller):
    path = "/admin"
    guards = [require_admin]
    tags = ["admin"]

    async def _departments(self, db: AsyncSession) -> dict[str, Any]:
        return {
            "rows": await service.all_departments(db),
            "councils": [c for c, _s, _m in await councils.list_councils(db)],
            "values": {},
            "errors": {},
            "form": "",
        }

    @get("/departments", name="admin.departments")
    async def departments(self, request: Request, db_session: AsyncSession) -> Template:
        context = await self._departments(db_session)
        return page(request, "workorders/admin_departments.html", context)

    @post("/departments", name="admin.create_department", form="new")
    async def create_department(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Redirect:
        now = request.app.state.clock.now()
        chosen = ids_in(data, "councils")
        form = parse_form(DepartmentForm, data)
        department = await service.create_department(db_session, actor, form, now)
        await service.set_councils(db_session, actor, department.id, chosen, now)
        return redirect("/admin/departments", "department_created")

    @post(
        "/departments/{department_id:uuid}/councils",
        name="admin.department_councils",
        form="councils-{department_id.hex}",
    )
    async def department_councils(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        department_id: UUID,
        data: Form,
    ) -> Redirect:
        now = request.app.state.clock.now()
        chosen = ids_in(data, "councils")
        await service.set_councils(db_session, actor, department_id, chosen, now)
        return redirect("/admin/departments", "department_saved")

    @post(
        "/departments/{department_id:uuid}/liaisons",
        name="admin.add_liaison",
        form="liaison-{department_id.hex}",
    )
    async def add_liaison(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        department_id: UUID,
        data: Form,
    ) -> Redirect:
        now = request.app.state.clock.now()
        form = parse_form(LiaisonForm, data)
        await service.add_liaison(db_session, actor, department_id, form, now)
        return redirect("/admin/departments", "liaison_added")

    @post("/liaisons/{liaison_id:uuid}/end", name="admin.end_liaison")
    async def end_liaison(
        self, request: Request, db_session: AsyncSession, actor: Actor, liaison_id: UUID
    ) -> Redirect:
        await service.end_liaison(db_session, actor, liaison_id, request.app.state.clock.now())
        return redirect("/admin/departments", "liaison_ended")

    # --- the working-day calendar ---------------------------------------------------------------

    async def _calendar(self, db: AsyncSession, year: int) -> dict[str, Any]:
        return {
            "year": year,
            "days": await service.calendar_days(db, year),
            "kind_options": [(k.value, label) for k, label in DAY_KIND_LABELS.items()],
            "kind_labels": {k: label for k, label in DAY_KIND_LABELS.items()},
            "values": {"kind": DayKind.HOLIDAY.value},
            "errors": {},
        }

    @get("/calendar", name="admin.calendar")
    async def calendar(self, request: Request, db_session: AsyncSession, year: int = 0) -> Template:
        now = request.app.state.clock.now()
        shown = year if 2000 <= year <= 2100 else now.year
        return page(
            request, "workorders/admin_calendar.html", await self._calendar(db_session, shown)
        )

    @post("/calendar", name="admin.calendar_set")
    async def calendar_set(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        now = request.app.state.clock.now()
        form = parse_form(CalendarForm, data)
        await service.set_days(db_session, actor, form, now)
        return redirect(f"/admin/calendar?year={form.start[:4]}", "calendar_saved")

    @post("/calendar/{day_id:uuid}/remove", name="admin.calendar_remove")
    async def calendar_remove(
        self, request: Request, db_session: AsyncSession, actor: Actor, day_id: UUID
    ) -> Redirect:
        await service.remove_day(db_session, actor, day_id, request.app.state.clock.now())
        return redirect("/admin/calendar", "calendar_saved")


def _year_of(value: object, now: dt.datetime) -> int:
    text = str(value or "")
    return int(text[:4]) if text[:4].isdigit() and 2000 <= int(text[:4]) <= 2100 else now.year
