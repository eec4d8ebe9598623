"""值日 · 街区管家 pages: the month's rota with 今日值日 and missed duties, the duty shop's
checklist on its phone, swaps, and the facilitator's rota settings and checklists."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council, Shop
from council.councils.permissions import Action, Actor, can, can_act_for_shop
from council.forms import parse_form
from council.i18n import _
from council.programmes import rota
from council.programmes import service_rota as rotas
from council.programmes.common import local_today, owned_shop_ids, shops_in_order
from council.programmes.controller import blank, now_of
from council.programmes.kinds import CheckPurpose
from council.programmes.schemas import (
    ClosingForm,
    ItemForm,
    MonthForm,
    SwapAnswerForm,
    SwapForm,
    TickForm,
)
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect


class RotaController(Controller):
    path = "/c/{slug:str}/rota"
    tags = ["programmes"]

    async def _context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, month: str = ""
    ) -> dict[str, Any]:
        now = now_of(request)
        today = local_today(now, council.timezone)
        shown = rotas.month_of(month) or (today.year, today.month)
        mine = await rotas.my_duties(db, actor, council, now)
        own = await owned_shop_ids(db, actor, council.id)
        upcoming = await rotas.upcoming(db, council, now, own) if mine else []
        following = today.replace(day=28) + dt.timedelta(days=4)
        closings = await rotas.closings(db, council)
        by_id = {s.id: s for s in await shops_in_order(db, council.id)}
        return blank(
            council=council,
            month=f"{shown[0]}-{shown[1]:02d}",
            duties=await rotas.month(db, council, *shown, now),
            today=await rotas.today(db, council, now),
            missed=await rotas.missed_count(db, council, now),
            shops=by_id,
            mine=mine,
            swaps=await rotas.swaps(db, actor, council),
            upcoming=upcoming,
            swap_options=[("", "")]
            + [
                (r.duty.id.hex, f"{r.duty.day.isoformat()} · {r.shop.number} 号 {r.shop.name}")
                for r in upcoming
            ],
            weekday=_weekday,
            checklist=await rotas.items(db, council, CheckPurpose.DUTY),
            closed=[
                (by_id[shop_id], _closed_days(setting.closed_mask), setting.in_rota)
                for shop_id, setting in closings.items()
                if shop_id in by_id
            ],
            weekday_options=[(str(i), _(text)) for i, text in enumerate(rota.WEEKDAY_LABELS)],
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
            month_defaults={"month": f"{following.year}-{following.month:02d}"},
            months=[_shift(shown, -1), _shift(shown, 1)],
        )

    @get("/", name="rota.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, month: str = ""
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._context(request, db_session, actor, council, month[:7])
        return page(request, "programmes/rota.html", context)

    @post(
        "/generate",
        name="rota.generate",
        guards=[require_login],
        form="generate",
        page="rota.index",
    )
    async def generate(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(MonthForm, data)
        await rotas.generate(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/rota?month={form.month}", "rota_generated")

    @post(
        "/closing", name="rota.closing", guards=[require_login], form="closing", page="rota.index"
    )
    async def closing(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(ClosingForm, data)
        weekdays = rotas.weekdays_in(data)
        await rotas.set_closing(db_session, actor, council, form, weekdays, now_of(request))
        return redirect(f"/c/{slug}/rota", "settings_saved")

    @post("/items", name="rota.add_item", guards=[require_login], form="item", page="rota.index")
    async def add_item(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        """A line of the duty checklist (门前三包, 十无)."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(ItemForm, {**data, "purpose": CheckPurpose.DUTY.value})
        await rotas.add_item(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/rota", "item_added")

    async def _duty_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, duty_id: UUID
    ) -> dict[str, Any]:
        duty = await rotas.get_duty(db, council, duty_id)
        shop = await db.get(Shop, duty.shop_id)
        own = await owned_shop_ids(db, actor, council.id)
        now = now_of(request)
        return blank(
            council=council,
            duty=duty,
            shop=shop,
            checklist=await rotas.items(db, council, CheckPurpose.DUTY),
            checks=await rotas.checks_of(db, duty),
            mine=can_act_for_shop(actor, council.id, duty.shop_id, own),
            is_today=duty.day == local_today(now, council.timezone),
            missed=rota.missed(
                duty.day, duty.done_at is not None, local_today(now, council.timezone)
            ),
        )

    @get("/duties/{duty_id:uuid}", name="rota.duty")
    async def duty(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, duty_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._duty_context(request, db_session, actor, council, duty_id)
        return page(request, "programmes/duty.html", context)

    @post("/duties/{duty_id:uuid}/tick", name="rota.tick", guards=[require_login], form="tick")
    async def tick(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        duty_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(TickForm, data)
        ticked = rotas.ticked_in(data)
        await rotas.tick(db_session, actor, council, duty_id, ticked, form.note, now_of(request))
        return redirect(f"/c/{slug}/rota/duties/{duty_id}", "duty_ticked")

    @post(
        "/duties/{duty_id:uuid}/swap",
        name="rota.swap",
        guards=[require_login],
        form="swap-{duty_id.hex}",
        page="rota.index",
    )
    async def swap(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        duty_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(SwapForm, data)
        await rotas.request_swap(db_session, actor, council, duty_id, form, now_of(request))
        return redirect(f"/c/{slug}/rota", "swap_requested")

    @post(
        "/swaps/{swap_id:uuid}",
        name="rota.answer_swap",
        guards=[require_login],
        form="answer-{swap_id.hex}",
    )
    async def answer_swap(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        swap_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(SwapAnswerForm, data)
        await rotas.answer_swap(db_session, actor, council, swap_id, form, now_of(request))
        return redirect(f"/c/{slug}/rota", "swap_answered")


def _weekday(day: dt.date) -> str:
    return rota.WEEKDAY_LABELS[day.weekday()]


def _closed_days(mask: int) -> list[str]:
    return [_(rota.WEEKDAY_LABELS[d]) for d in sorted(rota.weekdays_from_mask(mask))]


def _shift(month: tuple[int, int], by: int) -> str:
    index = month[0] * 12 + month[1] - 1 + by
    return f"{index // 12}-{index % 12 + 1:02d}"
