"""What every consultation service shares: council-scoped lookups and audit entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.consultations.models import Side
from council.councils.models import ConstituencyKind, Council
from council.councils.permissions import Action, Actor, can
from council.errors import NotAllowed, NotFound
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


def require(actor: Actor, action: Action, council: Council, message: str) -> None:
    """Refuse with 404 to strangers and 403 to the council's own people without the right."""
    if can(actor, action, council.id):
        return
    if not actor.signed_in or not actor.roles_in(council.id):
        raise NotFound(_("找不到这个页面"))
    raise NotAllowed(message)


async def record(
    db: AsyncSession,
    actor: Actor,
    council_id: UUID,
    action: str,
    object_type: str,
    object_id: UUID,
    summary: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    await audit.record(
        db,
        council_id=council_id,
        actor_id=actor.person_id,
        actor_label=actor.display_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        at=now,
    )


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
