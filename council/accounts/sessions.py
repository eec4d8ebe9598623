"""Signed-in sessions and roles cached per process, checked against the person's auth version.

Looking a session up costs a join and a read of every membership; this keeps the answer per
token and asks the database one thing per request: the person's ``auth_version``. Database
triggers (migration 0011authversion) raise it whenever anything the answer depends on
changes, whoever writes it: a membership granted, ended or edited, a session deleted (sign-out,
password change) or altered, the person disabled, made admin or renamed. So sign-out and a
role change are refused on the very next request, in every process.

The idle clock needs no write per request either: a session is touched at most once a minute
(the grain of the idle limit), and the touches of a process are written together, at most
every TOUCH_FLUSH_SECONDS. A process that has not seen the latest touch reads the newest it
knows of, its own or the database's; at worst it is that many seconds behind another's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from council.accounts import service
from council.accounts.models import Person, WebSession
from council.councils.permissions import Actor
from council.db import write_intent
from council.settings import Settings

log = logging.getLogger("council.sessions")

TOUCH_EVERY = dt.timedelta(minutes=1)
TOUCH_FLUSH_SECONDS = 30.0
CAPACITY = 20_000  # sessions kept per process; the least recently used go first

AUTH_VERSION = sa.select(Person.auth_version).where(Person.id == sa.bindparam("person_id"))
TOUCH = (
    sa.update(WebSession)
    .where(WebSession.id == sa.bindparam("sid"), WebSession.last_seen_at < sa.bindparam("seen"))
    .values(last_seen_at=sa.bindparam("seen"))
)


@dataclass(frozen=True)
class Known:
    """A live session as this process knows it."""

    session_id: UUID
    actor: Actor
    version: int
    last_seen_at: dt.datetime
    expires_at: dt.datetime


class SessionCache:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        # Lookups read only: on SQLite they never take the write lock.
        self._reader = engine.execution_options(write_intent=False)
        self._engine = engine
        self._settings = settings
        self._known: OrderedDict[str, Known] = OrderedDict()
        self._touches: dict[UUID, dt.datetime] = {}
        self._flushed_at = time.monotonic()
        self._flushing: asyncio.Task[None] | None = None

    async def actor(self, token: str, now: dt.datetime) -> Actor | None:
        """The signed-in person behind a session cookie, or None."""
        if not token or len(token) > 100:
            return None
        key = service.token_hash(token)
        cached = self._known.get(key)
        async with self._reader.connect() as connection:
            if cached is not None:
                version = await connection.scalar(
                    AUTH_VERSION, {"person_id": cached.actor.person_id}
                )
                fresh = version == cached.version
                if fresh and service.session_alive(
                    cached.last_seen_at, cached.expires_at, now, self._settings
                ):
                    return self._seen(key, cached, now).actor
            known = await self._load(connection, token, now, cached)
            await connection.rollback()
        if known is None:
            self._known.pop(key, None)
            return None
        return self._seen(key, known, now).actor

    async def _load(
        self, connection: AsyncConnection, token: str, now: dt.datetime, cached: Known | None
    ) -> Known | None:
        # The version is read in the same statement as the session, before the memberships:
        # a change that lands in between raises it again, and the next request reloads.
        async with AsyncSession(bind=connection) as db:
            resolved = await service.resolve_session(
                db,
                token,
                self._settings,
                now,
                seen=self._last_seen(cached),
            )
            if resolved is None:
                return None
            return Known(
                session_id=resolved.session_id,
                actor=await service.actor_for(db, resolved.person),
                version=resolved.person.auth_version,
                last_seen_at=resolved.last_seen_at,
                expires_at=resolved.expires_at,
            )

    def _last_seen(self, cached: Known | None) -> dt.datetime | None:
        """The newest touch this process knows of for a session, written out or not."""
        if cached is None:
            return None
        pending = self._touches.get(cached.session_id)
        return max(cached.last_seen_at, pending) if pending else cached.last_seen_at

    def _seen(self, key: str, known: Known, now: dt.datetime) -> Known:
        if now - known.last_seen_at > TOUCH_EVERY:
            known = replace(known, last_seen_at=now)
            self._touches[known.session_id] = now
        self._known[key] = known
        self._known.move_to_end(key)
        while len(self._known) > CAPACITY:
            self._known.popitem(last=False)
        due = time.monotonic() - self._flushed_at >= TOUCH_FLUSH_SECONDS
        if self._touches and self._flushing is None and due:
            self._flushing = asyncio.ensure_future(self.flush())
        return known

    async def flush(self) -> None:
        """Write the touches gathered so far, in one transaction."""
        touches, self._touches = self._touches, {}
        self._flushed_at = time.monotonic()
        try:
            if touches:
                with write_intent(True):
                    async with self._engine.begin() as connection:
                        await connection.execute(
                            TOUCH, [{"sid": sid, "seen": seen} for sid, seen in touches.items()]
                        )
        except Exception:
            log.warning("could not record %d session touches", len(touches), exc_info=True)
            for sid, seen in touches.items():
                self._touches.setdefault(sid, seen)
        finally:
            self._flushing = None

    async def close(self) -> None:
        """At shutdown: write what is pending."""
        if self._flushing is not None:
            await self._flushing
        await self.flush()
