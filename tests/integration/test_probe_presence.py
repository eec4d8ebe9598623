"""Rule 14 as a property: whoever is present when a 实到 ballot opens, and whoever then tries
to vote, only those present are counted, so no tally's cast count exceeds its 实到 base."""

from __future__ import annotations

import json
from uuid import UUID

import msgspec
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.clock import FixedClock
from council.councils.models import ClaimStatus, Membership, Role
from council.councils.permissions import Actor
from council.errors import NotAllowed
from council.settings import Settings
from council.voting import service as voting
from council.voting.schemas import BallotForm
from tests.voting_crowd import Crowd, crowd

LISTED = 11  # DOMAIN §3 worked example 3: a party review of 11
# (pass base, quorum): every pairing that makes the ballot take who is present.
PRESENT_RULES = [("present", ""), ("present", "2/3>="), ("cast", "2/3>="), ("decisive", "1/2>")]


async def _members(group: Crowd) -> list[Actor]:
    async with group.session() as db:
        people = await db.execute(
            sa.select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == Role.MEMBER, Membership.status == ClaimStatus.VERIFIED)
            .order_by(Person.login)
            .limit(LISTED)
        )
        return [await actor_for(db, person) for person in people.scalars()]


async def _logins(group: Crowd, voters: list[Actor]) -> list[str]:
    async with group.session() as db:
        rows = await db.execute(
            sa.select(Person.login).where(Person.id.in_([v.person_id for v in voters]))
        )
        return list(rows.scalars())


Sitting = tuple[list[bool], list[tuple[int, str]], str, str, str]


@st.composite
def sittings(draw: st.DrawFn) -> Sitting:
    """Who is present (at least one), who tries to vote with what, method, base and quorum."""
    present = draw(st.lists(st.booleans(), min_size=LISTED, max_size=LISTED))
    present[draw(st.integers(0, LISTED - 1))] = True
    attempts = draw(
        st.lists(
            st.tuples(st.integers(0, LISTED - 1), st.sampled_from(["yes", "no", "abstain"])),
            max_size=2 * LISTED,
            unique_by=lambda a: a[0],
        )
    )
    base, quorum = draw(st.sampled_from(PRESENT_RULES))
    return present, attempts, draw(st.sampled_from(["named", "secret"])), base, quorum


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    # The database is the test's own; each example opens a ballot of its own on it.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=sittings())
async def test_probe_12_no_present_based_tally_counts_more_votes_than_were_present(
    settings: Settings, clock: FixedClock, case: Sitting
) -> None:
    present, attempts, method, base, quorum = case
    now = clock.now()
    async with crowd(settings, 0, now) as group:
        members = await _members(group)
        assert len(members) == LISTED
        form = msgspec.convert(
            {
                "question": "审议：美食街油烟治理方案",
                "electorate": "listed",
                "listed": "\n".join(await _logins(group, members)),
                "method": method,
                "pass_base": base,
                "quorum_rule": quorum,
                "quorum_measure": "present",
            },
            BallotForm,
        )
        here = [f"p:{m.person_id.hex}" for m, p in zip(members, present, strict=True) if p]

        async def open_one(db: AsyncSession) -> UUID:
            ballot = await voting.create(db, group.facilitator, group.council, form, now)
            await voting.open_ballot(
                db, group.facilitator, group.council, ballot.id, now, present=here
            )
            return ballot.id

        ballot_id = await group.run(open_one)
        counted = 0
        for index, choice in attempts:
            if present[index]:
                await group.cast(members[index], ballot_id, choice, now)
                counted += 1
                continue
            try:
                await group.cast(members[index], ballot_id, choice, now)
            except NotAllowed:
                continue
            raise AssertionError("a member absent at the opening voted")
        result = json.loads((await group.close(ballot_id, now)).result or "{}")
    assert result["present"] == len(here)
    assert result["cast"] == counted <= result["present"]
    if result["base_kind"] == "present":
        assert result["cast"] <= result["base"]
