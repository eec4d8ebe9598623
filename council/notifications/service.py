"""Notifications: made in the transaction of the event they tell of, read in the app, and
queued for each channel the person chose; the dispatcher delivers them after the commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.db import wake_after
from council.errors import FormInvalid, NotFound
from council.i18n import _
from council.notifications.models import (
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationChannel,
)


async def notify(
    db: AsyncSession,
    council_id: UUID,
    people: Iterable[UUID | None],
    text: str,
    link: str,
    now: dt.datetime,
    *,
    skip: UUID | None = None,
) -> list[Notification]:
    """One notification per person (each once; never ``skip``, who caused it), and one
    pending delivery per channel they enabled. Nothing is sent before the commit."""
    recipients = [p for p in dict.fromkeys(people) if p is not None and p != skip]
    if not recipients:
        return []
    made = [
        Notification(council_id=council_id, person_id=p, text=text[:300], link=link)
        for p in recipients
    ]
    db.add_all(made)
    await db.flush()
    channels = await db.execute(
        sa.select(NotificationChannel).where(
            NotificationChannel.person_id.in_(recipients), NotificationChannel.enabled.is_(True)
        )
    )
    by_person: dict[UUID, list[NotificationChannel]] = {}
    for channel in channels.scalars():
        by_person.setdefault(channel.person_id, []).append(channel)
    deliveries = [
        Delivery(
            council_id=council_id,
            notification_id=n.id,
            person_id=n.person_id,
            kind=c.kind,
            address=c.address,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
        )
        for n in made
        for c in by_person.get(n.person_id, [])
    ]
    if deliveries:
        db.add_all(deliveries)
        wake_after(db, "dispatcher")
    return made


# --- reading --------------------------------------------------------------------------------


async def latest(
    db: AsyncSession, person_id: UUID, *, limit: int = 100
) -> list[tuple[Notification, list[Delivery]]]:
    """The person's latest notifications, newest first, each with its deliveries."""
    rows = list(
        (
            await db.execute(
                sa.select(Notification)
                .where(Notification.person_id == person_id)
                .order_by(Notification.created_at.desc(), Notification.id)
                .limit(limit)
            )
        ).scalars()
    )
    deliveries: dict[UUID, list[Delivery]] = {}
    if rows:
        found = await db.execute(
            sa.select(Delivery).where(Delivery.notification_id.in_([n.id for n in rows]))
        )
        for d in found.scalars():
            deliveries.setdefault(d.notification_id, []).append(d)
    return [(n, deliveries.get(n.id, [])) for n in rows]


async def unread_count(db: AsyncSession, person_id: UUID) -> int:
    stmt = sa.select(sa.func.count(Notification.id)).where(
        Notification.person_id == person_id, Notification.read_at.is_(None)
    )
    return int(await db.scalar(stmt) or 0)


async def mark_read(
    db: AsyncSession, person_id: UUID, now: dt.datetime, notification_id: UUID | None = None
) -> Notification | None:
    """Mark one notification (or, without an id, all of them) read; the one, if given."""
    stmt = sa.update(Notification).where(
        Notification.person_id == person_id, Notification.read_at.is_(None)
    )
    if notification_id is None:
        await db.execute(stmt.values(read_at=now))
        return None
    found = await db.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.person_id == person_id
        )
    )
    if found is None:
        raise NotFound(_("找不到这条通知"))
    if found.read_at is None:
        found.read_at = now
    return found


# --- the person's channels ------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelChoice:
    """What the profile form shows and saves for one channel kind."""

    kind: ChannelKind
    address: str
    enabled: bool


async def channels_of(db: AsyncSession, person_id: UUID) -> dict[ChannelKind, ChannelChoice]:
    rows = await db.execute(
        sa.select(NotificationChannel).where(NotificationChannel.person_id == person_id)
    )
    found = {c.kind: ChannelChoice(c.kind, c.address, c.enabled) for c in rows.scalars()}
    return {k: found.get(k, ChannelChoice(k, "", False)) for k in ChannelKind}


def check_choices(
    choices: Iterable[ChannelChoice],
    offered: Iterable[ChannelKind],
    webhook_prefixes: Iterable[str],
) -> None:
    """Refuse, with a message per field, a channel turned on without a usable address."""
    from council.notifications.channels import address_problem

    offered = set(offered)
    prefixes = tuple(webhook_prefixes)
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for c in choices:
        values[f"{c.kind.value}_address"] = c.address
        values[f"{c.kind.value}_enabled"] = c.enabled
        if c.enabled and c.kind not in offered:
            errors[f"{c.kind.value}_enabled"] = _("本站未开通这种通知方式")
            continue
        if c.enabled or c.address:
            problem = address_problem(c.kind, c.address, prefixes)
            if problem:
                errors[f"{c.kind.value}_address"] = problem
    if errors:
        raise FormInvalid(errors, values)


async def save_channels(
    db: AsyncSession, person_id: UUID, choices: Iterable[ChannelChoice]
) -> None:
    """Store the person's channels as checked by ``check_choices``."""
    existing = {
        c.kind: c
        for c in (
            await db.execute(
                sa.select(NotificationChannel).where(NotificationChannel.person_id == person_id)
            )
        ).scalars()
    }
    for choice in choices:
        row = existing.get(choice.kind)
        if row is None and not choice.address:
            continue
        if row is None:
            db.add(
                NotificationChannel(
                    person_id=person_id,
                    kind=choice.kind,
                    address=choice.address,
                    enabled=choice.enabled,
                )
            )
        else:
            row.address = choice.address
            row.enabled = choice.enabled and bool(choice.address)
    await db.flush()
