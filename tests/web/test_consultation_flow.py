"""A whole consultation over HTTP: meeting, sign-in, round, consensus, plan, evidence, verify."""

from __future__ import annotations

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from tests.consultation_flow import BASE, consultation, location_id, meeting_code, signed_in
from tests.images import jpeg_with_gps
from tests.support import audit_actions, client_for, post_form, text_of


async def test_two_rounds_to_a_verified_action_item(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表", "居民代表"))
        response = await post_form(zhuchi, f"{BASE}/meetings/{setup.meeting_id}/start")
        assert response.status_code == 303, response.text
        code = await meeting_code(db, setup.meeting_id)
        for login in ("shop01", "jumin01", "jumin02"):
            async with signed_in(app, login) as member:
                phone = await member.get(f"{BASE}/meetings/{setup.meeting_id}/phone")
                assert phone.status_code == 200
                response = await post_form(
                    member, f"{BASE}/meetings/{setup.meeting_id}/signin", {"code": code}
                )
                assert response.status_code == 303, response.text
        console = await zhuchi.get(f"{BASE}/meetings/{setup.meeting_id}/console")
        assert console.status_code == 200
        assert "实到 3 人 / 应到 14 人" in text_of(console.text)

        response = await post_form(
            zhuchi,
            f"{BASE}/rounds/{setup.round_id}/entries",
            {
                "kind": "statement",
                "side": "resident",
                "speaker": "赵淑珍",
                "text": "油烟熏得不能开窗",
            },
            files={"photos": ("window.jpg", jpeg_with_gps(), "image/jpeg")},
        )
        assert response.status_code == 303, response.text
        round_page = await zhuchi.get(f"{BASE}/rounds/{setup.round_id}")
        site_photo = next(p for p in round_page.text.split('"') if p.startswith("/files/"))
        response = await post_form(
            zhuchi,
            f"{BASE}/rounds/{setup.round_id}/close",
            {
                "outcome": "partial",
                "open_questions": "净化器费用谁出？",
                "next_meeting_id": setup.next_meeting_id,
            },
        )
        assert response.status_code == 303, response.text
        matter = await zhuchi.get(f"{BASE}/matters/{setup.matter_id}")
        page = text_of(matter.text)
        assert "第 2 轮" in page and "净化器费用谁出？" in page
        round2 = location_id(
            [line for line in matter.text.split('"') if "/rounds/" in line][-1], "rounds"
        )
        shown = text_of((await zhuchi.get(f"{BASE}/rounds/{round2}")).text)
        assert "上一轮遗留的问题" in shown and "净化器费用谁出？" in shown
        response = await post_form(
            zhuchi,
            f"{BASE}/rounds/{round2}/close",
            {"outcome": "consensus", "summary": "商户出资治理、居民参与监督"},
        )
        assert response.status_code == 303, response.text
        response = await post_form(
            zhuchi,
            f"{BASE}/rounds/{round2}/plan",
            {
                "title": "油烟净化器安装",
                "agreed_text": "商户出资治理、居民参与监督",
                "merchants_pay": "true",
                "shops": "1-3",
                "obligation": "安装油烟净化器",
                "payer": "商户自行出资",
                "deadline": "2026-12-20",
                "supervision_group": "网格员、物业、居民代表",
                "inspection_frequency": "每周两次",
                "acceptance_method": "第三方检测",
            },
        )
        assert response.status_code == 303, response.text
        plan_id = location_id(response.headers["location"], "plans")

    public = await app_client_get(app, f"{BASE}/plans/{plan_id}")
    assert "0 / 3 已核验" in text_of(public)
    async with signed_in(app, "shop01") as merchant:
        plan_page = await merchant.get(f"{BASE}/plans/{plan_id}")
        item_id = location_id(
            next(line for line in plan_page.text.split('"') if "/items/" in line), "items"
        )
        response = await post_form(
            merchant,
            f"{BASE}/items/{item_id}/evidence",
            {"note": "已安装净化器，附发票"},
            files={"photos": ("purifier.jpg", jpeg_with_gps(), "image/jpeg")},
        )
        assert response.status_code == 303, response.text
        item_page = await merchant.get(f"{BASE}/items/{item_id}")
        photo = next(part for part in item_page.text.split('"') if part.startswith("/files/"))
        assert (await merchant.get(photo)).status_code == 200
    async with client_for(app) as anonymous:
        assert (await anonymous.get(photo)).status_code == 404  # evidence photos are not public
        assert (await anonymous.get(site_photo)).status_code == 200  # the round record is
    async with signed_in(app, "jiandu") as supervisor:
        response = await post_form(
            supervisor, f"{BASE}/items/{item_id}/verify", {"verdict": "passed"}
        )
        assert response.status_code == 303, response.text
    assert "1 / 3 已核验" in text_of(await app_client_get(app, f"{BASE}/plans/{plan_id}"))
    chain = await audit_actions(db)
    actions = [e.action for e in chain if e.occurred_at >= app.state.clock.now()]
    for expected in (
        "meeting.scheduled",
        "meeting.signed_in",
        "round.closed",
        "matter.status_changed",
        "plan.created",
        "item.evidence_submitted",
        "item.verified",
    ):
        assert expected in actions


async def app_client_get(app: Litestar, url: str) -> str:
    async with client_for(app) as anonymous:
        response = await anonymous.get(url)
        assert response.status_code == 200, response.text
        return response.text
