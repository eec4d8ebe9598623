"""The read-only JSON API under /api/: councils and each public list, paged by key.

Every list is a dataset of ``council.opendata.datasets``, so the API carries what the pages
and exports carry and nothing else; a record the public may not see answers the same 404 as
one that does not exist. Litestar documents these routes, and only these, at /schema.
"""

# No ``from __future__ import annotations``: the handlers are made per dataset below and
# Litestar reads their real annotations.

import datetime as dt
from dataclasses import dataclass, make_dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.errors import NotFound
from council.i18n import _
from council.opendata.datasets import DATASETS, Dataset, page_after

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_type(row: type[Any]) -> type[Any]:
    """One page of a list of ``row``: its items, and ``next``, the address of the following
    page (None on the last). One named class per list, as the OpenAPI document shows it."""
    name = row.__name__.removesuffix("Row") + "Page"
    return make_dataclass(name, [("items", list[row]), ("next", str | None)], frozen=True)


@dataclass(frozen=True)
class CouncilInfo:
    slug: str
    name: str
    street: str
    district: str
    description: str
    url: str
    feed: str
    lists: dict[str, str]  # dataset name -> its API address


def council_info(council: Any) -> CouncilInfo:
    base = f"/api/councils/{council.slug}"
    return CouncilInfo(
        slug=council.slug,
        name=council.name,
        street=council.street,
        district=council.district,
        description=council.description,
        url=f"/c/{council.slug}",
        feed=f"/c/{council.slug}/feed.atom",
        lists={name: f"{base}/{name}" for name in DATASETS},
    )


def now_of(request: Request) -> dt.datetime:
    return request.app.state.clock.now()


@get("/councils", name="api.councils", summary="所有议事会")
async def list_councils(db_session: AsyncSession) -> list[CouncilInfo]:
    return [council_info(c) for c, _shops, _members in await councils.list_councils(db_session)]


@get("/councils/{slug:str}", name="api.council", summary="一个议事会及其公开数据的地址")
async def one_council(db_session: AsyncSession, slug: str) -> CouncilInfo:
    return council_info(await councils.get_by_slug(db_session, slug))


def dataset_handlers(dataset: Dataset) -> list[HTTPRouteHandler]:
    """The paged list of ``dataset`` and one record of it by id."""
    path = f"/councils/{{slug:str}}/{dataset.name}"
    page = page_type(dataset.row)

    async def listing(
        request: Request,
        db_session: AsyncSession,
        slug: str,
        after: Annotated[UUID | None, Parameter(description="上一页最后一条的 id")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    ) -> Any:
        council = await councils.get_by_slug(db_session, slug)
        rows = await dataset.fetch(db_session, council, now_of(request))
        if after is not None and after not in {r.id for r in rows}:
            raise NotFound(_("找不到这条记录"))
        items, following = page_after(rows, after, limit)
        more = f"/api/councils/{slug}/{dataset.name}?after={following}&limit={limit}"
        return page(items=items, next=more if following else None)

    async def record(request: Request, db_session: AsyncSession, slug: str, record_id: UUID) -> Any:
        council = await councils.get_by_slug(db_session, slug)
        for row in await dataset.fetch(db_session, council, now_of(request)):
            if row.id == record_id:
                return row
        raise NotFound(_("找不到这条记录"))

    listing.__annotations__["return"] = page
    record.__annotations__["return"] = dataset.row
    title = _(dataset.title)
    return [
        get(path, name=f"api.{dataset.name}", summary=title)(listing),
        get(f"{path}/{{record_id:uuid}}", name=f"api.{dataset.name}.one", summary=title)(record),
    ]


def api_router() -> Router:
    handlers: list[Any] = [list_councils, one_council]
    for dataset in DATASETS.values():
        handlers += dataset_handlers(dataset)
    # Reads only; the schema documents this router and nothing else of the app.
    return Router(
        path="/api",
        route_handlers=handlers,
        include_in_schema=True,
        tags=["api"],
    )
