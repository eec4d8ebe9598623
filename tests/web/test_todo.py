"""我的待办: what waits for a person across their councils, counted in the header, overdue
first, and gone once they have acted on it."""

from __future__ import annotations

import re
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.clock import FixedClock
from council.consultations.models import Minutes
from tests.consultation_flow import BASE, agreed_plan, consultation, signed_in
from tests.support import Client, post_form, text_of
from tests.voting_support import opened

QUESTION = "是否同意外摆区域限定在门前一米内"  # tests.voting_support.draft's question


def counts(html: str) -> dict[str, int]:
    """The header's count per kind of what waits."""
    return {
        kind: int(n)
        for kind, n in re.findall(r'<li data-kind="(\w+)">[^<]*<strong>(\d+)</strong>', html)
    }


async def todo(client: Client) -> tuple[str, dict[str, int], int]:
    page = await client.get("/me/todo")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    badge = await client.get("/me/todo/count", headers={"HX-Request": "true"})
    found = re.search(
        r'<span id="todo-count"[^>]*>(.*?)</span>\s*(<span id="unread|$)', badge.text, re.S
    )
    assert found, badge.text
    total = re.sub(r"\D", "", text_of(found.group(1)))
    return text_of(page.text), counts(page.text), int(total or 0)


async def test_todo_lists_invitation_ballot_and_minutes_and_each_goes_once_done(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
    meeting = f"{BASE}/meetings/{setup.meeting_id}"
    async with signed_in(app, "shop01") as member:
        text, before, total = await todo(member)
        assert "应邀参会" in text and "第一次协商会" in text and "第二次协商会" in text
        assert before["meeting"] == 2
        assert total == sum(before.values())

        ballot = await opened(app)
        text, now, total = await todo(member)
        assert QUESTION in text and now["ballot"] == before.get("ballot", 0) + 1
        assert total == sum(now.values())
        voted = await post_form(member, f"{BASE}/ballots/{ballot}/vote", {"choice": "yes"})
        assert voted.status_code == 303
        text, after_vote, total = await todo(member)
        assert QUESTION not in text
        assert after_vote.get("ballot", 0) == before.get("ballot", 0)

        # Marked present at the first meeting: its invitation is done; its minutes wait.
        async with signed_in(app, "zhuchi") as zhuchi:
            shop01 = await db.scalar(sa.select(Person.id).where(Person.login == "shop01"))
            await post_form(zhuchi, f"{meeting}/attendance/{shop01}")
            page = await zhuchi.get(meeting)
            agenda = next(
                p for p in page.text.split('"') if "/agenda/" in p and p.endswith("/minutes")
            )
            drafted = await post_form(zhuchi, agenda, {"text": "商户同意先做排查"})
            assert drafted.status_code == 303
        text, present, total = await todo(member)
        assert "第一次协商会" in text and "确认纪要" in text
        assert present["meeting"] == 1 and present["minutes"] == 1
        assert total == sum(present.values()) == sum(after_vote.values())
        await db.rollback()
        minutes = await db.scalar(
            sa.select(Minutes.id).where(Minutes.meeting_id == UUID(setup.meeting_id))
        )
        confirmed = await post_form(member, f"{meeting}/minutes/{minutes}/confirm")
        assert confirmed.status_code == 303
        text, done, total = await todo(member)
        assert "确认纪要" not in text and "minutes" not in done
        assert total == sum(after_vote.values()) - 1


async def test_todo_marks_overdue_items_and_puts_them_first(
    app: Litestar, db: AsyncSession, clock: FixedClock
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await agreed_plan(zhuchi, setup, shops="1")
    async with signed_in(app, "shop01") as owner:
        page = (await owner.get("/me/todo")).text
        assert "提交整改材料" in text_of(page)
        assert 'class="todo-item overdue" data-kind="item"' not in page
    clock.advance(days=30)  # past the plan's deadline of 2026-12-20
    async with signed_in(app, "shop01") as owner:
        page = (await owner.get("/me/todo")).text
    first = re.search(r'<li class="todo-item( overdue)?" data-kind="(\w+)"', page)
    assert first and first.groups() == (" overdue", "item")
    assert "已超期" in text_of(page)


async def test_todo_needs_sign_in_and_shows_nothing_of_other_people(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    assert (await client.get("/me/todo")).status_code in (302, 303, 401)
    async with signed_in(app, "zhuchi") as zhuchi:
        await consultation(db, zhuchi, invite=("居民代表",))
    async with signed_in(app, "shop01") as merchant:
        text, _counts, _total = await todo(merchant)
    assert "第一次协商会" not in text  # invited were the residents' seats, not shop01
