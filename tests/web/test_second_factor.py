"""Second factor (TOTP) for privileged sign-in: enrolment, the pending session, replay (S31)."""

from __future__ import annotations

import pyotp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person, WebSession
from council.clock import FixedClock
from tests.support import Client, audit_actions, post_form, sign_in, text_of

COOKIE = "council_session"
FACILITATOR = "zhuchi"


async def _person(db: AsyncSession, login: str) -> Person:
    await db.rollback()  # a fresh snapshot: see what the app committed
    person = await db.scalar(sa.select(Person).where(Person.login == login))
    assert person is not None
    return person


def _code(secret: str, clock: FixedClock, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(clock.now()) + steps)


async def _enrol(client: Client, db: AsyncSession, clock: FixedClock) -> str:
    await sign_in(client, FACILITATOR)
    assert (await post_form(client, "/me/two-factor/begin")).status_code == 303
    page = await client.get("/me/two-factor")
    assert "确认开启" in page.text
    qr = await client.get("/me/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in qr.text and "<path" in qr.text
    secret = (await _person(db, FACILITATOR)).totp_secret
    assert secret and secret[:4] in page.text  # the key is shown for typing by hand
    response = await post_form(client, "/me/two-factor/confirm", {"code": _code(secret, clock)})
    assert response.status_code == 303 and "second_factor_on" in response.headers["location"]
    return secret


async def test_enrolment_needs_a_code_from_the_app(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    await sign_in(client, FACILITATOR)
    assert "请开启两步验证" in text_of((await client.get("/me")).text)  # privileged: nudged
    await post_form(client, "/me/two-factor/begin")
    wrong = await post_form(client, "/me/two-factor/confirm", {"code": "000000"})
    assert wrong.status_code == 422 and "验证码不正确" in text_of(wrong.text)
    assert (await _person(db, FACILITATOR)).totp_enabled_at is None

    secret = (await _person(db, FACILITATOR)).totp_secret
    assert secret
    ok = await post_form(client, "/me/two-factor/confirm", {"code": _code(secret, clock)})
    assert ok.status_code == 303
    assert (await _person(db, FACILITATOR)).totp_enabled_at == clock.now()
    assert [e.action for e in await audit_actions(db, "person.second_factor_enabled")] == [
        "person.second_factor_enabled"
    ]
    assert "两步验证：已开启" in text_of((await client.get("/me")).text)
    assert (await client.get("/me/two-factor/qr.svg")).status_code == 404  # secret not re-shown


async def test_S31_password_alone_gives_no_privileged_session(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    secret = await _enrol(client, db, clock)
    await post_form(client, "/signout")
    clock.advance(seconds=60)

    first = await sign_in(client, FACILITATOR)
    assert first.headers["location"].startswith("/signin/code")
    # The pending session opens nothing: not /me, not the facilitator's pages.
    assert (await client.get("/me")).status_code == 303
    assert (await client.get("/c/zhonglou/manage")).status_code == 303  # sent to sign in

    wrong = await post_form(client, "/signin/code", {"code": "123456"})
    assert wrong.status_code == 422 and "验证码不正确" in text_of(wrong.text)
    assert (await client.get("/me")).status_code == 303

    pending = client.cookies.get(COOKIE)
    right = await post_form(client, "/signin/code", {"code": _code(secret, clock), "next": "/me"})
    assert right.status_code == 303 and right.headers["location"].startswith("/me")
    assert client.cookies.get(COOKIE) != pending  # a new id once both factors are given
    assert (await client.get("/me")).status_code == 200
    assert (await client.get("/c/zhonglou/manage")).status_code == 200


async def test_a_code_is_accepted_only_once(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    secret = await _enrol(client, db, clock)
    await post_form(client, "/signout")
    clock.advance(seconds=60)
    code = _code(secret, clock)
    await sign_in(client, FACILITATOR)
    assert (await post_form(client, "/signin/code", {"code": code})).status_code == 303
    await post_form(client, "/signout")

    await sign_in(client, FACILITATOR)
    replay = await post_form(client, "/signin/code", {"code": code})
    assert replay.status_code == 422 and "验证码不正确" in text_of(replay.text)


async def test_pending_session_expires_after_ten_minutes(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    secret = await _enrol(client, db, clock)
    await post_form(client, "/signout")
    await sign_in(client, FACILITATOR)
    clock.advance(minutes=11)
    late = await post_form(client, "/signin/code", {"code": _code(secret, clock)})
    assert late.status_code == 303 and late.headers["location"].startswith("/signin?")
    assert (await client.get("/me")).status_code == 303


async def test_wrong_codes_count_against_the_account_limit(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    secret = await _enrol(client, db, clock)
    await post_form(client, "/signout")
    clock.advance(seconds=60)
    await sign_in(client, FACILITATOR)
    for _ in range(10):
        assert (await post_form(client, "/signin/code", {"code": "000000"})).status_code == 422
    throttled = await post_form(client, "/signin/code", {"code": _code(secret, clock)})
    assert throttled.status_code == 429
    assert (await client.get("/me")).status_code == 303


async def test_turning_off_needs_password_and_code(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    secret = await _enrol(client, db, clock)
    clock.advance(seconds=60)
    refused = await post_form(
        client, "/me/two-factor/disable", {"password": "wrong-password", "code": "000000"}
    )
    assert refused.status_code == 422
    assert "密码不正确" in text_of(refused.text) and "验证码不正确" in text_of(refused.text)
    assert (await _person(db, FACILITATOR)).totp_enabled_at is not None

    from council.demo.data import DEMO_PASSWORD

    off = await post_form(
        client,
        "/me/two-factor/disable",
        {"password": DEMO_PASSWORD, "code": _code(secret, clock)},
    )
    assert off.status_code == 303
    person = await _person(db, FACILITATOR)
    assert person.totp_secret is None and person.totp_enabled_at is None
    assert await audit_actions(db, "person.second_factor_disabled")
    await post_form(client, "/signout")
    assert (await sign_in(client, FACILITATOR)).headers["location"].startswith("/me")


async def test_pending_sessions_are_not_signed_in_sessions(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    await _enrol(client, db, clock)
    await post_form(client, "/signout")
    await sign_in(client, FACILITATOR)
    await db.rollback()
    rows = (await db.execute(sa.select(WebSession.second_factor_pending))).scalars().all()
    assert rows == [True]
