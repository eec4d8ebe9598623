"""Sliding-window counters in the database, so that every process agrees on a limit."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from council.accounts.models import RateCounter
from council.errors import Throttled

BUCKET = dt.timedelta(minutes=5)
HOUR = dt.timedelta(hours=1)
# Retry-After for a limit over the last hour: by then every counted failure has left it.
HOUR_SECONDS = int(HOUR.total_seconds())
# Counters older than this are swept; the longest window counted is an hour.
KEEP = dt.timedelta(days=1)


def bucket_start(now: dt.datetime) -> dt.datetime:
    """The start of the fixed 5-minute window ``now`` falls in."""
    seconds = int(BUCKET.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def seconds_left_in_bucket(now: dt.datetime) -> int:
    """Until the current fixed 5-minute window ends and its counts stop mattering."""
    left = (bucket_start(now) + BUCKET - now).total_seconds()
    return max(1, math.ceil(left))


def address_key(ip: str) -> str:
    """What one client is counted as: its IPv4 address, or the /64 network of an IPv6 one
    (one household or phone gets a whole /64, so single addresses would be free to rotate)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


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
    since = bucket_start(now - period + BUCKET)
    stmt = sa.select(sa.func.coalesce(sa.func.sum(RateCounter.count), 0)).where(
        RateCounter.key == key, RateCounter.window_start >= since
    )
    return int((await db.execute(stmt)).scalar_one())


async def hit(db: AsyncSession, key: str, now: dt.datetime) -> None:
    await _increment(db, key, bucket_start(now))


async def exceeded(
    db: AsyncSession, key: str, limit: int, period: dt.timedelta, now: dt.datetime
) -> bool:
    return await count(db, key, period, now) >= limit


async def within_hourly(
    db: AsyncSession, key: str, limit: int, now: dt.datetime, refusal: str
) -> None:
    """Refuse (429, ``refusal`` as the message) once ``key`` has counted ``limit`` in the last
    hour; no permanent lockout, the oldest counts simply leave the window."""
    if await exceeded(db, key, limit, HOUR, now):
        raise Throttled(refusal, retry_after=HOUR_SECONDS)


async def purge(db: AsyncSession | AsyncConnection, older_than: dt.datetime) -> None:
    await db.execute(sa.delete(RateCounter).where(RateCounter.window_start < older_than))
