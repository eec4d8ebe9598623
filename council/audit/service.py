"""Writes audit entries in the caller's transaction and verifies chains from the database."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.chain import (
    GENESIS,
    START,
    Anchor,
    EntryFacts,
    Verdict,
    canonical_json,
    entry_hash,
    verify,
)
from council.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from council.db import write_intent
from council.orm import utcnow

log = logging.getLogger("council.audit")

PLATFORM_CHAIN = "platform"


def chain_for(council_id: UUID | None) -> str:
    return PLATFORM_CHAIN if council_id is None else council_id.hex


@dataclass(frozen=True)
class NewEntry:
    """What an entry will assert, before it has a place in its chain."""

    council_id: UUID | None
    actor_id: UUID | None
    actor_label: str
    action: str
    object_type: str
    object_id: UUID | str
    summary: Mapping[str, Any]
    at: dt.datetime


@dataclass(frozen=True)
class Appended:
    """An entry as stored: its row, its place in the chain and its hash."""

    id: UUID
    chain: str
    seq: int
    hash: str


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
) -> Appended:
    """Append one entry to the council's chain, inside the caller's transaction."""
    entry = NewEntry(
        council_id,
        actor_id,
        actor_label,
        action,
        object_type,
        object_id,
        summary or {},
        at or utcnow(),
    )
    (appended,) = await append(db, [entry])
    return appended


async def append(db: AsyncSession, entries: Sequence[NewEntry]) -> list[Appended]:
    """Append ``entries`` in their order to their councils' chains, inside the caller's
    transaction: each chain's head is locked and moved once, and the entries go in as one
    statement, however many there are (a batch of votes costs what one vote does).

    The head rows are locked (FOR UPDATE on PostgreSQL; SQLite writers are already serialised
    by BEGIN IMMEDIATE), so concurrent appends queue instead of forking the chain."""
    heads = await _locked_heads(db, sorted({chain_for(e.council_id) for e in entries}))
    rows: list[dict[str, Any]] = []
    appended: list[Appended] = []
    for entry in entries:
        chain = chain_for(entry.council_id)
        seq, prev_hash = heads[chain]
        facts = EntryFacts(
            chain=chain,
            seq=seq + 1,
            occurred_at=entry.at,
            actor_id=entry.actor_id.hex if entry.actor_id else "",
            actor_label=entry.actor_label,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id.hex
            if isinstance(entry.object_id, UUID)
            else str(entry.object_id),
            summary=canonical_json(dict(entry.summary)),
            prev_hash=prev_hash,
        )
        digest = entry_hash(facts)
        heads[chain] = (facts.seq, digest)
        row_id = uuid4()
        rows.append(
            {
                "id": row_id,
                "chain": chain,
                "council_id": entry.council_id,
                "seq": facts.seq,
                "occurred_at": facts.occurred_at,
                "actor_id": entry.actor_id,
                "actor_label": facts.actor_label,
                "action": facts.action,
                "object_type": facts.object_type,
                "object_id": facts.object_id,
                "summary": facts.summary,
                "prev_hash": facts.prev_hash,
                "hash": digest,
            }
        )
        appended.append(Appended(row_id, chain, facts.seq, digest))
    if rows:
        await db.execute(sa.insert(AuditEntry), rows)
    for chain in sorted({a.chain for a in appended}):
        seq, digest = heads[chain]
        await db.execute(
            sa.update(AuditHead).where(AuditHead.chain == chain).values(seq=seq, hash=digest)
        )
    return appended


async def _locked_heads(db: AsyncSession, chains: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Each chain's head (seq, hash), locked in chain order so that two appenders never wait
    for each other the other way round."""
    stmt = (
        sa.select(AuditHead.chain, AuditHead.seq, AuditHead.hash)
        .where(AuditHead.chain.in_(chains))
        .order_by(AuditHead.chain)
        .with_for_update()
    )
    heads = {row.chain: (row.seq, row.hash) for row in await db.execute(stmt)}
    for chain in chains:
        if chain not in heads:
            # Two first appends may race to create the head: the unique constraint lets one
            # win and the loser's transaction fails cleanly and is retried by its caller.
            await db.execute(
                sa.insert(AuditHead).values(id=uuid4(), chain=chain, seq=0, hash=GENESIS)
            )
            heads[chain] = (0, GENESIS)
    return heads


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
) -> Appended:
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


def facts_of(entry: Any) -> EntryFacts:
    """The facts of an entry, from the model or from a row of ``FACT_COLUMNS``."""
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


# What the hash covers and the stored hash: rows, not objects, for the thousands a chain holds.
FACT_COLUMNS = (
    AuditEntry.chain,
    AuditEntry.seq,
    AuditEntry.occurred_at,
    AuditEntry.actor_id,
    AuditEntry.actor_label,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.summary,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


async def head_of(db: AsyncSession, chain: str) -> dict[str, Any]:
    head = (
        await db.execute(sa.select(AuditHead.seq, AuditHead.hash).where(AuditHead.chain == chain))
    ).one_or_none()
    return {"seq": head.seq, "hash": head.hash} if head else {"seq": 0, "hash": GENESIS}


async def _verify_from(
    db: AsyncSession, chain: str, published_head: Mapping[str, Any], after: Anchor = START
) -> Verdict:
    rows = await db.execute(
        sa.select(*FACT_COLUMNS)
        .where(AuditEntry.chain == chain, AuditEntry.seq > after.seq)
        .order_by(AuditEntry.seq)
    )
    return verify(chain, ((facts_of(r), r.hash) for r in rows), published_head, after)


async def verify_chain(
    db: AsyncSession, council_id: UUID | None, published_head: Mapping[str, Any] | None = None
) -> Verdict:
    """Recompute the whole chain; the stored head row is used unless a published head is given.
    Restore and `database verify` use this: they trust no checkpoint."""
    chain = chain_for(council_id)
    return await _verify_from(db, chain, published_head or await head_of(db, chain))


# A checkpoint moves on once this many new entries verified: a page view writes rarely.
CHECKPOINT_EVERY = 50

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def _checkpoint(db: AsyncSession, chain: str) -> Anchor | None:
    """The chain's checkpoint if its entries still fit it: as many entries up to it as its
    number, the last with its hash. Triggers drop it on any change to an entry; this catches
    what a change made with the triggers off left behind, at the cost of one indexed count."""
    point = (
        await db.execute(
            sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash).where(
                AuditCheckpoint.chain == chain
            )
        )
    ).one_or_none()
    if point is None:
        return None
    # The count reads the (chain, seq) index alone and the anchor is one lookup in it: a
    # whole-row read per entry would grow with the chain.
    anchor = (
        sa.select(AuditEntry.hash)
        .where(AuditEntry.chain == chain, AuditEntry.seq == point.seq)
        .scalar_subquery()
    )
    count, anchor_hash = (
        await db.execute(
            sa.select(sa.func.count(), anchor).where(
                AuditEntry.chain == chain, AuditEntry.seq <= point.seq
            )
        )
    ).one()
    if count != point.seq or anchor_hash != point.hash:
        log.warning("audit chain %s no longer fits its checkpoint at %s", chain, point.seq)
        return None
    return Anchor(point.seq, point.hash)


async def checked_verdict(
    db: AsyncSession, council_id: UUID | None, writer: SessionFactory | None = None
) -> Verdict:
    """The chain's verdict, verifying only the entries after its checkpoint.

    When that tail holds CHECKPOINT_EVERY entries or more and verifies, the checkpoint moves
    to its end, written through ``writer`` (a session of its own: the caller's may be a
    read-only request). A break anywhere is named as by ``verify_chain``."""
    chain = chain_for(council_id)
    head = await head_of(db, chain)
    after = await _checkpoint(db, chain) or START
    verdict = await _verify_from(db, chain, head, after)
    if verdict.ok and writer is not None and verdict.entries - after.seq >= CHECKPOINT_EVERY:
        await _store_checkpoint(writer, chain, Anchor(verdict.entries, verdict.head_hash))
    return verdict


async def _store_checkpoint(writer: SessionFactory, chain: str, point: Anchor) -> None:
    """Move the checkpoint forward (never back); a failure only costs the next page a
    longer verification."""
    try:
        with write_intent(True):
            async with writer() as db:
                dialect = db.get_bind().dialect.name
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                stmt = insert(AuditCheckpoint).values(chain=chain, seq=point.seq, hash=point.hash)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[AuditCheckpoint.chain],
                    set_={"seq": stmt.excluded.seq, "hash": stmt.excluded.hash},
                    where=AuditCheckpoint.seq < stmt.excluded.seq,
                )
                await db.execute(stmt)
                await db.commit()
    except Exception:
        log.warning("could not store the checkpoint of audit chain %s", chain, exc_info=True)


async def entries(
    db: AsyncSession,
    council_id: UUID | None,
    *,
    limit: int = 50,
    before_seq: int | None = None,
    object_types: Collection[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` entries before ``before_seq``, of these object types (all when
    none given), that occurred in [since, until)."""
    stmt = sa.select(AuditEntry).where(AuditEntry.chain == chain_for(council_id))
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    if object_types:
        stmt = stmt.where(AuditEntry.object_type.in_(sorted(object_types)))
    if since is not None:
        stmt = stmt.where(AuditEntry.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.occurred_at < until)
    stmt = stmt.order_by(AuditEntry.seq.desc()).limit(limit)
    return list((await db.execute(stmt)).scalars())
