"""S35: a transaction PostgreSQL aborts with 40001 (serialization_failure) or 40P01
(deadlock_detected) is run again from the start; the voter gets the normal answer, one vote
row and one audit entry. Past the retry budget: a clear 503, nothing half-written.

The faults are injected by a trigger on the vote table that raises the SQLSTATE for its first
N firings, counted by a sequence (nextval is not undone by the rollback it causes). Fired on
the INSERT itself, or deferred to COMMIT, which the app runs as the response starts.
SQLite has no such SQLSTATEs (its writers are serialised by BEGIN IMMEDIATE): S34 covers it.
"""

from __future__ import annotations

from uuid import UUID

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.councils.models import Council
from council.voting.models import Vote
from council.web.retry import RETRIES
from tests.support import audit_actions, text_of
from tests.voting_support import SLUG, opened, vote_as

CODES = pytest.mark.parametrize("code", ["40001", "40P01"])


# SQLSTATE 40001/40P01 are PostgreSQL's; SQLite's writers are serialised (S34 covers them).
pytestmark = pytest.mark.postgresql_only


async def inject(db: AsyncSession, code: str, times: int, *, at_commit: bool = False) -> None:
    """The next ``times`` vote inserts fail with ``code``, at the statement or at COMMIT."""
    when = (
        "CONSTRAINT TRIGGER injected_vote_fault AFTER INSERT ON vote DEFERRABLE INITIALLY DEFERRED"
        if at_commit
        else "TRIGGER injected_vote_fault BEFORE INSERT ON vote"
    )
    for statement in (
        "CREATE SEQUENCE injected_fault_attempts",
        f"""CREATE FUNCTION injected_vote_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('injected_fault_attempts') <= {times} THEN
                    RAISE EXCEPTION 'injected fault' USING ERRCODE = '{code}';
                END IF;
                RETURN NEW;
            END $$""",
        f"CREATE {when} FOR EACH ROW EXECUTE FUNCTION injected_vote_fault()",
    ):
        await db.execute(sa.text(statement))
    await db.commit()


async def attempts(db: AsyncSession) -> int:
    await db.rollback()
    row = (
        await db.execute(sa.text("SELECT last_value, is_called FROM injected_fault_attempts"))
    ).one()
    return int(row.last_value) if row.is_called else 0


async def heal(db: AsyncSession) -> None:
    await db.execute(sa.text("DROP TRIGGER injected_vote_fault ON vote"))
    await db.commit()


async def votes(db: AsyncSession, ballot: UUID) -> list[Vote]:
    await db.rollback()
    rows = await db.execute(sa.select(Vote).where(Vote.ballot_id == ballot))
    return list(rows.scalars())


async def cast_entries(db: AsyncSession, ballot: UUID) -> int:
    return len([e for e in await audit_actions(db, "vote.cast") if e.object_id == ballot.hex])


async def chain_verifies(db: AsyncSession) -> bool:
    council = await db.scalar(sa.select(Council).where(Council.slug == SLUG))
    assert council is not None
    verdict = await audit.verify_chain(db, council.id)
    return verdict.ok


@CODES
@pytest.mark.parametrize("at_commit", [False, True], ids=["at-insert", "at-commit"])
async def test_S35_an_aborted_vote_is_run_again_and_counted_once(
    app: Litestar, db: AsyncSession, code: str, at_commit: bool
) -> None:
    """S35: the first two attempts fail with 40001/40P01 → the third is the voter's answer:
    303 with a receipt, exactly one vote row holding that receipt, one "vote.cast" entry."""
    ballot = await opened(app)
    await inject(db, code, 2, at_commit=at_commit)
    response = await vote_as(app, "jumin01", ballot, "yes")
    assert response.status_code == 303, text_of(response.text)[:300]
    assert await attempts(db) == 3
    (vote,) = await votes(db, ballot)
    assert vote.receipt == response.headers["x-vote-receipt"]
    assert vote.choices == "yes"
    assert await cast_entries(db, ballot) == 1
    assert await chain_verifies(db)


@CODES
@pytest.mark.parametrize("at_commit", [False, True], ids=["at-insert", "at-commit"])
async def test_S35_past_the_retry_budget_is_a_clear_503_and_nothing_written(
    app: Litestar, db: AsyncSession, code: str, at_commit: bool
) -> None:
    """S35: the fault outlasts the budget → 503 "请稍后重试" after 1 + RETRIES attempts, no vote
    row, no audit entry, the chain verifies; once the fault is gone the same vote goes in."""
    ballot = await opened(app)
    await inject(db, code, 1000, at_commit=at_commit)
    response = await vote_as(app, "jumin01", ballot, "yes")
    assert response.status_code == 503
    assert "请稍后重试" in text_of(response.text) and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert await attempts(db) == 1 + RETRIES
    assert await votes(db, ballot) == []
    assert await cast_entries(db, ballot) == 0
    assert await chain_verifies(db)
    await heal(db)
    assert (await vote_as(app, "jumin01", ballot, "no")).status_code == 303
    assert len(await votes(db, ballot)) == 1
