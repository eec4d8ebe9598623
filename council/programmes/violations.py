"""Verified violations against shops: what downgrades a shop in the 文明诚信商户 rating.

One named query, so that every source of violations joins in one place: today a failed 外摆
inspection; closed work orders against a shop (随手拍, 转办) join here when the work-order
room lands, with ``integrity`` set for 诚信 categories (短斤少两, 价格欺诈)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.programmes.models import Inspection
from council.programmes.ratings import Violations


@dataclass(frozen=True)
class Violation:
    shop_id: UUID
    at: dt.datetime
    source: str  # "inspection" (later also "work_order")
    record_id: UUID
    integrity: bool  # a 诚信 violation bars the shop from the 流动红旗 that quarter


async def verified_violations(
    db: AsyncSession, council_id: UUID, since: dt.datetime, until: dt.datetime
) -> list[Violation]:
    """Every verified violation against a shop of the council in [since, until)."""
    failed = await db.execute(
        sa.select(Inspection.id, Inspection.shop_id, Inspection.inspected_at).where(
            Inspection.council_id == council_id,
            Inspection.passed.is_(False),
            Inspection.inspected_at >= since,
            Inspection.inspected_at < until,
        )
    )
    found = [
        Violation(shop_id, at, "inspection", record_id, integrity=False)
        for record_id, shop_id, at in failed
    ]
    return sorted(found, key=lambda v: v.at)


def tally(violations: Iterable[Violation]) -> dict[UUID, Violations]:
    """Per shop: how many, and how many of them 诚信."""
    counts: dict[UUID, list[int]] = {}
    for v in violations:
        count = counts.setdefault(v.shop_id, [0, 0])
        count[0] += 1
        count[1] += int(v.integrity)
    return {shop: Violations(c[0], c[1]) for shop, c in counts.items()}
