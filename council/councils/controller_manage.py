"""The facilitator's management pages and the administrator's platform pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import constituencies as shape
from council.councils import service
from council.councils.models import Council, Role
from council.councils.permissions import Action, Actor, appointing_action, can
from council.councils.schemas import (
    AppointForm,
    CouncilForm,
    DecisionForm,
    MemberForm,
    SettingsForm,
    ShopForm,
)
from council.forms import parse_form
from council.i18n import _
from council.web.auth import require_admin, require_login
from council.web.forms import Form
from council.web.render import more_link, page, redirect

MEMBER_ROLES = (Role.MEMBER, Role.OBSERVER, Role.SUPERVISOR, Role.RESIDENT, Role.MERCHANT)


async def manage_context(db: AsyncSession, actor: Actor, council: Council) -> dict[str, Any]:
    constituencies = await service.constituencies(db, council.id)
    members = await service.members(db, council.id)

    def grants(role: Role) -> bool:
        return can(actor, appointing_action(role), council.id)

    changes = await shape.history(db, council.id)
    return {
        "council": council,
        "constituency_options": [(c.id.hex, c.name) for c in constituencies],
        "constituency_rows": [
            (c, await shape.seated(db, c.id), changes.get(c.id, [])) for c in constituencies
        ],
        "kind_options": [(k.value, _(label)) for k, label in shape.KIND_LABELS.items()],
        "can_shape": can(actor, Action.MANAGE_MEMBERS, council.id),
        # Only the roles this person may give: a facilitator is not offered "supervisor".
        "role_options": [(r.value, service.role_label(r)) for r in MEMBER_ROLES if grants(r)],
        "members": members,
        "endable": {row.membership.id for row in members if grants(row.membership.role)},
        "shops": await service.shops(db, council.id),
        "pending": await service.pending_claims(db, council.id),
        "values": {},
        "errors": {},
        "form": "",
    }


class ManageController(Controller):
    """/c/{slug}/manage: members, shops, claims and settings of one council."""

    path = "/c/{slug:str}/manage"
    guards = [require_login]
    tags = ["manage"]

    @get("/", name="manage.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        return page(request, "manage/index.html", await manage_context(db_session, actor, council))

    @post("/members", name="manage.add_member", form="member")
    async def add_member(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        now = request.app.state.clock.now()
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        await service.add_member(db_session, actor, council, parse_form(MemberForm, data), now)
        return redirect(f"/c/{slug}/manage", "member_added")

    @post("/constituencies", name="manage.add_constituency", form="constituency")
    async def add_constituency(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        form = parse_form(shape.ConstituencyForm, data)
        await shape.add(db_session, actor, council, form, request.app.state.clock.now())
        return redirect(f"/c/{slug}/manage#constituencies", "constituency_added")

    @post(
        "/constituencies/{constituency_id:uuid}",
        name="manage.change_constituency",
        form="constituency-{constituency_id.hex}",
    )
    async def change_constituency(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        constituency_id: UUID,
        data: Form,
    ) -> Redirect:
        """Rename or resize; the history keeps what past ballots were held under."""
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        form = parse_form(shape.ConstituencyForm, data)
        now = request.app.state.clock.now()
        await shape.change(db_session, actor, council, constituency_id, form, now)
        return redirect(f"/c/{slug}/manage#constituencies", "constituency_changed")

    @post("/members/{membership_id:uuid}/end", name="manage.end_member")
    async def end_member(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        membership_id: UUID,
    ) -> Redirect:
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        await service.end_membership(
            db_session, actor, council, membership_id, request.app.state.clock.now()
        )
        return redirect(f"/c/{slug}/manage", "member_ended")

    @post("/shops", name="manage.add_shop", form="shop")
    async def add_shop(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        now = request.app.state.clock.now()
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        await service.add_shop(db_session, actor, council, parse_form(ShopForm, data), now)
        return redirect(f"/c/{slug}/manage", "shop_added")

    @post("/claims/{kind:str}/{claim_id:uuid}", name="manage.decide_claim", form="claims")
    async def decide_claim(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        kind: str,
        claim_id: UUID,
        data: Form,
    ) -> Redirect:
        now = request.app.state.clock.now()
        claim_kind = "shop" if kind == "shop" else "membership"
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        form = parse_form(DecisionForm, data)
        await service.decide_claim(db_session, actor, council, claim_kind, claim_id, form, now)
        return redirect(f"/c/{slug}/manage", "claim_decided")

    @post("/settings", name="manage.settings", form="settings")
    async def settings(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        now = request.app.state.clock.now()
        council = await service.require(db_session, actor, slug, Action.VIEW_MANAGEMENT)
        form = parse_form(SettingsForm, data)
        await service.update_settings(db_session, actor, council, form, now)
        return redirect(f"/c/{slug}/manage", "settings_saved")


class AdminController(Controller):
    """/admin: create councils and appoint their facilitators (街道管理员)."""

    path = "/admin"
    guards = [require_admin]
    tags = ["admin"]

    async def _context(self, db: AsyncSession, after: UUID | None = None) -> dict[str, Any]:
        councils, more = await service.council_page(db, after=after)
        facilitators = await service.members_of(
            db, [c.id for c, _s, _m in councils], roles=[Role.FACILITATOR]
        )
        return {
            "councils": councils,
            "more": more_link({}, more),
            "facilitators": facilitators,
            "values": {},
            "errors": {},
            "form": "",
        }

    @get("/", name="admin.index")
    async def index(
        self, request: Request, db_session: AsyncSession, after: UUID | None = None
    ) -> Template:
        return page(request, "admin/index.html", await self._context(db_session, after))

    @post("/councils", name="admin.create_council", form="council")
    async def create_council(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        form = parse_form(CouncilForm, data)
        council = await service.create_council(
            db_session, actor, form, request.app.state.clock.now()
        )
        return redirect(f"/c/{council.slug}", "council_created")

    @post("/councils/{slug:str}/facilitators", name="admin.appoint", form="appoint-{slug}")
    async def appoint(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await service.get_by_slug(db_session, slug)
        form = parse_form(AppointForm, data)
        await service.appoint_facilitator(
            db_session, actor, council, form, request.app.state.clock.now()
        )
        return redirect("/admin", "facilitator_appointed")
