"""What a matter is tied to, both ways: the issues and 提议 it came from, the ballots that
decide it (its own or a vote taken on one of its rounds) and its action plans."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.consultations.models import AgendaItem, Matter, MatterIssue, Round
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.councils.service import check
from council.errors import FormInvalid
from council.i18n import _
from council.issues.models import Issue
from council.issues.workflow import IssueStatus
from council.voting.models import Ballot

# An issue is linked once it has been taken up (立项): then it is public as well.
LINKABLE = frozenset({IssueStatus.ACCEPTED, IssueStatus.CLOSED})


async def issues_of(db: AsyncSession, matter: Matter) -> list[Issue]:
    rows = await db.execute(
        sa.select(Issue)
        .join(MatterIssue, MatterIssue.issue_id == Issue.id)
        .where(MatterIssue.matter_id == matter.id, MatterIssue.council_id == matter.council_id)
        .order_by(Issue.number)
    )
    return list(rows.scalars())


async def matters_of(db: AsyncSession, issue: Issue) -> list[Matter]:
    rows = await db.execute(
        sa.select(Matter)
        .join(MatterIssue, MatterIssue.matter_id == Matter.id)
        .where(MatterIssue.issue_id == issue.id, MatterIssue.council_id == issue.council_id)
        .order_by(Matter.created_at)
    )
    return list(rows.scalars())


def _of_matter(matter_id: UUID) -> sa.ColumnElement[bool]:
    """A ballot of the matter: drafted for it, or voted on one of its rounds in a meeting."""
    on_rounds = (
        sa.select(AgendaItem.id)
        .join(Round, Round.id == AgendaItem.round_id)
        .where(Round.matter_id == matter_id)
    )
    return sa.or_(Ballot.matter_id == matter_id, Ballot.agenda_item_id.in_(on_rounds))


async def ballots_of(db: AsyncSession, matter: Matter) -> list[Ballot]:
    rows = await db.execute(
        sa.select(Ballot)
        .where(Ballot.council_id == matter.council_id, _of_matter(matter.id))
        .order_by(Ballot.created_at)
    )
    return list(rows.scalars())


async def matter_of_ballot(db: AsyncSession, ballot: Ballot) -> Matter | None:
    if ballot.matter_id is not None:
        return await db.get(Matter, ballot.matter_id)
    if ballot.agenda_item_id is None:
        return None
    return await db.scalar(
        sa.select(Matter)
        .join(Round, Round.matter_id == Matter.id)
        .join(AgendaItem, AgendaItem.round_id == Round.id)
        .where(AgendaItem.id == ballot.agenda_item_id)
    )


def issue_number(value: str) -> int | None:
    digits = value.strip().lstrip("#＃")
    return int(digits) if digits.isdigit() and len(digits) < 9 else None


async def link_issue(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter: Matter,
    value: str,
    now: dt.datetime,
) -> Issue:
    """Record that ``matter`` came from issue #n of this council (立项 · 来源)."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以关联诉求"))
    number = issue_number(value)
    values = {"issue_number": value}
    issue = None
    if number is not None:
        issue = await db.scalar(
            sa.select(Issue).where(Issue.council_id == council.id, Issue.number == number)
        )
    if issue is None:
        raise FormInvalid({"issue_number": _("本议事会没有这个编号的诉求或提议")}, values)
    if issue.status not in LINKABLE:
        message = _("只能关联已立项的诉求或提议（#%(n)s 尚未立项）", n=issue.number)
        raise FormInvalid({"issue_number": message}, values)
    db.add(MatterIssue(council_id=council.id, matter_id=matter.id, issue_id=issue.id))
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        message = _("#%(n)s 已关联到本议题", n=issue.number)
        raise FormInvalid({"issue_number": message}, values) from exc
    await audit.record_by(
        db,
        actor,
        council.id,
        "matter.issue_linked",
        ("matter", matter.id),
        {"issue": issue.number, "title": issue.title},
        at=now,
    )
    return issue
