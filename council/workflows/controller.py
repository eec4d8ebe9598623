"""A major matter's timeline (public), the facilitator's moves and records, the supervisors'
opinions, sign-off and reopen requests, and the queue of what waits for each of them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import FormInvalid
from council.forms import parse_form
from council.i18n import _
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect
from council.workflows import service, supervision, timeline, workflow
from council.workflows.models import OpinionKind
from council.workflows.schemas import (
    MoveForm,
    OpinionForm,
    ReopenAnswerForm,
    ReopenForm,
    ReviewForm,
    SignOffForm,
)
from council.workflows.workflow import Stage


def now_of(request: Request) -> dt.datetime:
    return request.app.state.clock.now()


def _base(slug: str, matter_id: UUID) -> str:
    return f"/c/{slug}/matters/{matter_id}/timeline"


class WorkflowController(Controller):
    path = "/c/{slug:str}"
    tags = ["workflows"]

    async def _context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, matter_id: UUID
    ) -> dict[str, Any]:
        matter, flow = await service.require(db, council, matter_id)
        now = now_of(request)
        line = await timeline.build(db, actor, council, matter, flow, now)
        following = workflow.next_stage(flow.stage)
        pending = [
            (o, name)
            for row in line.stages
            for o, name in row.opinions
            if o.kind is OpinionKind.REOPEN and o.answered_at is None
        ]
        return {
            "pending": pending,
            "council": council,
            "matter": matter,
            "line": line,
            "stage": flow.stage,
            "Stage": Stage,
            "OpinionKind": OpinionKind,
            "next_stage": following,
            "back_options": [(s.value, workflow.label(s)) for s in workflow.earlier(flow.stage)]
            + ([(Stage.WITHDRAWN.value, _("撤回本事项"))] if flow.stage in workflow.ACTIVE else []),
            "reopen_options": [
                (s.value, workflow.label(s)) for s in [*workflow.earlier(flow.stage), flow.stage]
            ]
            if flow.stage in workflow.ACTIVE
            else [],
            "stage_notice": service.STAGE_NOTICES.get(flow.stage),
            "can_manage": can(actor, Action.MANAGE_WORKFLOWS, council.id),
            "can_supervise": can(actor, Action.SUPERVISE, council.id),
            "can_see_all": can(actor, Action.VIEW_SUPERVISION, council.id),
            "values": {},
            "errors": {},
            "form": "",
        }

    @get("/matters/{matter_id:uuid}/timeline", name="workflows.timeline")
    async def timeline(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, matter_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        context = await self._context(request, db_session, actor, council, matter_id)
        return page(request, "workflows/timeline.html", context)

    async def _council(self, db: AsyncSession, actor: Actor, slug: str) -> Council:
        return await councils.require(db, actor, slug, Action.VIEW_MATTERS)

    @post(
        "/matters/{matter_id:uuid}/workflow",
        name="workflows.start",
        guards=[require_login],
        form="workflow",
    )
    async def start(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, matter_id: UUID
    ) -> Redirect:
        """Answered on the matter page, where the button is."""
        council = await self._council(db_session, actor, slug)
        await service.start(db_session, actor, council, matter_id, now_of(request))
        return redirect(_base(slug, matter_id), "workflow_started")

    @post(
        "/matters/{matter_id:uuid}/workflow/move",
        name="workflows.move",
        guards=[require_login],
        page="workflows.timeline",
        form=lambda typed: "back" if typed.get("back") else "move",
    )
    async def move(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(MoveForm, data)
        await service.move(db_session, actor, council, matter_id, form, now_of(request))
        return redirect(_base(slug, matter_id), "stage_moved")

    @post(
        "/matters/{matter_id:uuid}/workflow/review",
        name="workflows.review",
        guards=[require_login],
        page="workflows.timeline",
        form="review",
    )
    async def review(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(ReviewForm, data)
        await service.record_review(db_session, actor, council, matter_id, form, now_of(request))
        return redirect(_base(slug, matter_id), "review_recorded")

    @post(
        "/matters/{matter_id:uuid}/workflow/ballot",
        name="workflows.ballot",
        guards=[require_login],
        page="workflows.timeline",
        form="ballot",
    )
    async def ballot(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, matter_id: UUID
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        ballot = await service.draft_ballot(db_session, actor, council, matter_id, now_of(request))
        return redirect(f"/c/{slug}/ballots/{ballot.id}", "ballot_created")

    @post(
        "/matters/{matter_id:uuid}/workflow/notice",
        name="workflows.notice",
        guards=[require_login],
        page="workflows.timeline",
        form="notice",
    )
    async def notice(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        kinds = {k.value: k for k in service.NOTICE_STAGES}
        kind = kinds.get(str(data.get("kind", "")))
        if kind is None:
            raise FormInvalid({"_form": _("请选择要起草的公示")})
        draft = await service.draft_notice(
            db_session, actor, council, matter_id, kind, now_of(request)
        )
        return redirect(f"/c/{slug}/notices/{draft.id}", "notice_drafted")

    @post(
        "/matters/{matter_id:uuid}/workflow/opinions",
        name="workflows.opinion",
        guards=[require_login],
        page="workflows.timeline",
        form="opinion",
    )
    async def opinion(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(OpinionForm, data)
        await supervision.file_opinion(db_session, actor, council, matter_id, form, now_of(request))
        return redirect(_base(slug, matter_id), "opinion_filed")

    @post(
        "/matters/{matter_id:uuid}/workflow/signoff",
        name="workflows.signoff",
        guards=[require_login],
        page="workflows.timeline",
        form="signoff",
    )
    async def sign_off(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(SignOffForm, data)
        await supervision.sign_off(db_session, actor, council, matter_id, form, now_of(request))
        return redirect(_base(slug, matter_id), "signed_off")

    @post(
        "/matters/{matter_id:uuid}/workflow/reopen",
        name="workflows.reopen",
        guards=[require_login],
        page="workflows.timeline",
        form="reopen",
    )
    async def reopen(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(ReopenForm, data)
        await supervision.request_reopen(
            db_session, actor, council, matter_id, form, now_of(request)
        )
        return redirect(_base(slug, matter_id), "reopen_requested")

    @post(
        "/matters/{matter_id:uuid}/workflow/reopen/{opinion_id:uuid}",
        name="workflows.reopen_answer",
        guards=[require_login],
        page="workflows.timeline",
        form="reopen-{opinion_id.hex}",
    )
    async def answer_reopen(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        matter_id: UUID,
        opinion_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(ReopenAnswerForm, data)
        await supervision.answer_reopen(
            db_session, actor, council, matter_id, opinion_id, form, now_of(request)
        )
        return redirect(_base(slug, matter_id), "reopen_answered")

    @get("/supervision", name="workflows.queue", guards=[require_login])
    async def queue(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_SUPERVISION)
        waiting = await supervision.queue(db_session, actor, council, now_of(request))
        context = {
            "council": council,
            "queue": waiting,
            "is_supervisor": can(actor, Action.SUPERVISE, council.id),
            "is_facilitator": can(actor, Action.MANAGE_WORKFLOWS, council.id),
        }
        return page(request, "workflows/queue.html", context)
