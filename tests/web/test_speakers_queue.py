"""The speakers' queue: members ask from their phones, the console lists them in order."""

from __future__ import annotations

import re

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from tests.consultation_flow import BASE, consultation, meeting_code, signed_in
from tests.support import csrf_token, post_form, text_of


def queue_names(html: str) -> list[str]:
    return re.findall(r'<span class="queue-name">([^<]+)</span>', html)


async def test_two_members_request_to_speak_and_the_console_shows_them_in_order(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表", "居民代表"))
        meeting = f"{BASE}/meetings/{setup.meeting_id}"
        assert (await post_form(zhuchi, f"{meeting}/start")).status_code == 303
        code = await meeting_code(db, setup.meeting_id)
        for login in ("jumin03", "shop14"):  # 钱玉梅 asks first, then 黄海涛
            async with signed_in(app, login) as member:
                await post_form(member, f"{meeting}/signin", {"code": code})
                headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(member)}
                asked = await member.post(f"{meeting}/speak", headers=headers)
                assert asked.status_code == 200
                assert 'id="phone-live"' in asked.text and "<html" not in asked.text
                assert "您已申请发言" in text_of(asked.text)
                again = await member.post(f"{meeting}/speak", headers=headers)
                assert again.status_code == 409  # one place in the queue per person

        live = await zhuchi.get(f"{meeting}/console", headers={"HX-Request": "true"})
        assert live.status_code == 200 and live.text.lstrip().startswith('<div id="console-live"')
        assert queue_names(live.text) == ["钱玉梅", "黄海涛"]

        second = re.findall(r"/queue/([0-9a-f\-]{36})/up", live.text)[0]
        token = await csrf_token(zhuchi)
        moved = await zhuchi.post(
            f"{meeting}/queue/{second}/up", headers={"HX-Request": "true", "x-csrftoken": token}
        )
        assert queue_names(moved.text) == ["黄海涛", "钱玉梅"]
        started = await zhuchi.post(
            f"{meeting}/queue/{second}/start", headers={"HX-Request": "true", "x-csrftoken": token}
        )
        assert "正在发言： 黄海涛" in text_of(started.text)
        assert queue_names(started.text) == ["钱玉梅"]

    async with signed_in(app, "shop01") as not_staff:
        assert (await not_staff.get(f"{meeting}/console")).status_code in (403, 404)
        fragment = await not_staff.get(f"{meeting}/console", headers={"HX-Request": "true"})
        assert fragment.status_code in (403, 404) and "queue-name" not in fragment.text


async def test_asking_to_speak_needs_a_sign_in_first(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await post_form(zhuchi, f"{BASE}/meetings/{setup.meeting_id}/start")
    async with signed_in(app, "shop05") as member:
        refused = await post_form(member, f"{BASE}/meetings/{setup.meeting_id}/speak")
    assert refused.status_code == 409
    assert "请先签到" in text_of(refused.text)
