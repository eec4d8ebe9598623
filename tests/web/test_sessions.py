"""Server-side sessions: rotation at sign-in, revocation at sign-out, timeouts (S17, S27–S30)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person, WebSession
from council.clock import FixedClock
from council.councils.models import Membership, Role
from tests.support import Client, client_for, post_form, sign_in

COOKIE = "council_session"


async def test_S27_sign_in_issues_a_new_session_id_over_a_planted_one(client: Client) -> None:
    client.cookies.set(COOKIE, "planted-by-an-attacker", domain="testserver.local")
    await sign_in(client, "jumin01")
    issued = client.cookies.get(COOKIE)
    assert issued and issued != "planted-by-an-attacker"
    assert len(issued) >= 32  # 256 random bits, url-safe


async def test_sign_in_twice_rotates_and_kills_the_previous_id(client: Client) -> None:
    await sign_in(client, "jumin01")
    first = client.cookies.get(COOKIE)
    await sign_in(client, "jumin01")
    second = client.cookies.get(COOKIE)
    assert first != second
    client.cookies.set(COOKIE, str(first), domain="testserver.local")
    assert (await client.get("/me")).status_code == 303  # sent to sign in


async def test_S28_cookie_reused_after_sign_out_is_not_signed_in(
    client: Client, db: AsyncSession
) -> None:
    await sign_in(client, "jumin01")
    old = str(client.cookies.get(COOKIE))
    response = await post_form(client, "/signout")
    assert response.status_code == 303
    assert await db.scalar(sa.select(sa.func.count(WebSession.id))) == 0
    client.cookies.set(COOKIE, old, domain="testserver.local")
    response = await client.get("/me")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_session_cookie_flags(client: Client) -> None:
    response = await sign_in(client, "jumin01")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and COOKIE in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


async def test_S30_idle_timeout_asks_to_sign_in_again(client: Client, clock: FixedClock) -> None:
    await sign_in(client, "jumin01")
    assert (await client.get("/me")).status_code == 200
    clock.advance(minutes=121)
    response = await client.get("/me")
    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/me"


async def test_S30_activity_keeps_the_session_until_the_absolute_limit(
    client: Client, clock: FixedClock
) -> None:
    await sign_in(client, "jumin01")
    for _ in range(100):  # active every 110 minutes, within the 120-minute idle limit
        clock.advance(minutes=110)
        if (await client.get("/me")).status_code != 200:
            break
    else:
        raise AssertionError("the absolute lifetime was never enforced")
    assert clock.now() - FixedClock().now() >= dt.timedelta(hours=24 * 7 - 1)


async def test_S17_disabled_person_is_refused_on_the_next_request(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    await sign_in(client, "jumin01")
    await db.execute(
        sa.update(Person).where(Person.login == "jumin01").values(disabled_at=clock.now())
    )
    await db.commit()
    assert (await client.get("/me")).status_code == 303


async def test_S17_demoted_facilitator_is_refused_on_the_next_request(
    client: Client, db: AsyncSession
) -> None:
    await sign_in(client, "zhuchi")
    assert (await client.get("/c/zhonglou/manage")).status_code == 200
    person_id = await db.scalar(sa.select(Person.id).where(Person.login == "zhuchi"))
    await db.execute(
        sa.delete(Membership).where(
            Membership.person_id == person_id, Membership.role == Role.FACILITATOR
        )
    )
    await db.commit()
    assert (await client.get("/c/zhonglou/manage")).status_code == 404


async def test_changing_password_signs_out_other_browsers(app, client: Client) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as other:
        await sign_in(other, "jumin01")
        await sign_in(client, "jumin01")
        response = await post_form(
            client,
            "/me/password",
            {
                "current_password": "zhonglou-demo-2026",
                "new_password": "a new long passphrase",
                "new_password_again": "a new long passphrase",
            },
        )
        assert response.status_code == 303
        assert (await client.get("/me")).status_code == 200
        assert (await other.get("/me")).status_code == 303
