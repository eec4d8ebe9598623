"""The council front page as its public noticeboard, the A4 print views with their QR codes,
and what a shared link shows in a chat group (title, description, canonical URL, Open Graph)."""

from __future__ import annotations

import re
import uuid
from html import unescape

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.conventions.models import Convention
from council.councils.models import Council
from council.notices.models import Notice
from council.voting.models import Ballot
from tests.conventions_support import as_facilitator, create
from tests.support import Client, client_for, post_form, sign_in_directly, text_of
from tests.voting_support import draft, opened

COUNCIL = "/c/zhonglou"
SUBSIDY_NOTICE = "决议公示：油烟净化器安装补贴（以奖代补）"
RESOLUTION = "决议：通过第五轮协商共识“商户出资治理、居民参与监督”"
CONVENTION = "钟楼烟火美食街商户公约"


def _meta(html: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    assert match, name
    return unescape(match.group(1))


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<(section|nav)[^>]* id="{section_id}".*?</\1>', html, flags=re.S)
    assert match, section_id
    return text_of(match.group(0))


async def _notice(db: AsyncSession, title: str) -> Notice:
    return (await db.execute(sa.select(Notice).where(Notice.title == title))).scalar_one()


async def _ballot(db: AsyncSession, question_start: str) -> Ballot:
    stmt = sa.select(Ballot).where(Ballot.question.startswith(question_start))
    return (await db.execute(stmt)).scalars().first()  # type: ignore[return-value]


async def test_front_page_tells_what_is_in_notice_decided_and_being_done(
    client: Client,
) -> None:
    response = await client.get(COUNCIL)
    assert response.status_code == 200
    html = response.text
    running = _section(html, "running")
    assert SUBSIDY_NOTICE in running and re.search(r"还剩 \d+ 天", running)
    resolutions = _section(html, "resolutions")
    assert RESOLUTION in resolutions
    assert "通过 · 同意 16 · 反对 1 · 弃权 2" in resolutions and "投票率 19 / 20" in resolutions
    matters = _section(html, "matters")
    assert "37 家商户加装油烟净化器" in matters and "37 / 37 已核验" in matters
    assert "协商 5 轮" in matters and "四议两公开一监督：决议公开" in matters
    conventions = _section(html, "conventions")
    assert CONVENTION in conventions and "表决通过 · 同意 34 · 反对 2 · 弃权 1" in conventions
    assert "共 " in _section(html, "stats") and "油烟问题第五次商居协商会" in _section(
        html, "minutes"
    )
    # A visitor is offered to sign in first: the form itself is for the council's people.
    assert 'href="/signin?next=/c/zhonglou/issues/new">登录后提交诉求' in html
    # The roster and the 40-row shop table have pages of their own now.
    assert "店铺（40 家）" not in text_of(html) and "界别与代表" in _section(html, "rooms")


async def test_front_page_is_the_same_for_staff_and_public(client: Client) -> None:
    """Built as the public sees it: a facilitator's draft never shows there, even to him."""
    await sign_in_directly(client, "zhuchi")
    await draft(client, question="仅草稿的表决FP1")
    staff = text_of((await client.get(COUNCIL)).text)
    assert "仅草稿的表决FP1" not in staff
    assert "管理议事会" in staff  # his own tools stay where they were


async def test_roster_and_shops_moved_to_their_own_pages(client: Client) -> None:
    roster = text_of((await client.get(f"{COUNCIL}/members")).text)
    assert "界别与代表" in roster and "主持与监督" in roster and "刘敏" in roster
    shops = text_of((await client.get(f"{COUNCIL}/shops")).text)
    assert "店铺（40 家）" in shops and "老王烧烤" in shops


async def test_printed_notice_carries_qr_period_seal_and_audit_head(
    client: Client, db: AsyncSession, app: Litestar
) -> None:
    notice = await _notice(db, SUBSIDY_NOTICE)
    path = f"{COUNCIL}/notices/{notice.id}"
    council = await db.get(Council, notice.council_id)
    assert council is not None
    head = await audit.head_of(db, audit.chain_for(council.id))
    response = await client.get(f"{path}/print")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = text_of(response.text)
    for expected in (
        "钟楼烟火商居议事会",
        "决议公示",
        SUBSIDY_NOTICE,
        "公示期：2026",
        "打印时还剩",
        "（盖章）",
        f"打印时操作记录链头：第 {head['seq']} 条",
        head["hash"],  # in full: the paper can be checked against the chain later (S8)
        app.state.settings.base_url + path,
    ):
        assert expected in page, expected
    assert f'<img class="qr" src="{path}/qr.svg"' in response.text
    assert f'<link rel="canonical" href="{app.state.settings.base_url}{path}">' in response.text
    qr = await client.get(f"{path}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in qr.text and "<script" not in qr.text
    # The detail page offers the sheet.
    assert f'href="{path}/print"' in (await client.get(path)).text


async def test_printed_result_and_convention_show_the_vote(
    client: Client, db: AsyncSession
) -> None:
    ballot = await _ballot(db, RESOLUTION)
    sheet = text_of((await client.get(f"{COUNCIL}/ballots/{ballot.id}/print")).text)
    assert "表决结果公告" in sheet and "表决结果：通过" in sheet
    assert "投票率：19 / 20" in sheet and str(ballot.closing_hash) in sheet
    convention = (
        await db.execute(sa.select(Convention).where(Convention.title == CONVENTION))
    ).scalar_one()
    sheet = text_of((await client.get(f"{COUNCIL}/conventions/{convention.id}/print")).text)
    assert "第 2 版" in sheet and "第 1 条" in sheet and "（盖章）" in sheet
    assert "本版经表决通过：同意 34 · 反对 2 · 弃权 1" in sheet


async def _hidden_records(app: Litestar) -> dict[str, str]:
    """One record of each kind a visitor may not see, by the online path of its sheet."""
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        drafted = await post_form(
            facilitator,
            f"{COUNCIL}/notices/new",
            {"title": "草稿公示PR1", "body": "草稿PR1。", "kind": "general"},
        )
        assert drafted.status_code == 303, drafted.text
        notice = drafted.headers["location"].split("?")[0]
        ballot = await draft(facilitator, question="草稿表决PR2")
    open_ballot = await opened(app, question="进行中的表决PR3")
    async with as_facilitator(app) as facilitator:
        convention = await create(facilitator, title="草拟公约PR4")
    return {
        "draft notice": notice,
        "draft ballot": f"{COUNCIL}/ballots/{ballot}",
        "open ballot": f"{COUNCIL}/ballots/{open_ballot}",
        "convention not adopted": f"{COUNCIL}/conventions/{convention}",
    }


async def test_S14_sheets_and_qr_codes_of_hidden_records_are_the_same_404_as_missing_ones(
    app: Litestar,
) -> None:
    hidden = await _hidden_records(app)
    for login in (None, "jumin11", "shop02"):
        async with client_for(app) as visitor:
            if login:
                await sign_in_directly(visitor, login)
            for kind, path in hidden.items():
                missing = re.sub(r"[0-9a-f-]{36}$", str(uuid.uuid4()), path)
                for suffix in ("/print", "/qr.svg"):
                    shown = await visitor.get(path + suffix)
                    absent = await visitor.get(missing + suffix)
                    assert shown.status_code == absent.status_code == 404, (kind, suffix, login)
                    assert text_of(shown.text) == text_of(absent.text), (kind, suffix)


async def test_staff_print_a_draft_notice_to_check_it_but_no_sheet_for_a_vote_without_result(
    app: Litestar,
) -> None:
    hidden = await _hidden_records(app)
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        preview = await facilitator.get(hidden["draft notice"] + "/print")
        assert preview.status_code == 200 and "草稿公示PR1" in text_of(preview.text)
        for kind in ("draft ballot", "open ballot", "convention not adopted"):
            assert (await facilitator.get(hidden[kind] + "/print")).status_code == 404, kind


async def test_shared_links_carry_title_description_canonical_and_open_graph(
    client: Client, db: AsyncSession, app: Litestar
) -> None:
    notice = await _notice(db, SUBSIDY_NOTICE)
    path = f"{COUNCIL}/notices/{notice.id}"
    # Whatever Host or query the request came with, the link names the configured address.
    html = (await client.get(f"{path}?notice=objection_lodged")).text
    canonical = app.state.settings.base_url + path
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert _meta(html, "property", "og:url") == canonical
    assert _meta(html, "property", "og:title") == f"{SUBSIDY_NOTICE} · 钟楼烟火商居议事会"
    assert _meta(html, "property", "og:type") == "article"
    description = _meta(html, "name", "description")
    assert description == _meta(html, "property", "og:description")
    assert description.startswith("决议公示 · 公示期 2026") and re.search(
        "还剩 \\d+ 天", description
    )
    assert (
        "<title>决议公示：油烟净化器安装补贴（以奖代补） · 钟楼烟火商居议事会 · 商居议事</title>"
        in (html)
    )
    front = (await client.get(COUNCIL)).text
    assert _meta(front, "name", "description").startswith("正在公示：")
    assert SUBSIDY_NOTICE in _meta(front, "property", "og:description")
