"""Findings of the outside probe: account pages served as HTML, unreadable characters and
integers no column can hold refused before they reach SQL, CSRF tokens bound to a session,
and the smaller protocol slips (HEAD, favicon, file CSP)."""

from __future__ import annotations

from urllib.parse import quote

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.clock import FixedClock
from council.consultations.models import Matter
from council.councils.models import Council
from council.issues.models import Issue, IssueComment
from tests.conventions_support import demo_convention
from tests.support import Client, client_for, csrf_token, post_form, sign_in, text_of

HTML = "text/html; charset=utf-8"
COUNCIL = "/c/zhonglou"


def assert_html(response: object, status: int) -> None:
    assert response.status_code == status, response.text[:300]  # type: ignore[attr-defined]
    assert response.headers["content-type"] == HTML  # type: ignore[attr-defined]


async def _totp_on(client: Client, db: AsyncSession, clock: FixedClock, login: str) -> str:
    await sign_in(client, login)
    await post_form(client, "/me/two-factor/begin")
    await db.rollback()
    secret = await db.scalar(sa.select(Person.totp_secret).where(Person.login == login))
    assert secret
    code = pyotp.TOTP(secret).at(clock.now())
    assert (await post_form(client, "/me/two-factor/confirm", {"code": code})).status_code == 303
    return secret


async def test_probe_1_account_forms_answer_refusals_as_html_pages(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    wrong = await post_form(client, "/signin", {"login": "jumin01", "password": "nope"})
    assert_html(wrong, 422)
    assert "<input" in wrong.text and "账号或密码不正确" in text_of(wrong.text)
    invalid = await post_form(
        client,
        "/signup",
        {"login": "x", "display_name": "", "password": "a", "password_again": "b"},
    )
    assert_html(invalid, 422)

    await sign_in(client, "jumin01")
    refused = await post_form(
        client,
        "/me/password",
        {"current_password": "nope", "new_password": "x", "new_password_again": "y"},
    )
    assert_html(refused, 422)
    assert "当前密码不正确" in text_of(refused.text)

    client.cookies.clear()
    await _totp_on(client, db, clock, "zhuchi")
    bad_code = await post_form(client, "/me/two-factor/disable", {"password": "x", "code": "1"})
    assert_html(bad_code, 422)

    client.cookies.clear()
    await post_form(client, "/signin", {"login": "zhuchi", "password": "zhonglou-demo-2026"})
    code_page = await client.get("/signin/code")
    assert_html(code_page, 200)
    assert 'name="code"' in code_page.text  # the box to type the code in
    wrong_code = await post_form(client, "/signin/code", {"code": "000000"})
    assert_html(wrong_code, 422)
    assert "验证码不正确" in text_of(wrong_code.text)


async def test_probe_1_second_factor_confirm_refusal_is_html(client: Client) -> None:
    await sign_in(client, "zhuchi")
    await post_form(client, "/me/two-factor/begin")
    response = await post_form(client, "/me/two-factor/confirm", {"code": "000000"})
    assert_html(response, 422)
    assert "验证码不正确" in text_of(response.text)


CONTROL = ["\x00", "\x1b[31m", "\x07"]


@pytest.mark.parametrize("bad", CONTROL, ids=["nul", "escape", "bell"])
async def test_probe_2_control_characters_in_search_and_paths_are_refused(
    client: Client, bad: str
) -> None:
    search = await client.get(f"{COUNCIL}/issues", params={"q": f"油烟{bad}"})
    assert_html(search, 422)
    assert "控制字符" in text_of(search.text)
    path = await client.get(f"{COUNCIL}{quote(bad)}")
    assert_html(path, 404)
    assert_html(await client.get(f"{COUNCIL}/issues/stats", params={"category": bad}), 422)


@pytest.mark.parametrize("bad", CONTROL, ids=["nul", "escape", "bell"])
async def test_probe_2_control_characters_in_forms_are_refused_in_place_and_not_stored(
    client: Client, db: AsyncSession, bad: str
) -> None:
    signup = await post_form(
        client,
        "/signup",
        {
            "login": "xinren",
            "display_name": f"新{bad}人",
            "password": "a-long-enough-passphrase",
            "password_again": "a-long-enough-passphrase",
        },
    )
    assert_html(signup, 422)
    assert "控制字符" in text_of(signup.text)
    assert 'value="xinren"' in signup.text  # the form comes back with what was typed
    await db.rollback()
    assert await db.scalar(sa.select(Person.id).where(Person.login == "xinren")) is None

    await sign_in(client, "zhuchi")
    issue_id = await db.scalar(sa.select(Issue.id).order_by(Issue.number).limit(1))
    comment = await post_form(
        client, f"{COUNCIL}/issues/{issue_id}/comments", {"body": f"同意{bad}"}
    )
    assert comment.status_code == 422 and "控制字符" in text_of(comment.text)
    matter = await post_form(client, f"{COUNCIL}/matters", {"title": f"外摆{bad}整治"})
    assert matter.status_code == 422 and "控制字符" in text_of(matter.text)
    settings = await post_form(
        client,
        f"{COUNCIL}/manage/settings",
        {"description": f"议事{bad}", "meeting_place": "议事室", "notice_period_days": "7"},
    )
    assert settings.status_code == 422 and "控制字符" in text_of(settings.text)

    await db.rollback()
    # Compared in Python: SQLite's LIKE ends a pattern at NUL and would match everything.
    for column in (IssueComment.body, Matter.title, Council.description):
        assert not [v for v in (await db.scalars(sa.select(column))) if v and bad in v]


HUGE = ["2147483648", "9223372036854775808", "99999999999999999999", "-2147483649"]
VERSION_POSTS = [
    "edit",
    "vote",
    "comments",
    "review",
    "result",
    "filing",
    "open-comments",
    "end-comments",
    "close-vote",
]


@pytest.mark.parametrize("number", HUGE)
async def test_probe_3_integers_no_column_holds_are_404_not_500(
    client: Client, db: AsyncSession, number: str
) -> None:
    cid = await demo_convention(db)
    await db.rollback()
    base = f"{COUNCIL}/conventions/{cid}/v/{number}"
    assert_html(await client.get(base), 404)
    await sign_in(client, "zhuchi")
    assert_html(await client.get(f"{base}/edit"), 404)
    for step in VERSION_POSTS:
        response = await post_form(client, f"{base}/{step}", {"body": "意见", "article": "0"})
        assert response.status_code == 404, (step, response.status_code)
        assert response.headers["content-type"] == HTML


async def test_probe_3_integer_fields_out_of_range_answer_in_place(client: Client) -> None:
    await sign_in(client, "zhuchi")
    response = await post_form(
        client,
        f"{COUNCIL}/issues/settings",
        {"cosign_threshold": "99999999999999999999", "categories": "油烟"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == HTML


async def test_probe_8_csrf_token_of_one_session_is_refused_in_another(
    client: Client, app: object, db: AsyncSession
) -> None:
    await sign_in(client, "zhuchi")
    token_of_zhuchi = await csrf_token(client)
    async with client_for(app) as other:  # type: ignore[arg-type]
        await sign_in(other, "zhuchi")  # the same person in a second browser
        # The second browser replays the first one's token with its own cookies.
        response = await other.post(
            f"{COUNCIL}/manage/shops",
            data={"_csrf_token": token_of_zhuchi, "number": "88", "name": "新开张烧烤"},
        )
        assert response.status_code == 403
        assert "安全校验失败" in text_of(response.text)
        # Even with the first browser's CSRF cookie copied over, its session differs.
        other.cookies.set("csrftoken", client.cookies["csrftoken"], domain="testserver.local")
        response = await other.post(
            f"{COUNCIL}/manage/shops",
            data={"_csrf_token": token_of_zhuchi, "number": "88", "name": "新开张烧烤"},
        )
        assert response.status_code == 403
    # A token from before sign-in does not survive it.
    async with client_for(app) as third:  # type: ignore[arg-type]
        anonymous_token = await csrf_token(third)
        await sign_in(third, "zhuchi")
        response = await third.post(
            f"{COUNCIL}/manage/shops",
            data={"_csrf_token": anonymous_token, "number": "88", "name": "新开张烧烤"},
        )
        assert response.status_code == 403
        fresh = await post_form(
            third, f"{COUNCIL}/manage/shops", {"number": "88", "name": "新开张烧烤"}
        )
        assert fresh.status_code == 303


async def test_probe_8_a_planted_csrf_cookie_is_replaced_never_echoed(client: Client) -> None:
    planted = "a" * 64 + '", "hx-on": "alert(1)'
    client.cookies.set("csrftoken", planted, domain="testserver.local")
    page = await client.get("/signin")
    assert planted not in page.text and "alert(1)" not in page.text
    issued = page.cookies.get("csrftoken")
    assert issued and issued != planted
    hx = page.text.split("hx-headers='", 1)[1].split("'", 1)[0]
    assert set(hx) - set('{}":, x-csrftoken0123456789abcdef') == set()


async def test_probe_8_csrf_cookie_is_httponly_and_host_prefixed_on_https(
    settings: object, clock: FixedClock
) -> None:
    from dataclasses import replace

    from council.app import create_app

    secure = replace(settings, https=True, base_url="https://testserver.local")  # type: ignore[type-var]
    async with client_for(create_app(secure, clock=clock)) as client:
        response = await client.get("https://testserver.local/signin")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-csrftoken=")
        assert "HttpOnly" in cookie and "Secure" in cookie and "Path=/" in cookie


async def test_probe_smaller_head_answers_as_get_without_a_body(client: Client) -> None:
    get = await client.get(COUNCIL)
    head = await client.head(COUNCIL)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == HTML
    assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
    assert (await client.head("/nowhere")).status_code == 404


async def test_probe_smaller_favicon_leads_to_the_site_icon(client: Client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 301
    icon = await client.get(response.headers["location"])
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    page = await client.get("/signin")
    assert f'rel="icon" href="{response.headers["location"]}"' in page.text
