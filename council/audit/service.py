"""Writes audit entries in the caller's transaction and verifies chains from the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.chain import GENESIS, EntryFacts, Verdict, canonical_json, entry_hash, verify
from council.audit.models import AuditEntry, AuditHead
from council.orm import utcnow

PLATFORM_CHAIN = "platform"


def chain_for(council_id: UUID | None) -> str:
    return PLATFORM_CHAIN if council_id is None else council_id.hex


async def record(
    db: AsyncSession,
    *,
    council_id: UUID | None,
    actor_id: UUID | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: UUID | str,
    summary: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry to the council's chain, inside the caller's transaction.

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite writers are already serialised
    by BEGIN IMMEDIATE), so concurrent appends queue instead of forking the chain.
    """
    chain = chain_for(council_id)
    head = await _locked_head(db, chain)
    facts = EntryFacts(
        chain=chain,
        seq=head.seq + 1,
        occurred_at=at or utcnow(),
        actor_id=actor_id.hex if actor_id else "",
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id.hex if isinstance(object_id, UUID) else str(object_id),
        summary=canonical_json(dict(summary or {})),
        prev_hash=head.hash,
    )
    digest = entry_hash(facts)
    entry = AuditEntry(
        chain=chain,
        council_id=council_id,
        seq=facts.seq,
        occurred_at=facts.occurred_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=facts.object_id,
        summary=facts.summary,
        prev_hash=facts.prev_hash,
        hash=digest,
    )
    db.add(entry)
    head.seq = facts.seq
    head.hash = digest
    await db.flush()
    return entry


async def _locked_head(db: AsyncSession, chain: str) -> AuditHead:
    stmt = sa.select(AuditHead).where(AuditHead.chain == chain).with_for_update()
    head = (await db.execute(stmt)).scalar_one_or_none()
    if head is None:
        # Two first appends may race to create the head: the unique constraint lets one win
        # and the loser's transaction fails cleanly and is retried by its caller.
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        db.add(head)
        await db.flush()
    return head


class Acting(Protocol):
    """Whoever acts: an Actor of the permission module, or anything shaped like it."""

    @property
    def person_id(self) -> UUID | None: ...

    @property
    def display_name(self) -> str: ...


async def record_by(
    db: AsyncSession,
    actor: Acting,
    council_id: UUID | None,
    action: str,
    obj: tuple[str, UUID | str],
    summary: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """``record`` for the usual case: the acting person does ``action`` on ``(type, id)``."""
    object_type, object_id = obj
    return await record(
        db,
        council_id=council_id,
        actor_id=actor.person_id,
        actor_label=actor.display_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        at=at,
    )


def facts_of(entry: AuditEntry) -> EntryFacts:
    return EntryFacts(
        chain=entry.chain,
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor_id=entry.actor_id.hex if entry.actor_id else "",
        actor_label=entry.actor_label,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        summary=entry.summary,
        prev_hash=entry.prev_hash,
    )


async def verify_chain(
    db: AsyncSession, council_id: UUID | None, published_head: Mapping[str, Any] | None = None
) -> Verdict:
    """Recompute the chain; the stored head row is used unless a published head is given."""
    chain = chain_for(council_id)
    rows = (
        await db.execute(
            sa.select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
        )
    ).scalars()
    if published_head is None:
        head = (
            await db.execute(sa.select(AuditHead).where(AuditHead.chain == chain))
        ).scalar_one_or_none()
        published_head = (
            {"seq": head.seq, "hash": head.hash} if head else {"seq": 0, "hash": GENESIS}
        )
    return verify(chain, ((facts_of(e), e.hash) for e in rows), published_head)


async def entries(
    db: AsyncSession, council_id: UUID | None, *, limit: int = 50, before_seq: int | None = None
) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).where(AuditEntry.chain == chain_for(council_id))
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    stmt = stmt.order_by(AuditEntry.seq.desc()).limit(limit)
    return list((await db.execute(stmt)).scalars())
