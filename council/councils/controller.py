"""Public council pages, "my councils" and membership claims."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service
from council.councils.models import ConstituencyKind, Role
from council.councils.permissions import Action, Actor
from council.councils.schemas import ClaimForm
from council.forms import parse_form
from council.programmes import service_ratings as ratings
from council.web.auth import current_person, require_login
from council.web.forms import Form
from council.web.render import more_link, page, redirect


async def roster_context(db: AsyncSession, actor: Actor, slug: str) -> dict[str, Any]:
    council = await service.require(db, actor, slug, Action.VIEW_COUNCIL)
    seats: dict[Any, list[service.MemberRow]] = {}
    others: list[service.MemberRow] = []
    for row in await service.members(db, council.id):
        if row.constituency is not None:
            seats.setdefault(row.constituency.id, []).append(row)
        else:
            others.append(row)
    return {
        "council": council,
        "constituencies": await service.constituencies(db, council.id),
        "seats": seats,
        "others": others,
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

    @get("/c/{slug:str}/members", name="councils.members")
    async def members(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        context = await roster_context(db_session, actor, slug)
        return page(request, "councils/members.html", context)

    @get("/c/{slug:str}/shops", name="councils.shops")
    async def shops(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await service.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = {
            "council": council,
            "shops": await service.shops(db_session, council.id),
            "flag": await ratings.current_flag(db_session, council),
        }
        return page(request, "councils/shops.html", context)

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
        form = parse_form(ClaimForm, data)
        await service.claim(db_session, actor, person, council, form, request.app.state.clock.now())
        return redirect("/me", "claim_sent")
