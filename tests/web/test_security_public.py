"""What the public sees, against SECURITY S12 (every vote's receipt is on the public result,
once) and S18 (public lists and search never show unpublished or hidden records)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.clock import FixedClock
from council.consultations.models import Minutes
from council.opendata.datasets import DATASETS
from council.voting.service import format_receipt
from tests.consultation_flow import BASE as MEETINGS
from tests.consultation_flow import consultation, signed_in
from tests.conventions_support import BASE as CONVENTIONS
from tests.conventions_support import (
    as_facilitator,
    create,
    demo_convention,
    editor_form,
    local,
    step,
)
from tests.intake import act, move, submit_as
from tests.support import client_for, post_form, sign_in_directly, text_of
from tests.voting_support import BASE, close, draft, opened, vote_as

# --- S12: receipts --------------------------------------------------------------------------

NAMED_VOTES = [
    ("jumin01", "赵淑珍", "yes"),
    ("jumin02", "孙志明", "no"),
    ("jumin03", "钱玉梅", "yes"),
    ("shop05", "李秀兰", "abstain"),
    ("jumin01", "赵淑珍", "no"),  # a change: it replaces the first vote and its receipt
]
SECRET_VOTES = [("jumin01", "yes"), ("jumin02", "no"), ("jumin03", "yes"), ("shop05", "abstain")]


def _receipts_section(html: str) -> str:
    """The public result's receipt list: from its heading to the end of the result."""
    start = html.index("回执列表")
    return html[start : html.index("</section>", start)]


def _named_rows(html: str) -> list[tuple[str, str]]:
    """(voter, receipt) per row of the named receipt table."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", _receipts_section(html), flags=re.S):
        cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if cells:
            rows.append((cells[0], cells[-1]))
    return rows


def _listed_receipts(html: str) -> list[str]:
    return re.findall(r"\b[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}\b", text_of(html))


async def test_S12_named_ballot_lists_each_voter_with_their_receipt_once(app: Litestar) -> None:
    """Named ballot: every vote answers with a receipt; the signed-out result lists the latest
    receipt of each voter next to their name, once, and nothing else."""
    ballot = await opened(app, allow_change="true")
    latest: dict[str, str] = {}
    returned = []
    for login, name, choice in NAMED_VOTES:
        response = await vote_as(app, login, ballot, choice)
        assert response.status_code == 303, response.text
        receipt = format_receipt(response.headers["x-vote-receipt"])
        returned.append(receipt)
        latest[name] = receipt
    assert len(set(returned)) == len(returned)  # every vote got its own receipt
    assert (await close(app, ballot)).status_code == 303

    async with client_for(app) as public:
        html = (await public.get(f"{BASE}/{ballot}")).text
    rows = _named_rows(html)
    assert sorted(rows) == sorted(latest.items())
    assert f"回执列表（{len(latest)}）" in text_of(html)
    assert "投票率 4 / 20" in text_of(html)
    listed = _listed_receipts(_receipts_section(html))
    assert sorted(listed) == sorted(latest.values())  # no duplicates, no replaced receipts
    assert returned[0] not in text_of(html)  # the changed vote's first receipt is gone


async def test_S12_secret_ballot_lists_the_receipt_set_without_names(app: Litestar) -> None:
    """Secret ballot: the signed-out result lists each receipt once, sorted, with no names."""
    ballot = await opened(app, method="secret")
    returned = []
    for login, choice in SECRET_VOTES:
        response = await vote_as(app, login, ballot, choice)
        assert response.status_code == 200, response.text
        receipt = format_receipt(response.headers["x-vote-receipt"])
        assert receipt in text_of(response.text)  # shown once, on the receipt page
        returned.append(receipt)
    assert (await close(app, ballot)).status_code == 303

    async with client_for(app) as public:
        html = (await public.get(f"{BASE}/{ballot}")).text
    section = _receipts_section(html)
    listed = _listed_receipts(section)
    assert Counter(listed) == Counter(returned)
    assert len(listed) == len(set(listed)) == len(SECRET_VOTES)
    assert listed == sorted(listed)  # receipt order, never the order people voted in
    assert f"回执列表（{len(SECRET_VOTES)}）" in text_of(html)
    for name in ("赵淑珍", "孙志明", "钱玉梅", "李秀兰"):
        assert name not in text_of(html)


# --- S18: hidden records never reach a public list or search -----------------------------

# Every page a signed-out visitor can reach that lists records (there is no feed or sitemap).
PUBLIC_LISTS = (
    "/",
    "/c/zhonglou",
    "/c/zhonglou/members",
    "/c/zhonglou/shops",
    "/c/zhonglou/issues/",
    "/c/zhonglou/issues/stats",
    "/c/zhonglou/calls/",
    "/c/zhonglou/matters",
    "/c/zhonglou/meetings/",
    "/c/zhonglou/ballots/",
    "/c/zhonglou/conventions/",
    "/c/zhonglou/notices/",
    "/c/zhonglou/audit",
    "/c/zhonglou/audit.jsonl",
    "/c/zhonglou/feed.atom",
    *(f"/c/zhonglou/data/{name}.{kind}" for name in DATASETS for kind in ("csv", "json")),
    *(f"/api/councils/zhonglou/{name}" for name in DATASETS),
)
# Pages whose text changes with every audited action, hidden or not.
CHANGES_WITH_ANY_ACTION = {"/c/zhonglou/audit", "/c/zhonglou/audit.jsonl"}
NO_FEEDS = ("/sitemap.xml", "/feed", "/feed.atom", "/c/zhonglou/feed")


async def public_view(app: Litestar, pages: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """(status, visible text) of every public list and ``pages``, as page and as fragment."""
    seen: dict[str, tuple[int, str]] = {}
    async with client_for(app) as public:
        for url in PUBLIC_LISTS + pages:
            for kind, headers in (("page", {}), ("fragment", {"HX-Request": "true"})):
                response = await public.get(url, headers=headers)
                assert response.status_code < 500, url
                seen[f"{kind} {url}"] = (response.status_code, text_of(response.text))
    for url in PUBLIC_LISTS:
        assert seen[f"page {url}"][0] == 200, url
    return seen


def assert_absent(
    view: dict[str, tuple[int, str]], *markers: str, skip: frozenset[str] = frozenset()
) -> None:
    for where, (_status, text) in view.items():
        if where.split(" ", 1)[1] in skip:
            continue
        for marker in markers:
            assert marker not in text, (marker, where)


def assert_unchanged(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> None:
    """Counts and lists alike: a hidden record changes nothing a visitor can read."""
    for where, seen in before.items():
        if where.split(" ", 1)[1] not in CHANGES_WITH_ANY_ACTION:
            assert after[where] == seen, where


async def test_S18_there_is_no_feed_or_sitemap_to_leak_through(app: Litestar) -> None:
    """Feeds and exports there are (the council's Atom feed, its data, its API) are in
    PUBLIC_LISTS above; there are no others."""
    async with client_for(app) as public:
        for url in NO_FEEDS:
            assert (await public.get(url)).status_code == 404, url


async def test_S18_pending_and_withdrawn_issues_are_in_no_list_search_or_count(
    app: Litestar,
) -> None:
    """Issues before acceptance and withdrawn ones: not in the list, search, stats or counts."""
    searches = tuple(
        f"/c/zhonglou/issues/?{q}"
        for q in (
            "q=HX1",
            "q=HX2",
            "q=HX3",
            "status=submitted",
            "status=triage",
            "status=withdrawn",
        )
    )
    before = await public_view(app, searches)
    async with client_for(app) as client:
        pending = await submit_as(client, "jumin11", "楼道堆物待受理HX1")
        triaged = await submit_as(client, "jumin12", "夜市音响待处理HX2")
        assert (await move(client, "zhuchi", triaged, "triage")).status_code == 303
        withdrawn = await submit_as(client, "jumin13", "已撤回的诉求HX3")
        assert (await act(client, "jumin13", withdrawn, "withdraw")).status_code == 303
    after = await public_view(app, searches)
    assert_absent(after, "HX1", "HX2", "HX3")
    assert_unchanged(before, after)

    async with client_for(app) as client:  # the same issue, once accepted, is listed
        assert (await move(client, "zhuchi", pending, "triage")).status_code == 303
        accepted = await move(client, "zhuchi", pending, "accepted", reason="列入议题")
        assert accepted.status_code == 303
    published = await public_view(app, searches)
    for where in ("page /c/zhonglou/issues/", "fragment /c/zhonglou/issues/?q=HX1"):
        assert "楼道堆物待受理HX1" in published[where][1], where
    assert published["page /c/zhonglou/issues/stats"] != after["page /c/zhonglou/issues/stats"]
    assert_absent(published, "HX2", "HX3")


async def test_S18_draft_and_open_ballots_are_in_no_public_list(app: Litestar) -> None:
    """Drafts are staff-only, open ballots members-only; the public list shows results."""
    before = await public_view(app)
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        ballot = await draft(facilitator, question="是否同意草稿表决HB1")
    after = await public_view(app, (f"{BASE}/{ballot}",))
    assert_absent(after, "HB1")
    assert after[f"page {BASE}/{ballot}"][0] == 404
    assert_unchanged(before, after)
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        assert (await post_form(facilitator, f"{BASE}/{ballot}/open")).status_code == 303
    assert_absent(await public_view(app), "HB1")  # open: the council's members only
    assert (await close(app, ballot)).status_code == 303
    published = await public_view(app)
    assert "是否同意草稿表决HB1" in published["page /c/zhonglou/ballots/"][1]


async def test_S18_draft_conventions_and_draft_revisions_are_in_no_list(
    app: Litestar, db: AsyncSession, clock: FixedClock
) -> None:
    """A new convention's draft and a draft revision of one in force stay off public pages."""
    demo = await demo_convention(db)
    pages = (
        f"{CONVENTIONS}/{demo}",
        f"{CONVENTIONS}/{demo}/diff",
        f"{CONVENTIONS}/{demo}/diff?to=3",
    )
    before = await public_view(app, pages)
    async with as_facilitator(app) as facilitator:
        new = await create(facilitator, "草稿公约HC1", [("草稿条款HC1", "草稿条款内容HC1。")])
        revised = await post_form(facilitator, f"{CONVENTIONS}/{demo}/revise")
        assert revised.status_code == 303, revised.text
        number = int(revised.headers["location"].split("/v/")[1].split("/")[0])
        rows = [("", "修订条款HC2", "修订后的条款内容HC2。")]
        saved = await step(facilitator, demo, number, "edit", **editor_form("修订草案HC2", rows))
        assert saved.status_code == 303, saved.text
    after = await public_view(app, (*pages, f"{CONVENTIONS}/{new}"))
    assert_absent(after, "HC1", "HC2")
    assert after[f"page {CONVENTIONS}/{new}"][0] == 404
    assert_unchanged(before, after)

    async with as_facilitator(app) as facilitator:  # put out for comment (公示): now public
        closes = local(clock.now() + dt.timedelta(days=7))
        assert (await step(facilitator, new, 1, "open-comments", closes_at=closes)).is_redirect
    published = await public_view(app)
    assert "草稿公约HC1" in published["page /c/zhonglou/conventions/"][1]
    assert_absent(published, "HC2")


async def test_S18_unpublished_minutes_are_on_no_public_page(
    app: Litestar, db: AsyncSession
) -> None:
    """Draft, confirmed and final minutes stay internal; only the published text goes out."""
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        meeting = f"{MEETINGS}/meetings/{setup.meeting_id}"
        person = await db.scalar(sa.select(Person.id).where(Person.login == "shop01"))
        await db.rollback()
        assert (await post_form(zhuchi, f"{meeting}/attendance/{person}")).status_code == 303
        record = (await zhuchi.get(meeting)).text
        agenda = next(p for p in record.split('"') if "/agenda/" in p and p.endswith("/minutes"))
        pages = (
            f"{meeting}/minutes",
            f"{MEETINGS}/matters/{setup.matter_id}",
            f"{MEETINGS}/rounds/{setup.round_id}",
        )
        before = await public_view(app, pages)
        assert (await post_form(zhuchi, agenda, {"text": "内部纪要HM1"})).status_code == 303
        minutes = await db.scalar(
            sa.select(Minutes.id).where(Minutes.meeting_id == UUID(setup.meeting_id))
        )
        await db.rollback()
        after_draft = await public_view(app, pages)
        async with signed_in(app, "shop01") as attendee:
            confirm = await post_form(attendee, f"{meeting}/minutes/{minutes}/confirm")
            assert confirm.status_code == 303
        assert (await post_form(zhuchi, f"{meeting}/minutes/{minutes}/finalize")).is_redirect
        after_final = await public_view(app, pages)
        for view in (after_draft, after_final):
            assert_absent(view, "HM1")
            assert_unchanged(before, view)
        assert after_final[f"page {meeting}/minutes"][0] == 404
        published = await post_form(
            zhuchi, f"{meeting}/minutes/{minutes}/publish", {"public_text": "公开纪要HM2"}
        )
        assert published.status_code == 303
    out = await public_view(app, pages)
    assert "公开纪要HM2" in out[f"page {meeting}/minutes"][1]
    assert_absent(out, "HM1")


async def test_S18_pending_claims_are_on_no_public_page(app: Litestar) -> None:
    """Someone asking to represent a shop is not listed until the facilitator verifies it."""
    before = await public_view(app)
    async with client_for(app) as claimant:
        await sign_in_directly(claimant, "jumin13")
        claim = {"kind": "shop", "shop_number": "38", "note": "合伙人HJ1"}
        assert (await post_form(claimant, "/c/zhonglou/join", claim)).status_code == 303
    after = await public_view(app)
    assert_absent(after, "HJ1")
    # Not even the public audit log names a pending claimant: it shows the surname only.
    assert_absent(after, "施洋")
    assert re.search(r"提交身份申请 · [^·]+ · 施\* ", after["page /c/zhonglou/audit"][1])
    assert_unchanged(before, after)
    assert "赵淑珍" in after["page /c/zhonglou/members"][1]  # verified members are listed


async def test_S18_draft_notices_and_R28_objectors_contacts_are_on_no_public_page(
    app: Litestar,
) -> None:
    """A draft notice is missing to everyone outside the council's staff; once published it is
    listed, and an objector's contact never reaches a public page, the audit log included."""
    before = await public_view(app)
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        drafted = await post_form(
            facilitator,
            "/c/zhonglou/notices/new",
            {"title": "草稿公示HN1", "body": "外摆时间调整的草稿HN1。", "kind": "general"},
        )
        assert drafted.status_code == 303, drafted.text
        notice = drafted.headers["location"].split("?")[0]
    after = await public_view(app, (notice,))
    assert after[f"page {notice}"][0] == 404
    assert_absent(after, "HN1")
    assert_unchanged(before, after)
    async with client_for(app) as resident:
        await sign_in_directly(resident, "jumin11")
        assert (await resident.get(notice)).status_code == 404

    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        assert (await post_form(facilitator, f"{notice}/publish")).status_code == 303
    async with client_for(app) as visitor:
        objection = {"name": "施洋HN2", "contact": "13600009999", "body": "希望外摆到 21 点。"}
        assert (await post_form(visitor, f"{notice}/objections", objection)).status_code == 303
    published = await public_view(app, (notice,))
    assert "草稿公示HN1" in published["page /c/zhonglou/notices/"][1]
    assert "希望外摆到 21 点。" in published[f"page {notice}"][1]
    assert_absent(published, "13600009999", "施洋HN2")
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        assert "13600009999" in text_of((await facilitator.get(notice)).text)
