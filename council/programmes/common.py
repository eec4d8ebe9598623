"""What every programme service shares: settings, shops, local days, refusals and audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.consultations.common import as_uuid, scoped
from council.consultations.service_plans import owned_shop_ids
from council.councils.models import Council, Shop
from council.councils.permissions import Actor
from council.councils.service import street_order
from council.errors import FormRefused, NotFound, StateRefused, TransitionRefused
from council.i18n import _
from council.programmes.models import ProgrammeSettings

T = TypeVar("T")
SHOP_NUMBER = re.compile(r"[A-Za-z0-9\-]{1,20}")  # as councils.schemas.ShopNumber allows

__all__ = [
    "as_uuid",
    "owned_shop_ids",
    "scoped",
]


async def settings_of(db: AsyncSession, council: Council) -> ProgrammeSettings:
    """The council's programme settings; the defaults until a facilitator changes them."""
    found = await db.scalar(
        sa.select(ProgrammeSettings).where(ProgrammeSettings.council_id == council.id)
    )
    return found or ProgrammeSettings(
        council_id=council.id, point_value_fen=100, award_notice_days=3
    )


async def shops_in_order(db: AsyncSession, council_id: UUID) -> list[Shop]:
    rows = await db.execute(sa.select(Shop).where(Shop.council_id == council_id))
    return sorted(rows.scalars(), key=lambda s: street_order(s.number))


async def shop_by_number(db: AsyncSession, council_id: UUID, number: str) -> Shop:
    shop = await db.scalar(
        sa.select(Shop).where(Shop.council_id == council_id, Shop.number == number)
    )
    if shop is None:
        raise NotFound(_("找不到这家店铺"))
    return shop


async def shop_names(db: AsyncSession, council_id: UUID) -> dict[UUID, Shop]:
    return {s.id: s for s in await shops_in_order(db, council_id)}


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    return now.astimezone(ZoneInfo(timezone)).date()


def local_text(moment: dt.datetime, timezone: str) -> str:
    """As the pages show a moment: local time, to the minute."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def local_moment(value: str, timezone: str) -> dt.datetime | None:
    """ "YYYY-MM-DD HH:MM" (or with a T) in the council's time zone, as UTC."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("T", " "))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return None
    try:
        return moment.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)
    except OverflowError:  # the first hours of year 1, east of Greenwich
        return None


def day_start(day: dt.date, timezone: str) -> dt.datetime:
    """The UTC instant a local day begins."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def refuse(
    message: str, field: str = "_form", values: Mapping[str, object] | None = None
) -> NoReturn:
    """A form whose move the rules do not allow now: shown again in place, with a 409."""
    raise StateRefused(TransitionRefused(message), field, values)


def forbid(
    message: str, field: str = "_form", values: Mapping[str, object] | None = None
) -> NoReturn:
    """A form this person may not submit: shown again in place, with a 403."""
    raise FormRefused({field: message}, values)


async def record(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    action: str,
    obj: tuple[str, UUID],
    now: dt.datetime,
    **summary: Any,
) -> None:
    await audit.record_by(db, actor, council.id, action, obj, summary, at=now)
