"""The ballot form's presets fill the rules in one choice and stay editable; a vote is asked
back, naming the choice, before it is cast, on the ballot page and on the meeting phone."""

from __future__ import annotations

import html as html_lib
import re
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.voting import service as voting
from council.voting.models import Ballot, Vote
from council.voting.tally import BaseKind
from tests.consultation_flow import signed_in
from tests.support import Client, post_form, sign_in_directly, text_of
from tests.voting_support import BASE, ballot_id_from, opened
from tests.web.test_meeting_vote import HTMX, live_meeting, open_vote


def selected(html: str, name: str) -> str:
    """The value a select shows as chosen."""
    select = re.search(rf'<select id="f-{name}" name="{name}".*?</select>', html, re.S)
    assert select, name
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return html_lib.unescape(chosen.group(1)) if chosen else ""


async def ballot_count(db: AsyncSession) -> int:
    await db.rollback()
    return int(await db.scalar(sa.select(sa.func.count(Ballot.id))) or 0)


async def votes_of(db: AsyncSession, ballot: UUID) -> list[str]:
    await db.rollback()
    stmt = sa.select(Vote.choices).where(Vote.ballot_id == ballot)
    return list((await db.execute(stmt)).scalars())


async def test_preset_fills_the_rules_keeps_the_typed_question_and_saves_nothing(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "zhuchi")
    form = await client.get(f"{BASE}/new")
    assert "公约表决 · 一店一票 · 全体商户过半数" in text_of(form.text)
    before = await ballot_count(db)
    typed = {"question": "是否通过《外摆公约》第二版", "description": "按一店一票"}
    page = await post_form(client, f"{BASE}/", {**typed, "preset": "convention"})
    assert page.status_code == 200, page.text
    assert 'value="是否通过《外摆公约》第二版"' in page.text
    assert selected(page.text, "electorate") == "shops"
    assert selected(page.text, "pass_rule") == "1/2>"
    assert selected(page.text, "pass_base") == "eligible"
    assert await ballot_count(db) == before
    major = await post_form(client, f"{BASE}/", {**typed, "preset": "major"})
    assert selected(major.text, "pass_rule") == "2/3>="
    assert selected(major.text, "quorum_rule") == "2/3>="
    assert selected(major.text, "pass_base") == "present"


async def test_preset_fields_stay_editable_before_saving(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "zhuchi")
    page = await post_form(client, f"{BASE}/", {"question": "夜市时段", "preset": "meeting"})
    assert selected(page.text, "pass_base") == "present"
    # The facilitator changes one filled field (the base) and saves: the change is kept.
    saved = await post_form(
        client,
        f"{BASE}/",
        {
            "question": "夜市时段",
            "electorate": "members",
            "pass_rule": "1/2>",
            "pass_base": "cast",
            "quorum_measure": "cast",
        },
    )
    assert saved.status_code == 303, saved.text
    await db.rollback()
    ballot = await db.get(Ballot, ballot_id_from(saved.headers["location"]))
    assert ballot is not None
    assert voting.rules_of(ballot).passing.base is BaseKind.CAST


async def test_vote_is_asked_back_naming_the_choice_before_it_is_cast(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    ballot = await opened(app)
    await sign_in_directly(client, "jumin01")
    page = await client.get(f"{BASE}/{ballot}")
    # Picking is a GET form: nothing is cast by the first tap.
    assert re.search(rf'<form method="get" action="{BASE}/{ballot}#vote-title"', page.text)
    asked = await client.get(f"{BASE}/{ballot}", params={"choice": "no"})
    assert asked.status_code == 200
    assert "确认投 反对？" in text_of(asked.text)
    assert 'name="choice" value="no"' in asked.text
    assert f'action="{BASE}/{ballot}/vote"' in asked.text
    assert await votes_of(db, ballot) == []
    cast = await post_form(client, f"{BASE}/{ballot}/vote", {"choice": "no"})
    assert cast.status_code == 303
    assert await votes_of(db, ballot) == ["no"]


async def test_a_choice_that_is_not_an_option_is_not_asked_back(
    app: Litestar, client: Client
) -> None:
    ballot = await opened(app)
    await sign_in_directly(client, "jumin01")
    for params in ({"choice": "maybe"}, {"choice": ["yes", "no"]}, {"choice": "<b>x</b>"}):
        page = await client.get(f"{BASE}/{ballot}", params=params)
        assert page.status_code == 200
        assert "确认投" not in text_of(page.text)
        assert 'class="vote-button vote-yes"' in page.text


async def test_meeting_phone_asks_back_and_keeps_asking_through_its_poll(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
    async with signed_in(app, "jumin01") as member:
        phone = await member.get(f"{live.meeting}/phone")
        assert f'hx-get="{live.meeting}/phone"' in phone.text
        asked = await member.get(f"{live.meeting}/phone", params={"choice": "yes"}, headers=HTMX)
        assert asked.text.lstrip().startswith('<div id="phone-live"')
        assert "确认投 同意？" in text_of(asked.text)
        # The 2-second poll asks for the same question, so the swap does not drop it.
        assert f'hx-get="{live.meeting}/phone?choice=yes"' in asked.text
        assert await votes_of(db, ballot) == []
        cast = await post_form(
            member, f"{live.meeting}/votes/{ballot}", {"choice": "yes"}, headers=HTMX
        )
        assert "您已投票：同意" in text_of(cast.text)
    assert await votes_of(db, ballot) == ["yes"]
