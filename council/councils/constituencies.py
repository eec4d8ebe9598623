"""A council's shape: its constituencies (界别) and their seats, added, renamed and resized by
the facilitator. Each state is kept from the moment it applied (ConstituencyChange), so a past
ballot reads with the names and seats it was held under; a ballot's electorate itself is
frozen when it opens and never follows a later change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.councils.models import (
    ClaimStatus,
    Constituency,
    ConstituencyChange,
    ConstituencyKind,
    Council,
    Membership,
    Role,
)
from council.councils.permissions import Action, Actor, can
from council.errors import FormInvalid, NotAllowed, NotFound
from council.i18n import N_, _

KIND_LABELS = {
    ConstituencyKind.MERCHANT: N_("商户"),
    ConstituencyKind.RESIDENT: N_("居民"),
    ConstituencyKind.PARTY: N_("社区党组织"),
    ConstituencyKind.PROPERTY: N_("物业"),
    ConstituencyKind.DEPARTMENT: N_("职能部门"),
    ConstituencyKind.EXPERT: N_("专家/律师"),
}
Seats = Annotated[int, msgspec.Meta(ge=1, le=99)]


class ConstituencyForm(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    seats: Seats
    kind: ConstituencyKind = ConstituencyKind.EXPERT


def _check(actor: Actor, council: Council) -> None:
    if not can(actor, Action.MANAGE_MEMBERS, council.id):
        raise NotAllowed(_("只有主持人可以调整界别和席位"))


async def _name_taken(
    db: AsyncSession, council: Council, name: str, other_than: UUID | None = None
) -> bool:
    stmt = sa.select(Constituency.id).where(
        Constituency.council_id == council.id, Constituency.name == name
    )
    if other_than is not None:
        stmt = stmt.where(Constituency.id != other_than)
    return await db.scalar(stmt) is not None


async def seated(db: AsyncSession, constituency_id: UUID) -> int:
    """Members who hold a seat of this constituency now."""
    count = await db.scalar(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.constituency_id == constituency_id,
            Membership.role == Role.MEMBER,
            Membership.status == ClaimStatus.VERIFIED,
        )
    )
    return int(count or 0)


def _record(c: Constituency, at: dt.datetime, by: UUID | None) -> ConstituencyChange:
    return ConstituencyChange(
        council_id=c.council_id,
        constituency_id=c.id,
        name=c.name,
        seats=c.seats,
        changed_at=at,
        changed_by_id=by,
    )


async def add(
    db: AsyncSession, actor: Actor, council: Council, form: ConstituencyForm, now: dt.datetime
) -> Constituency:
    _check(actor, council)
    values = {"name": form.name, "seats": form.seats, "kind": form.kind.value}
    if await _name_taken(db, council, form.name):
        raise FormInvalid({"name": _("本议事会已有名为“%(name)s”的界别", name=form.name)}, values)
    last = await db.scalar(
        sa.select(sa.func.max(Constituency.position)).where(Constituency.council_id == council.id)
    )
    made = Constituency(
        council_id=council.id,
        kind=form.kind,
        name=form.name,
        seats=form.seats,
        position=int(last if last is not None else -1) + 1,
    )
    db.add(made)
    await db.flush()
    db.add(_record(made, now, actor.person_id))
    await audit.record_by(
        db,
        actor,
        council.id,
        "constituency.added",
        ("constituency", made.id),
        {"name": made.name, "seats": made.seats},
        at=now,
    )
    return made


async def change(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    constituency_id: UUID,
    form: ConstituencyForm,
    now: dt.datetime,
) -> Constituency:
    """Rename or resize; never below the seats already held."""
    _check(actor, council)
    found = await db.scalar(
        sa.select(Constituency).where(
            Constituency.id == constituency_id, Constituency.council_id == council.id
        )
    )
    if found is None:
        raise NotFound(_("找不到这个界别"))
    values = {"name": form.name, "seats": form.seats}
    errors: dict[str, str] = {}
    if await _name_taken(db, council, form.name, other_than=found.id):
        errors["name"] = _("本议事会已有名为“%(name)s”的界别", name=form.name)
    held = await seated(db, found.id)
    if form.seats < held:
        errors["seats"] = _("已有 %(n)s 位代表在此界别，席位不能少于 %(n)s", n=held)
    if not errors and (form.name, form.seats) == (found.name, found.seats):
        errors["name"] = _("名称和席位都没有改变")
    if errors:
        raise FormInvalid(errors, values)
    has_history = await db.scalar(
        sa.select(ConstituencyChange.id).where(ConstituencyChange.constituency_id == found.id)
    )
    if has_history is None:
        # What it was since the council was set up, before this first change.
        db.add(_record(found, min(found.created_at, now), None))
    before = {"name": found.name, "seats": found.seats}
    found.name, found.seats = form.name, form.seats
    db.add(_record(found, now, actor.person_id))
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "constituency.changed",
        ("constituency", found.id),
        {"before": before, "after": {"name": found.name, "seats": found.seats}},
        at=now,
    )
    return found


async def history(db: AsyncSession, council_id: UUID) -> dict[UUID, list[ConstituencyChange]]:
    rows = await db.scalars(
        sa.select(ConstituencyChange)
        .where(ConstituencyChange.council_id == council_id)
        .order_by(ConstituencyChange.changed_at)
    )
    found: dict[UUID, list[ConstituencyChange]] = {}
    for row in rows:
        found.setdefault(row.constituency_id, []).append(row)
    return found


async def as_of(
    db: AsyncSession, constituency_ids: Iterable[UUID], moment: dt.datetime | None
) -> list[tuple[str, int]]:
    """(name, seats) of each constituency as it stood at ``moment`` (None: now): its latest
    change before then, else its earliest record (the state before its first change), else
    as it is (it has never changed)."""
    wanted = list(constituency_ids)
    current = {
        c.id: c
        for c in await db.scalars(sa.select(Constituency).where(Constituency.id.in_(wanted)))
    }
    shown = []
    for cid in wanted:
        changes = sa.select(ConstituencyChange).where(ConstituencyChange.constituency_id == cid)
        row = None
        if moment is not None:
            row = await db.scalar(
                changes.where(ConstituencyChange.changed_at <= moment)
                .order_by(ConstituencyChange.changed_at.desc())
                .limit(1)
            )
            # Before its first change it was what that change's origin row records.
            row = row or await db.scalar(changes.order_by(ConstituencyChange.changed_at).limit(1))
        if row is not None:
            shown.append((row.name, row.seats))
        elif cid in current:
            shown.append((current[cid].name, current[cid].seats))
    return shown
