"""What every consultation service shares: council-scoped lookups, sides and dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Side
from council.councils.models import ConstituencyKind
from council.errors import NotFound
from council.i18n import _

T = TypeVar("T")

SIDE_LABELS: Mapping[Side, str] = {
    Side.MERCHANT: "商户方",
    Side.RESIDENT: "居民方",
    Side.PARTY: "社区党组织",
    Side.PROPERTY: "物业",
    Side.DEPARTMENT: "职能部门",
    Side.EXPERT: "专家/律师",
    Side.OTHER: "其他",
}


def side_label(side: Side) -> str:
    return _(SIDE_LABELS[side])


def side_of(kind: ConstituencyKind | None) -> Side:
    return Side(kind.value) if kind is not None else Side.OTHER


def as_uuid(value: str | UUID | None) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


async def scoped(
    db: AsyncSession, model: type[T], council_id: UUID, record_id: UUID | str | None
) -> T:
    """A council's record by id, or NotFound: another council's id is simply missing."""
    wanted = as_uuid(record_id)
    found = None
    if wanted is not None:
        found = await db.scalar(
            sa.select(model).where(
                model.id == wanted,  # type: ignore[attr-defined]
                model.council_id == council_id,  # type: ignore[attr-defined]
            )
        )
    if found is None:
        raise NotFound(_("找不到这个页面"))
    return found


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
