"""The street's programmes at a glance (流动红旗, 今日值日, 外摆 compliance, awards) and each
shop's public page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.programmes import service_inspections as inspections
from council.programmes import service_points as points
from council.programmes import service_ratings as rating
from council.programmes import service_rota as rotas
from council.programmes.common import shop_by_number
from council.programmes.kinds import label
from council.programmes.ratings import display
from council.web.render import page


def now_of(request: Request) -> dt.datetime:
    return request.app.state.clock.now()


def blank(**extra: Any) -> dict[str, Any]:
    """What every programme page's context starts from: no form refused yet."""
    return {"values": {}, "errors": {}, "form": "", "label": label, "display": display, **extra}


@dataclass(frozen=True)
class Street:
    """What the council's front page shows of its programmes."""

    flag: rating.Flag | None
    duty: rotas.DutyRow | None
    compliance: inspections.MonthRate | None


async def street(db: AsyncSession, council: Council, now: dt.datetime) -> Street:
    months = await inspections.compliance(db, council, now, months=1)
    return Street(
        await rating.current_flag(db, council),
        await rotas.today(db, council, now),
        months[-1] if months else None,
    )


class ProgrammeController(Controller):
    path = "/c/{slug:str}"
    tags = ["programmes"]

    @get("/street", name="programmes.street")
    async def overview(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        now = now_of(request)
        context = blank(
            council=council,
            street=await street(db_session, council, now),
            compliance=await inspections.compliance(db_session, council, now),
            awards=(await points.public_awards(db_session, council, limit=10)),
            totals=await points.totals(db_session, council),
            rounds=await rating.rounds(db_session, council),
        )
        return page(request, "programmes/street.html", context)

    @get("/shops/{number:str}", name="programmes.shop")
    async def shop(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, number: str
    ) -> Template:
        """A shop's public page: its 流动红旗, rating history, duties, 外摆 permit and
        inspections, and what it offers for points."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        shop = await shop_by_number(db_session, council.id, number[:20])
        now = now_of(request)
        flag = await rating.current_flag(db_session, council)
        context = blank(
            council=council,
            shop=shop,
            flag=flag if flag and flag.shop.id == shop.id else None,
            history=await rating.shop_history(db_session, council, shop),
            duties=await rotas.shop_duties(db_session, council, shop, now),
            permit=(await inspections.permits(db_session, council)).get(shop.id),
            inspections=await inspections.recent(db_session, council, shop, limit=12),
            offers=await points.offers(db_session, council, shop.id),
        )
        return page(request, "programmes/shop.html", context)
