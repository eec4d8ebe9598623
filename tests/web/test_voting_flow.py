"""A ballot from draft to certified result over HTTP, with bad input refused (issue 6)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.councils.models import Shop
from council.voting.models import Ballot, Vote
from tests.support import Client, audit_actions, post_form, sign_in_directly, text_of
from tests.voting_support import BASE, close, draft, opened, vote_as


async def test_named_ballot_draft_to_certified(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    ballot = await opened(app, quorum_rule="1/2>", quorum_measure="cast")
    for login, choice in [("jumin01", "yes"), ("jumin02", "yes"), ("dangwei", "no")]:
        response = await vote_as(app, login, ballot, choice)
        assert response.status_code == 303, response.text
        assert response.headers["x-vote-receipt"]
    assert (await close(app, ballot)).status_code == 303
    assert (await close(app, ballot, "certify")).status_code == 303
    page = await client.get(f"{BASE}/{ballot}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "已认证" in text
    assert "3 / 20" in text  # 20 member seats; the observer (列席) has none
    assert "未通过" in text  # quorum: 11 of 20 needed
    assert "核验通过" in text and "赵淑珍" in text
    # This ballot's entries only: the demo holds ballots of its own (the shop convention's).
    actions = [
        e.action
        for e in await audit_actions(db)
        if e.object_type == "ballot" and e.object_id == ballot.hex
    ]
    assert actions == [
        "ballot.created",
        "ballot.opened",
        "vote.cast",
        "vote.cast",
        "vote.cast",
        "ballot.closed",
        "ballot.certified",
    ]


async def test_member_sees_big_vote_buttons_and_receipt(app: Litestar, client: Client) -> None:
    ballot = await opened(app)
    await sign_in_directly(client, "jumin01")
    page = await client.get(f"{BASE}/{ballot}")
    assert 'class="vote-button vote-yes"' in page.text
    response = await post_form(client, f"{BASE}/{ballot}/vote", {"choice": "yes"})
    receipt = response.headers["x-vote-receipt"]
    page = await client.get(response.headers["location"])
    assert "已投票" in text_of(page.text)
    assert f"{receipt[:4]}-{receipt[4:8]}" in page.text


@pytest.mark.parametrize(
    "choice",
    ["maybe", "yes ", "", None, ["yes", "no"], "o1", ["yes", "yes"], "yes" * 5000, "YES"],
    ids=[
        "foreign",
        "padded",
        "empty",
        "missing",
        "two",
        "other-ballot-code",
        "repeated",
        "oversized",
        "case-changed",
    ],
)
async def test_S10_bad_choice_is_422_and_nothing_stored(
    app: Litestar, db: AsyncSession, choice: object
) -> None:
    ballot = await opened(app)
    response = await vote_as(app, "jumin01", ballot, choice)
    assert response.status_code == 422, response.text
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) == 0


async def test_S10_choice_from_another_ballot(app: Litestar, db: AsyncSession) -> None:
    options = await opened(app, kind="options", options="甲方案\n乙方案")
    plain = await opened(app)
    assert (await vote_as(app, "jumin01", options, "o1")).status_code == 303
    assert (await vote_as(app, "jumin01", plain, "o1")).status_code == 422
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == plain)) == 0


async def test_S9_tampered_voter_fields_are_ignored_or_refused(
    app: Litestar, db: AsyncSession
) -> None:
    ballot = await opened(app)
    await db.rollback()
    other = await db.scalar(sa.select(Person.id).where(Person.login == "jumin02"))
    response = await vote_as(
        app, "jumin01", ballot, "yes", person_id=str(other), voter_key=f"p:{other}", voter="jumin02"
    )
    assert response.status_code == 303
    await db.rollback()
    vote = (await db.execute(sa.select(Vote).where(Vote.ballot_id == ballot))).scalar_one()
    mine = await db.scalar(sa.select(Person.id).where(Person.login == "jumin01"))
    assert vote.person_id == mine


async def test_S9_shop_field_for_another_shop_is_403(app: Litestar, db: AsyncSession) -> None:
    ballot = await opened(app, electorate="shops", pass_base="eligible")
    await db.rollback()
    shop2 = await db.scalar(sa.select(Shop.id).where(Shop.number == "2"))
    hexed = shop2.hex
    assert (await vote_as(app, "shop01", ballot, "yes", shop=hexed)).status_code == 403
    assert (await vote_as(app, "shop01", ballot, "yes")).status_code == 303
    assert (await vote_as(app, "shop02", ballot, "no", shop=hexed)).status_code == 303
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) == 2


@pytest.mark.parametrize(
    "login", ["shijian", "jumin11", "jiandu"], ids=["observer", "resident", "supervisor"]
)
async def test_R19_observers_and_outsiders_cannot_vote(
    app: Litestar, db: AsyncSession, login: str
) -> None:
    ballot = await opened(app)
    response = await vote_as(app, login, ballot, "yes")
    assert response.status_code == 403
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) == 0


async def test_second_vote_is_409_already_voted(app: Litestar) -> None:
    ballot = await opened(app)
    assert (await vote_as(app, "jumin01", ballot, "yes")).status_code == 303
    again = await vote_as(app, "jumin01", ballot, "no")
    assert again.status_code == 409 and "已投票" in text_of(again.text)


async def test_R17_changed_vote_replaces_the_first(app: Litestar, db: AsyncSession) -> None:
    ballot = await opened(app, allow_change="true")
    first = await vote_as(app, "jumin01", ballot, "yes")
    second = await vote_as(app, "jumin01", ballot, "no")
    assert second.status_code == 303
    assert first.headers["x-vote-receipt"] != second.headers["x-vote-receipt"]
    await db.rollback()
    votes = (await db.execute(sa.select(Vote).where(Vote.ballot_id == ballot))).scalars().all()
    assert [(v.choices, v.revision) for v in votes] == [("no", 2)]
    await close(app, ballot)
    await db.rollback()
    row = await db.get(Ballot, ballot)
    assert '"no": 1' in (row.result or "") and '"yes": 0' in (row.result or "")


async def test_secret_ballots_cannot_allow_changes(app: Litestar, client: Client) -> None:
    await sign_in_directly(client, "zhuchi")
    response = await post_form(
        client, f"{BASE}/", {"question": "q", "method": "secret", "allow_change": "true"}
    )
    assert response.status_code == 422 and "无记名表决不能改票" in response.text


async def test_public_sees_results_only_after_close(app: Litestar, client: Client) -> None:
    ballot = await opened(app)
    assert (await client.get(f"{BASE}/{ballot}")).status_code == 404
    async with __import__("tests.support", fromlist=["client_for"]).client_for(app) as f:
        await sign_in_directly(f, "zhuchi")
        drafted = await draft(f)
    assert (await client.get(f"{BASE}/{drafted}")).status_code == 404
    await close(app, ballot)
    assert (await client.get(f"{BASE}/{ballot}")).status_code == 200
    assert (await client.get(f"{BASE}/{ballot}/tally")).status_code in (303, 404)
