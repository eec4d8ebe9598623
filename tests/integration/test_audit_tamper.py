"""S6/S7: rows edited, deleted or reordered directly in the database are named by verify()."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.audit.models import AuditEntry
from council.councils.models import Council


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
