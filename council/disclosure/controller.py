"""/c/{slug}: the council's front page, its public noticeboard."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.permissions import Action, Actor, can
from council.disclosure.board import board
from council.web.render import page


class BoardController(Controller):
    tags = ["disclosure"]

    @get("/c/{slug:str}", name="councils.detail")
    async def front(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = {
            "council": council,
            "board": await board(db_session, council, request.app.state.clock.now()),
            "shop_count": await councils.shop_count(db_session, council.id),
            "can_manage": can(actor, Action.VIEW_MANAGEMENT, council.id),
            "can_see_supervision": can(actor, Action.VIEW_SUPERVISION, council.id),
        }
        return page(request, "disclosure/front.html", context)
