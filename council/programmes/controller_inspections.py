"""外摆 pages: the public monthly compliance rate with each shop's permitted area and hours and
the latest inspections; recording an inspection with a photo; permits and rules."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import FormInvalid
from council.files.images import MAX_FILE_BYTES, ImageRejected
from council.files.service import clean_uploads, uploads_in
from council.forms import parse_form
from council.programmes import service_inspections as inspections
from council.programmes import service_rota as rotas
from council.programmes.common import shops_in_order
from council.programmes.controller import blank, now_of
from council.programmes.kinds import CheckPurpose
from council.programmes.schemas import InspectionForm, ItemForm, PermitForm
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import page, redirect


class InspectionController(Controller):
    path = "/c/{slug:str}/inspections"
    tags = ["programmes"]

    async def _context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council
    ) -> dict[str, Any]:
        shops = await shops_in_order(db, council.id)
        rules = await rotas.items(db, council, CheckPurpose.DISPLAY)
        return blank(
            council=council,
            months=await inspections.compliance(db, council, now_of(request)),
            permits=await inspections.permits(db, council),
            shops=shops,
            shop_options=[(s.number, f"{s.number} 号 {s.name}") for s in shops],
            rules=rules,
            rule_fields=[(inspections.rule_field(r), r) for r in rules],
            recent=await inspections.recent(db, council, limit=30),
            can_inspect=can(actor, Action.RECORD_INSPECTIONS, council.id),
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
        )

    @get("/", name="inspections.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._context(request, db_session, actor, council)
        return page(request, "programmes/inspections.html", context)

    @post("/", name="inspections.record", guards=[require_login], form="inspect")
    async def record(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        data: MultipartForm,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(InspectionForm, data)
        try:
            images = await clean_uploads(uploads_in(data.get("photos")))
        except ImageRejected as exc:
            values = {"shop_number": form.shop_number, "note": form.note}
            raise FormInvalid({"photos": str(exc)}, values) from exc
        await inspections.record_inspection(
            db_session,
            actor,
            council,
            form,
            data,
            now_of(request),
            images=images,
            storage=request.app.state.storage,
            upload_limit=request.app.state.settings.uploads_per_person_hour,
        )
        return redirect(f"/c/{slug}/inspections", "inspection_recorded")

    @post("/permits", name="inspections.permit", guards=[require_login], form="permit")
    async def permit(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(PermitForm, data)
        await inspections.set_permit(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/inspections", "permit_saved")

    @post("/rules", name="inspections.add_rule", guards=[require_login], form="rule")
    async def add_rule(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(ItemForm, {**data, "purpose": CheckPurpose.DISPLAY.value})
        await rotas.add_item(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/inspections", "item_added")
