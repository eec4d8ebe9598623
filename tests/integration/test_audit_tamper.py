"""S6/S7: rows edited, deleted or reordered directly in the database are named by verify(),
and by the audit page's verifier that starts from a stored checkpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.audit.models import AuditCheckpoint, AuditEntry
from council.councils.models import Council
from council.db import alchemy_config, create_engine
from council.settings import Settings


async def _council_id(db: AsyncSession) -> object:
    return await db.scalar(sa.select(Council.id).where(Council.slug == "zhonglou"))


async def test_demo_chain_verifies(db: AsyncSession) -> None:
    verdict = await audit.verify_chain(db, await _council_id(db))
    assert verdict.ok and verdict.entries > 100


async def test_S6_updated_row_is_named(db: AsyncSession) -> None:
    council_id = await _council_id(db)
    await db.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 7)
        .values(actor_label="某人")
    )
    await db.commit()
    verdict = await audit.verify_chain(db, council_id)
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (7, "altered")


async def test_S7_deleted_row_is_named(db: AsyncSession) -> None:
    council_id = await _council_id(db)
    await db.execute(
        sa.delete(AuditEntry).where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 12)
    )
    await db.commit()
    verdict = await audit.verify_chain(db, council_id)
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (13, "missing")


async def test_S7_truncated_tail_breaks_against_the_head(db: AsyncSession) -> None:
    council_id = await _council_id(db)
    last = await db.scalar(
        sa.select(sa.func.max(AuditEntry.seq)).where(AuditEntry.chain == council_id.hex)
    )
    await db.execute(
        sa.delete(AuditEntry).where(AuditEntry.chain == council_id.hex, AuditEntry.seq == last)
    )
    await db.commit()
    verdict = await audit.verify_chain(db, council_id)
    assert not verdict.ok and verdict.breaks[-1].reason == "head"


async def test_reordered_rows_are_named(db: AsyncSession) -> None:
    council_id = await _council_id(db)
    chain = council_id.hex
    # Swap the positions of entries 4 and 5 (through a free number, for the unique constraint).
    for old, new in ((4, -1), (5, 4), (-1, 5)):
        await db.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.chain == chain, AuditEntry.seq == old)
            .values(seq=new)
        )
    await db.commit()
    verdict = await audit.verify_chain(db, council_id)
    assert verdict.first_break is not None and verdict.first_break.seq == 4


async def test_audit_page_shows_the_break_publicly(client, db: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    council_id = await _council_id(db)
    await db.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 3)
        .values(summary="{}")
    )
    await db.commit()
    response = await client.get("/c/zhonglou/audit")
    assert response.status_code == 200
    assert "校验失败" in response.text and "第 3 条：内容被改动" in response.text


# --- the checkpointed verifier (the audit page) ----------------------------------------------


@pytest.fixture
async def writer(settings: Settings) -> AsyncIterator[audit.SessionFactory]:
    """Sessions of their own, as the audit page stores a checkpoint through."""
    engine = create_engine(settings, pooled=False)
    yield alchemy_config(settings, engine).get_session
    await engine.dispose()


async def _checkpointed(db: AsyncSession, writer: audit.SessionFactory) -> object:
    """The demo chain verified once through the page's verifier, which leaves a checkpoint."""
    council_id = await _council_id(db)
    verdict = await audit.checked_verdict(db, council_id, writer)
    await db.rollback()
    stored = await db.scalar(
        sa.select(AuditCheckpoint.seq).where(AuditCheckpoint.chain == council_id.hex)
    )
    assert verdict.ok and stored == verdict.entries
    return council_id


async def test_checkpoint_verdict_equals_the_full_one(
    db: AsyncSession, writer: audit.SessionFactory
) -> None:
    council_id = await _checkpointed(db, writer)
    again = await audit.checked_verdict(db, council_id, writer)
    assert again == await audit.verify_chain(db, council_id)


async def test_S6_entry_edited_behind_the_checkpoint_is_named(
    db: AsyncSession, writer: audit.SessionFactory
) -> None:
    council_id = await _checkpointed(db, writer)
    await db.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 7)
        .values(actor_label="某人")
    )
    await db.commit()
    verdict = await audit.checked_verdict(db, council_id, writer)
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (7, "altered")


async def test_S7_entry_deleted_behind_the_checkpoint_is_named(
    db: AsyncSession, writer: audit.SessionFactory
) -> None:
    council_id = await _checkpointed(db, writer)
    await db.execute(
        sa.delete(AuditEntry).where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 12)
    )
    await db.commit()
    verdict = await audit.checked_verdict(db, council_id, writer)
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (13, "missing")


async def test_entries_reordered_behind_the_checkpoint_are_named(
    db: AsyncSession, writer: audit.SessionFactory
) -> None:
    council_id = await _checkpointed(db, writer)
    for old, new in ((4, -1), (5, 4), (-1, 5)):
        await db.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.chain == council_id.hex, AuditEntry.seq == old)
            .values(seq=new)
        )
    await db.commit()
    verdict = await audit.checked_verdict(db, council_id, writer)
    assert verdict.first_break is not None and verdict.first_break.seq == 4


async def test_S7_deletion_with_the_triggers_off_is_named(
    db: AsyncSession, writer: audit.SessionFactory, engine_name: str
) -> None:
    """Whoever can drop the triggers can delete without losing the checkpoint; the entries
    up to it no longer number as many as its position, and the whole chain is read again."""
    council_id = await _checkpointed(db, writer)
    if engine_name == "postgresql":
        await db.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
    else:
        await db.execute(sa.text("DROP TRIGGER audit_entry_deleted_drops_checkpoint"))
    await db.execute(
        sa.delete(AuditEntry).where(AuditEntry.chain == council_id.hex, AuditEntry.seq == 12)
    )
    await db.commit()
    assert await db.scalar(
        sa.select(AuditCheckpoint.seq).where(AuditCheckpoint.chain == council_id.hex)
    )
    verdict = await audit.checked_verdict(db, council_id, writer)
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (13, "missing")


async def test_new_entries_after_the_checkpoint_are_verified(
    db: AsyncSession, writer: audit.SessionFactory
) -> None:
    """An entry appended after the checkpoint and then forged is named by its number."""
    council_id = await _checkpointed(db, writer)
    entry = await audit.record(
        db,
        council_id=council_id,
        actor_id=None,
        actor_label="主持人",
        action="council.settings_changed",
        object_type="council",
        object_id=council_id,
    )
    await db.commit()
    await db.execute(
        sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(summary='{"forged":1}')
    )
    await db.commit()
    verdict = await audit.checked_verdict(db, council_id, writer)
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (entry.seq, "altered")
