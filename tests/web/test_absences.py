"""Rule 30: three unexcused absences in a year are flagged for the facilitator."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from tests.consultation_flow import BASE, constituency_id, schedule, signed_in
from tests.support import audit_actions, post_form, text_of


async def test_R30_three_unexcused_absences_in_a_year_are_flagged(
    app: Litestar, db: AsyncSession
) -> None:
    # The demo's first round already counts one absence for 郑晓燕 (shop33).
    zhang_wei = await db.scalar(sa.select(Person.id).where(Person.login == "shop09"))
    merchants = await constituency_id(db, "商户代表")
    async with signed_in(app, "zhuchi") as zhuchi:
        for title, day in (("临时会议一", "2026-11-16"), ("临时会议二", "2026-11-20")):
            meeting = f"{BASE}/meetings/{await schedule(zhuchi, title, day)}"
            await post_form(zhuchi, f"{meeting}/invitations", {"constituency_id": merchants})
            excused = await post_form(zhuchi, f"{meeting}/excuse/{zhang_wei}")
            assert excused.status_code == 303
            assert (await post_form(zhuchi, f"{meeting}/excuse/{zhang_wei}")).status_code == 409
            assert (await post_form(zhuchi, f"{meeting}/close")).status_code == 303
        page = text_of((await zhuchi.get(f"{BASE}/meetings/")).text)
    assert "郑晓燕：3 次未请假缺席" in page
    assert "张伟：" not in page
    assert len(await audit_actions(db, "meeting.excused")) == 2
    async with signed_in(app, "jumin11") as resident:
        assert "缺席提醒" not in text_of((await resident.get(f"{BASE}/meetings/")).text)
