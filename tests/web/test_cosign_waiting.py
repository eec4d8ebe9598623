"""待附议: the council's verified people see the issues waiting for co-signs, with the
threshold and the days left, where they can click to co-sign; the public never does; a
co-sign after the period is refused."""

from __future__ import annotations

import re

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from tests.intake import BASE, act, cosigners, submit_as
from tests.support import Client, sign_in_directly, text_of

TITLE = "夜市摊位占用消防通道"


def waiting_section(html: str) -> str:
    found = re.search(r'<section class="panel cosign-waiting".*?</section>', html, re.S)
    return text_of(found.group(0)) if found else ""


async def test_members_see_issues_waiting_for_cosigns_with_threshold_and_days_left(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    issue = await submit_as(client, "jumin11", TITLE)
    client.cookies.clear()
    await sign_in_directly(client, "jumin01")
    page = await client.get(f"{BASE}/")
    section = waiting_section(page.text)
    assert "待附议" in section and TITLE in section
    assert "附议 0 / 5 人" in section and "还剩 14 天" in section
    assert f'href="{BASE}/{issue}"' in page.text
    cosigned = await act(client, "jumin01", issue, "cosign")
    assert cosigned.status_code == 303
    page = await client.get(f"{BASE}/")
    assert "附议 1 / 5 人" in waiting_section(page.text)


async def test_the_public_never_sees_issues_waiting_for_cosigns(
    app: Litestar, client: Client
) -> None:
    issue = await submit_as(client, "jumin11", TITLE)
    client.cookies.clear()
    page = await client.get(f"{BASE}/")
    assert page.status_code == 200
    assert "待附议" not in text_of(page.text) and TITLE not in page.text
    assert str(issue) not in page.text


async def test_cosign_period_ends_and_later_cosigns_are_refused(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    issue = await submit_as(client, "jumin11", TITLE)
    clock.advance(days=13, hours=12)
    client.cookies.clear()
    await sign_in_directly(client, "jumin01")
    assert "还剩 1 天" in waiting_section((await client.get(f"{BASE}/")).text)
    clock.advance(days=1)
    refused = await act(client, "jumin02", issue, "cosign")
    assert refused.status_code == 409
    assert "附议期已过" in text_of(refused.text)
    assert await cosigners(db, issue) == []
    assert TITLE not in waiting_section((await client.get(f"{BASE}/")).text)
