"""The vote writer (council/voting/pipeline.py): votes checked outside the write lock are
written many to a transaction by one writer per process, and each is answered only after its
batch committed (S32, S1, S2)."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.audit.models import AuditEntry
from council.clock import FixedClock
from council.errors import Conflict
from council.settings import Settings
from council.voting import pipeline
from council.voting import service as voting
from council.voting.models import Vote
from tests.support import client_for, post_form, sign_in_directly, text_of
from tests.voting_crowd import all_at_once, crowd
from tests.voting_support import BASE, opened


async def _votes(db: AsyncSession, ballot: UUID) -> list[Vote]:
    await db.rollback()
    return list((await db.execute(sa.select(Vote).where(Vote.ballot_id == ballot))).scalars())


async def _entries(db: AsyncSession, ballot: UUID) -> list[AuditEntry]:
    rows = await db.execute(
        sa.select(AuditEntry)
        .where(AuditEntry.object_id == ballot.hex, AuditEntry.action == "vote.cast")
        .order_by(AuditEntry.seq)
    )
    return list(rows.scalars())


async def test_S32_a_vote_the_writer_committed_is_stored_even_when_its_answer_is_lost(
    app: Litestar, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S32: the writer fails between its batch's commit and the answers → the voter gets a
    clear 503, not a receipt; the vote is in the database already, and sending it again is
    answered "已投票": one vote row, one audit entry, nothing doubled."""
    ballot = await opened(app)

    def lost(*_args: Any) -> None:
        raise RuntimeError("the writer stopped before answering")

    async with client_for(app) as voter:
        await sign_in_directly(voter, "jumin01")
        with monkeypatch.context() as patch:
            patch.setattr(pipeline.VoteWriter, "_answer", lost)
            unanswered = await post_form(voter, f"{BASE}/{ballot}/vote", {"choice": "yes"})
        assert unanswered.status_code == 503, text_of(unanswered.text)[:300]
        assert "x-vote-receipt" not in unanswered.headers
        (stored,) = await _votes(db, ballot)
        assert stored.choices == "yes"
        again = await post_form(voter, f"{BASE}/{ballot}/vote", {"choice": "no"})
    assert again.status_code == 409 and "已投票" in text_of(again.text)
    assert [v.receipt for v in await _votes(db, ballot)] == [stored.receipt]
    assert len(await _entries(db, ballot)) == 1


async def test_S1_a_batch_with_one_second_vote_commits_the_others(
    settings: Settings, db: AsyncSession, clock: FixedClock
) -> None:
    """S1 in a batch: five first votes and one voter's second vote reach the writer together
    → one transaction; the five are stored and answered with receipts, only the second vote
    is refused with "已投票", and the five audit entries continue the chain."""
    now = clock.now()
    async with crowd(settings, 6, now) as group:
        ballot = await group.ballot(now, group.voters)
        earlier = await group.cast(group.voters[0], ballot, "no", now)
        checked = []
        for voter in group.voters:
            async with group.session() as session:
                vote = await voting.checked_vote(
                    session, voter, group.council, ballot, {"choice": "yes"}, now, per_hour=100
                )
            checked.append(vote)
        writer = pipeline.VoteWriter(group.engine)
        try:
            # Each vote handed over as its request would, from a session of its own.
            async with contextlib.AsyncExitStack() as stack:
                sessions = [await stack.enter_async_context(group.session()) for _ in checked]
                outcome = await all_at_once(
                    [writer.submit(s, v) for s, v in zip(sessions, checked, strict=True)]
                )
        finally:
            await writer.close()
    assert writer.commits == 1
    assert outcome.errors == []
    assert [(type(e), e.status_code, e.message) for e in outcome.refused] == [
        (Conflict, 409, "已投票")
    ]
    assert len(outcome.accepted) == 5
    stored = {v.voter_key: v.receipt for v in await _votes(db, ballot)}
    assert stored[checked[0].voter_key] == earlier.receipt
    assert sorted(stored.values()) == sorted(
        [earlier.receipt, *(r.receipt for r in outcome.accepted)]
    )
    entries = await _entries(db, ballot)
    assert len(entries) == 6
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 6))
    verdict = await audit.verify_chain(db, group.council.id)
    assert verdict.ok, verdict


async def test_S2_many_voters_at_once_go_in_few_transactions_in_chain_order(
    settings: Settings, db: AsyncSession, clock: FixedClock
) -> None:
    """S2 through the writer: 120 distinct voters at once → all stored and answered, in far
    fewer transactions than votes, each vote's audit entry in the chain, which verifies."""
    now = clock.now()
    async with crowd(settings, 120, now) as group:
        ballot = await group.ballot(now, group.voters)
        writer = pipeline.VoteWriter(group.engine)
        try:
            outcome = await all_at_once(
                [group.cast(v, ballot, "yes", now, writer=writer) for v in group.voters]
            )
        finally:
            await writer.close()
    assert outcome.errors == [] and outcome.refused == []
    assert len(outcome.accepted) == 120
    assert writer.commits <= 30, writer.commits
    stored = sorted(v.receipt for v in await _votes(db, ballot))
    assert stored == sorted(r.receipt for r in outcome.accepted)
    entries = await _entries(db, ballot)
    assert sorted(e.summary for e in entries) == sorted(
        audit.canonical_json(
            {"voter": r.voter_label, "choices": list(r.choices), "receipt": r.receipt}
        )
        for r in outcome.accepted
    )
    verdict = await audit.verify_chain(db, group.council.id)
    assert verdict.ok, verdict
