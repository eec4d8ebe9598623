"""S33, S34: what an acknowledged write survives, and many writers at once.

S33 reads the settings of a live connection made by the app's own engine: on SQLite the
pragmas set on every connection, on PostgreSQL the server's fsync and the session's
synchronous_commit. S34 runs 50 concurrent writers through the real services, each in its own
session and transaction, and checks that none of them saw an error and the chain verifies.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from litestar import Litestar

import council

# One place to look: the pragmas are set when a connection opens (council/db.py).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: every commit waits for the WAL to reach the disk
    "foreign_keys": 1,
    "busy_timeout": 15000,
}


async def _show(app: Litestar, statement: str) -> object:
    async with app.state.alchemy.get_session() as db:
        value = await db.scalar(sa.text(statement))
        await db.rollback()
        return value


async def test_S33_every_connection_is_set_for_durable_commits(
    app: Litestar, engine_name: str
) -> None:
    """S33: an acknowledged vote survives power loss: SQLite connections run WAL with
    synchronous=FULL (and busy_timeout, foreign keys); PostgreSQL commits wait for the flush
    (synchronous_commit on, fsync on). The throwaway test cluster (tests/databases.py) runs
    with fsync=off for speed, so there the test checks what the application controls: its
    sessions keep synchronous_commit on and no code of it turns fsync or synchronous_commit
    off."""
    if engine_name == "sqlite":
        seen = {name: await _show(app, f"PRAGMA {name}") for name in SQLITE_PRAGMAS}
        assert seen == SQLITE_PRAGMAS
        return
    assert await _show(app, "SHOW synchronous_commit") == "on"
    fsync = await _show(app, "SHOW fsync")
    if os.environ.get("COUNCIL_TEST_POSTGRES_URL"):
        # A real server given to the suite must be one that keeps acknowledged commits.
        assert fsync == "on"
    package = Path(council.__file__).parent
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8").lower()
        assert "synchronous_commit" not in text, source
        assert "fsync=off" not in text and "fsync = off" not in text, source
