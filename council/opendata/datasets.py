"""The public lists of a council, row by row, as the anonymous visitor's pages show them.

Every export, the JSON API and the feed read these and nothing else, so that what they carry
is exactly what the pages show, and a record the public may not see is in none of them. The
rows come from the same service calls as the pages, made as the anonymous visitor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations import service_meetings as meetings
from council.consultations.models import Minutes, MinutesStatus
from council.conventions import service as conventions
from council.conventions import workflow as convention_workflow
from council.councils.models import Council
from council.councils.permissions import ANONYMOUS
from council.i18n import N_, _
from council.issues import service as issues
from council.issues import workflow as issue_workflow
from council.notices import periods
from council.notices import service as notices
from council.voting import service as voting
from council.voting.workflow import STATUS_LABELS as BALLOT_STATUS_LABELS

# The issue list page shows this many; the exports show them all.
ALL_ISSUES = 100_000


@dataclass(frozen=True)
class NoticeRow:
    id: UUID
    kind: str
    kind_label: str
    status: str
    status_label: str
    title: str
    body: str
    posted_at: str
    published_at: dt.datetime | None
    first_day: dt.date | None
    last_day: dt.date | None
    days_left: int
    corrects: UUID | None
    url: str


@dataclass(frozen=True)
class BallotRow:
    id: UUID
    question: str
    status: str
    status_label: str
    method: str
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    certified_at: dt.datetime | None
    eligible: int | None
    cast: int | None
    counts: dict[str, int] | None
    passed: bool | None
    closing_hash: str | None
    url: str


@dataclass(frozen=True)
class MinutesRow:
    id: UUID
    meeting_id: UUID
    meeting_title: str
    meeting_starts_at: dt.datetime
    item: str
    published_at: dt.datetime | None
    text: str
    corrects: UUID | None
    url: str


@dataclass(frozen=True)
class ConventionRow:
    id: UUID
    number: int
    title: str
    binds: str
    status: str
    status_label: str
    version: int
    adopted_version: int | None
    adopted_at: dt.datetime | None
    url: str


@dataclass(frozen=True)
class IssueRow:
    id: UUID
    number: int
    kind: str
    title: str
    category: str
    place: str
    status: str
    status_label: str
    submitted_at: dt.datetime
    submitter: str
    cosigns: int
    url: str


Row = NoticeRow | BallotRow | MinutesRow | ConventionRow | IssueRow
Fetch = Callable[[AsyncSession, Council, dt.datetime], Awaitable[Sequence[Any]]]


async def notice_rows(db: AsyncSession, council: Council, now: dt.datetime) -> list[NoticeRow]:
    """The notices page: published, ended and corrected notices, newest first."""
    rows = []
    for n in await notices.list_notices(db, ANONYMOUS, council):
        period = notices.period_of(n, council)
        rows.append(
            NoticeRow(
                id=n.id,
                kind=n.kind.value,
                kind_label=periods.kind_label(n.kind),
                status=n.status.value,
                status_label=periods.label(n.status),
                title=n.title,
                body=n.body,
                posted_at=n.posted_at,
                published_at=n.published_at,
                first_day=period.first_day if period else None,
                last_day=period.last_day if period else None,
                days_left=period.days_left(now, council.timezone) if period else 0,
                corrects=n.corrects_id,
                url=f"/c/{council.slug}/notices/{n.id}",
            )
        )
    return rows


async def ballot_rows(db: AsyncSession, council: Council, now: dt.datetime) -> list[BallotRow]:
    """The ballots page: every ballot the public sees, with its result once counted."""
    rows = []
    for b in await voting.list_ballots(db, ANONYMOUS, council):
        result = voting.stored_result(b) if b.result else None
        rows.append(
            BallotRow(
                id=b.id,
                question=b.question,
                status=b.status.value,
                status_label=_(BALLOT_STATUS_LABELS[b.status]),
                method=b.method.value,
                opened_at=b.opened_at,
                closed_at=b.closed_at,
                certified_at=b.certified_at,
                eligible=result["eligible"] if result else b.eligible_count,
                cast=result["cast"] if result else None,
                counts=result["counts"] if result else None,
                passed=result["passed"] if result else None,
                closing_hash=b.closing_hash,
                url=f"/c/{council.slug}/ballots/{b.id}",
            )
        )
    return rows


async def minutes_rows(db: AsyncSession, council: Council, now: dt.datetime) -> list[MinutesRow]:
    """Each meeting's published minutes page, newest meeting first, items in agenda order."""
    meeting_ids = (
        await db.execute(
            sa.select(Minutes.meeting_id)
            .where(Minutes.council_id == council.id, Minutes.status == MinutesStatus.PUBLISHED)
            .distinct()
        )
    ).scalars()
    published = [await meetings.public_minutes(db, council, m) for m in meeting_ids]
    published.sort(key=lambda p: (p.meeting.starts_at, p.meeting.id), reverse=True)
    return [
        MinutesRow(
            id=m.id,
            meeting_id=p.meeting.id,
            meeting_title=p.meeting.title,
            meeting_starts_at=p.meeting.starts_at,
            item=item.title,
            published_at=m.published_at,
            text=m.public_text,
            corrects=m.corrects_id,
            url=f"/c/{council.slug}/meetings/{p.meeting.id}/minutes",
        )
        for p in published
        for item, m in p.items
    ]


async def convention_rows(
    db: AsyncSession, council: Council, now: dt.datetime
) -> list[ConventionRow]:
    """The conventions page: each convention with a public version, by number."""
    return [
        ConventionRow(
            id=r.convention.id,
            number=r.convention.number,
            title=r.latest.title,
            binds=r.convention.binds,
            status=r.latest.status.value,
            status_label=convention_workflow.label(r.latest.status),
            version=r.latest.number,
            adopted_version=r.adopted.number if r.adopted else None,
            adopted_at=r.adopted.published_at if r.adopted else None,
            url=f"/c/{council.slug}/conventions/{r.convention.id}",
        )
        for r in await conventions.list_conventions(db, ANONYMOUS, council)
    ]


async def issue_rows(db: AsyncSession, council: Council, now: dt.datetime) -> list[IssueRow]:
    """The issues page without filters: decided issues, newest first."""
    return [
        IssueRow(
            id=r.issue.id,
            number=r.issue.number,
            kind=r.issue.kind.value,
            title=r.issue.title,
            category=r.issue.category,
            place=r.issue.place,
            status=r.issue.status.value,
            status_label=issue_workflow.label(r.issue.status),
            submitted_at=r.issue.submitted_at,
            submitter=r.submitter,
            cosigns=r.cosigns,
            url=f"/c/{council.slug}/issues/{r.issue.id}",
        )
        for r in await issues.public_list(db, council, limit=ALL_ISSUES)
    ]


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str  # zh-CN, through gettext at use
    row: type[Any]
    fetch: Fetch

    def columns(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.row)]


DATASETS: Mapping[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("notices", N_("公示"), NoticeRow, notice_rows),
        Dataset("ballots", N_("表决与结果"), BallotRow, ballot_rows),
        Dataset("minutes", N_("会议纪要"), MinutesRow, minutes_rows),
        Dataset("conventions", N_("公约"), ConventionRow, convention_rows),
        Dataset("issues", N_("诉求"), IssueRow, issue_rows),
    )
}


def cell(value: Any) -> str:
    """One value as a CSV cell: dates in ISO form, mappings as JSON, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def page_after(
    rows: Sequence[Any], after: UUID | None, limit: int
) -> tuple[list[Any], UUID | None]:
    """Key pagination: the rows that follow the row ``after`` in the list's order, and the
    key of the next page (None on the last). A key that is not in the list gives nothing."""
    start = 0
    if after is not None:
        keys = [r.id for r in rows]
        if after not in keys:
            return [], None
        start = keys.index(after) + 1
    chosen = list(rows[start : start + limit])
    more = start + limit < len(rows)
    return chosen, (chosen[-1].id if more and chosen else None)
