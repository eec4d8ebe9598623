"""Dates that make no sense are refused in place: a plan deadline before today, an inspection
on a day still to come."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import ActionPlan, Inspection
from tests.consultation_flow import BASE, PLAN, agreed_plan, consultation, signed_in
from tests.support import post_form, text_of


async def test_plan_deadline_before_today_is_refused_in_place(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        closed = await post_form(
            zhuchi,
            f"{BASE}/rounds/{setup.round_id}/close",
            {"outcome": "consensus", "summary": "商户出资治理、居民参与监督"},
        )
        assert closed.status_code == 303
        await db.rollback()
        plans_before = await db.scalar(sa.select(sa.func.count(ActionPlan.id)))
        late = {**PLAN, "shops": "1-3", "deadline": "2026-11-01"}  # the clock is at 11-23
        refused = await post_form(zhuchi, f"{BASE}/rounds/{setup.round_id}/plan", late)
    assert refused.status_code == 422
    assert "完成期限不能早于今天" in text_of(refused.text)
    assert 'value="2026-11-01"' in refused.text
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(ActionPlan.id))) == plans_before


async def test_inspection_on_a_day_still_to_come_is_refused(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        plan = await agreed_plan(zhuchi, setup)
        url = f"{BASE}/plans/{plan}/inspections"
        future = await post_form(zhuchi, url, {"date": "2026-12-01", "note": "净化器已装"})
        today = await post_form(zhuchi, url, {"date": "2026-11-23", "note": "净化器已装"})
    assert future.status_code == 422
    assert "巡查日期不能晚于今天" in text_of(future.text)
    assert today.status_code == 303
    await db.rollback()
    days = await db.scalars(
        sa.select(Inspection.inspected_on).where(Inspection.note == "净化器已装")
    )
    assert [d.isoformat() for d in days] == ["2026-11-23"]
