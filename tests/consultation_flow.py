"""Room helpers for consultation tests: signed-in clients and a meeting with a round."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Meeting
from council.councils.models import Constituency
from tests.support import Client, post_form
from tests.support import signed_in as signed_in  # where the meeting tests import it from

SLUG = "zhonglou"
BASE = f"/c/{SLUG}"


def location_id(response_location: str, kind: str) -> str:
    found = re.search(rf"/{kind}/([0-9a-f\-]{{32,36}})", response_location)
    assert found, response_location
    return found.group(1)


async def constituency_id(db: AsyncSession, name: str) -> str:
    value = await db.scalar(sa.select(Constituency.id).where(Constituency.name == name))
    assert value is not None
    return value.hex


@dataclass
class Setup:
    meeting_id: str
    next_meeting_id: str
    matter_id: str
    round_id: str


async def schedule(facilitator: Client, title: str, date: str = "2026-11-25") -> str:
    response = await post_form(
        facilitator,
        f"{BASE}/meetings/",
        {"title": title, "date": date, "time": "19:00", "place": "商居议事室"},
    )
    assert response.status_code == 303, response.text
    return location_id(response.headers["location"], "meetings")


async def consultation(db: AsyncSession, facilitator: Client, *, invite: tuple[str, ...]) -> Setup:
    """A meeting inviting the named constituencies, a matter, and its round 1 on the agenda."""
    meeting_id = await schedule(facilitator, "第一次协商会")
    next_meeting_id = await schedule(facilitator, "第二次协商会", "2026-12-02")
    for name in invite:
        for target in (meeting_id, next_meeting_id):
            response = await post_form(
                facilitator,
                f"{BASE}/meetings/{target}/invitations",
                {"constituency_id": await constituency_id(db, name)},
            )
            assert response.status_code == 303, response.text
    response = await post_form(
        facilitator,
        f"{BASE}/matters",
        {
            "title": "餐饮油烟扰民",
            "merchant_side": "美食街餐饮商户",
            "resident_side": "钟楼小区居民",
        },
    )
    assert response.status_code == 303, response.text
    matter_id = location_id(response.headers["location"], "matters")
    response = await post_form(
        facilitator, f"{BASE}/matters/{matter_id}/rounds", {"meeting_id": meeting_id}
    )
    assert response.status_code == 303, response.text
    round_id = location_id(response.headers["location"], "rounds")
    return Setup(meeting_id, next_meeting_id, matter_id, round_id)


async def start_meeting(facilitator: Client, meeting_id: str) -> None:
    """The facilitator opens the meeting: from now on the sign-in code works."""
    response = await post_form(facilitator, f"{BASE}/meetings/{meeting_id}/start")
    assert response.status_code == 303, response.text


async def meeting_code(db: AsyncSession, meeting_id: str) -> str:
    await db.rollback()
    meeting = await db.get(Meeting, UUID(meeting_id))
    assert meeting is not None
    return meeting.code


PLAN = {
    "title": "油烟净化器安装",
    "agreed_text": "商户出资治理、居民参与监督",
    "merchants_pay": "true",
    "obligation": "安装油烟净化器",
    "payer": "商户自行出资",
    "deadline": "2026-12-20",
    "supervision_group": "网格员、物业、居民代表",
    "inspection_frequency": "每周两次",
    "acceptance_method": "第三方油烟检测",
}


async def agreed_plan(facilitator: Client, setup: Setup, shops: str = "1-3") -> str:
    """Close round 1 with a consensus and turn it into a plan for ``shops``."""
    response = await post_form(
        facilitator,
        f"{BASE}/rounds/{setup.round_id}/close",
        {"outcome": "consensus", "summary": "商户出资治理、居民参与监督"},
    )
    assert response.status_code == 303, response.text
    response = await post_form(
        facilitator, f"{BASE}/rounds/{setup.round_id}/plan", {**PLAN, "shops": shops}
    )
    assert response.status_code == 303, response.text
    return location_id(response.headers["location"], "plans")


async def item_of(db: AsyncSession, plan_id: str, shop_number: str) -> str:
    from council.consultations.models import ActionItem
    from council.councils.models import Shop

    await db.rollback()
    item_id = await db.scalar(
        sa.select(ActionItem.id)
        .join(Shop, Shop.id == ActionItem.shop_id)
        .where(ActionItem.plan_id == UUID(plan_id), Shop.number == shop_number)
    )
    assert item_id is not None
    return item_id.hex
