"""The notifications of events that ask people to act or answer them, one function each,
called by the service that makes the event in its own transaction."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Attendance, Meeting, Minutes
from council.councils.models import ClaimStatus, Council, ShopRepresentative
from council.i18n import _
from council.notifications.service import notify
from council.voting.models import Ballot, BallotElector


async def _electors(db: AsyncSession, ballot: Ballot) -> list[UUID]:
    """Who holds a vote on the ballot: each person elector, and each shop's verified
    representatives; for a present-only ballot, those present when it opened."""
    stmt = sa.select(BallotElector.person_id, BallotElector.shop_id).where(
        BallotElector.ballot_id == ballot.id
    )
    if ballot.present_count is not None:
        stmt = stmt.where(BallotElector.present.is_(True))
    people: list[UUID] = []
    shops: list[UUID] = []
    for person_id, shop_id in await db.execute(stmt):
        if person_id is not None:
            people.append(person_id)
        elif shop_id is not None:
            shops.append(shop_id)
    if shops:
        reps = await db.execute(
            sa.select(ShopRepresentative.person_id).where(
                ShopRepresentative.shop_id.in_(shops),
                ShopRepresentative.status == ClaimStatus.VERIFIED,
            )
        )
        people += list(reps.scalars())
    return people


async def _tell_electors(
    db: AsyncSession, council: Council, ballot: Ballot, text: str, now: dt.datetime
) -> None:
    link = f"/c/{council.slug}/ballots/{ballot.id}"
    await notify(db, council.id, await _electors(db, ballot), text, link, now)


async def ballot_opened(
    db: AsyncSession, council: Council, ballot: Ballot, now: dt.datetime
) -> None:
    await _tell_electors(
        db, council, ballot, _("表决已开始，请投票：%(q)s", q=ballot.question), now
    )


async def ballot_closed(
    db: AsyncSession, council: Council, ballot: Ballot, now: dt.datetime
) -> None:
    text = _("表决已结束，结果已公布：%(q)s", q=ballot.question)
    await _tell_electors(db, council, ballot, text, now)


async def invited(
    db: AsyncSession, council: Council, meeting: Meeting, people: list[UUID], now: dt.datetime
) -> None:
    text = _("邀请您参加会议：%(t)s", t=meeting.title)
    await notify(db, council.id, people, text, f"/c/{council.slug}/meetings/{meeting.id}", now)


async def minutes_drafted(
    db: AsyncSession, council: Council, minutes: Minutes, now: dt.datetime
) -> None:
    """Everyone who signed in at the meeting is asked to confirm its minutes."""
    meeting = await db.get(Meeting, minutes.meeting_id)
    assert meeting is not None  # noqa: S101 - a foreign key
    attended = await db.execute(
        sa.select(Attendance.person_id).where(Attendance.meeting_id == meeting.id)
    )
    text = _("请确认会议纪要：%(t)s", t=meeting.title)
    link = f"/c/{council.slug}/meetings/{meeting.id}#minutes-record-{minutes.id.hex}"
    await notify(db, council.id, attended.scalars(), text, link, now, skip=minutes.drafted_by_id)
