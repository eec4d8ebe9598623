"""Lists that grow, read a page at a time by key: the next page starts after the last row
shown (its id in the link), so page 100 costs what page 1 does, and rows added meanwhile
neither repeat nor vanish from the pages already read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

PAGE_SIZE = 50
KEY = "page_key"


@dataclass(frozen=True)
class Page:
    rows: list[Row[Any]]  # as ``stmt`` selects them
    next: UUID | None  # the id to continue after, if there is more


async def page_of(
    db: AsyncSession,
    stmt: sa.Select[Any],
    *,
    order: Sequence[sa.ColumnElement[Any]],
    ident: sa.ColumnElement[Any],
    after: UUID | None,
    newest_first: bool = True,
    size: int = PAGE_SIZE,
) -> Page:
    """``stmt`` ordered by ``order`` then ``ident`` (descending when ``newest_first``), from
    the row after the one whose ``ident`` is ``after`` (an unknown id: an empty page)."""
    keys = (*order, ident)
    if after is not None:
        anchor = [sa.select(c).where(ident == after).scalar_subquery() for c in order]
        bound = sa.tuple_(*anchor, sa.literal(after, ident.type))
        stmt = stmt.where(sa.tuple_(*keys) < bound if newest_first else sa.tuple_(*keys) > bound)
    stmt = stmt.add_columns(ident.label(KEY))
    stmt = stmt.order_by(*(k.desc() if newest_first else k.asc() for k in keys)).limit(size + 1)
    found = list((await db.execute(stmt)).all())
    rows = found[:size]
    return Page(rows, getattr(rows[-1], KEY) if len(found) > size else None)
