"""Matters, rounds and action plans: the consultation record, public by default."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations import links, service, service_meetings, service_plans
from council.consultations.common import SIDE_LABELS
from council.consultations.models import EntryKind, Side
from council.consultations.schemas import (
    CloseRoundForm,
    EntryForm,
    EvidenceForm,
    InspectionForm,
    LinkIssueForm,
    MatterForm,
    MatterStatusForm,
    PlanForm,
    RoundForm,
    VerifyForm,
)
from council.consultations.workflow import ItemStatus, MatterStatus, Outcome, label
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.files.service import uploads_in
from council.forms import parse_form
from council.i18n import _
from council.voting import meetings as meeting_votes
from council.voting import service as voting
from council.voting.controller import labels as vote_labels
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect
from council.workflows import service as workflows

UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


def now_of(request: Request) -> dt.datetime:
    return request.app.state.clock.now()


async def _open_meetings(db: AsyncSession, council: Council) -> list[tuple[str, str]]:
    meetings = await service_meetings.open_meetings(db, council.id)
    return [(m.id.hex, f"{m.title}（{m.starts_at:%Y-%m-%d}）") for m in meetings]


async def matter_context(
    request: Request, db: AsyncSession, actor: Actor, council: Council, matter_id: UUID
) -> dict[str, Any]:
    """The matter page: its rounds, plans and votes, what it came from and, for a major
    matter, where it stands on 四议两公开一监督."""
    matter = await service.get_matter(db, council, matter_id)
    story = await service.story(db, matter)
    now = now_of(request)
    flow = await workflows.of_matter(db, matter)
    return {
        "council": council,
        "story": story,
        "plans": [await service_plans.progress(db, council, p, now) for p in story.plans],
        "meeting_votes": await meeting_votes.results_for_matter(db, council, matter.id),
        **vote_labels(),
        "matter": matter,
        "sources": await links.issues_of(db, matter),
        "ballots": [b for b in await links.ballots_of(db, matter) if voting.visible(actor, b)],
        "standing": await workflows.standing(db, council, matter, flow, now) if flow else None,
        "can_start_workflow": flow is None
        and matter.status is MatterStatus.CONSULTING
        and can(actor, Action.MANAGE_WORKFLOWS, council.id),
        "meeting_options": await _open_meetings(db, council),
        "status_options": [(s.value, label(s)) for s in MatterStatus if s is not matter.status],
        "can_manage": can(actor, Action.MANAGE_CONSULTATIONS, council.id),
        "can_see_names": can(actor, Action.VIEW_MEETINGS, council.id),
        "values": {},
        "errors": {},
        "form": "",
    }


class MatterController(Controller):
    path = "/c/{slug:str}"
    tags = ["consultations"]

    @get("/matters", name="matters.list")
    async def matters(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        return page(request, "consultations/matters.html", await self._list(db_session, council))

    async def _list(self, db: AsyncSession, council: Council) -> dict[str, Any]:
        return {
            "council": council,
            "matters": await service.list_matters(db, council.id),
            "values": {},
            "errors": {},
        }

    @post("/matters", name="matters.create", guards=[require_login])
    async def create(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(MatterForm, data)
        matter = await service.create_matter(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/matters/{matter.id}", "matter_created")

    @get("/matters/{matter_id:uuid}", name="matters.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, matter_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        context = await matter_context(request, db_session, actor, council, matter_id)
        return page(request, "consultations/matter.html", context)

    @post(
        "/matters/{matter_id:uuid}/status",
        name="matters.status",
        guards=[require_login],
        form="status",
    )
    async def status(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(MatterStatusForm, data)
        await service.change_status(db_session, actor, council, matter_id, form, now_of(request))
        return redirect(f"/c/{slug}/matters/{matter_id}", "matter_status_changed")

    @post(
        "/matters/{matter_id:uuid}/issues",
        name="matters.link_issue",
        guards=[require_login],
        form="link",
    )
    async def link_issue(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        """立项 · 来源: the issue or 提议 this matter came from, linked both ways."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(LinkIssueForm, data)
        matter = await service.get_matter(db_session, council, matter_id)
        await links.link_issue(
            db_session, actor, council, matter, form.issue_number, now_of(request)
        )
        return redirect(f"/c/{slug}/matters/{matter_id}", "issue_linked")

    @post(
        "/matters/{matter_id:uuid}/rounds", name="rounds.open", guards=[require_login], form="round"
    )
    async def open_round(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(RoundForm, data)
        round_ = await service.open_round(
            db_session, actor, council, matter_id, form.meeting_id, now_of(request)
        )
        return redirect(f"/c/{slug}/rounds/{round_.id}", "round_opened")

    # --- rounds -------------------------------------------------------------------------------

    async def _round_context(
        self, db: AsyncSession, actor: Actor, council: Council, round_id: UUID
    ) -> dict[str, Any]:
        round_ = await service.get_round(db, council, round_id)
        matter, view = await service.round_context(db, round_)
        return {
            "council": council,
            "matter": matter,
            "view": view,
            "round": round_,
            "kinds": [(k.value, _(KIND_LABELS[k])) for k in EntryKind],
            "sides": [(s.value, _(SIDE_LABELS[s])) for s in Side],
            "outcomes": [("", _("请选择"))] + [(o.value, label(o)) for o in Outcome],
            "meeting_options": [("", _("不安排，写明暂缓理由"))]
            + await _open_meetings(db, council),
            "can_manage": can(actor, Action.MANAGE_CONSULTATIONS, council.id),
            "can_see_names": can(actor, Action.VIEW_MEETINGS, council.id),
            "values": {},
            "errors": {},
            "form": "",
        }

    @get("/rounds/{round_id:uuid}", name="rounds.detail")
    async def round_detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, round_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        context = await self._round_context(db_session, actor, council, round_id)
        return page(request, "consultations/round.html", context)

    @post(
        "/rounds/{round_id:uuid}/entries", name="rounds.entry", guards=[require_login], form="entry"
    )
    async def add_entry(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        round_id: UUID,
        data: UploadForm,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(EntryForm, data)
        await service.add_entry(
            db_session,
            actor,
            council,
            round_id,
            form,
            now_of(request),
            uploads=uploads_in(data.get("photos")),
            storage=request.app.state.storage,
            uploads_per_hour=request.app.state.settings.uploads_per_person_hour,
        )
        return redirect(f"/c/{slug}/rounds/{round_id}", "entry_recorded")

    @post(
        "/rounds/{round_id:uuid}/close", name="rounds.close", guards=[require_login], form="close"
    )
    async def close(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        round_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(CloseRoundForm, data)
        round_ = await service.close_round(
            db_session, actor, council, round_id, form, now_of(request)
        )
        return redirect(f"/c/{slug}/matters/{round_.matter_id}", "round_closed")

    @post("/rounds/{round_id:uuid}/plan", name="rounds.plan", guards=[require_login], form="plan")
    async def create_plan(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        round_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(PlanForm, data)
        plan = await service_plans.create_plan(
            db_session, actor, council, round_id, form, now_of(request)
        )
        return redirect(f"/c/{slug}/plans/{plan.id}", "plan_created")


KIND_LABELS = {EntryKind.STATEMENT: "发言", EntryKind.POSITION: "立场", EntryKind.OPTION: "方案"}


class PlanController(Controller):
    path = "/c/{slug:str}"
    tags = ["action plans"]

    async def _plan_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, plan_id: UUID
    ) -> dict[str, Any]:
        plan = await service_plans.get_plan(db, council, plan_id)
        matter = await service.get_matter(db, council, plan.matter_id)
        return {
            "council": council,
            "plan": plan,
            "matter": matter,
            "progress": await service_plans.progress(db, council, plan, now_of(request)),
            "mine": await service_plans.my_items(db, actor, plan),
            "can_inspect": can(actor, Action.RECORD_INSPECTIONS, council.id),
            "can_verify": can(actor, Action.VERIFY_ACTION_ITEMS, council.id),
            "ItemStatus": ItemStatus,
            "values": {},
            "errors": {},
        }

    @get("/plans/{plan_id:uuid}", name="plans.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, plan_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        context = await self._plan_context(request, db_session, actor, council, plan_id)
        return page(request, "consultations/plan.html", context)

    @post("/plans/{plan_id:uuid}/inspections", name="plans.inspect", guards=[require_login])
    async def inspect(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        plan_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(InspectionForm, data)
        await service_plans.record_inspection(
            db_session, actor, council, plan_id, form, now_of(request)
        )
        return redirect(f"/c/{slug}/plans/{plan_id}", "inspection_recorded")

    async def _item_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, item_id: UUID
    ) -> dict[str, Any]:
        detail = await service_plans.item_detail(db, actor, council, item_id, now_of(request))
        return {
            "council": council,
            "detail": detail,
            "can_submit": detail.owner and can(actor, Action.SUBMIT_EVIDENCE, council.id),
            "can_verify": can(actor, Action.VERIFY_ACTION_ITEMS, council.id),
            "values": {},
            "errors": {},
            "form": "",
        }

    @get("/items/{item_id:uuid}", name="items.detail", guards=[require_login])
    async def item(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, item_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        context = await self._item_context(request, db_session, actor, council, item_id)
        return page(request, "consultations/item.html", context)

    @post(
        "/items/{item_id:uuid}/evidence",
        name="items.evidence",
        guards=[require_login],
        form="evidence",
    )
    async def evidence(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        item_id: UUID,
        data: UploadForm,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(EvidenceForm, data)
        settings = request.app.state.settings
        await service_plans.submit_evidence(
            db_session,
            actor,
            council,
            item_id,
            form,
            now_of(request),
            uploads=uploads_in(data.get("photos")),
            storage=request.app.state.storage,
            uploads_per_hour=settings.uploads_per_person_hour,
        )
        return redirect(f"/c/{slug}/items/{item_id}", "evidence_submitted")

    @post(
        "/items/{item_id:uuid}/verify", name="items.verify", guards=[require_login], form="verify"
    )
    async def verify(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        item_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(VerifyForm, data)
        await service_plans.verify_item(db_session, actor, council, item_id, form, now_of(request))
        return redirect(f"/c/{slug}/items/{item_id}", "item_verified")
