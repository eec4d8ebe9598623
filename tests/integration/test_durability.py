"""S33, S34: what an acknowledged write survives, and many writers at once.

S33 reads the settings of a live connection made by the app's own engine: on SQLite the
pragmas set on every connection, on PostgreSQL the server's fsync and the session's
synchronous_commit. S34 runs 50 concurrent writers through the real services, each in its own
session and transaction, and checks that none of them saw an error and the chain verifies.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

import council
from council.accounts.counters import DatabaseCounters
from council.audit import service as audit
from council.audit.models import AuditEntry
from council.clock import FixedClock
from council.councils.permissions import Actor
from council.db import create_engine
from council.files.storage import storage_for
from council.issues import service as issues
from council.issues.schemas import IssueForm
from council.settings import Settings
from tests.support import on_app_loop
from tests.voting_crowd import Crowd, all_at_once, crowd

# One place to look: the pragmas are set when a connection opens (council/db.py).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: every commit waits for the WAL to reach the disk
    "foreign_keys": 1,
    "busy_timeout": 15000,
}


async def _show(app: Litestar, statement: str) -> object:
    async def show() -> object:
        async with app.state.alchemy.get_session() as db:
            value = await db.scalar(sa.text(statement))
            await db.rollback()
            return value

    return on_app_loop(show)  # where the app's pooled connections live


async def test_S33_every_connection_is_set_for_durable_commits(
    app: Litestar, settings: Settings, engine_name: str
) -> None:
    """S33: an acknowledged vote survives power loss: SQLite connections run WAL with
    synchronous=FULL (and busy_timeout, foreign keys); PostgreSQL commits wait for the flush
    (synchronous_commit on, fsync on). The throwaway test cluster (tests/databases.py) runs
    with fsync=off for speed, so there the test checks what the application controls: its
    sessions keep synchronous_commit on, and no code of it turns fsync off or lowers
    synchronous_commit beyond the rate-limit counters' own transactions (local to each: a
    lost count is harmless, and the connection goes back to the pool as it came)."""
    if engine_name == "sqlite":
        seen = {name: await _show(app, f"PRAGMA {name}") for name in SQLITE_PRAGMAS}
        assert seen == SQLITE_PRAGMAS
        return
    assert await _show(app, "SHOW synchronous_commit") == "on"
    pooled = create_engine(settings)  # the counter's connection is the next one handed out
    try:
        await DatabaseCounters(pooled).hit("durability-check", FixedClock().now())
        async with pooled.connect() as connection:
            assert await connection.scalar(sa.text("SHOW synchronous_commit")) == "on"
    finally:
        await pooled.dispose()
    fsync = await _show(app, "SHOW fsync")
    if os.environ.get("COUNCIL_TEST_POSTGRES_URL"):
        # A real server given to the suite must be one that keeps acknowledged commits.
        assert fsync == "on"
    package = Path(council.__file__).parent
    mentions = {}
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8").lower()
        assert "fsync=off" not in text and "fsync = off" not in text, source
        if "synchronous_commit" in text:
            mentions[source.relative_to(package).as_posix()] = text
    assert list(mentions) == ["accounts/counters.py"]
    counters = mentions["accounts/counters.py"]
    local = "set_config('synchronous_commit', 'off', true)"  # true: this transaction alone
    assert counters.count("synchronous_commit") == counters.count(local) == 1


def _issue(title: str) -> IssueForm:
    return IssueForm(
        title=title, body="傍晚油烟从排风口直接排到楼道，窗户都不敢开。", category="油烟"
    )


async def _submit(
    group: Crowd, settings: Settings, who: Actor, title: str, now: dt.datetime
) -> UUID:
    storage = storage_for(settings)

    async def work(db: AsyncSession) -> UUID:
        form = _issue(title)
        issue = await issues.submit(
            db, storage, who, group.council, form, [], upload_limit=10, now=now
        )
        return issue.id

    return await group.run(work)


async def _cosign(group: Crowd, who: Actor, issue_id: UUID, now: dt.datetime) -> int:
    return await group.run(lambda db: issues.cosign(db, who, group.council, issue_id, now))


async def _entries(db: AsyncSession, action: str, **where: object) -> int:
    await db.rollback()
    stmt = sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == action)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, column) == value)
    return int(await db.scalar(stmt) or 0)


async def test_S34_50_concurrent_writers_see_no_database_error(
    settings: Settings, db: AsyncSession, clock: FixedClock
) -> None:
    """S34: 50 writers at once (20 votes, 15 issue submissions, 15 co-signs, each appending to
    the council's audit chain), each in its own session and transaction → every one succeeds
    ("database is locked" reaches no one), each wrote its entry and the chain verifies."""
    now = clock.now()
    async with crowd(settings, 51, now) as group:
        voters, submitters, cosigners = (
            group.voters[:20],
            group.voters[20:35],
            group.voters[35:50],
        )
        ballot_id = await group.ballot(now, voters)
        seed = await _submit(group, settings, group.voters[50], "人行道被占道经营", now)
        submitted_before = await _entries(db, "issue.submitted")
        calls = []
        for i in range(20):
            calls.append(group.cast(voters[i], ballot_id, ("yes", "no", "abstain")[i % 3], now))
            if i < 15:
                calls.append(_submit(group, settings, submitters[i], f"夜间噪音扰民（{i}）", now))
                calls.append(_cosign(group, cosigners[i], seed, now))
        assert len(calls) == 50
        outcome = await all_at_once(calls)
    assert outcome.errors == [] and outcome.refused == []
    assert len(outcome.accepted) == 50
    assert await _entries(db, "vote.cast", object_id=ballot_id.hex) == 20
    assert await _entries(db, "issue.submitted") == submitted_before + 15
    assert await _entries(db, "issue.cosigned", object_id=seed.hex) == 15
    verdict = await audit.verify_chain(db, group.council.id)
    assert verdict.ok, verdict.first_break
