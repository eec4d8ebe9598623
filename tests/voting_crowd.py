"""A crowd of voters for concurrency tests, made through the council and voting services.

The demo council has 20 member seats and 40 shops; concurrency cases need more distinct
voters than that, so the facilitator adds residents and drafts a ballot listing them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import msgspec
import sqlalchemy as sa
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from council.accounts.models import Person
from council.accounts.passwords import hash_password
from council.accounts.service import actor_for
from council.councils import service as councils
from council.councils.models import Council, Role
from council.councils.permissions import Actor
from council.councils.schemas import MemberForm
from council.db import alchemy_config, create_engine
from council.demo.data import DEMO_PASSWORD
from council.errors import DomainError
from council.settings import Settings
from council.voting import service as voting
from council.voting.models import Ballot
from council.voting.pipeline import VoteWriter
from council.voting.schemas import BallotForm
from tests.databases import PASSWORD_HASHING

T = TypeVar("T")


@functools.cache
def _password_hash() -> str:
    # One salted hash for the whole crowd, as the demo loader does: argon2 is slow by design.
    return hash_password(DEMO_PASSWORD, PASSWORD_HASHING)


@dataclass
class Crowd:
    """Sessions on the test's database, one per concurrent task, all on one pooled engine."""

    config: SQLAlchemyAsyncConfig  # one per crowd: every session shares its pooled engine
    council: Council
    facilitator: Actor
    voters: list[Actor] = field(default_factory=list)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.config.get_session() as db:
            yield db

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``work`` in its own transaction: committed when it returns, rolled back if it
        raises, which is what a request does."""
        async with self.session() as db:
            try:
                result = await work(db)
            except BaseException:
                await db.rollback()
                raise
            await db.commit()
            return result

    async def ballot(self, now: dt.datetime, voters: list[Actor], **fields: Any) -> UUID:
        """A ballot drafted and opened by the facilitator, listing exactly ``voters``."""
        logins = await self._logins(voters)
        form = msgspec.convert(
            {
                "question": "是否同意夜市延长至二十二点",
                "electorate": "listed",
                "listed": "\n".join(logins),
                **fields,
            },
            BallotForm,
        )

        async def work(db: AsyncSession) -> UUID:
            ballot = await voting.create(db, self.facilitator, self.council, form, now)
            await voting.open_ballot(db, self.facilitator, self.council, ballot.id, now)
            return ballot.id

        return await self.run(work)

    async def _logins(self, voters: list[Actor]) -> list[str]:
        async with self.session() as db:
            rows = await db.execute(
                sa.select(Person.login).where(Person.id.in_([v.person_id for v in voters]))
            )
            return sorted(rows.scalars())

    async def cast(
        self,
        voter: Actor,
        ballot_id: UUID,
        choice: Any,
        now: dt.datetime,
        writer: VoteWriter | None = None,
    ) -> voting.Receipt:
        """A vote as a request casts it: through ``writer`` (the process's vote writer, as the
        server does) or, without one, in the session's own transaction."""
        return await self.run(
            lambda db: voting.cast(
                db, voter, self.council, ballot_id, {"choice": choice}, now, writer=writer
            )
        )

    async def close(self, ballot_id: UUID, now: dt.datetime) -> Ballot:
        return await self.run(
            lambda db: voting.close(db, self.facilitator, self.council, ballot_id, now)
        )

    @property
    def engine(self) -> AsyncEngine:
        return self.config.get_engine()

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def crowd(settings: Settings, size: int, now: dt.datetime) -> AsyncIterator[Crowd]:
    """``size`` new residents of the demo council, added by its facilitator."""
    # Pooled: at most 20 connections on PostgreSQL, however many tasks run at once.
    config = alchemy_config(settings, create_engine(settings))
    async with config.get_session() as db:
        council = await councils.get_by_slug(db, "zhonglou")
        zhuchi = await db.scalar(sa.select(Person).where(Person.login == "zhuchi"))
        assert zhuchi is not None
        facilitator = await actor_for(db, zhuchi)
        people = [
            Person(
                login=f"voter{i:03d}",
                display_name=f"居民{i:03d}",
                phone="",
                password_hash=_password_hash(),
            )
            for i in range(size)
        ]
        db.add_all(people)
        await db.flush()
        for person in people:
            form = MemberForm(login=person.login, role=Role.RESIDENT, title="")
            await councils.add_member(db, facilitator, council, form, now)
        voters = [await actor_for(db, person) for person in people]
        await db.commit()
    group = Crowd(config, council, facilitator, voters)
    try:
        yield group
    finally:
        await group.dispose()


@dataclass
class Outcome:
    """What a batch of concurrent calls got back: results, domain refusals, anything else."""

    accepted: list[Any] = field(default_factory=list)
    refused: list[DomainError] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


async def all_at_once(calls: list[Awaitable[Any]]) -> Outcome:
    outcome = Outcome()
    for result in await asyncio.gather(*calls, return_exceptions=True):
        if isinstance(result, DomainError):
            outcome.refused.append(result)
        elif isinstance(result, BaseException):
            outcome.errors.append(result)
        else:
            outcome.accepted.append(result)
    return outcome
