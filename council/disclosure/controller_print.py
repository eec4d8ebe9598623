"""A4 print views of notices, vote results and adopted conventions, and their QR codes. Each
answers the same 404 as its record's page to anyone who may not see that record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.disclosure import prints
from council.disclosure.prints import Sheet
from council.web.qr import qr_svg, svg_response
from council.web.render import page

Loader = Callable[..., Awaitable[Sheet]]


async def _sheet(
    request: Request, db: AsyncSession, actor: Actor, slug: str, record_id: UUID, load: Loader
) -> tuple[Council, Sheet]:
    council = await councils.require(db, actor, slug, Action.VIEW_COUNCIL)
    return council, await load(db, actor, council, record_id, request.app.state.clock.now())


async def _print(
    request: Request, db: AsyncSession, actor: Actor, slug: str, record_id: UUID, load: Loader
) -> Template:
    council, sheet = await _sheet(request, db, actor, slug, record_id, load)
    now = request.app.state.clock.now()
    sheet_printed = await prints.printed(
        db, council, sheet, request.app.state.settings.base_url, now
    )
    context: dict[str, Any] = {
        "council": council,
        "printed": sheet_printed,
        # The sheet stands for the record: links shared from it point at the record.
        "canonical_url": sheet_printed.url,
        **sheet.facts,
    }
    return page(request, "disclosure/print.html", context)


async def _qr(
    request: Request, db: AsyncSession, actor: Actor, slug: str, record_id: UUID, load: Loader
) -> Response[str]:
    _council, sheet = await _sheet(request, db, actor, slug, record_id, load)
    url = request.app.state.settings.base_url + sheet.path
    return svg_response(qr_svg(url), "private, max-age=300")


class PrintController(Controller):
    path = "/c/{slug:str}"
    tags = ["disclosure"]

    @get("/notices/{notice_id:uuid}/print", name="notices.print")
    async def notice(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Template:
        return await _print(request, db_session, actor, slug, notice_id, prints.notice_sheet)

    @get("/notices/{notice_id:uuid}/qr.svg", name="notices.qr")
    async def notice_qr(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Response[str]:
        return await _qr(request, db_session, actor, slug, notice_id, prints.notice_sheet)

    @get("/ballots/{ballot_id:uuid}/print", name="ballots.print")
    async def ballot(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Template:
        return await _print(request, db_session, actor, slug, ballot_id, prints.ballot_sheet)

    @get("/ballots/{ballot_id:uuid}/qr.svg", name="ballots.qr")
    async def ballot_qr(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Response[str]:
        return await _qr(request, db_session, actor, slug, ballot_id, prints.ballot_sheet)

    @get("/conventions/{convention_id:uuid}/print", name="conventions.print")
    async def convention(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
    ) -> Template:
        load = prints.convention_sheet
        return await _print(request, db_session, actor, slug, convention_id, load)

    @get("/conventions/{convention_id:uuid}/qr.svg", name="conventions.qr")
    async def convention_qr(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
    ) -> Response[str]:
        load = prints.convention_sheet
        return await _qr(request, db_session, actor, slug, convention_id, load)
