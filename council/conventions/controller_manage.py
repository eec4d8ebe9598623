"""/c/{slug}/conventions, the facilitator's side: drafting, the comment period, the legality
review, putting a version to the vote, recording the result, filing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.conventions import adoption, drafting, schemas, service, workflow
from council.conventions.controller import (
    editor_context,
    rows_of,
)
from council.councils import service as councils
from council.councils.permissions import Action, Actor
from council.forms import parse_form
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect


class ConventionManageController(Controller):
    path = "/c/{slug:str}/conventions"
    tags = ["conventions"]

    @get("/new", name="conventions.new", guards=[require_login])
    async def new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_CONVENTIONS)
        return page(request, "conventions/edit.html", editor_context(council, {"rows": []}))

    @post("/new", name="conventions.create", guards=[require_login])
    async def create(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_CONVENTIONS)
        form, rows = schemas.parse_editor(data)
        convention, version = await drafting.create(
            db_session, actor, council, form, rows, request.app.state.clock.now()
        )
        return redirect(service.link(council, convention, version.number), "convention_created")

    @get(
        "/{convention_id:uuid}/v/{number:int}/edit", name="conventions.edit", guards=[require_login]
    )
    async def edit(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_CONVENTIONS)
        convention, version = await service.get_version(
            db_session, actor, council, convention_id, number
        )
        workflow.refuse_edit(version.status)
        values = {
            "title": version.title,
            "binds": convention.binds,
            "preamble": version.preamble,
            "change_note": version.change_note,
            "rows": rows_of(await service.articles(db_session, version)),
        }
        return page(request, "conventions/edit.html", editor_context(council, values, version))

    @post(
        "/{convention_id:uuid}/v/{number:int}/edit", name="conventions.save", guards=[require_login]
    )
    async def save(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_CONVENTIONS)
        convention, version = await service.get_version(
            db_session, actor, council, convention_id, number
        )
        workflow.refuse_edit(version.status)
        form, rows = schemas.parse_editor(data)
        await drafting.save_draft(
            db_session,
            actor,
            council,
            convention_id,
            number,
            form,
            rows,
            request.app.state.clock.now(),
        )
        return redirect(service.link(council, convention, number), "convention_saved")

    @post("/{convention_id:uuid}/revise", name="conventions.revise", guards=[require_login])
    async def revise(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_CONVENTIONS)
        base = str(data.get("base", ""))
        version = await drafting.revise(
            db_session,
            actor,
            council,
            convention_id,
            request.app.state.clock.now(),
            base_number=int(base) if base.isdigit() else None,
        )
        return redirect(
            f"/c/{slug}/conventions/{convention_id}/v/{version.number}/edit", "revision_started"
        )

    async def _step(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        step: Any,
        notice: str,
        schema: Any = None,
        data: Form | None = None,
    ) -> Template | Redirect:
        """One facilitator step on a version (refused, web/answer.py shows the page again)."""
        council = await councils.require(db, actor, slug, Action.MANAGE_CONVENTIONS)
        now = request.app.state.clock.now()
        args = [parse_form(schema, data or {})] if schema is not None else []
        await step(db, actor, council, convention_id, number, *args, now)
        return redirect(f"/c/{slug}/conventions/{convention_id}/v/{number}", notice)

    @post(
        "/{convention_id:uuid}/v/{number:int}/open-comments",
        name="conventions.open_comments",
        guards=[require_login],
    )
    async def open_comments(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            drafting.open_comments,
            "comments_opened",
            schemas.CommentPeriodForm,
            data,
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/end-comments",
        name="conventions.end_comments",
        guards=[require_login],
    )
    async def end_comments(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            drafting.end_comments,
            "comments_ended",
            schemas.EndCommentsForm,
            data,
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/review",
        name="conventions.review",
        guards=[require_login],
    )
    async def review(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            drafting.record_review,
            "convention_reviewed",
            schemas.ReviewForm,
            data,
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/vote",
        name="conventions.put_to_vote",
        guards=[require_login],
    )
    async def put_to_vote(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            adoption.put_to_vote,
            "convention_put_to_vote",
            schemas.VoteForm,
            data,
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/close-vote",
        name="conventions.close_vote",
        guards=[require_login],
    )
    async def close_vote(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            adoption.close_vote,
            "ballot_closed",
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/result",
        name="conventions.record_result",
        guards=[require_login],
    )
    async def record_result(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            adoption.record_result,
            "convention_decided",
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/filing",
        name="conventions.filing",
        guards=[require_login],
    )
    async def filing(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        return await self._step(
            request,
            db_session,
            actor,
            slug,
            convention_id,
            number,
            adoption.record_filing,
            "convention_filed",
            schemas.FilingForm,
            data,
        )
