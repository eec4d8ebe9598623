"""Consultation pages against the security cases: hidden records are 404 (S14), extra form
fields are ignored (S16), and user text is escaped everywhere (S20)."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Matter
from council.consultations.workflow import MatterStatus
from tests.consultation_flow import BASE, agreed_plan, consultation, item_of, signed_in
from tests.support import client_for, post_form

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MISSING = "0" * 32


async def test_S20_user_text_is_escaped_on_every_consultation_page(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        matter = await post_form(
            zhuchi, f"{BASE}/matters", {"title": f"油烟{XSS}", "description": XSS}
        )
        await post_form(
            zhuchi,
            f"{BASE}/rounds/{setup.round_id}/entries",
            {"kind": "statement", "side": "resident", "speaker": XSS, "text": XSS},
        )
        await post_form(
            zhuchi, f"{BASE}/meetings/{setup.meeting_id}/agenda", {"title": f"议程{XSS}"}
        )
        pages = [
            matter.headers["location"].split("?")[0],
            f"{BASE}/matters",
            f"{BASE}/rounds/{setup.round_id}",
            f"{BASE}/meetings/{setup.meeting_id}",
            f"{BASE}/meetings/{setup.meeting_id}/console",
        ]
        for url in pages:
            html = (await zhuchi.get(url)).text
            assert "<script>alert" not in html, url
            assert "<img src=x" not in html, url
        assert "&lt;script&gt;" in (await zhuchi.get(f"{BASE}/rounds/{setup.round_id}")).text


async def test_S14_meeting_records_console_phone_and_items_are_404_to_those_who_may_not_see(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        plan_id = await agreed_plan(zhuchi, setup, "1-3")
    item = await item_of(db, plan_id, "1")
    meeting = f"{BASE}/meetings/{setup.meeting_id}"
    hidden = {
        "jumin11": [meeting, f"{meeting}/console", f"{meeting}/phone", f"{BASE}/items/{item}"],
        "shop02": [meeting, f"{meeting}/console", f"{meeting}/phone", f"{BASE}/items/{item}"],
        "jumin01": [f"{meeting}/console", f"{meeting}/phone"],  # a member, not invited
    }
    for login, urls in hidden.items():
        async with signed_in(app, login) as person:
            for url in urls:
                wrong = url.replace(setup.meeting_id, MISSING).replace(item, MISSING)
                for headers in ({}, {"HX-Request": "true"}):
                    shown = await person.get(url, headers=headers)
                    missing = await person.get(wrong, headers=headers)
                    assert shown.status_code == missing.status_code == 404, (login, url)
                    assert shown.text == missing.text, (login, url)
    async with client_for(app) as public:
        # Draft minutes are not published: the public minutes page does not exist yet.
        assert (await public.get(f"{meeting}/minutes")).status_code == 404
        assert (await public.get(f"{BASE}/plans/{plan_id}")).status_code == 200


async def test_S16_extra_fields_do_not_set_status_or_author(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        response = await post_form(
            zhuchi,
            f"{BASE}/matters",
            {
                "title": "停车难",
                "status": "decision",
                "created_by_id": UUID(int=1).hex,
                "council_id": UUID(int=2).hex,
            },
        )
    assert response.status_code == 303
    await db.rollback()
    matter = await db.scalar(sa.select(Matter).where(Matter.title == "停车难"))
    assert matter is not None
    assert matter.status is MatterStatus.CONSULTING
    assert matter.created_by_id != UUID(int=1)
    assert matter.council_id != UUID(int=2)
