"""Load the demo council through the same services a facilitator uses, so its audit chain
is real and verifies like any other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from argon2.profiles import Parameters
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.passwords import RECOMMENDED, hash_password
from council.councils import service as councils
from council.councils.models import Constituency, Council, Role, Shop
from council.councils.permissions import Actor
from council.councils.schemas import (
    AppointForm,
    ClaimForm,
    CouncilForm,
    DecisionForm,
    MemberForm,
    ShopForm,
)
from council.demo import consultation, convention, data, intake, major, orders, programmes
from council.files.storage import Storage


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    what: str


async def is_empty(db: AsyncSession) -> bool:
    return await db.scalar(sa.select(sa.func.count(Council.id))) == 0


async def load(
    db: AsyncSession,
    now: dt.datetime,
    storage: Storage | None = None,
    hashing: Parameters = RECOMMENDED,
) -> Council:
    """``storage`` receives the demo issues' photos; without one they have none. ``hashing``
    is the argon2 cost of the demo accounts' password (Settings.password_hashing)."""
    # One salted hash serves every demo account: they share the printed demo password.
    password_hash = hash_password(data.DEMO_PASSWORD, hashing)
    people: dict[str, Person] = {}

    def person(login: str, name: str, phone: str, *, admin: bool = False) -> Person:
        p = Person(
            login=login, display_name=name, phone=phone, password_hash=password_hash, is_admin=admin
        )
        db.add(p)
        people[login] = p
        return p

    admin = person(*data.ADMIN[:3], admin=True)
    for login, name, phone, _title in [data.FACILITATOR, *data.SUPERVISORS, *data.RESIDENTS]:
        person(login, name, phone)
    for seats in data.SEATS.values():
        for login, name, phone, _title, _role in seats:
            if login not in people:
                person(login, name, phone)
    for login, name, phone in data.LIAISONS_WITHOUT_SEAT:
        person(login, name, phone)
    for number, _name, _category in data.SHOPS:
        login = f"shop{int(number):02d}"
        if login not in people:
            person(login, f"{_name}店主", f"139071410{int(number):02d}")
    for login, name, phone in major.zhenning_people():
        person(login, name, phone)
    await db.flush()

    admin_actor = Actor(person_id=admin.id, display_name=admin.display_name, is_admin=True)
    council = await councils.create_council(db, admin_actor, CouncilForm(**data.COUNCIL), now)
    await councils.appoint_facilitator(
        db, admin_actor, council, AppointForm(login=data.FACILITATOR[0]), now
    )
    # Supervisors check the facilitator's work, so the administrator appoints them too.
    for login, _name, _phone, title in data.SUPERVISORS:
        await councils.add_member(
            db,
            admin_actor,
            council,
            MemberForm(login=login, role=Role.SUPERVISOR, title=title),
            now,
        )
    # The facilitator does the rest, as in real life.
    facilitator = Actor(
        person_id=people[data.FACILITATOR[0]].id,
        display_name=data.FACILITATOR[1],
        roles={council.id: frozenset({Role.FACILITATOR})},
    )
    for number, name, category in data.SHOPS:
        await councils.add_shop(
            db,
            facilitator,
            council,
            ShopForm(
                number=number, name=name, category=category, address=f"钟楼烟火美食街 {number} 号"
            ),
            now,
        )
    constituencies = {
        c.name: c
        for c in (
            await db.execute(sa.select(Constituency).where(Constituency.council_id == council.id))
        ).scalars()
    }
    for constituency, seats in data.SEATS.items():
        for login, _name, _phone, title, role in seats:
            form = MemberForm(
                login=login,
                role=role,
                constituency_id=constituencies[constituency].id.hex,
                title=title,
            )
            await councils.add_member(db, facilitator, council, form, now)
    for login, _name, _phone, title in data.RESIDENTS:
        await councils.add_member(
            db, facilitator, council, MemberForm(login=login, role=Role.RESIDENT, title=title), now
        )
    await _verify_shop_representatives(db, facilitator, council, people, now)
    await intake.load(db, council, now, storage)
    await consultation.load(db, council, facilitator, now)
    await convention.load(db, council, facilitator, now)
    await orders.load(db, council, admin_actor, now, storage)
    await major.load_subsidy(db, council, now)
    await major.load_zhenning(db, admin_actor, people, now)
    await programmes.load(db, council, now)
    return council


async def _verify_shop_representatives(
    db: AsyncSession,
    facilitator: Actor,
    council: Council,
    people: dict[str, Person],
    now: dt.datetime,
) -> None:
    """Each shop's owner claims it and the facilitator verifies: one vote per shop works."""
    shops = (await db.execute(sa.select(Shop).where(Shop.council_id == council.id))).scalars()
    for shop in list(shops):
        owner = people[f"shop{int(shop.number):02d}"]
        owner_actor = Actor(person_id=owner.id, display_name=owner.display_name)
        form = ClaimForm(kind="shop", shop_number=shop.number, note=f"营业执照：{shop.name}")
        record = await councils.claim(db, owner_actor, owner, council, form, now)
        decision = DecisionForm(decision="verify")
        await councils.decide_claim(db, facilitator, council, "shop", record.id, decision, now)


def accounts() -> list[DemoAccount]:
    return [
        DemoAccount(data.ADMIN[0], data.ADMIN[1], "管理员：创建议事会、任命主持人"),
        DemoAccount(data.FACILITATOR[0], data.FACILITATOR[1], "主持人：管理成员、店铺和申请"),
        DemoAccount(data.SUPERVISORS[0][0], data.SUPERVISORS[0][1], "监督员：查看全部记录"),
        DemoAccount("shop01", "王建国", "商户代表（1 号 老王烧烤），议事会成员"),
        DemoAccount("jumin01", "赵淑珍", "居民代表，议事会成员"),
        DemoAccount("jumin11", "何平", "居民"),
        DemoAccount("jiaojing", "郭峰", "职能部门联络员（交警中队），办理工单"),
        DemoAccount("chengguan", "赵军", "职能部门联络员（城管），议事会成员"),
        DemoAccount("dangwei", "张红梅", "社区党委书记：以社区党组织名义提议重大事项"),
        DemoAccount(major.ZN_FACILITATOR[0], major.ZN_FACILITATOR[1], "振宁社区街区议事会主持人"),
        DemoAccount(major.ZN_SUPERVISOR[0], major.ZN_SUPERVISOR[1], "振宁社区街区议事会监督员"),
    ]
