"""The limits an outside probe found missing (SECURITY.md, rate limits): anonymous traffic,
sign-up and the logins it reveals, current-password guesses, meeting sign-in codes, and a
sign-in limit that lets a whole meeting room in. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import pyotp
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.counters import counters_path
from council.accounts.models import Person, RateCounter
from council.app import create_app
from council.clock import FixedClock
from council.consultations.models import Attendance, SignInMethod
from council.demo.data import DEMO_PASSWORD
from council.settings import Settings
from tests.consultation_flow import (
    BASE,
    consultation,
    meeting_code,
    signed_in,
    start_meeting,
)
from tests.support import (
    Client,
    app_behind_proxy,
    client_for,
    from_address,
    post_form,
    sign_in,
    text_of,
)

HOUR = "3600"


# --- 4: anonymous traffic ---------------------------------------------------------------------

ANONYMOUS_LIMIT = Settings.anonymous_per_ip_5min


async def test_probe_4_anonymous_traffic_over_300_in_5_minutes_is_429_and_resets(
    settings: Settings, clock: FixedClock
) -> None:
    assert ANONYMOUS_LIMIT == 300  # SECURITY.md's figure is the default
    app = app_behind_proxy(settings, clock, anonymous_per_ip_5min=ANONYMOUS_LIMIT)
    visitor, neighbour = from_address("203.0.113.7"), from_address("203.0.113.8")
    async with client_for(app) as client:
        for _ in range(ANONYMOUS_LIMIT):
            assert (await client.get("/signin", headers=visitor)).status_code == 200
        refused = await client.get(BASE, headers=visitor)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("text/html")
        assert "访问过于频繁" in text_of(refused.text)
        wait = int(refused.headers["retry-after"])
        assert 0 < wait <= 300
        # Another address is not held back; static files and the health probe are not counted.
        assert (await client.get(BASE, headers=neighbour)).status_code == 200
        assert (await client.get("/healthz", headers=visitor)).status_code == 200
        assert (await client.get("/static/css/council-1.css", headers=visitor)).status_code == 200
        # The window ends: the same address is served again.
        clock.advance(seconds=wait)
        assert (await client.get(BASE, headers=visitor)).status_code == 200


async def test_probe_4_signed_in_people_are_never_counted_by_address(
    settings: Settings, clock: FixedClock
) -> None:
    """S40: a whole council may sit behind one NAT with anonymous visitors."""
    app = create_app(replace(settings, anonymous_per_ip_5min=ANONYMOUS_LIMIT), clock)
    async with client_for(app) as member, client_for(app) as visitor:
        await sign_in(member, "jumin01")  # the sign-in pages themselves are anonymous
        for _ in range(50):
            assert (await member.get("/me")).status_code == 200
        served = 0
        while (await visitor.get("/signin")).status_code == 200:
            served += 1
            assert served <= ANONYMOUS_LIMIT
        # Only the member's few anonymous sign-in requests shared the address's allowance.
        assert served >= ANONYMOUS_LIMIT - 5
        assert (await member.get("/me")).status_code == 200


# --- 5 and 10: sign-up ------------------------------------------------------------------------

SIGNUP_LIMIT = Settings.signup_per_ip_hour


def _signup(login: str, *, again: str = "a long passphrase 2026") -> dict[str, str]:
    return {
        "login": login,
        "display_name": "新居民",
        "password": "a long passphrase 2026",
        "password_again": again,
    }


async def _logins_like(db: AsyncSession, prefix: str) -> list[str]:
    await db.rollback()
    rows = await db.scalars(sa.select(Person.login).where(Person.login.like(f"{prefix}%")))
    return sorted(rows)


async def test_probe_5_signup_is_throttled_per_address(
    settings: Settings, clock: FixedClock, db: AsyncSession
) -> None:
    app = app_behind_proxy(settings, clock)
    room = from_address("198.51.100.20")
    async with client_for(app) as client:
        for n in range(SIGNUP_LIMIT):
            response = await post_form(client, "/signup", _signup(f"xinjumin{n:02d}"), headers=room)
            assert response.status_code == 303, response.text
        refused = await post_form(client, "/signup", _signup("xinjumin99"), headers=room)
        assert refused.status_code == 429
        assert "注册过于频繁" in text_of(refused.text)
        assert refused.headers["retry-after"] == HOUR
        assert "xinjumin99" not in await _logins_like(db, "xinjumin")
        other = await post_form(
            client, "/signup", _signup("xinjumin98"), headers=from_address("198.51.100.21")
        )
        assert other.status_code == 303
        clock.advance(minutes=61)  # no permanent lockout
        later = await post_form(client, "/signup", _signup("xinjumin99"), headers=room)
        assert later.status_code == 303
    created = [f"xinjumin{n:02d}" for n in range(SIGNUP_LIMIT)] + ["xinjumin98", "xinjumin99"]
    assert await _logins_like(db, "xinjumin") == created


async def test_probe_10_taken_login_answers_count_towards_the_signup_limit(
    settings: Settings, clock: FixedClock, db: AsyncSession
) -> None:
    app = app_behind_proxy(settings, clock)
    room = from_address("198.51.100.30")
    async with client_for(app) as client:
        # Mistyped passwords cost no hash and reveal nothing, so they count for nothing.
        for _ in range(SIGNUP_LIMIT + 10):
            typo = await post_form(client, "/signup", _signup("jumin01", again="x"), headers=room)
            assert typo.status_code == 422
            assert "两次输入的密码不一致" in text_of(typo.text)
            assert "这个账号已被使用" not in text_of(typo.text)
        # A person still learns that a login is taken; each such answer counts.
        for _ in range(SIGNUP_LIMIT):
            taken = await post_form(client, "/signup", _signup("jumin01"), headers=room)
            assert taken.status_code == 422
            assert "这个账号已被使用" in text_of(taken.text)
        refused = await post_form(client, "/signup", _signup("xinjumin01"), headers=room)
        assert refused.status_code == 429
        assert "注册过于频繁" in text_of(refused.text)
    assert await _logins_like(db, "xinjumin") == []


# --- 9: current-password guesses --------------------------------------------------------------


def _new_password(current: str) -> dict[str, str]:
    return {
        "current_password": current,
        "new_password": "a new long passphrase",
        "new_password_again": "a new long passphrase",
    }


async def test_probe_9_current_password_guessing_is_throttled_per_account(
    app: Litestar, client: Client, clock: FixedClock
) -> None:
    limit = Settings.password_failures_per_account_hour
    await sign_in(client, "jumin01")
    for n in range(limit):
        wrong = await post_form(client, "/me/password", _new_password(f"guess number {n}"))
        assert wrong.status_code == 422
        assert "当前密码不正确" in text_of(wrong.text)
        assert 'name="current_password"' in wrong.text  # the form again, in place
    refused = await post_form(client, "/me/password", _new_password(DEMO_PASSWORD))
    assert refused.status_code == 429
    assert "当前密码输错次数过多" in text_of(refused.text)
    assert refused.headers["retry-after"] == HOUR
    # Counted per account: another browser of the same person is held back too.
    async with client_for(app) as other:
        await sign_in(other, "jumin01")  # the password itself is unchanged
        again = await post_form(other, "/me/password", _new_password(DEMO_PASSWORD))
        assert again.status_code == 429
    clock.advance(minutes=61)  # no permanent lockout
    changed = await post_form(client, "/me/password", _new_password(DEMO_PASSWORD))
    assert changed.status_code == 303


async def test_probe_9_turning_off_the_second_factor_counts_wrong_passwords_too(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    """The password asked to turn the second factor off is the same secret: its wrong guesses
    share the per-account count of /me/password."""
    await sign_in(client, "zhuchi")
    await post_form(client, "/me/two-factor/begin")
    await db.rollback()
    secret = await db.scalar(sa.select(Person.totp_secret).where(Person.login == "zhuchi"))
    await db.rollback()
    assert secret
    code = pyotp.TOTP(secret).at(clock.now())
    assert (await post_form(client, "/me/two-factor/confirm", {"code": code})).status_code == 303
    limit = Settings.password_failures_per_account_hour
    for n in range(limit):
        wrong = await post_form(
            client, "/me/two-factor/disable", {"password": f"guess {n}", "code": "000000"}
        )
        assert wrong.status_code == 422 and "密码不正确" in text_of(wrong.text)
    refused = await post_form(
        client, "/me/two-factor/disable", {"password": DEMO_PASSWORD, "code": "000000"}
    )
    assert refused.status_code == 429
    assert "当前密码输错次数过多" in text_of(refused.text)
    password = await post_form(client, "/me/password", _new_password(DEMO_PASSWORD))
    assert password.status_code == 429  # one count per account, whichever form guessed
    await db.rollback()
    still_on = await db.scalar(sa.select(Person.totp_enabled_at).where(Person.login == "zhuchi"))
    assert still_on is not None


# --- 7: meeting sign-in codes -----------------------------------------------------------------


def _wrong(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 1_000_000:06d}"


async def _present(db: AsyncSession, meeting_id: str) -> dict[str, SignInMethod]:
    await db.rollback()
    rows = await db.execute(
        sa.select(Person.login, Attendance.method)
        .join(Attendance, Attendance.person_id == Person.id)
        .where(Attendance.meeting_id == UUID(meeting_id))
    )
    return {login: method for login, method in rows}


async def _mark_present(zhuchi: Client, db: AsyncSession, meeting_id: str, login: str) -> int:
    person = await db.scalar(sa.select(Person.id).where(Person.login == login))
    url = f"{BASE}/meetings/{meeting_id}/attendance/{person}"
    return (await post_form(zhuchi, url)).status_code


async def test_probe_7_meeting_code_works_only_while_the_meeting_is_in_session(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        meeting = f"{BASE}/meetings/{setup.meeting_id}"
        code = await meeting_code(db, setup.meeting_id)
        async with signed_in(app, "shop05") as early:
            before = await post_form(early, f"{meeting}/signin", {"code": code})
            assert before.status_code == 409
            assert 'id="signin-form"' in before.text and 'name="code"' in before.text
            assert "会议尚未开始" in text_of(before.text)
            assert await _present(db, setup.meeting_id) == {}
            await start_meeting(zhuchi, setup.meeting_id)
            during = await post_form(early, f"{meeting}/signin", {"code": code})
            assert during.status_code == 303
        closed = await post_form(zhuchi, f"{meeting}/close")
        assert closed.status_code == 303
        async with signed_in(app, "shop09") as late:
            after = await post_form(late, f"{meeting}/signin", {"code": code})
    assert after.status_code == 409
    assert 'id="signin-form"' in after.text
    assert "会议已结束，不能再签到" in text_of(after.text)
    assert await _present(db, setup.meeting_id) == {"shop05": SignInMethod.CODE}


async def test_probe_7_wrong_meeting_codes_are_throttled_per_person(
    app: Litestar, db: AsyncSession
) -> None:
    limit = Settings.meeting_code_failures_per_person_hour
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await start_meeting(zhuchi, setup.meeting_id)
        url = f"{BASE}/meetings/{setup.meeting_id}/signin"
        code = await meeting_code(db, setup.meeting_id)
        async with signed_in(app, "shop05") as guesser:
            for n in range(1, limit + 1):
                wrong = await post_form(guesser, url, {"code": _wrong(code, n)})
                assert wrong.status_code == 422
                assert "签到码不对" in text_of(wrong.text)
            # Over the limit even the right code is refused, in place on the phone view.
            refused = await post_form(guesser, url, {"code": code})
            assert refused.status_code == 429
            assert 'id="signin-form"' in refused.text
            assert "您输错签到码的次数过多" in text_of(refused.text)
            assert refused.headers["retry-after"] == HOUR
        async with signed_in(app, "shop09") as member:
            assert (await post_form(member, url, {"code": code})).status_code == 303
        # The facilitator can still mark the person present at the door.
        assert await _mark_present(zhuchi, db, setup.meeting_id, "shop05") == 303
    assert await _present(db, setup.meeting_id) == {
        "shop09": SignInMethod.CODE,
        "shop05": SignInMethod.FACILITATOR,
    }


async def test_probe_7_wrong_meeting_codes_are_throttled_per_meeting(
    settings: Settings, clock: FixedClock, db: AsyncSession
) -> None:
    """Several accounts together cannot guess a code either (a small figure keeps it short)."""
    app = create_app(replace(settings, meeting_code_failures_per_meeting_hour=15), clock)
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await start_meeting(zhuchi, setup.meeting_id)
        url = f"{BASE}/meetings/{setup.meeting_id}/signin"
        code = await meeting_code(db, setup.meeting_id)
        for login, guesses in (("shop05", 10), ("shop09", 5)):
            async with signed_in(app, login) as guesser:
                for n in range(1, guesses + 1):
                    wrong = await post_form(guesser, url, {"code": _wrong(code, n)})
                    assert wrong.status_code == 422
        async with signed_in(app, "shop14") as member:
            refused = await post_form(member, url, {"code": code})
        assert refused.status_code == 429
        assert "本次会议输错签到码的次数过多" in text_of(refused.text)
        assert await _mark_present(zhuchi, db, setup.meeting_id, "shop14") == 303
    assert await _present(db, setup.meeting_id) == {"shop14": SignInMethod.FACILITATOR}


# --- the sign-in limit fits a meeting room ----------------------------------------------------

ROOM = (
    *("shop01", "shop05", "shop09", "shop14", "shop20", "shop27", "shop33"),
    *("jumin01", "jumin02", "jumin03", "jumin04", "jumin05", "jumin06", "jumin07"),
    *("dangwei", "dangwei2", "wuye", "chengguan", "huanbao", "lvshi"),
)


async def test_probe_signin_twenty_people_from_one_address_within_a_minute_all_get_in(
    app: Litestar, clock: FixedClock
) -> None:
    """One Wi-Fi, one minute, eleven of the twenty mistype once on their phones: successful
    sign-ins count against nobody, and eleven failures are far from the address's limit."""
    assert len(ROOM) == 20
    mistyped = set(ROOM[::2]) | {ROOM[1]}
    assert len(mistyped) == 11
    for login in ROOM:
        async with client_for(app) as phone:
            if login in mistyped:
                typo = await post_form(
                    phone, "/signin", {"login": login, "password": DEMO_PASSWORD + "x"}
                )
                assert typo.status_code == 422
            response = await post_form(
                phone, "/signin", {"login": login, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 303, f"{login}: {text_of(response.text)}"
        clock.advance(seconds=3)


async def test_probe_4_anonymous_counts_live_where_every_process_sees_them(
    client: Client, settings: Settings, db: AsyncSession, engine_name: str
) -> None:
    """In the database on PostgreSQL; on SQLite in a file of their own beside it, so that a
    page view never waits for the database's write lock."""
    assert (await client.get("/signin")).status_code == 200
    await db.rollback()
    in_database = list(
        await db.scalars(sa.select(RateCounter.count).where(RateCounter.key.like("anonymous-ip:%")))
    )
    path = counters_path(settings)
    if engine_name == "postgresql":
        assert path is None
        assert in_database == [1]
        return
    assert in_database == []
    database = make_url(settings.database_url).database
    assert path is not None and database and path.parent == Path(database).parent
    with contextlib.closing(sqlite3.connect(path)) as counters:
        rows = counters.execute(
            "SELECT count FROM rate_counter WHERE key LIKE 'anonymous-ip:%'"
        ).fetchall()
    assert rows == [(1,)]
