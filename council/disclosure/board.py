"""The council's front page as its public noticeboard: what is in notice, what was decided, what
is being done. Built as an anonymous visitor sees it, whoever asks, so that nothing non-public
can reach it and every visitor gets the same page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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
from council.notices.service import NoticeCard
from council.programmes.controller import street
from council.voting import service as voting
from council.voting.models import Ballot, BallotOption
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
    running: list[NoticeCard]  # in their period, soonest to end first
    ended: list[NoticeCard]
    resolutions: list[Resolution]
    matters: list[MatterRow]
    conventions: list[AdoptedConvention]
    months: list[MonthStats]
    statuses: list[issue_workflow.IssueStatus]
    minutes: list[tuple[Meeting, dt.datetime]]
    street: Any


async def resolution(db: AsyncSession, ballot: Ballot) -> Resolution:
    return (await resolutions(db, [ballot]))[0]


async def resolutions(db: AsyncSession, ballots: Sequence[Ballot]) -> list[Resolution]:
    """Each ballot's stored result beside its options, read in one statement."""
    options: dict[Any, list[BallotOption]] = {}
    if ballots:
        found = await db.execute(
            sa.select(BallotOption)
            .where(
                BallotOption.ballot_id.in_([b.id for b in ballots]),
                BallotOption.council_id == ballots[0].council_id,
            )
            .order_by(BallotOption.position)
        )
        for option in found.scalars():
            options.setdefault(option.ballot_id, []).append(option)
    shown = []
    for ballot in ballots:
        result = voting.stored_result(ballot)
        counts = result.get("counts", {})
        labels = [(o.label, int(counts.get(o.code, 0))) for o in options.get(ballot.id, [])]
        shown.append(Resolution(ballot, result, labels))
    return shown


async def _resolutions(db: AsyncSession, council: Council) -> list[Resolution]:
    """Closed and certified votes, latest first; adoption votes are shown with their convention."""
    adoptions = sa.select(ConventionVersion.ballot_id).where(
        ConventionVersion.council_id == council.id, ConventionVersion.ballot_id.is_not(None)
    )
    rows = await db.execute(
        sa.select(Ballot)
        .where(
            Ballot.council_id == council.id,
            Ballot.status.in_((Status.CLOSED, Status.CERTIFIED)),
            Ballot.id.not_in(adoptions),
        )
        .order_by(sa.func.coalesce(Ballot.closed_at, Ballot.created_at).desc())
        .limit(RESOLUTIONS)
    )
    return await resolutions(db, [b for b in rows.scalars() if voting.visible(ANONYMOUS, b)])


async def _matters(db: AsyncSession, council: Council, now: dt.datetime) -> list[MatterRow]:
    matters = await consultations.list_matters(db, council.id, MATTERS)
    shown = [matter for matter, _rounds in matters]
    flows = await workflows.of_matters(db, shown)
    plans = await workflows.plans_of_matters(db, shown)
    listed = [plan for matter in shown for plan in plans.get(matter.id, [])]
    progress = {p.plan.id: p for p in await service_plans.progress_of(db, council, listed, now)}
    return [
        MatterRow(
            matter,
            rounds,
            flows.get(matter.id),
            [progress[plan.id] for plan in plans.get(matter.id, [])],
        )
        for matter, rounds in matters
    ]


async def _conventions(db: AsyncSession, council: Council) -> list[AdoptedConvention]:
    return [
        AdoptedConvention(row, await adoption.vote_of(db, row.adopted))
        for row in await conventions.list_conventions(db, ANONYMOUS, council)
        if row.adopted is not None
    ]


async def _notices(
    db: AsyncSession, council: Council, now: dt.datetime
) -> tuple[list[NoticeCard], list[NoticeCard]]:
    running = await notices.in_period(db, council, now)
    ended = await notices.ended(db, council, [n.id for n in running], ENDED_NOTICES)
    shown = await notices.cards(db, council, [*running, *ended], now)
    return shown[: len(running)], shown[len(running) :]


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
