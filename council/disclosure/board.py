"""The council's front page as its public noticeboard: what is in notice, what was decided, what
is being done. Built as an anonymous visitor sees it, whoever asks, so that nothing non-public
can reach it and every visitor gets the same page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations import service as consultations
from council.consultations import service_meetings, service_plans
from council.consultations.models import Matter, Meeting
from council.consultations.service_plans import Progress
from council.conventions import adoption
from council.conventions import service as conventions
from council.conventions.adoption import VoteRecord
from council.conventions.models import ConventionVersion
from council.councils.models import Council
from council.councils.permissions import ANONYMOUS
from council.issues import service as issues
from council.issues import workflow as issue_workflow
from council.issues.service import MonthStats
from council.notices import service as notices
from council.notices.periods import NoticeStatus
from council.notices.service import NoticeView
from council.programmes.controller import street
from council.voting import service as voting
from council.voting.models import Ballot
from council.voting.workflow import Status
from council.workflows import service as workflows
from council.workflows.models import Workflow

# How much of each list the front page shows; each section links to the whole list.
ENDED_NOTICES = 5
RESOLUTIONS = 5
MATTERS = 6
STAT_MONTHS = 3
MINUTES = 5


@dataclass(frozen=True)
class Resolution:
    """A closed vote as the public reads it: the question, the result, every choice's count."""

    ballot: Ballot
    result: dict[str, Any]
    counts: list[tuple[str, int]]  # (choice label, votes), in the ballot's order


@dataclass(frozen=True)
class MatterRow:
    matter: Matter
    rounds: int
    flow: Workflow | None  # a major matter's place on 四议两公开一监督
    plans: list[Progress]


@dataclass(frozen=True)
class AdoptedConvention:
    row: conventions.ConventionRow
    record: VoteRecord | None


@dataclass(frozen=True)
class Board:
    running: list[NoticeView]  # in their period, soonest to end first
    ended: list[NoticeView]
    resolutions: list[Resolution]
    matters: list[MatterRow]
    conventions: list[AdoptedConvention]
    months: list[MonthStats]
    statuses: list[issue_workflow.IssueStatus]
    minutes: list[tuple[Meeting, dt.datetime]]
    street: Any


async def resolution(db: AsyncSession, ballot: Ballot) -> Resolution:
    result = voting.stored_result(ballot)
    counts = result.get("counts", {})
    options = await voting.options_of(db, ballot)
    return Resolution(ballot, result, [(o.label, int(counts.get(o.code, 0))) for o in options])


async def _adoption_ballots(db: AsyncSession, council: Council) -> set[Any]:
    rows = await db.execute(
        sa.select(ConventionVersion.ballot_id).where(
            ConventionVersion.council_id == council.id, ConventionVersion.ballot_id.is_not(None)
        )
    )
    return set(rows.scalars())


async def _resolutions(db: AsyncSession, council: Council) -> list[Resolution]:
    """Closed and certified votes, latest first; adoption votes are shown with their convention."""
    adoptions = await _adoption_ballots(db, council)
    decided = [
        b
        for b in await voting.list_ballots(db, ANONYMOUS, council)
        if b.status in (Status.CLOSED, Status.CERTIFIED) and b.id not in adoptions
    ]
    decided.sort(key=lambda b: b.closed_at or b.created_at, reverse=True)
    return [await resolution(db, b) for b in decided[:RESOLUTIONS]]


async def _matters(db: AsyncSession, council: Council, now: dt.datetime) -> list[MatterRow]:
    rows = []
    for matter, rounds in (await consultations.list_matters(db, council.id))[:MATTERS]:
        plans = [
            await service_plans.progress(db, council, plan, now)
            for plan in await workflows.plans_of(db, matter)
        ]
        rows.append(MatterRow(matter, rounds, await workflows.of_matter(db, matter), plans))
    return rows


async def _conventions(db: AsyncSession, council: Council) -> list[AdoptedConvention]:
    return [
        AdoptedConvention(row, await adoption.vote_of(db, row.adopted))
        for row in await conventions.list_conventions(db, ANONYMOUS, council)
        if row.adopted is not None
    ]


async def _notices(
    db: AsyncSession, council: Council, now: dt.datetime
) -> tuple[list[NoticeView], list[NoticeView]]:
    running = await notices.in_period(db, council, now)
    shown = {n.id for n in running}
    ended = [
        n
        for n in await notices.list_notices(db, ANONYMOUS, council)
        if n.id not in shown and n.status is not NoticeStatus.SUPERSEDED
    ]
    ended.sort(key=lambda n: n.ends_at or n.created_at, reverse=True)
    return (
        [await notices.view(db, ANONYMOUS, council, n, now) for n in running],
        [await notices.view(db, ANONYMOUS, council, n, now) for n in ended[:ENDED_NOTICES]],
    )


async def board(db: AsyncSession, council: Council, now: dt.datetime) -> Board:
    running, ended = await _notices(db, council, now)
    return Board(
        running=running,
        ended=ended,
        resolutions=await _resolutions(db, council),
        matters=await _matters(db, council, now),
        conventions=await _conventions(db, council),
        months=(await issues.monthly_stats(db, council))[:STAT_MONTHS],
        statuses=[s for s in issue_workflow.IssueStatus if s in issue_workflow.PUBLIC],
        minutes=await service_meetings.published_meetings(db, council.id, MINUTES),
        street=await street(db, council, now),
    )
