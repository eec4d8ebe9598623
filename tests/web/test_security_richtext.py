"""SECURITY S22: the product takes no rich text. Text that could carry a link or a script
(``javascript:`` and ``data:`` URLs, anchors, event handlers, markdown links) is shown as the
characters typed, in every page and htmx fragment: never an attribute a browser would act on."""

from __future__ import annotations

from html.parser import HTMLParser

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from tests.consultation_flow import BASE as COUNCIL
from tests.consultation_flow import consultation, signed_in
from tests.conventions_support import BASE as CONVENTIONS
from tests.conventions_support import open_for_comment, step
from tests.intake import BASE as ISSUES
from tests.intake import act, move, submit_as
from tests.support import Client, client_for, post_form, text_of

PAYLOADS = (
    "javascript:alert(1)",
    "data:text/html,<script>alert(2)</script>",
    '<a href="javascript:alert(3)">点我</a>',
    "<a href=javascript:alert(4)>看</a>",
    "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg=='>图</a>",
    "<img src=x onerror=alert(6)>",
    '"><svg onload=alert(7)>',
    "[链接](javascript:alert(8))",
    "<p style=x onmouseover='alert(9)'>文</p>",
)
EVIL = "说明 " + " ".join(PAYLOADS)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "background"}


class ActiveAttributes(HTMLParser):
    """Attributes a browser would run or follow: event handlers and script/data URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            url = (value or "").strip().lower()
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}>")
            elif name in URL_ATTRIBUTES and url.startswith(("javascript:", "data:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value}>")


def assert_inert(html: str, where: str) -> None:
    parser = ActiveAttributes()
    parser.feed(html)
    assert parser.found == [], where


async def assert_plain_everywhere(client: Client, urls: list[str]) -> None:
    """Each page and its htmx fragment: nothing active; the page shows the words as text."""
    for url in urls:
        page = await client.get(url)
        fragment = await client.get(url, headers={"HX-Request": "true"})
        assert page.status_code == fragment.status_code == 200, url
        assert_inert(page.text, url)
        assert_inert(fragment.text, f"{url} (fragment)")
        # ...and the words were shown, as text: the check above looked at the right page.
        assert "javascript:alert(3)" in text_of(page.text), url


async def test_S22_issue_text_and_comments_are_plain_text(app: Litestar) -> None:
    async with client_for(app) as client:
        issue = await submit_as(
            client, "jumin11", "油烟 <a href=javascript:alert(0)>链接</a>", body=EVIL
        )
        assert (await move(client, "zhuchi", issue, "triage")).status_code == 303
        assert (await move(client, "zhuchi", issue, "accepted", reason=EVIL)).status_code == 303
        commented = await act(client, "jumin01", issue, "comments", body=EVIL)
        assert commented.status_code == 303, commented.text
        client.cookies.clear()
        await assert_plain_everywhere(client, [f"{ISSUES}/{issue}"])
        for headers in ({}, {"HX-Request": "true"}):  # the title in the list and its fragment
            listing = (await client.get(f"{ISSUES}/", headers=headers)).text
            assert_inert(listing, f"{ISSUES}/ {headers}")
            assert "javascript:alert(0)" in text_of(listing)


async def test_S22_convention_comments_are_plain_text(
    app: Litestar, db: AsyncSession, clock: FixedClock
) -> None:
    cid, article = await open_for_comment(
        app, db, clock.now(), "外摆公约", [("外摆", "门前一米以内。")]
    )
    async with signed_in(app, "jumin11") as resident:
        posted = await step(resident, cid, 1, "comments", article=article.hex, body=EVIL)
        assert posted.status_code == 303, posted.text
    async with client_for(app) as public:
        await assert_plain_everywhere(public, [f"{CONVENTIONS}/{cid}/v/1"])


async def test_S22_round_statements_are_plain_text(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        entry = await post_form(
            zhuchi,
            f"{COUNCIL}/rounds/{setup.round_id}/entries",
            {"kind": "statement", "side": "resident", "speaker": "居民甲", "text": EVIL},
        )
        assert entry.status_code == 303, entry.text
        await assert_plain_everywhere(zhuchi, [f"{COUNCIL}/rounds/{setup.round_id}"])
    async with client_for(app) as public:
        await assert_plain_everywhere(public, [f"{COUNCIL}/rounds/{setup.round_id}"])
