"""A year of the street's programmes in 钟楼烟火, through the services people use:

- 文明诚信商户: a published scheme and four quarterly rounds scored by 商会, 社区 and 居民代表;
  the 流动红旗 moves 12 → 5 → 20 → 14, and in the third round a failed 外摆 inspection takes
  5 off shop 12, which would otherwise have kept it;
- 积分: monthly 清洁家园日, patrols, a lecture and volunteering, each 申请 → 审核 → 公示 → 入账,
  redeemed at shops that confirm; this month's awards are still in notice, some wait;
- 值日: the rota since the street took it up three months ago, a few rest days, most duties
  ticked, some missed;
- 外摆: permits, four rules, inspections each month, compliance rising 65 % → 98 %.

Dates are relative to the load time, like the rest of the demo."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.councils.models import Council, Shop
from council.councils.permissions import Actor
from council.errors import FormRefused
from council.notices import service as notices
from council.programmes import service_inspections as inspections
from council.programmes import service_points as points
from council.programmes import service_ratings as rating
from council.programmes import service_rota as rotas
from council.programmes.kinds import ActivityKind, CheckPurpose
from council.programmes.models import RotaDuty
from council.programmes.schemas import (
    ActivityForm,
    ApplyForm,
    AttendanceForm,
    ClosingForm,
    DecisionForm,
    InspectionForm,
    ItemForm,
    MonthForm,
    OfferForm,
    PermitForm,
    ReviewForm,
    RoundForm,
    SchemeForm,
)

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)

DIMENSIONS = "卫生 20\n服务 20\n诚信 20\n安全 15\n门前三包 15\n明码标价 10"
GROUPS = "商会 40\n社区 30\n居民代表 30"
SCORERS = "商会：shop01 shop09\n社区：dangwei\n居民代表：jumin01 jumin02"
ENTRANTS = ("1", "5", "9", "12", "14", "20")
# Each round's shop quality (the mean a scorer gives, on 0–10), oldest round first.
QUALITY = (
    {"12": 9.3, "5": 8.7, "20": 8.5},
    {"5": 9.3, "12": 8.8, "14": 8.4},
    {"12": 9.2, "20": 8.9, "5": 8.5},  # 12 leads, but its failed inspection hands 20 the flag
    {"14": 9.3, "20": 8.8, "12": 8.6},
)
OTHERS = 7.6

DUTY_ITEMS = (
    ("门前三包", "门前卫生：无垃圾、无油污"),
    ("门前三包", "门前秩序：无乱停乱放"),
    ("门前三包", "门前绿化：花木完好"),
    ("十无", "无占道经营、无乱堆乱放"),
    ("十无", "无乱贴乱画、无乱拉乱挂"),
    ("十无", "无油烟直排、无污水外溢"),
)
DISPLAY_RULES = (
    "不超出门前一米许可范围",
    "在许可时段内摆放，22:00 后收摊",
    "盲道、消防通道畅通",
    "收摊后清扫干净",
)
# Inspected and passed per month, oldest first: 65 % rising to 98 % (39 / 40, half up).
INSPECTIONS = ((20, 13), (10, 7), (10, 7), (10, 8), (10, 8), (10, 8),
               (10, 9), (10, 9), (10, 9), (10, 9), (20, 19), (40, 39))  # fmt: skip
ACTIVITIES = (
    ("清洁家园日", ActivityKind.CLEANUP, 4),
    ("夜间巡逻", ActivityKind.PATROL, 3),
    ("防诈骗讲座", ActivityKind.LECTURE, 2),
    ("夜市志愿服务", ActivityKind.VOLUNTEER, 5),
)
RESIDENTS = ("jumin01", "jumin02", "jumin03", "jumin04", "jumin05", "jumin11", "jumin12", "jumin13")
OFFERS = (
    ("20", "热干面一碗", 10),
    ("7", "油条豆浆早餐", 8),
    ("2", "港饼一盒", 15),
    ("1", "烧烤代金券 30 元", 30),
    ("19", "桂花糕一份", 6),
)


class Demo:
    def __init__(self, db: AsyncSession, council: Council, now: dt.datetime) -> None:
        self.db = db
        self.council = council
        self.now = now
        self.zone = ZoneInfo(council.timezone)
        self._actors: dict[str, Actor] = {}

    async def actor(self, login: str) -> Actor:
        if login not in self._actors:
            person = await self.db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, login  # noqa: S101 - demo logins exist
            self._actors[login] = await actor_for(self.db, person)
        return self._actors[login]

    def local(self, day: dt.date, hour: int = 10) -> dt.datetime:
        """A local day and hour, as UTC."""
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.zone).astimezone(dt.UTC)

    def months(self) -> list[dt.date]:
        """The first day of each of the last 12 months, this one last."""
        first = self.now.astimezone(self.zone).date().replace(day=1)
        found = [first]
        while len(found) < 12:
            found.insert(0, (found[0] - DAY).replace(day=1))
        return found


async def load(db: AsyncSession, council: Council, now: dt.datetime) -> None:
    demo = Demo(db, council, now)
    await _checklists(demo)
    await _inspections(demo)
    await _rota(demo)
    await _ratings(demo)
    await _points(demo)


# --- checklists, permits and inspections -------------------------------------------------


async def _checklists(demo: Demo) -> None:
    zhuchi = await demo.actor("zhuchi")
    start = demo.local(demo.months()[0], 9) - 5 * DAY
    for section, text in DUTY_ITEMS:
        form = ItemForm(purpose=CheckPurpose.DUTY, section=section, text=text)
        await rotas.add_item(demo.db, zhuchi, demo.council, form, start)
    for text in DISPLAY_RULES:
        form = ItemForm(purpose=CheckPurpose.DISPLAY, section="外摆", text=text)
        await rotas.add_item(demo.db, zhuchi, demo.council, form, start)
    for shop in await _shops(demo):
        if int(shop.number) % 3:
            continue  # one shop in three may put tables out
        hours = "06:00–10:00" if shop.category == "早点" else "17:00–22:00"
        form = PermitForm(shop_number=shop.number, area="门前 1 米以内", hours=hours)
        await inspections.set_permit(demo.db, zhuchi, demo.council, form, start)


async def _shops(demo: Demo) -> list[Shop]:
    rows = await demo.db.execute(sa.select(Shop).where(Shop.council_id == demo.council.id))
    return sorted(rows.scalars(), key=lambda s: int(s.number))


async def _inspections(demo: Demo) -> None:
    """Inspections each month by the supervisor and the facilitator. Failures fall on shops
    outside the rating, except shop 12 once, in the middle month of the third rated quarter."""
    rules = await rotas.items(demo.db, demo.council, CheckPurpose.DISPLAY)
    inspectors = [await demo.actor("jiandu"), await demo.actor("zhuchi")]
    shops = [s.number for s in await _shops(demo)]
    clean = {n for n in shops if n not in ENTRANTS}
    middle = _quarters(demo)[2][0] + 40 * DAY
    for index, (first, (count, passed)) in enumerate(zip(demo.months(), INSPECTIONS, strict=True)):
        chosen = [shops[(index * 7 + k) % len(shops)] for k in range(count)]
        failing = [k for k, n in enumerate(chosen) if n in clean][: count - passed]
        if (first.year, first.month) == (middle.year, middle.month) and "12" not in chosen:
            chosen[0] = "12"
            failing = [0, *(k for k in failing if k != 0)][: count - passed]
        days = 21 if first == demo.months()[-1] else 27
        for k, number in enumerate(chosen):
            failed = k in failing
            marks = {
                inspections.rule_field(r): "fail" if failed and i == k % len(rules) else "pass"
                for i, r in enumerate(rules)
            }
            note = "外摆超出许可范围，已当场整改" if failed else ""
            form = InspectionForm(shop_number=number, note=note)
            at = demo.local(first + dt.timedelta(days=k * days // count), 20)
            await inspections.record_inspection(
                demo.db, inspectors[k % 2], demo.council, form, marks, at
            )


# --- 值日 ---------------------------------------------------------------------------------


async def _rota(demo: Demo) -> None:
    db, council = demo.db, demo.council
    zhuchi = await demo.actor("zhuchi")
    first_month = demo.months()[-3]
    # Breakfast shops rest on Mondays, two others on Tuesdays.
    for number, weekdays in (("7", [0]), ("30", [0]), ("15", [1]), ("25", [1])):
        form = ClosingForm(shop_number=number)
        await rotas.set_closing(db, zhuchi, council, form, weekdays, demo.local(first_month, 9))
    following = (demo.months()[-1] + 32 * DAY).replace(day=1)
    for first in [*demo.months()[-3:], following]:
        at = demo.local(first, 8) if first < following else demo.now
        await rotas.generate(db, zhuchi, council, MonthForm(month=first.strftime("%Y-%m")), at)
    checklist = await rotas.items(db, council, CheckPurpose.DUTY)
    today = demo.now.astimezone(demo.zone).date()
    duties = (
        await db.execute(
            sa.select(RotaDuty, Shop)
            .join(Shop, Shop.id == RotaDuty.shop_id)
            .where(RotaDuty.council_id == council.id, RotaDuty.day < today)
            .order_by(RotaDuty.day)
        )
    ).all()
    chance = random.Random(7)  # noqa: S311 - a demo's variety, not a secret
    for duty, shop in duties:
        if chance.random() < 0.06:
            continue  # missed: flagged on the rota page
        owner = await demo.actor(f"shop{int(shop.number):02d}")
        skipped = (
            {checklist[chance.randrange(len(checklist))].id.hex} if chance.random() < 0.1 else set()
        )
        ticked = {i.id.hex for i in checklist} - skipped
        note = "门口有一袋垃圾未清运，已随手拍上报" if skipped else ""
        await rotas.tick(db, owner, council, duty.id, ticked, note, demo.local(duty.day, 9))


# --- 文明诚信商户 -----------------------------------------------------------------------------


def _quarters(demo: Demo) -> list[tuple[dt.date, dt.date, str]]:
    """The four quarters before the current one, oldest first: (first, last, "2026-Q3")."""
    today = demo.now.astimezone(demo.zone).date()
    first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    found = []
    for _i in range(4):
        last = first - DAY
        first = dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        found.insert(0, (first, last, f"{first.year}-Q{(first.month - 1) // 3 + 1}"))
    return found


async def _ratings(demo: Demo) -> None:
    db, council = demo.db, demo.council
    zhuchi = await demo.actor("zhuchi")
    quarters = _quarters(demo)
    scheme_form = SchemeForm(
        name="文明诚信商户", dimensions=DIMENSIONS, groups=GROUPS, integrity="诚信"
    )
    scheme = await rating.create_scheme(
        db, zhuchi, council, scheme_form, demo.local(quarters[0][0])
    )
    for index, ((first, last, quarter), quality) in enumerate(zip(quarters, QUALITY, strict=True)):
        opens = demo.local(last + 3 * DAY, 9)
        closes = opens + 10 * DAY
        number = "一二三四"[(first.month - 1) // 3]
        form = RoundForm(
            title=f"{first.year}年第{number}季度",
            scheme_id=scheme.id.hex,
            quarter=quarter,
            opens_at=opens.astimezone(demo.zone).strftime("%Y-%m-%d %H:%M"),
            closes_at=closes.astimezone(demo.zone).strftime("%Y-%m-%d %H:%M"),
            scorers=SCORERS,
        )
        rnd = await rating.create_round(db, zhuchi, council, form, ", ".join(ENTRANTS), opens)
        view = await rating.scheme_of(db, rnd)
        shops = await rating.entrants(db, rnd)
        chance = random.Random(100 + index)  # noqa: S311 - a demo's variety, not a secret
        progress = await rating.progress(db, council, rnd)
        for k, row in enumerate(progress.scorers):
            scorer = await demo.actor(await _login(db, row.scorer.person_id))
            for shop in shops:
                mean = quality.get(shop.number, OTHERS)
                data = {
                    rating.score_field(d): str(
                        max(0, min(10, round(mean + chance.uniform(-0.8, 0.8))))
                    )
                    for d in view.dimensions
                }
                try:
                    await rating.score(
                        db, scorer, council, rnd.id, shop.id, data, opens + (k + 1) * HOUR
                    )
                except FormRefused:  # a scorer's own shop: refused, as it should be
                    continue
        await rating.compute(db, zhuchi, council, rnd.id, closes + HOUR)
        notice = await rating.publish_results(db, zhuchi, council, rnd.id, closes + 2 * HOUR)
        await notices.close(db, zhuchi, council, notice.id, closes + 10 * DAY)


async def _login(db: AsyncSession, person_id: object) -> str:
    login = await db.scalar(sa.select(Person.login).where(Person.id == person_id))
    assert login is not None  # noqa: S101 - scorers are people
    return login


# --- 积分 ---------------------------------------------------------------------------------


# The activity of each month, oldest first (indexes into ACTIVITIES): mostly 清洁家园日,
# this month too.
PLAN = (0, 1, 0, 2, 0, 3, 0, 1, 0, 2, 3, 0)


async def _points(demo: Demo) -> None:
    db, council = demo.db, demo.council
    zhuchi, jiandu = await demo.actor("zhuchi"), await demo.actor("jiandu")
    months = demo.months()
    for number, title, cost in OFFERS:
        form = OfferForm(shop_number=number, title=title, points=cost)
        await points.create_offer(db, zhuchi, council, form, demo.local(months[0], 9))
    offers = await points.offers(db, council)
    chance = random.Random(11)  # noqa: S311 - a demo's variety, not a secret
    today = demo.now.astimezone(demo.zone).date()
    for index, (first, plan) in enumerate(zip(months, PLAN, strict=True)):
        current = index == len(months) - 1
        name, kind, amount = ACTIVITIES[plan]
        held = today - 3 * DAY if current else first + 14 * DAY
        form = ActivityForm(
            name=f"{name}（{held.month}月）", kind=kind, points=amount, held_on=held.isoformat()
        )
        activity = await points.create_activity(
            db, zhuchi, council, form, demo.local(held - 7 * DAY, 9)
        )
        at = demo.local(held, 18)
        people = chance.sample(RESIDENTS, 5)
        # Three apply with a note (and, in real life, a photo); the facilitator records the
        # attendance of two, which the supervisor reviews.
        claims = [
            (
                await points.apply(db, await demo.actor(p), council, activity.id, _note(kind), at),
                zhuchi,
            )
            for p in people[:3]
        ]
        attended = AttendanceForm(logins=" ".join(people[3:]))
        recorded = await points.record_attendance(
            db, zhuchi, council, activity.id, attended, at + HOUR
        )
        claims += [(c, jiandu) for c in recorded]
        # This month one application still waits for review and the rest are in notice.
        for claim, reviewer in claims[1:] if current else claims:
            approve = ReviewForm(decision="approve")
            await points.review(db, reviewer, council, claim.id, approve, at + DAY)
        notice = await points.put_in_notice(db, zhuchi, council, activity.id, at + 2 * DAY)
        if current:
            continue
        await points.credit(db, zhuchi, council, notice.id, at + 6 * DAY)
        if index >= 2:
            await _redeem(demo, chance, offers, at + 8 * DAY)
    await _waiting_redemption(demo, offers)


def _note(kind: ActivityKind) -> ApplyForm:
    return ApplyForm(
        note="参加了当天的清洁，照片见附件" if kind is ActivityKind.CLEANUP else "全程参加"
    )


async def _redeem(
    demo: Demo, chance: random.Random, offers: list[points.OfferRow], at: dt.datetime
) -> None:
    """A resident or two spend points at a shop, which confirms (or now and then declines)."""
    db, council = demo.db, demo.council
    for login in chance.sample(RESIDENTS, 1):
        who = await demo.actor(login)
        balance = await points.balance_of(db, council, who.person_id)
        affordable = [o for o in offers if o.offer.points <= balance]
        if not affordable:
            continue
        row = chance.choice(affordable)
        redemption = await points.redeem(db, who, council, row.offer.id, at)
        shop = await demo.actor(f"shop{int(row.shop.number):02d}")
        decision = DecisionForm(decision="decline" if chance.random() < 0.1 else "confirm")
        await points.decide_redemption(db, shop, council, redemption.id, decision, at + 2 * HOUR)


async def _waiting_redemption(demo: Demo, offers: list[points.OfferRow]) -> None:
    """Yesterday the resident with the most points asked shop 2 for a box of 港饼; the shop
    has not confirmed yet."""
    rows = await points.balances(demo.db, demo.council)
    row = next(o for o in offers if o.shop.number == "2")
    if rows and rows[0].balance.balance >= row.offer.points:
        who = await demo.actor(rows[0].person.login)
        await points.redeem(demo.db, who, demo.council, row.offer.id, demo.now - DAY)
