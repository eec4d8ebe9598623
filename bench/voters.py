"""Voters for the bench's vote cases, made through the app's own services, and the count.

Run by bench/run.py against the bench database (COUNCIL_DATA_DIR), never timed:

    voters.py prepare N K   N new residents of the demo council, K open ballots listing them,
                            and a signed-in session for each; prints JSON
    voters.py count ID      the stored votes of ballot ID as JSON [[voter_key, receipt], ...]
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any
from uuid import UUID

import msgspec
import sqlalchemy as sa

from council.accounts import service as accounts
from council.accounts.models import Person
from council.accounts.passwords import hash_password
from council.councils import service as councils
from council.councils.models import Role
from council.councils.schemas import MemberForm
from council.db import alchemy_config
from council.orm import utcnow
from council.settings import Settings
from council.voting import service as voting
from council.voting.models import Vote
from council.voting.schemas import BallotForm

SLUG = "zhonglou"


async def prepare(size: int, ballots: int) -> dict[str, Any]:
    settings = Settings.from_env()
    config = alchemy_config(settings)
    now = utcnow()
    async with config.get_session() as db:
        council = await councils.get_by_slug(db, SLUG)
        zhuchi = await db.scalar(sa.select(Person).where(Person.login == "zhuchi"))
        if zhuchi is None:
            raise SystemExit("the demo council is not loaded")
        facilitator = await accounts.actor_for(db, zhuchi)
        shared_hash = hash_password(f"bench-{now.timestamp()}")  # nobody signs in with it
        people = [
            # Short logins: a listed electorate is entered as logins, 4,000 characters at most.
            Person(login=f"r{i:03d}", display_name=f"居民{i:03d}", password_hash=shared_hash)
            for i in range(size)
        ]
        db.add_all(people)
        await db.flush()
        for person in people:
            form = MemberForm(login=person.login, role=Role.RESIDENT)
            await councils.add_member(db, facilitator, council, form, now)
        ballot_ids = []
        for n in range(ballots):
            form = msgspec.convert(
                {
                    "question": f"压测表决 {n + 1}：是否同意夜市延长营业",
                    "electorate": "listed",
                    "listed": "\n".join(p.login for p in people),
                },
                BallotForm,
            )
            ballot = await voting.create(db, facilitator, council, form, now)
            opened = await voting.open_ballot(db, facilitator, council, ballot.id, now)
            ballot_ids.append((ballot.id.hex, opened.eligible_count))
        voters = [
            {"key": f"p:{p.id.hex}", "token": await accounts.start_session(db, p, settings, now)}
            for p in people
        ]
        await db.commit()
    await config.get_engine().dispose()
    return {"slug": SLUG, "ballots": ballot_ids, "voters": voters}


async def count(ballot_id: UUID) -> list[tuple[str, str]]:
    config = alchemy_config(Settings.from_env())
    async with config.get_session() as db:
        rows = await db.execute(
            sa.select(Vote.voter_key, Vote.receipt).where(Vote.ballot_id == ballot_id)
        )
        found = [(key, receipt) for key, receipt in rows]
    await config.get_engine().dispose()
    return found


def main(argv: list[str]) -> None:
    if argv[:1] == ["prepare"]:
        print(json.dumps(asyncio.run(prepare(int(argv[1]), int(argv[2])))))
    elif argv[:1] == ["count"]:
        print(json.dumps(asyncio.run(count(UUID(argv[1])))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
