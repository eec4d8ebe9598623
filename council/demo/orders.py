"""The work-order part of the 钟楼烟火 demo: the street's departments and their liaisons, the
2026 working-day calendar, the pavement complaint referred to 城管, the back-lane grease trap
summons (吹哨报到) of three departments, and a year of 随手拍 reports turned into work orders:
most handled on time and rated, some late, one sent back and handled again, one with more time
approved, a few still open and overdue.

Everything goes through the services a person uses, at the times it happened, so deadlines,
timelines, scorecards and the audit chain are real. Without file storage (the test suite's
template database) the 随手拍 reports carry no photo."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.councils.models import Council
from council.councils.permissions import Actor
from council.files.images import clean_image
from council.files.storage import Storage
from council.issues import service as issues
from council.issues.models import Issue
from council.issues.schemas import IssueForm, SnapForm
from council.issues.snap import suggest_category
from council.issues.workflow import IssueKind
from council.workorders import service as orders
from council.workorders import service_departments as departments
from council.workorders import service_whistles as whistles
from council.workorders.models import DayKind, Department, WorkOrder
from council.workorders.schemas import (
    CalendarForm,
    Decision,
    DecisionForm,
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
from council.workorders.workflow import OrderKind, Rating

from . import data
from .intake import PAVEMENT_TITLE, SEWAGE_TITLE, _photo

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


class Outcome(enum.Enum):
    ON_TIME = "on_time"  # handled in time, verified, closed, rated
    LATE = "late"  # replied after the deadline, then closed and rated
    RETURNED = "returned"  # not satisfied at first, handled again, closed
    EXTENDED = "extended"  # more time approved, handled within it
    UNRATED = "unrated"  # closed, the reporter has not rated it yet
    WAITING = "waiting"  # replied, waiting for 核查
    OVERDUE = "overdue"  # accepted and never answered: flagged
    UNACCEPTED = "unaccepted"  # dispatched, not even accepted: flagged
    FRESH = "fresh"  # dispatched recently, still within its time


@dataclass(frozen=True)
class Report:
    days_ago: int
    login: str  # a resident, or a shop on duty
    line: str
    place: str
    department: str
    kind: OrderKind
    outcome: Outcome
    rating: Rating
    reply: str


REPORTS = [
    Report(
        days,
        login,
        line,
        place,
        department,
        OrderKind(kind),
        Outcome(outcome),
        Rating(rating),
        reply,
    )
    for days, login, line, place, department, kind, outcome, rating, reply in data.YEAR_OF_REPORTS
]


class _Demo:
    def __init__(self, db: AsyncSession, council: Council, storage: Storage | None) -> None:
        self.db, self.council, self.storage = db, council, storage
        self.actors: dict[str, Actor] = {}
        self.departments: dict[str, Department] = {}

    async def actor(self, login: str) -> Actor:
        if login not in self.actors:
            person = await self.db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, login  # noqa: S101 - demo data is fixed
            self.actors[login] = await actor_for(self.db, person)
        return self.actors[login]

    async def liaison(self, order: WorkOrder) -> Actor:
        name = next(n for n, d in self.departments.items() if d.id == order.department_id)
        login = next(d[3][0][0] for d in data.DEPARTMENTS if d[0] == name)
        return await self.actor(login)

    async def accept(self, order: WorkOrder, at: dt.datetime) -> None:
        await orders.accept(self.db, await self.liaison(order), self.council, order.id, at)

    async def reply(self, order: WorkOrder, text: str, at: dt.datetime) -> None:
        await orders.reply(
            self.db,
            self.storage,
            await self.liaison(order),
            self.council,
            order.id,
            ReplyForm(reply=text),
            [],
            upload_limit=100,
            now=at,
        )

    async def verify(
        self, order: WorkOrder, login: str, verdict: Verdict, note: str, at: dt.datetime
    ) -> None:
        form = VerifyForm(verdict=verdict, note=note)
        await orders.verify(self.db, await self.actor(login), self.council, order.id, form, at)

    async def close(self, order: WorkOrder, at: dt.datetime) -> None:
        await orders.close(self.db, await self.actor("zhuchi"), self.council, order.id, at)

    async def rate(self, order: WorkOrder, login: str, rating: Rating, at: dt.datetime) -> None:
        form = RateForm(rating=rating)
        await orders.rate(self.db, await self.actor(login), self.council, order.id, form, at)


async def load(
    db: AsyncSession,
    council: Council,
    admin: Actor,
    now: dt.datetime,
    storage: Storage | None = None,
) -> None:
    demo = _Demo(db, council, storage)
    await _street(demo, admin, now - 400 * DAY)
    start = now - 150 * DAY
    await _pavement(demo, start)
    await _grease_trap(demo, start)
    for report in REPORTS:
        await _report(demo, report, now)


async def _street(demo: _Demo, admin: Actor, at: dt.datetime) -> None:
    """The administrator enters the calendar and the departments, which serve this council."""
    db = demo.db
    for start, end, kind, note in data.CALENDAR:
        form = CalendarForm(start=start, end=end, kind=DayKind(kind), note=note)
        await departments.set_days(db, admin, form, at)
    for name, unit, categories, liaisons in data.DEPARTMENTS:
        form = DepartmentForm(name=name, unit=unit, categories=categories)
        department = await departments.create_department(db, admin, form, at)
        await departments.set_councils(db, admin, department.id, [demo.council.id], at)
        for login, title in liaisons:
            await departments.add_liaison(db, admin, department.id, LiaisonForm(login, title), at)
        demo.departments[name] = department


async def _issue(db: AsyncSession, council: Council, title: str) -> Issue:
    return (
        await db.execute(
            sa.select(Issue).where(Issue.council_id == council.id, Issue.title == title)
        )
    ).scalar_one()


async def _pavement(demo: _Demo, start: dt.datetime) -> None:
    """The pavement complaint: referred to 城管, handled, verified by the resident, rated."""
    issue = await _issue(demo.db, demo.council, PAVEMENT_TITLE)
    form = ReferForm(
        department_id=str(demo.departments["城管"].id),
        kind=OrderKind.COMPLAINT,
        brief="请核查东段外摆占道情况，约谈相关商户。",
    )
    order = await orders.refer(
        demo.db, await demo.actor("zhuchi"), demo.council, issue.id, form, start + 32 * DAY
    )
    await demo.accept(order, start + 33 * DAY)
    await demo.reply(
        order,
        "已约谈 6 家商户：外摆限定在门前 1 米以内，22:00 前收回；中队每周两次夜间巡查。",
        start + 36 * DAY,
    )
    await demo.verify(
        order,
        "jumin06",
        Verdict.SATISFIED,
        "居民代表两次夜间查看，人行道已畅通。",
        start + 45 * DAY,
    )
    await demo.close(order, start + 46 * DAY)
    await demo.rate(order, "jumin06", Rating.SATISFIED, start + 47 * DAY)


async def _grease_trap(demo: _Demo, start: dt.datetime) -> None:
    """吹哨报到: the back-lane grease trap overflowed; three departments were summoned. Each
    reported arrival and its part; the property manager's part was found wanting and sent
    back, and waits for more time since."""
    issue = await _issue(demo.db, demo.council, SEWAGE_TITLE)
    at = start + 62 * DAY
    names = ("城管", "生态环境分局", "钟楼物业")
    whistle = await whistles.summon(
        demo.db,
        await demo.actor("zhuchi"),
        demo.council,
        WhistleForm(
            title="后巷隔油池满溢，污水流到路面",
            place="美食街西口后巷",
            minutes=30,
            brief="隔油池满溢，污水带油流到路面。请城管查处违规排放商户，生态环境分局检查排放，"
            "钟楼物业清掏隔油池并提出扩容方案。",
            issue_number=str(issue.number),
        ),
        [str(demo.departments[n].id) for n in names],
        at,
    )
    summoned = {
        o.department_id: o
        for o in (
            await demo.db.execute(sa.select(WorkOrder).where(WorkOrder.whistle_id == whistle.id))
        ).scalars()
    }
    parts = {
        "城管": (18, 3, "已查明 3 家商户将泔水倒入雨水井，当场责令整改并立案。"),
        "生态环境分局": (
            25,
            4,
            "已采样检测，责成 3 家商户两周内完成隔油设施清掏和扩容，届时复查。",
        ),
        "钟楼物业": (41, 5, "已连夜清掏隔油池，路面冲洗干净；扩容方案另行报送。"),
    }
    for name, (minutes, hours, part) in parts.items():
        order = summoned[demo.departments[name].id]
        await whistles.arrive(
            demo.db, await demo.liaison(order), demo.council, order.id, at + minutes * MINUTE
        )
        await demo.reply(order, part, at + hours * HOUR)
    for name in ("城管", "生态环境分局"):
        order = summoned[demo.departments[name].id]
        await demo.verify(order, "zhuchi", Verdict.SATISFIED, "次日现场复查，路面干净。", at + DAY)
        await demo.close(order, at + DAY + HOUR)
        await demo.rate(order, "jumin04", Rating.SATISFIED, at + 2 * DAY)
    property_order = summoned[demo.departments["钟楼物业"].id]
    await demo.verify(
        property_order,
        "jumin04",
        Verdict.UNSATISFIED,
        "三天后隔油池又满溢，扩容没有落实。",
        at + 4 * DAY,
    )
    await orders.request_extension(
        demo.db,
        await demo.liaison(property_order),
        demo.council,
        property_order.id,
        ExtensionForm(days=10, reason="隔油池扩容须经业主大会表决使用维修基金，需要更多时间。"),
        at + 5 * DAY,
    )


async def _submit(demo: _Demo, report: Report, at: dt.datetime) -> Issue:
    actor = await demo.actor(report.login)
    if demo.storage is None:
        categories = (await issues.intake_settings(demo.db, demo.council.id)).category_list
        form = IssueForm(
            title=report.line,
            body=report.line,
            category=suggest_category(report.line, categories),
            kind=IssueKind.SNAP,
            place=report.place,
        )
        return await issues.submit(
            demo.db,
            None,
            actor,
            demo.council,
            form,
            [],
            upload_limit=100,
            now=at,  # type: ignore[arg-type]
        )
    return await issues.submit_snap(
        demo.db,
        demo.storage,
        actor,
        demo.council,
        SnapForm(line=report.line, place=report.place),
        [clean_image(_photo(report.days_ago))],
        upload_limit=100,
        now=at,
    )


async def _report(demo: _Demo, report: Report, now: dt.datetime) -> None:
    """A 随手拍 turned into a work order at once, then whatever its outcome says."""
    reported = now - report.days_ago * DAY
    issue = await _submit(demo, report, reported)
    dispatched = reported + 2 * HOUR
    form = ReferForm(department_id=str(demo.departments[report.department].id), kind=report.kind)
    order = await orders.refer(
        demo.db, await demo.actor("zhuchi"), demo.council, issue.id, form, dispatched
    )
    if report.outcome is Outcome.UNACCEPTED:
        return
    given = order.due_at - dispatched
    await demo.accept(order, dispatched + min(given / 4, 20 * HOUR))
    if report.outcome in (Outcome.OVERDUE, Outcome.FRESH):
        return
    if report.outcome is Outcome.EXTENDED:
        liaison = await demo.liaison(order)
        ask = ExtensionForm(days=5, reason="需协调街道和社区设置疏导点，时间较长。")
        request = await orders.request_extension(
            demo.db, liaison, demo.council, order.id, ask, dispatched + given / 2
        )
        decision = DecisionForm(decision=Decision.APPROVE, note="同意，请按新期限办结。")
        await orders.decide_extension(
            demo.db,
            await demo.actor("zhuchi"),
            demo.council,
            order.id,
            request.id,
            decision,
            dispatched + given / 2 + 3 * HOUR,
        )
        given = order.due_at - dispatched
    replied = order.due_at + 2 * DAY if report.outcome is Outcome.LATE else dispatched + given / 2
    await demo.reply(order, report.reply, replied)
    if report.outcome is Outcome.WAITING:
        return
    if report.outcome is Outcome.RETURNED:
        await demo.verify(
            order, report.login, Verdict.UNSATISFIED, "没有解决，请再处理。", replied + DAY
        )
        replied = replied + 2 * DAY
        await demo.reply(order, report.reply, replied)
    await demo.verify(order, report.login, Verdict.SATISFIED, "已解决。", replied + DAY)
    await demo.close(order, replied + DAY + 2 * HOUR)
    if report.outcome is not Outcome.UNRATED:
        await demo.rate(order, report.login, report.rating, replied + 2 * DAY)
