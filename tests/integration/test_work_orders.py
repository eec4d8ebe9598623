"""The work-order services on both databases: deadlines from the street's calendar, the
administrator's departments and calendar, a liaison's reach, the scorecard and the list
behind each figure, a summons of three departments, and the issue following its orders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.audit.models import AuditEntry
from council.councils.models import Council
from council.councils.permissions import Actor
from council.errors import Conflict, FormInvalid, NotAllowed, TransitionRefused
from council.issues import service as issues
from council.issues.schemas import IssueForm, TransitionForm
from council.issues.workflow import IssueStatus
from council.workorders import service as orders
from council.workorders import service_departments as departments
from council.workorders import service_reads as reads
from council.workorders import service_whistles as whistles
from council.workorders.calendar import deadline_label
from council.workorders.models import DayKind, Department, OrderExtension, WorkOrder
from council.workorders.schemas import (
    CalendarForm,
    DepartmentForm,
    ExtensionForm,
    LiaisonForm,
    RateForm,
    ReferForm,
    ReplyForm,
    Verdict,
    VerifyForm,
    WhistleForm,
)
from council.workorders.workflow import OrderKind, OrderStatus, Rating
from tests.intake import other_council

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 2026-09-30, 15:00 in Shanghai: the demo calendar has 10-01…10-07 off and
# Saturday 10-10 as a make-up working day.
EVE_OF_NATIONAL_DAY = dt.datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)


class Street:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.people: dict[str, Actor] = {}

    async def setup(self) -> Street:
        self.council = (
            await self.db.execute(sa.select(Council).where(Council.slug == "zhonglou"))
        ).scalar_one()
        self.departments = {
            d.name: d for d in (await self.db.execute(sa.select(Department))).scalars()
        }
        return self

    async def actor(self, login: str) -> Actor:
        if login not in self.people:
            person = (
                await self.db.execute(sa.select(Person).where(Person.login == login))
            ).scalar_one()
            self.people[login] = await actor_for(self.db, person)
        return self.people[login]

    async def referred(
        self, department: str, kind: OrderKind, at: dt.datetime, title: str = "后巷积水"
    ) -> WorkOrder:
        form = IssueForm(title=title, body="后巷积水一直不退，又臭又滑。", category="环境卫生")
        issue = await issues.submit(
            self.db,
            None,
            await self.actor("jumin11"),
            self.council,
            form,
            [],
            upload_limit=20,
            now=at,  # type: ignore[arg-type]
        )
        facilitator = await self.actor("zhuchi")
        await issues.transition(
            self.db, facilitator, self.council, issue.id, TransitionForm(to=IssueStatus.TRIAGE), at
        )
        refer = ReferForm(department_id=str(self.departments[department].id), kind=kind)
        return await orders.refer(self.db, facilitator, self.council, issue.id, refer, at)

    async def handle(
        self, order: WorkOrder, login: str, at: dt.datetime, text: str = "已处理"
    ) -> None:
        liaison = await self.actor(login)
        if order.status is OrderStatus.DISPATCHED:
            await orders.accept(self.db, liaison, self.council, order.id, at)
        await orders.reply(
            self.db,
            None,
            liaison,
            self.council,
            order.id,
            ReplyForm(reply=text),
            [],
            upload_limit=20,
            now=at,
        )


async def _audits(db: AsyncSession) -> int:
    return int(await db.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0)


async def test_deadline_follows_the_street_calendar_over_national_day(db: AsyncSession) -> None:
    street = await Street(db).setup()
    complaint = await street.referred("钟楼物业", OrderKind.COMPLAINT, EVE_OF_NATIONAL_DAY)
    inquiry = await street.referred("钟楼物业", OrderKind.INQUIRY, EVE_OF_NATIONAL_DAY, "问询")
    emergency = await street.referred("钟楼物业", OrderKind.EMERGENCY, EVE_OF_NATIONAL_DAY, "急")
    # Inquiry: 10-08, 10-09, 10-10 (make-up Saturday). Complaint: 13 working days → 10-23.
    assert deadline_label(inquiry.due_at, "Asia/Shanghai") == "2026-10-10 24:00"
    assert deadline_label(complaint.due_at, "Asia/Shanghai") == "2026-10-23 24:00"
    assert deadline_label(emergency.due_at, "Asia/Shanghai") == "2026-09-30 24:00"
    await db.rollback()


async def test_the_administrator_keeps_departments_liaisons_and_calendar(db: AsyncSession) -> None:
    street = await Street(db).setup()
    admin = await street.actor("admin")
    now = EVE_OF_NATIONAL_DAY
    other = await other_council(db)
    dept = await departments.create_department(
        db, admin, DepartmentForm(name="供电所", unit="黄石港供电所", categories="停电\n电线"), now
    )
    await departments.set_councils(db, admin, dept.id, [street.council.id, other.id], now)
    await departments.add_liaison(
        db, admin, dept.id, LiaisonForm(login="jumin12", title="抄表员"), now
    )
    liaison = await actor_for(
        db, (await db.execute(sa.select(Person).where(Person.login == "jumin12"))).scalar_one()
    )
    # One department serves two councils of the street: its liaison acts for it in both.
    assert liaison.departments_in(street.council.id) == {dept.id}
    assert liaison.departments_in(other.id) == {dept.id}
    with pytest.raises(FormInvalid, match="表单有误") as taken:
        await departments.create_department(db, admin, DepartmentForm(name="供电所"), now)
    assert taken.value.errors == {"name": "已有同名的职能部门"}
    with pytest.raises(FormInvalid) as twice:
        await departments.add_liaison(db, admin, dept.id, LiaisonForm(login="jumin12"), now)
    assert "已是供电所的联络员" in twice.value.errors["login"]
    facilitator = await street.actor("zhuchi")
    with pytest.raises(NotAllowed, match="只有街道管理员"):
        await departments.create_department(db, facilitator, DepartmentForm(name="水务"), now)

    # A department with an open order in a council cannot stop serving it.
    street.departments["供电所"] = dept  # made after the street's own were read
    order = await street.referred("供电所", OrderKind.INQUIRY, now)
    with pytest.raises(Conflict, match="还有 1 个未结案的工单"):
        await departments.set_councils(db, admin, dept.id, [other.id], now)
    assert order.status is OrderStatus.DISPATCHED

    # The calendar: a range of holidays, a make-up day only on a weekend, removal.
    added = await departments.set_days(
        db,
        admin,
        CalendarForm(start="2027-02-06", end="2027-02-12", kind=DayKind.HOLIDAY, note="春节"),
        now,
    )
    assert added == 7
    with pytest.raises(FormInvalid) as weekday:
        await departments.set_days(
            db, admin, CalendarForm(start="2027-02-15", kind=DayKind.WORKDAY, note="调休"), now
        )
    assert "调休上班日须是周六或周日" in weekday.value.errors["start"]
    [first, *_rest] = await departments.calendar_days(db, 2027)
    assert first.day == dt.date(2027, 2, 6)
    await departments.remove_day(db, admin, first.id, now)
    calendar = await departments.work_calendar(db)
    assert calendar.is_working_day(dt.date(2027, 2, 6)) is False  # a Saturday anyway
    assert calendar.is_working_day(dt.date(2027, 2, 8)) is False  # a holiday Monday
    await db.rollback()


async def test_refusals_change_nothing_and_write_no_audit_entry(db: AsyncSession) -> None:
    street = await Street(db).setup()
    now = EVE_OF_NATIONAL_DAY
    order = await street.referred("城管", OrderKind.COMPLAINT, now)
    await db.flush()
    before = await _audits(db)
    other_liaison = await street.actor("jiaojing")
    with pytest.raises(NotAllowed, match="只有承办部门的联络员"):
        await orders.accept(db, other_liaison, street.council, order.id, now)
    with pytest.raises(NotAllowed, match="只有承办部门的联络员"):
        await orders.request_extension(
            db, other_liaison, street.council, order.id, ExtensionForm(days=3, reason="忙"), now
        )
    liaison = await street.actor("chengguan")
    with pytest.raises(TransitionRefused, match="申请延期须写明理由"):
        await orders.request_extension(
            db, liaison, street.council, order.id, ExtensionForm(days=3), now
        )
    with pytest.raises(TransitionRefused, match="须先经核查"):
        await orders.close(db, await street.actor("zhuchi"), street.council, order.id, now)
    assert order.status is OrderStatus.DISPATCHED
    assert (
        await db.scalar(
            sa.select(sa.func.count(OrderExtension.id)).where(OrderExtension.order_id == order.id)
        )
        == 0
    )
    assert await _audits(db) == before
    await db.rollback()


async def test_the_issue_follows_all_of_its_orders_and_a_rating_counts_once(
    db: AsyncSession,
) -> None:
    street = await Street(db).setup()
    now = EVE_OF_NATIONAL_DAY
    issue = await issues.submit(
        db,
        None,  # type: ignore[arg-type]
        await street.actor("jumin04"),
        street.council,
        IssueForm(title="后巷隔油池又满了", body="污水流到路面，又滑又臭。", category="环境卫生"),
        [],
        upload_limit=20,
        now=now,
    )
    facilitator = await street.actor("zhuchi")
    await issues.transition(
        db, facilitator, street.council, issue.id, TransitionForm(to=IssueStatus.TRIAGE), now
    )
    form = WhistleForm(
        title="后巷隔油池又满了", place="美食街西口后巷", minutes=30, issue_number=str(issue.number)
    )
    names = ("城管", "生态环境分局", "钟楼物业")
    whistle = await whistles.summon(
        db, facilitator, street.council, form, [street.departments[n].id.hex for n in names], now
    )
    assert issue.status is IssueStatus.REFERRED
    record = await whistles.record(db, whistle)
    by_name = {s.department.name: s.order for s in record.summoned}
    logins = {"城管": "chengguan", "生态环境分局": "huanbao", "钟楼物业": "wuye"}
    for n, name in enumerate(names, start=1):
        moment = now + dt.timedelta(minutes=10 * n)
        await whistles.arrive(
            db, await street.actor(logins[name]), street.council, by_name[name].id, moment
        )
        await street.handle(by_name[name], logins[name], moment + dt.timedelta(hours=1))
        assert (whistle.completed_at is not None) is (n == 3)
    assert whistle.completed_at == now + dt.timedelta(minutes=30, hours=1)
    record = await whistles.record(db, whistle)
    minutes = {s.department.name: s.minutes for s in record.summoned}
    assert minutes == {"城管": 10, "生态环境分局": 20, "钟楼物业": 30}
    assert not any(s.late for s in record.summoned)

    raiser = await street.actor("jumin04")
    ok = VerifyForm(verdict=Verdict.SATISFIED, note="已查看")
    for name in names[:2]:
        await orders.verify(
            db, raiser, street.council, by_name[name].id, ok, now + dt.timedelta(days=1)
        )
    assert issue.status is IssueStatus.REFERRED  # one order still unverified
    await orders.verify(
        db, raiser, street.council, by_name["钟楼物业"].id, ok, now + dt.timedelta(days=1)
    )
    assert issue.status is IssueStatus.VERIFIED
    for name in names:
        await orders.close(
            db, facilitator, street.council, by_name[name].id, now + dt.timedelta(days=2)
        )
        assert (issue.status is IssueStatus.CLOSED) is (name == names[-1])
    rated = RateForm(rating=Rating.BASIC)
    await orders.rate(
        db, raiser, street.council, by_name["城管"].id, rated, now + dt.timedelta(days=3)
    )
    with pytest.raises(TransitionRefused, match="已经评价过了"):
        await orders.rate(
            db, raiser, street.council, by_name["城管"].id, rated, now + dt.timedelta(days=3)
        )
    await db.rollback()


async def test_each_scorecard_figure_is_the_length_of_its_list(db: AsyncSession) -> None:
    street = await Street(db).setup()
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    for card in await reads.scorecards(db, street.council, now):
        for month, figures in await reads.monthly(db, street.council, card.department, now):
            for name, count in figures.counts.items():
                behind = await reads.behind(db, street.council, card.department, month, name, now)
                assert len(behind) == count, (card.department.name, month, name)
    # The demo's year: every department has orders, and some are overdue now.
    cards = {c.department.name: c for c in await reads.scorecards(db, street.council, now)}
    assert set(cards) == {"城管", "市场监管所", "生态环境分局", "交警中队", "钟楼物业"}
    assert cards["交警中队"].open_overdue >= 2
    assert cards["钟楼物业"].open_overdue >= 1
    total = 0
    for card in cards.values():
        total += sum(
            f["received"] for _m, f in await reads.monthly(db, street.council, card.department, now)
        )
    assert total >= 30
    await db.rollback()
