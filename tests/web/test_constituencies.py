"""A council's shape: the facilitator adds, renames and resizes constituencies (界别 and their
seats); a past ballot still reads with the names and seats it was held under."""

from __future__ import annotations

import json

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from council.councils.models import Constituency, ConstituencyChange
from tests.consultation_flow import constituency_id, signed_in
from tests.support import audit_actions, post_form, text_of
from tests.voting_support import BASE as BALLOTS
from tests.voting_support import opened

MANAGE = "/c/zhonglou/manage"


async def _named(db: AsyncSession, name: str) -> Constituency | None:
    await db.rollback()
    return await db.scalar(sa.select(Constituency).where(Constituency.name == name))


async def test_facilitator_adds_a_constituency(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        added = await post_form(
            zhuchi,
            f"{MANAGE}/constituencies",
            {"name": "老字号商户", "seats": "3", "kind": "merchant"},
        )
        assert added.status_code == 303, text_of(added.text)
        twice = await post_form(
            zhuchi, f"{MANAGE}/constituencies", {"name": "老字号商户", "seats": "2"}
        )
        page = text_of((await zhuchi.get(MANAGE)).text)
    assert twice.status_code == 422
    assert "本议事会已有名为“老字号商户”的界别" in text_of(twice.text)
    assert 'value="老字号商户"' in twice.text  # the form as typed, in place
    made = await _named(db, "老字号商户")
    assert made is not None and made.seats == 3
    assert "老字号商户" in page and "3 席，已有 0 位代表" in page
    (entry,) = await audit_actions(db, "constituency.added")
    assert json.loads(entry.summary) == {"name": "老字号商户", "seats": 3}


async def test_renaming_and_resizing_keeps_what_a_past_ballot_was_held_under(
    app: Litestar, db: AsyncSession, clock: FixedClock
) -> None:
    merchants = await constituency_id(db, "商户代表")
    ballot = await opened(app, electorate="constituencies", constituency_ids=merchants)
    await db.rollback()
    clock.advance(days=30)
    async with signed_in(app, "zhuchi") as zhuchi:
        url = f"{MANAGE}/constituencies/{merchants}"
        changed = await post_form(zhuchi, url, {"name": "沿街商户代表", "seats": "9"})
        assert changed.status_code == 303, text_of(changed.text)
        past = text_of((await zhuchi.get(f"{BALLOTS}/{ballot}")).text)
        council = text_of((await zhuchi.get("/c/zhonglou/members")).text)
        # Fewer seats than members seated, or nothing changed: refused in place.
        shrunk = await post_form(zhuchi, url, {"name": "沿街商户代表", "seats": "1"})
        same = await post_form(zhuchi, url, {"name": "沿街商户代表", "seats": "9"})
    assert "投票界别：商户代表（7 席）" in past
    assert "沿街商户代表" in council and "9 席" in council
    assert shrunk.status_code == 422
    assert "席位不能少于" in text_of(shrunk.text)
    assert same.status_code == 422
    assert "名称和席位都没有改变" in text_of(same.text)
    now = await _named(db, "沿街商户代表")
    assert now is not None and now.seats == 9
    history = await db.scalars(
        sa.select(ConstituencyChange)
        .where(ConstituencyChange.constituency_id == now.id)
        .order_by(ConstituencyChange.changed_at)
    )
    assert [(h.name, h.seats) for h in history] == [("商户代表", 7), ("沿街商户代表", 9)]
    (entry,) = await audit_actions(db, "constituency.changed")
    assert json.loads(entry.summary) == {
        "before": {"name": "商户代表", "seats": 7},
        "after": {"name": "沿街商户代表", "seats": 9},
    }


async def test_only_the_facilitator_shapes_the_council(app: Litestar, db: AsyncSession) -> None:
    merchants = await constituency_id(db, "商户代表")
    async with signed_in(app, "jumin01") as member:
        refused = await post_form(
            member, f"{MANAGE}/constituencies/{merchants}", {"name": "改名", "seats": "9"}
        )
    assert refused.status_code in (403, 404)
    assert await _named(db, "改名") is None
