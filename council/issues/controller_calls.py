"""Calls for suggestions (征集)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import NotFound
from council.forms import parse_form
from council.i18n import _
from council.issues import service_calls as calls
from council.issues.models import Call
from council.issues.schemas import CallForm, OfflineForm
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect


async def _call_context(
    db: AsyncSession, actor: Actor, council: Council, call: Call, now: Any
) -> dict[str, Any]:
    return {
        "council": council,
        "call": call,
        "questions": await calls.questions(db, call),
        "closed": now >= call.deadline,
        "deadline": calls.local(call.deadline, council),
        "answered": await calls.has_answered(db, call, actor.person_id),
        "can_answer": can(actor, Action.ANSWER_CALL, council.id),
        "can_offline": can(actor, Action.ENTER_OFFLINE_ANSWERS, council.id),
        "can_see_results": can(actor, Action.VIEW_CALL_ANSWERS, council.id),
        "values": {},
        "errors": {},
        "form": "",
    }


class CallController(Controller):
    path = "/c/{slug:str}/calls"
    tags = ["calls"]

    @get("/", name="calls.list")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        return page(
            request,
            "calls/list.html",
            {
                "council": council,
                "calls": await calls.calls(db_session, council),
                "now": request.app.state.clock.now(),
                "local": calls.local,
                "can_open": can(actor, Action.OPEN_CALL, council.id),
            },
        )

    @get("/new", name="calls.new", guards=[require_login])
    async def new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.OPEN_CALL)
        return page(request, "calls/new.html", {"council": council, "values": {}, "errors": {}})

    @post("/new", name="calls.create", guards=[require_login])
    async def create(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.OPEN_CALL)
        form = parse_form(CallForm, data)
        call = await calls.open_call(
            db_session, actor, council, form, request.app.state.clock.now()
        )
        return redirect(f"/c/{slug}/calls/{call.id}", "call_opened")

    @get("/{call_id:uuid}", name="calls.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, call_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        call = await calls.get_call(db_session, council, call_id)
        now = request.app.state.clock.now()
        return page(
            request, "calls/detail.html", await _call_context(db_session, actor, council, call, now)
        )

    async def _answer(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        slug: str,
        call_id: UUID,
        data: dict[str, Any],
        offline: bool,
    ) -> Template | Redirect:
        council = await councils.require(db, actor, slug, Action.VIEW_COUNCIL)
        now = request.app.state.clock.now()
        source = parse_form(OfflineForm, data) if offline else None
        await calls.answer(db, actor, council, call_id, data, now, offline=source)
        return redirect(
            f"/c/{slug}/calls/{call_id}", "offline_entered" if offline else "call_answered"
        )

    @post("/{call_id:uuid}/answers", name="calls.answer", guards=[require_login], form="online")
    async def answer(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        call_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        return await self._answer(request, db_session, actor, slug, call_id, data, False)

    @post("/{call_id:uuid}/offline", name="calls.offline", guards=[require_login], form="offline")
    async def offline(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        call_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        return await self._answer(request, db_session, actor, slug, call_id, data, True)

    async def _summary(
        self, request: Request, db: AsyncSession, actor: Actor, slug: str, call_id: UUID
    ) -> tuple[Council, calls.CallSummary, bool]:
        """Counts are public once the call has closed; staff may look while it runs."""
        council = await councils.require(db, actor, slug, Action.VIEW_COUNCIL)
        call = await calls.get_call(db, council, call_id)
        staff = can(actor, Action.VIEW_CALL_ANSWERS, council.id)
        if request.app.state.clock.now() < call.deadline and not staff:
            raise NotFound(_("征集截止后才公布汇总结果"))
        return council, await calls.summary(db, call), staff

    @get("/{call_id:uuid}/summary", name="calls.summary")
    async def summary(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, call_id: UUID
    ) -> Template:
        council, result, staff = await self._summary(request, db_session, actor, slug, call_id)
        return page(
            request,
            "calls/summary.html",
            {
                "council": council,
                "result": result,
                "staff": staff,
                "deadline": calls.local(result.call.deadline, council),
                "closed": request.app.state.clock.now() >= result.call.deadline,
            },
        )

    @get("/{call_id:uuid}/summary.csv", name="calls.csv")
    async def csv(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, call_id: UUID
    ) -> Response[str]:
        _council, result, staff = await self._summary(request, db_session, actor, slug, call_id)
        return Response(
            content=calls.summary_csv(result, with_texts=staff),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" to every text/ type
            headers={
                "Content-Disposition": f'attachment; filename="call-{call_id.hex[:8]}.csv"',
                "Cache-Control": "private, no-store",
            },
        )
