"""Voters for the bench's vote cases, made through the app's own services, and the count.

Run by bench/run.py against the bench database (COUNCIL_DATA_DIR or COUNCIL_DATABASE_URL),
never timed:

    voters.py prepare N K   a council of its own ("bench-votes", so that the demo council's
                            pages keep their size) with N members, K open ballots of its
                            members, a signed-in session for each member and one for a
                            member of the demo council; prints JSON
    voters.py session LOGIN a signed-in session of LOGIN; prints JSON
    voters.py audit N       the demo council's audit log grown to N entries, through the
                            settings service (each change is one entry)
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
from council.councils.schemas import AppointForm, CouncilForm, MemberForm, SettingsForm
from council.db import alchemy_config
from council.orm import utcnow
from council.settings import Settings
from council.voting import service as voting
from council.voting.models import Vote
from council.voting.schemas import BallotForm

SLUG = "zhonglou"  # the demo council, whose pages are read
VOTING_SLUG = "bench-votes"  # the voters' own council


async def _actor(db: Any, login: str) -> Any:
    person = await db.scalar(sa.select(Person).where(Person.login == login))
    if person is None:
        raise SystemExit("the demo council is not loaded")
    return await accounts.actor_for(db, person)


async def prepare(size: int, ballots: int) -> dict[str, Any]:
    settings = Settings.from_env()
    config = alchemy_config(settings)
    now = utcnow()
    async with config.get_session() as db:
        admin = await _actor(db, "admin")
        council = await councils.create_council(
            db, admin, CouncilForm(name="压测议事会", slug=VOTING_SLUG), now
        )
        await councils.appoint_facilitator(db, admin, council, AppointForm(login="zhuchi"), now)
        facilitator = await _actor(db, "zhuchi")
        seat = (await councils.constituencies(db, council.id))[0].id.hex
        shared_hash = hash_password(f"bench-{now.timestamp()}")  # nobody signs in with it
        people = [
            Person(login=f"v{i:05d}", display_name=f"成员{i:05d}", password_hash=shared_hash)
            for i in range(size)
        ]
        db.add_all(people)
        await db.flush()
        for person in people:
            form = MemberForm(login=person.login, role=Role.MEMBER, constituency_id=seat)
            await councils.add_member(db, facilitator, council, form, now)
        ballot_ids = []
        for n in range(ballots):
            form = msgspec.convert(
                {"question": f"压测表决 {n + 1}：是否同意夜市延长营业", "electorate": "members"},
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
    return {"slug": VOTING_SLUG, "ballots": ballot_ids, "voters": voters}


async def session(login: str) -> dict[str, str]:
    settings = Settings.from_env()
    config = alchemy_config(settings)
    async with config.get_session() as db:
        person = await db.scalar(sa.select(Person).where(Person.login == login))
        if person is None:
            raise SystemExit(f"no person {login}")
        token = await accounts.start_session(db, person, settings, utcnow())
        await db.commit()
    await config.get_engine().dispose()
    return {"token": token}


async def grow_audit(size: int) -> int:
    """Settings changes of the demo council until its chain holds ``size`` entries."""
    from council.audit.models import AuditHead
    from council.audit.service import chain_for

    config = alchemy_config(Settings.from_env())
    async with config.get_session() as db:
        council = await councils.get_by_slug(db, SLUG)
        facilitator = await _actor(db, "zhuchi")
        head = await db.scalar(
            sa.select(AuditHead.seq).where(AuditHead.chain == chain_for(council.id))
        )
        for n in range((head or 0) + 1, size + 1):
            form = SettingsForm(
                description=council.description,
                meeting_place=f"{council.meeting_place.split(' #')[0]} #{n}",
                notice_period_days=council.notice_period_days,
            )
            await councils.update_settings(db, facilitator, council, form, utcnow())
        await db.commit()
    await config.get_engine().dispose()
    return size


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
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "prepare":
        found: Any = asyncio.run(prepare(int(args[0]), int(args[1])))
    elif command == "session":
        found = asyncio.run(session(args[0]))
    elif command == "audit":
        found = asyncio.run(grow_audit(int(args[0])))
    elif command == "count":
        found = asyncio.run(count(UUID(args[0])))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1:])
