"""The street programmes' test world on the demo council: its people as actors, a rating round
scored by three groups, and points earned through 申请 → 审核 → 公示 → 入账 by the services."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.councils import service as councils
from council.councils.models import Council, Role, Shop
from council.councils.permissions import Actor
from council.councils.schemas import MemberForm
from council.notices.models import Notice
from council.programmes import service_points as points
from council.programmes import service_ratings as rating
from council.programmes.kinds import ActivityKind
from council.programmes.models import PointActivity, RatingRound, RotaDuty, ShopOffer
from council.programmes.schemas import (
    ActivityForm,
    ApplyForm,
    OfferForm,
    ReviewForm,
    RoundForm,
    SchemeForm,
)
from council.programmes.service_ratings import score_field
from tests.consultation_flow import signed_in
from tests.support import post_form

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # the demo's load time, 10:00 local
AFTER_AWARD_NOTICE = NOW + dt.timedelta(days=3)  # 3 local days later: the period is over
DOMAIN_DIMENSIONS = "卫生 20\n服务 20\n诚信 20\n安全 15\n门前三包 15\n明码标价 10"
DOMAIN_GROUPS = "商会 40\n社区 30\n居民代表 30"
SCORERS = "商会：shop09\n社区：dangwei\n居民代表：jumin02 jumin03"


@dataclass
class World:
    db: AsyncSession
    council: Council
    actors: dict[str, Actor] = field(default_factory=dict)

    async def actor(self, login: str) -> Actor:
        if login not in self.actors:
            person = await self.db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, login
            self.actors[login] = await actor_for(self.db, person)
        return self.actors[login]

    async def shop(self, number: str) -> Shop:
        found = await self.db.scalar(
            sa.select(Shop).where(Shop.council_id == self.council.id, Shop.number == number)
        )
        assert found is not None
        return found

    async def resident(self, login: str, name: str) -> Actor:
        """A new verified resident, added by the facilitator."""
        person = Person(login=login, display_name=name, phone="", password_hash="x")
        self.db.add(person)
        await self.db.flush()
        form = MemberForm(login=login, role=Role.RESIDENT, title="")
        await councils.add_member(self.db, await self.actor("zhuchi"), self.council, form, NOW)
        return await self.actor(login)

    # --- ratings ---

    async def round(
        self,
        shops: str = "1, 9, 12",
        opens: dt.datetime = NOW - dt.timedelta(hours=1),
        closes: dt.datetime = NOW + dt.timedelta(days=7),
        scorers: str = SCORERS,
    ) -> RatingRound:
        zhuchi = await self.actor("zhuchi")
        scheme = await rating.create_scheme(
            self.db,
            zhuchi,
            self.council,
            SchemeForm(name="文明诚信商户", dimensions=DOMAIN_DIMENSIONS, groups=DOMAIN_GROUPS),
            NOW,
        )
        local = "%Y-%m-%d %H:%M"
        form = RoundForm(
            title="2026年第四季度",
            scheme_id=scheme.id.hex,
            quarter="2026-Q4",
            opens_at=(opens + dt.timedelta(hours=8)).strftime(local),
            closes_at=(closes + dt.timedelta(hours=8)).strftime(local),
            scorers=scorers,
        )
        return await rating.create_round(self.db, zhuchi, self.council, form, shops, NOW)

    async def score(
        self, login: str, rnd: RatingRound, number: str, values: list[int], at: dt.datetime = NOW
    ) -> dict[str, int]:
        view = await rating.scheme_of(self.db, rnd)
        data = {score_field(d): str(v) for d, v in zip(view.dimensions, values, strict=True)}
        shop = await self.shop(number)
        return await rating.score(
            self.db, await self.actor(login), self.council, rnd.id, shop.id, data, at
        )

    # --- points ---

    async def activity(self, name: str, points_: int, kind: ActivityKind) -> PointActivity:
        form = ActivityForm(name=name, kind=kind, points=points_, held_on="2026-11-21")
        return await points.create_activity(
            self.db, await self.actor("zhuchi"), self.council, form, NOW
        )

    async def earn(
        self, who: Actor, name: str, points_: int, kind: ActivityKind = ActivityKind.CLEANUP
    ) -> Notice:
        """申请 → 审核 → 公示 for one award; returns the award notice (not yet credited)."""
        activity = await self.activity(name, points_, kind)
        claim = await points.apply(
            self.db, who, self.council, activity.id, ApplyForm(note="参加了"), NOW
        )
        decision = ReviewForm(decision="approve")
        zhuchi = await self.actor("zhuchi")
        await points.review(self.db, zhuchi, self.council, claim.id, decision, NOW)
        return await points.put_in_notice(
            self.db, await self.actor("zhuchi"), self.council, activity.id, NOW
        )

    async def earn_and_credit(self, who: Actor, name: str, points_: int) -> None:
        notice = await self.earn(who, name, points_)
        await points.credit(
            self.db, await self.actor("zhuchi"), self.council, notice.id, AFTER_AWARD_NOTICE
        )

    async def offer(self, number: str, title: str, cost: int) -> ShopOffer:
        form = OfferForm(shop_number=number, title=title, points=cost)
        return await points.create_offer(
            self.db, await self.actor("zhuchi"), self.council, form, NOW
        )


async def world(db: AsyncSession) -> World:
    council = (await db.execute(sa.select(Council).where(Council.slug == "zhonglou"))).scalar_one()
    return World(db, council)


async def person_id(db: AsyncSession, login: str) -> UUID:
    found = await db.scalar(sa.select(Person.id).where(Person.login == login))
    assert found is not None
    return found


async def open_round_over_http(app: Litestar, db: AsyncSession, scorers: str, shops: str) -> str:
    """A scoring round the facilitator opens through the page, open now for 14 days; its
    address."""
    async with signed_in(app, "zhuchi") as zhuchi:
        page = (await zhuchi.get("/c/zhonglou/ratings")).text
        scheme = re.search(r'name="scheme_id".*?value="([0-9a-f]{32})"', page, re.S)
        assert scheme is not None
        local = "%Y-%m-%d %H:%M"
        response = await post_form(
            zhuchi,
            "/c/zhonglou/ratings",
            {
                "title": "2026年第四季度",
                "scheme_id": scheme.group(1),
                "quarter": "2026-Q4",
                "shops": shops,
                "opens_at": (NOW + dt.timedelta(hours=7)).strftime(local),
                "closes_at": (NOW + dt.timedelta(days=14, hours=8)).strftime(local),
                "scorers": scorers,
            },
        )
        assert response.status_code == 303, response.text[:400]
        return response.headers["location"].split("?")[0]


async def stage(app: Litestar, db: AsyncSession) -> list[str]:
    """What the finished demo lacks for the walk: a round open for scoring with walkers among
    its scorers, and a swap waiting for shop 2's answer. Returns the round's address."""
    scoring = await open_round_over_http(
        app, db, "商会：shop02\n社区：zhuchi\n居民代表：jumin01 jumin11", "1, 2, 3"
    )
    await db.rollback()
    future = (
        await db.execute(
            sa.select(RotaDuty, Shop.number)
            .join(Shop, Shop.id == RotaDuty.shop_id)
            .where(RotaDuty.day > NOW.date(), RotaDuty.done_at.is_(None))
            .order_by(RotaDuty.day)
        )
    ).all()
    theirs = next(d for d, number in future if number == "2")
    mine, number = next((d, n) for d, n in future if n not in ("2",))
    async with signed_in(app, f"shop{int(number):02d}") as asking:
        response = await post_form(
            asking, f"/c/zhonglou/rota/duties/{mine.id}/swap", {"other_duty_id": theirs.id.hex}
        )
        assert response.status_code == 303, response.text[:400]
    return [scoring]
