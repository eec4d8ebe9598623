"""/c/{slug}: the council's front page, its public noticeboard."""

from __future__ import annotations

import sqlite3

from litestar import Controller, Request, get
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.disclosure.board import board
from council.web import pagecache
from council.web.render import page

BOARD_PARTS = ("disclosure/_board_description.html", "disclosure/_board.html")


def _rendered(html: bytes) -> Markup:
    """Output of BOARD_PARTS, escaped by Jinja as it was rendered: not to be escaped again."""
    return Markup(html.decode())  # noqa: S704 - our own autoescaped template output


async def board_parts(request: Request, db: AsyncSession, council: Council) -> tuple[Markup, ...]:
    """The noticeboard as HTML (its summary for the page's description, then its sections).

    The board is built as an anonymous visitor sees it, so it is the same for everyone: a
    signed-in visitor, whose page is never cached whole, gets it from the process's page
    cache while the council's page versions hold, as an anonymous page would be."""
    cache: pagecache.PageCache = request.app.state.pages
    now = request.app.state.clock.now()
    key = f"board:{council.slug}"
    try:
        versions: tuple[int, ...] | None = await cache.versions.read(
            pagecache.read_scopes(request.url.path)
        )
    except (DBAPIError, OSError, sqlite3.Error):
        versions = None  # not known fresh: made afresh and not kept
    kept = cache.get(key)
    if (
        versions is not None
        and kept is not None
        and kept.versions == versions
        and now - kept.made_at < pagecache.PAGE_SECONDS
    ):
        return tuple(_rendered(part) for part in kept.parts)
    context = {"council": council, "board": await board(db, council, now)}
    engine = request.app.template_engine
    parts = tuple(engine.get_template(name).render(**context).encode() for name in BOARD_PARTS)
    if versions is not None:
        cache.put(key, pagecache.Page(versions, now, {}, parts))
    return tuple(_rendered(part) for part in parts)


class BoardController(Controller):
    tags = ["disclosure"]

    @get("/c/{slug:str}", name="councils.detail")
    async def front(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        description, sections = await board_parts(request, db_session, council)
        context = {
            "council": council,
            "board_description": description,
            "board_sections": sections,
            "shop_count": await councils.shop_count(db_session, council.id),
            "can_manage": can(actor, Action.VIEW_MANAGEMENT, council.id),
            "can_see_supervision": can(actor, Action.VIEW_SUPERVISION, council.id),
        }
        return page(request, "disclosure/front.html", context)
