"""Votes per person per hour (SECURITY.md rate limits; S40): an accepted vote counts against
its voter, never against the address it came from, so a whole council voting from one office
is never held back while one account cannot hammer the ballots."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.app import create_app
from council.clock import FixedClock
from council.settings import Settings
from council.voting.models import Vote
from tests.support import audit_actions, text_of
from tests.voting_support import opened, vote_as


async def _votes_by(db: AsyncSession, login: str, ballots: list[UUID]) -> int:
    await db.rollback()
    stmt = sa.select(sa.func.count(Vote.id)).join(Person, Person.id == Vote.person_id)
    stmt = stmt.where(Person.login == login, Vote.ballot_id.in_(ballots))
    return int(await db.scalar(stmt) or 0)


def test_the_limit_is_the_figure_security_md_gives() -> None:
    assert Settings.votes_per_person_hour == 100


async def test_votes_over_the_hourly_limit_are_429_and_count_nothing(
    settings: Settings, clock: FixedClock, db: AsyncSession
) -> None:
    app = create_app(replace(settings, votes_per_person_hour=2), clock=clock)
    ballots = [await opened(app) for _ in range(3)]
    assert (await vote_as(app, "jumin01", ballots[0], "yes")).status_code == 303
    assert (await vote_as(app, "jumin01", ballots[1], "no")).status_code == 303
    cast_before = len(await audit_actions(db, "vote.cast"))

    refused = await vote_as(app, "jumin01", ballots[2], "yes")

    assert refused.status_code == 429
    assert "投票过于频繁：每小时最多投 2 票" in text_of(refused.text)
    assert await _votes_by(db, "jumin01", ballots) == 2
    assert len(await audit_actions(db, "vote.cast")) == cast_before
    # S40: another member behind the same address votes on the same ballot unhindered.
    assert (await vote_as(app, "jumin02", ballots[2], "yes")).status_code == 303
    # The window slides: an hour later the same member may vote again.
    clock.advance(hours=1, minutes=5)
    assert (await vote_as(app, "jumin01", ballots[2], "yes")).status_code == 303
    assert await _votes_by(db, "jumin01", ballots) == 3
