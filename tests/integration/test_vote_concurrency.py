"""S1, S2, S3: many votes at once through the voting service, each in its own session and
transaction as a request would be, on SQLite (one writer, BEGIN IMMEDIATE) and PostgreSQL
(the ballot row locked FOR UPDATE by every vote and every close). Rules 15, 16, 17."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.clock import FixedClock
from council.councils.permissions import Actor
from council.errors import Conflict
from council.settings import Settings
from council.voting import pipeline
from council.voting import service as voting
from council.voting.models import Ballot, BallotElector, BallotParticipation, SecretChoice, Vote
from tests.voting_crowd import Crowd, all_at_once, crowd

CHOICES = ("yes", "no", "abstain")
METHODS = pytest.mark.parametrize("method", ["named", "secret"])


async def _stored_receipts(db: AsyncSession, ballot_id: UUID, method: str) -> list[str]:
    model: Any = Vote if method == "named" else SecretChoice
    await db.rollback()
    return list(
        (await db.execute(sa.select(model.receipt).where(model.ballot_id == ballot_id))).scalars()
    )


async def _voter_keys(db: AsyncSession, ballot_id: UUID, method: str) -> list[str]:
    model: Any = Vote if method == "named" else BallotParticipation
    return list(
        (await db.execute(sa.select(model.voter_key).where(model.ballot_id == ballot_id))).scalars()
    )


def _sealed_receipts(ballot: Ballot) -> list[str]:
    record = json.loads(ballot.counted_record or "{}")
    if record["votes"]:
        return sorted(v[2] for v in record["votes"])
    return sorted(c[0] for c in record["choices"])


@METHODS
async def test_S2_120_distinct_voters_at_once_are_all_counted(
    settings: Settings, db: AsyncSession, clock: FixedClock, method: str
) -> None:
    """S2: ≥100 distinct voters vote at once → one row each, tally equals them, 0 errors."""
    now = clock.now()
    async with crowd(settings, 120, now) as group:
        ballot_id = await group.ballot(now, group.voters, method=method)
        expected = {c: 0 for c in CHOICES}
        calls = []
        for i, voter in enumerate(group.voters):
            choice = CHOICES[i % 3]
            expected[choice] += 1
            calls.append(group.cast(voter, ballot_id, choice, now))
        outcome = await all_at_once(calls)
        assert outcome.errors == [] and outcome.refused == []
        assert len(outcome.accepted) == 120
        acknowledged = sorted(r.receipt for r in outcome.accepted)
        assert sorted(await _stored_receipts(db, ballot_id, method)) == acknowledged
        keys = await _voter_keys(db, ballot_id, method)
        assert len(keys) == len(set(keys)) == 120
        closed = await group.close(ballot_id, now)
    result = json.loads(closed.result or "{}")
    assert result["cast"] == 120
    assert result["counts"] == expected
    assert _sealed_receipts(closed) == acknowledged


@METHODS
async def test_S1_50_parallel_votes_by_one_voter_count_once(
    settings: Settings, db: AsyncSession, clock: FixedClock, method: str
) -> None:
    """S1 and rule 15: one voter, 50 simultaneous votes → 1 counted, 49 × 409 "已投票"."""
    now = clock.now()
    async with crowd(settings, 3, now) as group:
        ballot_id = await group.ballot(now, group.voters, method=method)
        voter = group.voters[0]
        outcome = await all_at_once(
            [group.cast(voter, ballot_id, CHOICES[i % 3], now) for i in range(50)]
        )
    assert outcome.errors == []
    assert len(outcome.accepted) == 1
    assert len(outcome.refused) == 49
    assert {(type(e), e.status_code, e.message) for e in outcome.refused} == {
        (Conflict, 409, "已投票")
    }
    assert await _stored_receipts(db, ballot_id, method) == [outcome.accepted[0].receipt]
    assert len(await _voter_keys(db, ballot_id, method)) == 1


async def _cast_without_checks(
    group: Crowd, voter: Actor, ballot_id: UUID, choice: str, method: str
) -> voting.Receipt:
    """The insert step of the vote writer with the application's checks and the ballot lock
    left out: only the UNIQUE constraint stands between a voter and a second row."""
    now = FixedClock().now()

    async def work(db: AsyncSession) -> voting.Receipt:
        ballot = await db.get_one(Ballot, ballot_id)
        elector = await db.scalar(
            sa.select(BallotElector).where(
                BallotElector.ballot_id == ballot_id, BallotElector.person_id == voter.person_id
            )
        )
        assert elector is not None and voter.person_id is not None
        vote = pipeline.Cast(
            council_id=ballot.council_id,
            slug=group.council.slug,
            ballot_id=ballot.id,
            opened_at=ballot.opened_at,
            secret=method == "secret",
            allow_change=False,
            person_id=voter.person_id,
            person_label=voter.display_name,
            voter_key=elector.voter_key,
            voter_label=elector.label,
            shop_id=None,
            choices=(choice,),
            now=now,
            per_hour=100,
        )
        accepted = await pipeline.insert(db, [(0, vote)])
        if 0 not in accepted:
            raise Conflict("已投票")
        return accepted[0]

    return await group.run(work)


@METHODS
async def test_S1_the_unique_constraint_alone_refuses_a_second_vote(
    settings: Settings, db: AsyncSession, clock: FixedClock, method: str
) -> None:
    """S1 with the application check disabled: no lock, no status check, no pre-read."""
    now = clock.now()
    async with crowd(settings, 2, now) as group:
        ballot_id = await group.ballot(now, group.voters, method=method)
        voter = group.voters[1]
        outcome = await all_at_once(
            [_cast_without_checks(group, voter, ballot_id, "yes", method) for _ in range(50)]
        )
    assert outcome.errors == []
    assert len(outcome.accepted) == 1
    assert {e.message for e in outcome.refused} == {"已投票"} and len(outcome.refused) == 49
    assert len(await _voter_keys(db, ballot_id, method)) == 1
    # A secret choice row is written only after the participation row got in.
    assert await _stored_receipts(db, ballot_id, method) == [outcome.accepted[0].receipt]


async def test_R17_50_parallel_changes_leave_one_vote(
    settings: Settings, db: AsyncSession, clock: FixedClock
) -> None:
    """Rule 17 under load: where changing is allowed, each vote replaces the last; one row."""
    now = clock.now()
    async with crowd(settings, 2, now) as group:
        ballot_id = await group.ballot(now, group.voters, allow_change=True)
        outcome = await all_at_once(
            [group.cast(group.voters[0], ballot_id, CHOICES[i % 3], now) for i in range(50)]
        )
        assert outcome.errors == [] and outcome.refused == []
        await db.rollback()
        votes = (await db.execute(sa.select(Vote).where(Vote.ballot_id == ballot_id))).scalars()
        (vote,) = list(votes)
        assert vote.revision == 50
        last = next(r for r in outcome.accepted if r.receipt == vote.receipt)
        assert vote.choices == ",".join(last.choices)
        closed = await group.close(ballot_id, now)
    assert json.loads(closed.result or "{}")["cast"] == 1


@METHODS
async def test_S3_votes_racing_closes(
    settings: Settings, db: AsyncSession, clock: FixedClock, method: str
) -> None:
    """S3, rule 16: 50 votes racing 10 closes, three rounds. Every acknowledged vote is in
    the sealed result, every refused one says "表决已结束", every close returns the same
    result, and only the first close is recorded."""
    now = clock.now()
    async with crowd(settings, 50, now) as group:
        for _round in range(3):
            ballot_id = await group.ballot(now, group.voters, method=method)
            calls: list[Any] = []
            for i, voter in enumerate(group.voters):
                calls.append(group.cast(voter, ballot_id, CHOICES[i % 3], now))
                if i >= 20 and (i - 20) % 3 == 0:  # the closes start once votes are under way
                    calls.append(group.close(ballot_id, now))
            outcome = await all_at_once(calls)
            assert outcome.errors == []
            receipts = [r for r in outcome.accepted if isinstance(r, voting.Receipt)]
            closes = [b for b in outcome.accepted if isinstance(b, Ballot)]
            assert len(closes) == 10
            assert len(receipts) + len(outcome.refused) == 50
            assert {(e.status_code, e.message) for e in outcome.refused} <= {(409, "表决已结束")}
            assert len({(b.closing_hash, b.result, b.closed_at) for b in closes}) == 1
            sealed = closes[0]
            acknowledged = sorted(r.receipt for r in receipts)
            assert _sealed_receipts(sealed) == acknowledged
            assert json.loads(sealed.result or "{}")["cast"] == len(receipts)
            assert sorted(await _stored_receipts(db, ballot_id, method)) == acknowledged
            closed_entries = await db.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(
                    AuditEntry.action == "ballot.closed", AuditEntry.object_id == ballot_id.hex
                )
            )
            assert closed_entries == 1
            verdict = await voting.verify(db, await db.get_one(Ballot, ballot_id))
            assert verdict.ok, verdict.describe()


async def test_S3_cast_and_close_lock_the_ballot_row(
    settings: Settings, clock: FixedClock, engine_name: str
) -> None:
    """What makes S3 hold: on PostgreSQL a vote's write (after its unlocked checks) and a
    close take the ballot row FOR UPDATE; on SQLite both start their transaction with BEGIN
    IMMEDIATE (one writer at a time)."""
    now = clock.now()
    async with crowd(settings, 1, now) as group:
        ballot_id = await group.ballot(now, group.voters)
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(" ".join(statement.split()))

        sa.event.listen(group.engine.sync_engine, "before_cursor_execute", seen)
        await group.cast(group.voters[0], ballot_id, "yes", now)
        cast_sql, statements[:] = list(statements), []
        await group.close(ballot_id, now)
        close_sql = list(statements)
    for sql in (cast_sql, close_sql):
        if engine_name == "postgresql":
            # The ballot as read right before anything is written.
            writing = next(i for i, s in enumerate(sql) if s.startswith(("INSERT", "UPDATE")))
            read = [s for s in sql[:writing] if re.search(r"FROM ballot\b", s)][-1]
            assert read.endswith("FOR UPDATE"), read
        else:
            assert sql[0] == "BEGIN IMMEDIATE", sql[:3]
