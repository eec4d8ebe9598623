"""A council's Atom feed and the downloads of its public lists (CSV and JSON)."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.permissions import Action, Actor
from council.errors import NotFound
from council.i18n import _
from council.issues.service_calls import cell as safe_cell
from council.opendata import feed
from council.opendata.datasets import DATASETS, Dataset, cell
from council.web.render import page

FORMATS = ("csv", "json")


def export_csv(dataset: Dataset, rows: list[Any]) -> str:
    """A header of field names, then one line per row; a byte-order mark so that spreadsheet
    programs read the Chinese text as UTF-8, and no cell a spreadsheet would run as a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    columns = dataset.columns()
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(cell(getattr(row, c))) for c in columns])
    return out.getvalue()


class OpenDataController(Controller):
    path = "/c/{slug:str}"
    tags = ["opendata"]

    @get("/feed.atom", name="opendata.feed")
    async def atom(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        now = request.app.state.clock.now()
        entries = await feed.entries(db_session, council, now)
        updated = max((e.updated for e in entries), default=council.created_at)
        return Template(
            template_name="opendata/feed.xml",
            context={
                "council": council,
                "entries": entries,
                "updated": feed.rfc3339(updated),
                "rfc3339": feed.rfc3339,
                "base": request.app.state.settings.base_url.rstrip("/"),
            },
            media_type="application/atom+xml; charset=utf-8",
        )

    @get("/data", name="opendata.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        return page(
            request,
            "opendata/index.html",
            {"council": council, "datasets": list(DATASETS.values()), "formats": FORMATS},
        )

    @get("/data/{name:str}", name="opendata.export")
    async def export(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, name: str
    ) -> Response[Any]:
        """``notices.csv``, ``ballots.json`` …: every public row of one list."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        stem, _dot, fmt = name.rpartition(".")
        dataset = DATASETS.get(stem)
        if dataset is None or fmt not in FORMATS:
            raise NotFound(_("找不到这个页面"))
        rows = list(await dataset.fetch(db_session, council, request.app.state.clock.now()))
        filename = f'attachment; filename="{council.slug}-{name}"'
        if fmt == "csv":
            return Response(
                content=export_csv(dataset, rows),
                media_type="text/csv",  # Litestar adds "; charset=utf-8" to every text/ type
                headers={"Content-Disposition": filename},
            )
        return Response(
            content={"council": council.slug, "list": dataset.name, "items": rows},
            media_type="application/json",
            headers={"Content-Disposition": filename},
        )
