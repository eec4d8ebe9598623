"""S36: a decision and its audit entry commit together or not at all.

The audit append is made to fail in the middle of a request (after the decision's own rows
were flushed); the person gets a clear zh-CN error page, nothing of the decision is stored,
and the same action succeeds once the log works again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.issues.models import Issue
from council.issues.workflow import IssueStatus
from council.voting.models import Ballot, Vote
from council.voting.workflow import Status as BallotStatus
from tests.intake import move, submit_as
from tests.support import audit_actions, client_for, post_form, sign_in_directly, text_of
from tests.voting_support import BASE, opened


class AuditOutage:
    """Switches the audit append into failing and back, as a full log disk would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.attempts: list[str] = []

    def __enter__(self) -> AuditOutage:
        async def failing(db: AsyncSession, entries: Sequence[audit.NewEntry]) -> None:
            self.attempts.extend(entry.action for entry in entries)
            raise OSError("audit log unavailable")

        # Every append goes through here, one entry or a batch of votes' entries.
        self.monkeypatch.setattr(audit, "append", failing)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditOutage]:
    yield AuditOutage(monkeypatch)


def _assert_clear_server_error(response: Any) -> None:
    assert response.status_code == 500, response.text[:300]
    text = text_of(response.text)
    assert "服务器出错了" in text and "请稍后重试" in text
    assert "Traceback" not in response.text and "OSError" not in response.text


async def _entries(db: AsyncSession, action: str, object_id: UUID) -> int:
    return len([e for e in await audit_actions(db, action) if e.object_id == object_id.hex])


async def _votes(db: AsyncSession, ballot: UUID) -> int:
    await db.rollback()
    return int(
        await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) or 0
    )


async def test_S36_vote_rolls_back_when_its_audit_entry_fails(
    app: Litestar, db: AsyncSession, outage: AuditOutage
) -> None:
    """S36: the audit append fails during a vote → a zh-CN 500 page, no vote row, no
    "vote.cast" entry; the next vote by the same person is accepted and logged."""
    ballot = await opened(app)
    async with client_for(app) as voter:
        await sign_in_directly(voter, "jumin01")
        with outage:
            failed = await post_form(voter, f"{BASE}/{ballot}/vote", {"choice": "yes"})
        assert outage.attempts == ["vote.cast"]  # the vote got as far as its audit entry
        _assert_clear_server_error(failed)
        assert await _votes(db, ballot) == 0
        assert await _entries(db, "vote.cast", ballot) == 0
        accepted = await post_form(voter, f"{BASE}/{ballot}/vote", {"choice": "no"})
    assert accepted.status_code == 303, accepted.text[:300]
    assert await _votes(db, ballot) == 1
    assert await _entries(db, "vote.cast", ballot) == 1


async def test_S36_close_stays_undone_when_its_audit_entry_fails(
    app: Litestar, db: AsyncSession, outage: AuditOutage
) -> None:
    """S36 for closing a ballot: no sealed result without its "ballot.closed" entry."""
    ballot = await opened(app)
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        with outage:
            failed = await post_form(facilitator, f"{BASE}/{ballot}/close")
        assert outage.attempts == ["ballot.closed"]
        _assert_clear_server_error(failed)
        await db.rollback()
        stored = await db.get_one(Ballot, ballot, populate_existing=True)
        assert stored.status is BallotStatus.OPEN and stored.closing_hash is None
        assert await _entries(db, "ballot.closed", ballot) == 0
        closed = await post_form(facilitator, f"{BASE}/{ballot}/close")
    assert closed.status_code == 303
    assert await _entries(db, "ballot.closed", ballot) == 1


async def test_S36_triage_stays_undone_when_its_audit_entry_fails(
    app: Litestar, db: AsyncSession, outage: AuditOutage
) -> None:
    """S36 for a triage decision: the issue keeps its status when the entry cannot be written."""
    async with client_for(app) as client:
        issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
        with outage:
            failed = await move(client, "zhuchi", issue_id, "triage")
        assert outage.attempts == ["issue.triaged"]
        _assert_clear_server_error(failed)
        await db.rollback()
        stored = await db.get_one(Issue, issue_id, populate_existing=True)
        assert stored.status is IssueStatus.SUBMITTED
        assert await _entries(db, "issue.triaged", issue_id) == 0
        assert (await move(client, "zhuchi", issue_id, "triage")).status_code == 303
    assert await _entries(db, "issue.triaged", issue_id) == 1
