"""Where per-request counters live: the anonymous limit counts every anonymous request.

Each increment commits on its own at once, apart from the request's transaction, and does not
wait for durability: a count lost to a power cut is harmless, a slower page view is not. The
counts are shared by every process (DESIGN: never in one process's memory), in 5-minute
windows like every other throttle (``council.accounts.throttle``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from council.accounts import throttle
from council.settings import Settings
from council.sqlite_thread import SqliteThread


class Counters(Protocol):
    async def hit(self, key: str, now: dt.datetime) -> int:
        """Count one more for ``key``; the answer is the count of the current window."""
        ...

    async def close(self) -> None:
        """At shutdown; the counters stay usable, as an engine after ``dispose()``."""
        ...


def counters_path(settings: Settings) -> Path | None:
    """On SQLite, the counters' own file beside the database file; None elsewhere."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return Path(":memory:")  # a database in memory keeps its counters there too
    return counters_file(Path(database))


def counters_file(database: Path) -> Path:
    """The counters' file of the SQLite database at ``database``."""
    return database.with_name(f"{database.stem}-counters{database.suffix}")


def counters_for(settings: Settings, engine: AsyncEngine) -> Counters:
    path = counters_path(settings)
    return FileCounters(path, keep=settings.db_pool) if path else DatabaseCounters(engine)


class DatabaseCounters:
    """PostgreSQL: the ``rate_counter`` table, shared by every process as the database is.

    Each increment is one autocommitted statement that relaxes durability for its own
    (implicit) transaction alone: set_config(…, true) is SET LOCAL, so that commit does not
    wait for the flush and every other transaction keeps synchronous commits. It is written
    out rather than built from the model because the built upsert in an explicit transaction
    took about three times the CPU per request (measured on this app)."""

    INCREMENT = sa.text(
        "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) "
        "INSERT INTO rate_counter (id, key, window_start, count) "
        "SELECT :id, :key, :window_start, 1 FROM relaxed "
        "ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counter.count + 1 "
        "RETURNING count"
    )

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._swept: dt.datetime | None = None

    async def hit(self, key: str, now: dt.datetime) -> int:
        window = throttle.bucket_start(now)
        values = {"id": uuid.uuid4(), "key": key, "window_start": window}
        async with self._engine.connect() as connection:
            counted = (await connection.execute(self.INCREMENT, values)).scalar_one()
            if self._swept != window:  # once per window and process is plenty
                await throttle.purge(connection, now - throttle.KEEP)
                self._swept = window
        return int(counted)

    async def close(self) -> None:
        """The engine is the application's, disposed with it."""


class FileCounters:
    """SQLite: a file of its own beside the database, with synchronous=OFF, so that a page
    view neither waits for an fsync nor queues behind vote writers for the database's write
    lock. One connection, used only on one thread of its own, runs each increment as a single
    autocommitted statement: one hop off the event loop. Through SQLAlchemy and aiosqlite the
    same increment took about 20 times as long (some ten thread hops), hence plain sqlite3 and
    the three statements below. The file is a scratch store, made on first use, not migrated."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS rate_counter (key TEXT NOT NULL, "
        "window_start INTEGER NOT NULL, count INTEGER NOT NULL, "
        "PRIMARY KEY (key, window_start)) WITHOUT ROWID"
    )
    INCREMENT = (
        "INSERT INTO rate_counter (key, window_start, count) VALUES (?, ?, 1) "
        "ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count"
    )
    SWEEP = "DELETE FROM rate_counter WHERE window_start < ?"

    def __init__(self, path: Path, *, keep: bool = True) -> None:
        self.path = path
        self._store = SqliteThread(self._connect, "council-counters", keep=keep)
        self._swept: int | None = None

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: every statement commits by itself; busy_timeout queues the
        # rare increment another process is writing at the same moment.
        connection = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(self.SCHEMA)
        return connection

    def _hit(self, connection: sqlite3.Connection, key: str, window: int, keep_from: int) -> int:
        (counted,) = connection.execute(self.INCREMENT, (key, window)).fetchone()
        if self._swept != window:
            connection.execute(self.SWEEP, (keep_from,))
            self._swept = window
        return int(counted)

    async def hit(self, key: str, now: dt.datetime) -> int:
        window = int(throttle.bucket_start(now).timestamp())
        keep_from = int((now - throttle.KEEP).timestamp())
        return await self._store.run(lambda c: self._hit(c, key, window, keep_from))

    async def close(self) -> None:
        """Close the connection (as an engine is disposed): a later hit opens a new one."""
        await self._store.close()
