"""Every triage move through the service on both databases: each allowed one changes the
status and writes the timeline and audit entry; each refused one changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.audit.models import AuditEntry
from council.councils.models import Council
from council.councils.permissions import Actor
from council.errors import NotAllowed, TransitionRefused
from council.issues import service, workflow
from council.issues.models import Issue, IssueEvent
from council.issues.schemas import IssueForm, TransitionForm
from council.issues.workflow import IssueStatus as S
from council.workorders import service as orders
from council.workorders.models import Department
from council.workorders.schemas import ReferForm, ReplyForm, Verdict, VerifyForm
from council.workorders.workflow import OrderKind

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


class World:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def setup(self) -> World:
        self.council = (
            await self.db.execute(sa.select(Council).where(Council.slug == "zhonglou"))
        ).scalar_one()
        self.facilitator = await self.actor("zhuchi")
        self.resident = await self.actor("jumin11")
        dept = await self.db.scalar(sa.select(Department.id).where(Department.name == "城管"))
        self.department = str(dept)
        self.liaison = await self.actor("chengguan")
        return self

    async def actor(self, login: str) -> Actor:
        person = (
            await self.db.execute(sa.select(Person).where(Person.login == login))
        ).scalar_one()
        return await actor_for(self.db, person)

    async def issue_in(self, status: S, title: str = "楼道油烟") -> Issue:
        form = IssueForm(title=title, body="油烟从排风口直接排进楼道。", category="油烟")
        issue = await service.submit(
            self.db,
            None,
            self.resident,
            self.council,
            form,
            [],
            upload_limit=20,
            now=NOW,  # type: ignore[arg-type]
        )
        path = {
            S.SUBMITTED: [],
            S.TRIAGE: [S.TRIAGE],
            S.ACCEPTED: [S.TRIAGE, S.ACCEPTED],
            S.REFERRED: [S.TRIAGE, S.REFERRED],
            S.VERIFIED: [S.TRIAGE, S.REFERRED, S.VERIFIED],
            S.REJECTED: [S.TRIAGE, S.REJECTED],
            S.CLOSED: [S.TRIAGE, S.ACCEPTED, S.CLOSED],
            S.MERGED: [S.TRIAGE, S.MERGED],
            S.WITHDRAWN: [],
        }[status]
        for to in path:
            if to is S.VERIFIED:
                await self.handled(issue)
            else:
                await self.move(issue, to)
        if status is S.WITHDRAWN:
            await service.withdraw(self.db, self.resident, self.council, issue.id, NOW)
        await self.db.flush()
        assert issue.status is status
        return issue

    def form(self, to: S) -> TransitionForm:
        """A form that satisfies every gate, so only the table decides."""
        return TransitionForm(
            to=to,
            reason="理由充分",
            target_number=str(self.target.number) if hasattr(self, "target") else "",
        )

    async def move(self, issue: Issue, to: S) -> Issue:
        if to is S.MERGED and not hasattr(self, "target"):
            self.target = await self.issue_in(S.TRIAGE, "合并目标")
        if to is S.REFERRED:
            form = ReferForm(department_id=self.department, kind=OrderKind.COMPLAINT)
            await orders.refer(self.db, self.facilitator, self.council, issue.id, form, NOW)
            return issue
        return await service.transition(
            self.db, self.facilitator, self.council, issue.id, self.form(to), NOW
        )

    async def handled(self, issue: Issue) -> None:
        """The department handles the issue's order and the facilitator is satisfied: the
        order's 核查 verifies the issue (rule 22)."""
        (order,) = await orders.of_issue(self.db, issue.id)
        await orders.accept(self.db, self.liaison, self.council, order.id, NOW)
        reply = ReplyForm(reply="已处理")
        await orders.reply(
            self.db, None, self.liaison, self.council, order.id, reply, [], upload_limit=20, now=NOW
        )
        verdict = VerifyForm(verdict=Verdict.SATISFIED, note="现场查看已处理")
        await orders.verify(self.db, self.facilitator, self.council, order.id, verdict, NOW)


async def _counts(db: AsyncSession, issue: Issue) -> tuple[int, int]:
    events = await db.scalar(
        sa.select(sa.func.count(IssueEvent.id)).where(IssueEvent.issue_id == issue.id)
    )
    audits = await db.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.object_id == issue.id.hex)
    )
    return int(events or 0), int(audits or 0)


# Moves a facilitator makes on an ordinary issue; the ones the work orders make are tested in
# tests/integration/test_work_orders.py, the 随手拍 referral there too.
ALLOWED = [
    pair
    for pair in workflow.TRANSITIONS
    if pair[1] is not S.WITHDRAWN
    and pair not in workflow.FOLLOW_ORDERS
    and pair not in workflow.ONLY_FOR
]


@pytest.mark.parametrize(("frm", "to"), ALLOWED, ids=lambda s: s.value)
async def test_allowed_transition(db: AsyncSession, frm: S, to: S) -> None:
    world = await World(db).setup()
    issue = await world.issue_in(frm)
    before = await _counts(db, issue)
    await world.move(issue, to)
    assert issue.status is to
    events, audits = await _counts(db, issue)
    assert (events, audits) == (before[0] + 1, before[1] + 1)
    await db.rollback()


@pytest.mark.parametrize("frm", [S.SUBMITTED, S.TRIAGE], ids=lambda s: s.value)
async def test_submitter_withdraws(db: AsyncSession, frm: S) -> None:
    world = await World(db).setup()
    issue = await world.issue_in(frm)
    await service.withdraw(db, world.resident, world.council, issue.id, NOW)
    assert issue.status is S.WITHDRAWN
    await db.rollback()


@pytest.mark.parametrize("frm", list(S), ids=lambda s: s.value)
async def test_every_refused_transition_changes_nothing(db: AsyncSession, frm: S) -> None:
    world = await World(db).setup()
    issue = await world.issue_in(frm)
    before = await _counts(db, issue)
    refused = [to for to in S if (frm, to) not in workflow.TRANSITIONS and to is not S.WITHDRAWN]
    assert refused
    for to in refused:
        with pytest.raises(TransitionRefused) as exc:
            await world.move(issue, to)
        assert exc.value.status_code == 409 and exc.value.message
        assert issue.status is frm
    with pytest.raises(NotAllowed):  # withdrawing is the submitter's, never the facilitator's
        await world.move(issue, S.WITHDRAWN)
    assert await _counts(db, issue) == before
    await db.rollback()
