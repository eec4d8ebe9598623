"""The points ledger under 50 concurrent redemptions against one balance, each in its own
session and transaction as a request would be, on SQLite (BEGIN IMMEDIATE) and PostgreSQL
(the balance row locked FOR UPDATE): nothing lost, nothing counted twice."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.councils.permissions import Actor
from council.db import alchemy_config, create_engine
from council.errors import StateRefused
from council.programmes import service_points as points
from council.programmes.kinds import EntryKind
from council.programmes.models import PointBalance, PointEntry, Redemption
from council.settings import Settings
from tests.programmes_support import AFTER_AWARD_NOTICE, world
from tests.voting_crowd import Crowd, all_at_once

COST = 10
STARTING = 100  # room for exactly 10 redemptions


async def test_points_50_concurrent_redemptions_against_one_balance_neither_lose_nor_double(
    settings: Settings, db: AsyncSession
) -> None:
    w = await world(db)
    chen = await w.resident("chenayi", "陈阿姨")
    await w.earn_and_credit(chen, "街区志愿服务年度奖励", STARTING)
    offer = await w.offer("7", "修鞋", COST)
    audit_before = await db.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "points.redeemed")
    )
    await db.commit()
    council, offer_id = w.council, offer.id

    config = alchemy_config(settings, create_engine(settings))
    group = Crowd(config, council, Actor())
    try:

        def redeem(who: Actor) -> object:
            return group.run(lambda s: points.redeem(s, who, council, offer_id, AFTER_AWARD_NOTICE))

        outcome = await all_at_once([redeem(chen) for _ in range(50)])  # type: ignore[misc]
    finally:
        await group.dispose()

    assert outcome.errors == []
    assert len(outcome.accepted) == STARTING // COST
    assert len(outcome.refused) == 50 - STARTING // COST
    assert all(isinstance(r, StateRefused) for r in outcome.refused)
    assert all("积分不足：余额 0 分" in " ".join(r.errors.values()) for r in outcome.refused)  # type: ignore[attr-defined]

    await db.rollback()  # a fresh snapshot: see what the crowd committed
    entries = list(
        (
            await db.execute(
                sa.select(PointEntry)
                .where(PointEntry.person_id == chen.person_id)
                .order_by(PointEntry.seq)
            )
        ).scalars()
    )
    assert [e.seq for e in entries] == list(range(1, 12))  # numbered without gap or repeat
    assert [e.kind for e in entries] == [EntryKind.AWARD] + [EntryKind.REDEMPTION] * 10
    running = 0
    for entry in entries:
        running += entry.amount
        assert entry.balance_after == running  # every entry saw the one before it
    balance = await db.scalar(
        sa.select(PointBalance.balance).where(PointBalance.person_id == chen.person_id)
    )
    assert balance == running == 0
    redeemed = await db.scalar(
        sa.select(sa.func.count(Redemption.id)).where(Redemption.person_id == chen.person_id)
    )
    assert redeemed == 10
    audited = await db.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "points.redeemed")
    )
    assert audited == (audit_before or 0) + 10
