"""Notices (公示): the public noticeboard, one notice with its objections and answers, and the
facilitator's drafting, publishing, correcting and ending. Anyone may object in the period."""

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
from council.files.images import MAX_FILE_BYTES, MAX_FILES, ImageRejected
from council.files.service import clean_uploads, uploads_in
from council.forms import parse_form
from council.notices import periods, service
from council.notices.periods import NoticeKind, NoticeStatus
from council.notices.schemas import AnswerForm, NoticeForm, ObjectionForm
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import page, redirect
from council.workflows import service as workflows

# Kinds a facilitator drafts on this page; a matter's stage notices come from its timeline.
FREE_KINDS = (NoticeKind.CONVENTION, NoticeKind.CALL, NoticeKind.GENERAL)


def now_of(request: Request) -> dt.datetime:
    return request.app.state.clock.now()


class NoticeController(Controller):
    path = "/c/{slug:str}/notices"
    tags = ["notices"]

    @get("/", name="notices.list")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        now = now_of(request)
        shown = await service.list_notices(db_session, actor, council)
        rows = await service.cards(db_session, council, shown, now)
        running = [r for r in rows if r.notice.status is NoticeStatus.PUBLISHED and r.days_left]
        context = {
            "council": council,
            "running": running,
            "others": [r for r in rows if r not in running],
            "can_manage": can(actor, Action.MANAGE_NOTICES, council.id),
        }
        return page(request, "notices/list.html", context)

    async def _new_context(
        self, db: AsyncSession, council: Council, values: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "council": council,
            "kind_options": [(k.value, periods.kind_label(k)) for k in FREE_KINDS],
            "subject_options": await service.subject_options(db, council),
            "max_files": MAX_FILES,
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
            "values": values,
            "errors": {},
        }

    @get("/new", name="notices.new", guards=[require_login])
    async def new(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        subject: str = "",
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_NOTICES)
        kind = subject.partition(":")[0] if subject else NoticeKind.GENERAL.value
        values = {
            "period_days": council.notice_period_days,
            "subject": subject[:60],
            "kind": kind if kind in {k.value for k in FREE_KINDS} else NoticeKind.GENERAL.value,
        }
        context = await self._new_context(db_session, council, values)
        return page(request, "notices/new.html", context)

    @post("/new", name="notices.create", guards=[require_login])
    async def create(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        data: MultipartForm,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_NOTICES)
        settings = request.app.state.settings
        form = parse_form(NoticeForm, data)
        try:
            images = await clean_uploads(uploads_in(data.get("photos")))
        except ImageRejected as exc:
            raise FormInvalid({"photos": str(exc)}, service.form_values(form)) from exc
        notice = await service.draft(
            db_session,
            actor,
            council,
            form,
            now_of(request),
            images=images,
            storage=request.app.state.storage,
            upload_limit=settings.uploads_per_person_hour,
        )
        return redirect(f"/c/{slug}/notices/{notice.id}", "notice_drafted")

    async def _detail_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, notice_id: UUID
    ) -> dict[str, Any]:
        notice = await service.get(db, actor, council, notice_id)
        now = now_of(request)
        view = await service.view(db, actor, council, notice, now)
        signed = actor.signed_in
        return {
            "council": council,
            "view": view,
            "shown": notice,
            "accepts": periods.objection_refusal(notice.status, view.period, now) is None,
            "editable": periods.editable(notice.status),
            "can_manage": can(actor, Action.MANAGE_NOTICES, council.id),
            "can_see_contacts": can(actor, Action.VIEW_CONTACTS, council.id),
            "blockers": await workflows.publish_blockers(db, council, notice),
            "objection_values": {"name": actor.display_name} if signed else {},
            "values": {
                "title": notice.title,
                "body": notice.body,
                "period_days": notice.period_days,
                "posted_at": notice.posted_at,
            },
            "errors": {},
            "form": "",
        }

    @get("/{notice_id:uuid}", name="notices.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._detail_context(request, db_session, actor, council, notice_id)
        return page(request, "notices/detail.html", context)

    async def _council(self, db: AsyncSession, actor: Actor, slug: str) -> Council:
        return await councils.require(db, actor, slug, Action.VIEW_COUNCIL)

    @post("/{notice_id:uuid}/edit", name="notices.edit", guards=[require_login], form="edit")
    async def edit(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        notice_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(NoticeForm, data)
        await service.edit(db_session, actor, council, notice_id, form, now_of(request))
        return redirect(f"/c/{slug}/notices/{notice_id}", "notice_saved")

    @post(
        "/{notice_id:uuid}/publish", name="notices.publish", guards=[require_login], form="publish"
    )
    async def publish(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        await workflows.publish_notice(db_session, actor, council, notice_id, now_of(request))
        return redirect(f"/c/{slug}/notices/{notice_id}", "notice_published")

    @post(
        "/{notice_id:uuid}/correct", name="notices.correct", guards=[require_login], form="correct"
    )
    async def correct(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        draft = await service.correct(db_session, actor, council, notice_id, now_of(request))
        return redirect(f"/c/{slug}/notices/{draft.id}", "correction_drafted")

    @post("/{notice_id:uuid}/close", name="notices.close", guards=[require_login], form="close")
    async def close(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        await service.close(db_session, actor, council, notice_id, now_of(request))
        return redirect(f"/c/{slug}/notices/{notice_id}", "notice_closed")

    @post("/{notice_id:uuid}/objections", name="notices.object", form="objection")
    async def object(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        notice_id: UUID,
        data: Form,
    ) -> Redirect:
        """Anyone, signed in or not (CSRF protects the anonymous form too)."""
        council = await self._council(db_session, actor, slug)
        form = parse_form(ObjectionForm, data)
        await service.lodge(db_session, actor, council, notice_id, form, now_of(request))
        return redirect(f"/c/{slug}/notices/{notice_id}", "objection_lodged")

    @post(
        "/{notice_id:uuid}/objections/{objection_id:uuid}/answer",
        name="notices.answer",
        guards=[require_login],
        form="answer-{objection_id.hex}",
    )
    async def answer(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        notice_id: UUID,
        objection_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await self._council(db_session, actor, slug)
        form = parse_form(AnswerForm, data)
        await service.answer(db_session, actor, council, objection_id, form, now_of(request))
        return redirect(f"/c/{slug}/notices/{notice_id}", "objection_answered")
