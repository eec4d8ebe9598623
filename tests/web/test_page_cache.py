"""Anonymous pages are cached per process and made again after any write to their council,
in whichever process it is made; each visitor gets the page with their own CSRF token."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.app import create_app
from council.clock import FixedClock
from council.councils.models import Council
from council.settings import Settings
from council.web.models import PageVersion
from tests.intake import BASE, move, submit_as
from tests.support import Client, client_for, post_form, sign_in, statements

TOKEN = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def _token(client: Client, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200
    found = TOKEN.search(response.text)
    assert found is not None
    return found.group(1)


async def test_cached_page_carries_each_visitors_own_csrf_token(app: Litestar) -> None:
    async with client_for(app) as first, client_for(app) as second:
        mine = await _token(first, "/signin")
        theirs = await _token(second, "/signin")  # served from the cache
        assert mine != theirs
        # Each token is the one its own browser's cookies call for: a form posted with it is
        # judged on its content (a wrong password), not refused as forged.
        response = await second.post(
            "/signin", data={"_csrf_token": theirs, "login": "jumin01", "password": "x" * 10}
        )
        assert response.status_code != 403 and "账号或密码不正确" in response.text
        stolen = await first.post(
            "/signin", data={"_csrf_token": theirs, "login": "jumin01", "password": "x" * 10}
        )
        assert stolen.status_code == 403


async def test_repeated_anonymous_page_runs_no_query(app: Litestar, client: Client) -> None:
    assert (await client.get("/c/zhonglou")).status_code == 200
    with statements(app) as seen:
        response = await client.get("/c/zhonglou")
    assert response.status_code == 200 and "钟楼" in response.text
    # Beside the anonymous count (PostgreSQL): SQLite reads the page versions apart from the
    # engine, PostgreSQL in one statement.
    page = [s for s in seen if "rate_counter" not in s]
    assert len(page) <= 1, page


async def _change_description(client: Client, text: str, *, sign: bool = True) -> None:
    if sign:
        await sign_in(client, "zhuchi")
    response = await post_form(
        client,
        "/c/zhonglou/manage/settings",
        {"description": text, "meeting_place": "钟楼社区议事厅", "notice_period_days": "7"},
    )
    assert response.status_code == 303, response.text


async def test_published_change_shows_on_the_next_request_of_a_cached_page(
    app: Litestar, client: Client
) -> None:
    async with client_for(app) as visitor:
        for _ in range(2):
            assert "夜市新规" not in (await visitor.get("/c/zhonglou")).text
        await _change_description(client, "夜市新规：晚十点后收摊")
        assert "夜市新规：晚十点后收摊" in (await visitor.get("/c/zhonglou")).text


async def _draft_notice(client: Client, title: str) -> str:
    """A notice drafted by the signed-in facilitator; its address."""
    form = {"kind": "general", "title": title, "body": "外摆范围见附图。", "period_days": "7"}
    drafted = await post_form(client, "/c/zhonglou/notices/new", form)
    assert drafted.status_code == 303, drafted.text
    return drafted.headers["location"].split("?")[0]


async def test_published_notice_shows_on_the_next_request_of_the_cached_council_page(
    app: Litestar, client: Client
) -> None:
    await sign_in(client, "zhuchi")
    async with client_for(app) as visitor:
        for _ in range(2):
            assert "夜市外摆公示" not in (await visitor.get("/c/zhonglou")).text
        notice = await _draft_notice(client, "夜市外摆公示")
        # A draft is not public: the cached page stands, and must not show it.
        assert "夜市外摆公示" not in (await visitor.get("/c/zhonglou")).text
        assert (await post_form(client, f"{notice}/publish")).status_code == 303
        assert "夜市外摆公示" in (await visitor.get("/c/zhonglou")).text


async def test_issue_made_public_shows_on_the_next_request_of_the_cached_issue_list(
    app: Litestar, client: Client
) -> None:
    issue_id = await submit_as(client, "jumin11", "路口井盖松动")
    async with client_for(app) as visitor:
        for _ in range(2):
            assert "路口井盖松动" not in (await visitor.get(BASE)).text
        assert (await move(client, "zhuchi", issue_id, "triage")).status_code == 303
        assert "路口井盖松动" not in (await visitor.get(BASE)).text
        assert (await move(client, "zhuchi", issue_id, "accepted")).status_code == 303
        assert "路口井盖松动" in (await visitor.get(BASE)).text


async def test_page_cached_before_a_restore_is_not_served_after_it(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    """Page versions never repeat: a database put back to an earlier state (a backup
    restored) and changed again must not match a page cached between the two."""
    await sign_in(client, "zhuchi")
    versions = (await db.execute(sa.select(PageVersion.scope, PageVersion.version))).all()
    zhonglou = sa.update(Council).where(Council.slug == "zhonglou")
    description = await db.scalar(sa.select(Council.description).where(Council.slug == "zhonglou"))
    await db.rollback()
    async with client_for(app) as visitor:
        await _change_description(client, "夜市新规：甲", sign=False)
        assert "夜市新规：甲" in (await visitor.get("/c/zhonglou")).text
        # Put back as it was before the change, page versions included.
        await db.execute(sa.delete(PageVersion))
        if versions:
            await db.execute(sa.insert(PageVersion), [dict(v._mapping) for v in versions])
        await db.execute(zhonglou.values(description=description))
        await db.commit()
        await _change_description(client, "夜市新规：乙", sign=False)
        page = (await visitor.get("/c/zhonglou")).text
        assert "夜市新规：乙" in page and "夜市新规：甲" not in page


def _shop_count(html: str) -> int:
    """The demo council's shop count as the list of councils shows it."""
    card = html[html.index('href="/c/zhonglou"') :]
    found = re.search(r"(\d+) 家店铺", card)
    assert found is not None
    return int(found.group(1))


async def test_shop_added_in_management_shows_on_the_next_request_of_the_council_list(
    app: Litestar, client: Client
) -> None:
    await sign_in(client, "zhuchi")  # a write of its own, outside any council
    async with client_for(app) as visitor:
        before = _shop_count((await visitor.get("/")).text)
        assert _shop_count((await visitor.get("/")).text) == before
        added = await post_form(
            client, "/c/zhonglou/manage/shops", {"number": "99", "name": "新开茶铺"}
        )
        assert added.status_code == 303, added.text
        assert _shop_count((await visitor.get("/")).text) == before + 1


@pytest.fixture
async def other_app(settings: Settings, clock: FixedClock) -> Litestar:
    return create_app(settings, clock=clock)


async def test_change_made_through_one_process_shows_in_the_other(
    client: Client, other_app: Litestar
) -> None:
    async with client_for(other_app) as visitor:
        for _ in range(2):
            assert "夜市新规" not in (await visitor.get("/c/zhonglou")).text
        await _change_description(client, "夜市新规：外摆不过盲道")
        assert "夜市新规：外摆不过盲道" in (await visitor.get("/c/zhonglou")).text
    await other_app.state.alchemy.get_engine().dispose()


async def test_signed_in_pages_are_never_served_from_the_cache(client: Client) -> None:
    assert "登录" in (await client.get("/c/zhonglou")).text
    await sign_in(client, "zhuchi")
    response = await client.get("/c/zhonglou")
    assert "退出" in response.text


async def test_published_notice_shows_on_the_next_request_of_a_signed_in_council_page(
    client: Client,
) -> None:
    await sign_in(client, "zhuchi")
    for _ in range(2):
        assert "夜市外摆公示" not in (await client.get("/c/zhonglou")).text
    notice = await _draft_notice(client, "夜市外摆公示")
    assert (await post_form(client, f"{notice}/publish")).status_code == 303
    assert "夜市外摆公示" in (await client.get("/c/zhonglou")).text
