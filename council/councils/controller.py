"""Public council pages, "my councils" and membership claims."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service
from council.councils.models import ConstituencyKind, Role
from council.councils.permissions import Action, Actor, can
from council.councils.schemas import ClaimForm
from council.errors import FormInvalid
from council.forms import parse_form
from council.notices import service as notices
from council.programmes.controller import street
from council.web.auth import current_person, require_login
from council.web.forms import Form
from council.web.render import form_page, more_link, page, redirect


async def council_page_context(
    db: AsyncSession, actor: Actor, slug: str, now: dt.datetime
) -> dict[str, Any]:
    council = await service.require(db, actor, slug, Action.VIEW_COUNCIL)
    noticeboard = [
        await notices.view(db, actor, council, n, now)
        for n in await notices.in_period(db, council, now)
    ]
    members = await service.members(db, council.id)
    seats: dict[Any, list[service.MemberRow]] = {}
    others: list[service.MemberRow] = []
    for row in members:
        if row.constituency is not None:
            seats.setdefault(row.constituency.id, []).append(row)
        else:
            others.append(row)
    return {
        "council": council,
        "constituencies": await service.constituencies(db, council.id),
        "seats": seats,
        "others": others,
        "shops": await service.shops(db, council.id),
        "can_manage": can(actor, Action.VIEW_MANAGEMENT, council.id),
        "can_see_supervision": can(actor, Action.VIEW_SUPERVISION, council.id),
        "noticeboard": noticeboard,
        "street": await street(db, council, now),
        "ConstituencyKind": ConstituencyKind,
    }


class CouncilController(Controller):
    tags = ["councils"]

    @get("/", name="home")
    async def home(
        self, request: Request, db_session: AsyncSession, after: UUID | None = None
    ) -> Template:
        councils, more = await service.council_page(db_session, after=after)
        return page(
            request, "councils/home.html", {"councils": councils, "more": more_link({}, more)}
        )

    @get("/c/{slug:str}", name="councils.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        now = request.app.state.clock.now()
        context = await council_page_context(db_session, actor, slug, now)
        return page(request, "councils/detail.html", context)

    @get("/me", name="councils.mine", guards=[require_login])
    async def mine(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        person = await current_person(db_session, actor)
        return page(
            request,
            "councils/mine.html",
            {
                "person": person,
                "mine": await service.my_councils(db_session, person.id),
                # SECURITY: privileged roles should sign in with a second factor.
                "privileged": actor.is_admin or bool(actor.councils_with(Role.FACILITATOR)),
            },
        )

    @get("/c/{slug:str}/join", name="councils.join", guards=[require_login])
    async def join_form(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await service.require(db_session, actor, slug, Action.CLAIM_MEMBERSHIP)
        return page(request, "councils/join.html", {"council": council, "values": {}, "errors": {}})

    @post("/c/{slug:str}/join", name="councils.join_post", guards=[require_login])
    async def join(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await service.require(db_session, actor, slug, Action.CLAIM_MEMBERSHIP)
        person = await current_person(db_session, actor)
        try:
            form = parse_form(ClaimForm, data)
            await service.claim(
                db_session, actor, person, council, form, request.app.state.clock.now()
            )
        except FormInvalid as exc:
            return form_page(request, "councils/join.html", exc, {"council": council})
        return redirect("/me", "claim_sent")
