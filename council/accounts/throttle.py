"""Sliding-window counters in the database, so that every process agrees on a limit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import RateCounter

BUCKET = dt.timedelta(minutes=5)


def _bucket_start(now: dt.datetime) -> dt.datetime:
    seconds = int(BUCKET.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


async def _increment(db: AsyncSession, key: str, window_start: dt.datetime) -> None:
    """INSERT … ON CONFLICT DO UPDATE: atomic on SQLite and PostgreSQL alike."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(RateCounter).values(key=key, window_start=window_start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateCounter.key, RateCounter.window_start],
        set_={"count": RateCounter.count + 1},
    )
    await db.execute(stmt)


async def count(db: AsyncSession, key: str, period: dt.timedelta, now: dt.datetime) -> int:
    since = _bucket_start(now - period + BUCKET)
    stmt = sa.select(sa.func.coalesce(sa.func.sum(RateCounter.count), 0)).where(
        RateCounter.key == key, RateCounter.window_start >= since
    )
    return int((await db.execute(stmt)).scalar_one())


async def hit(db: AsyncSession, key: str, now: dt.datetime) -> None:
    await _increment(db, key, _bucket_start(now))


async def exceeded(
    db: AsyncSession, key: str, limit: int, period: dt.timedelta, now: dt.datetime
) -> bool:
    return await count(db, key, period, now) >= limit


async def purge(db: AsyncSession, older_than: dt.datetime) -> None:
    await db.execute(sa.delete(RateCounter).where(RateCounter.window_start < older_than))
