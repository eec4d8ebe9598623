"""Sign-in throttles (SECURITY.md S26): 10 failures per account per hour from any address,
30 failed sign-in posts per address per hour; successes never count; no permanent lockout."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from council.clock import FixedClock
from council.demo.data import DEMO_PASSWORD
from council.settings import Settings
from tests.support import Client, app_behind_proxy, client_for, from_address, post_form, text_of


async def _sign_in(client: Client, login: str, password: str, ip: str | None = None) -> int:
    headers = from_address(ip) if ip else {}
    response = await post_form(
        client, "/signin", {"login": login, "password": password}, headers=headers
    )
    return response.status_code


async def test_S26_account_throttled_after_10_failures_from_rotating_addresses(
    settings: Settings, clock: FixedClock
) -> None:
    app = app_behind_proxy(settings, clock)
    async with client_for(app) as client:
        for n in range(10):
            assert await _sign_in(client, "jumin01", "wrong password", f"10.0.0.{n}") == 422
        # The 11th try is refused even with the right password: the account is throttled.
        response = await post_form(
            client,
            "/signin",
            {"login": "jumin01", "password": DEMO_PASSWORD},
            headers=from_address("10.0.1.1"),
        )
        assert response.status_code == 429
        assert "该账号登录失败次数过多" in response.text
        assert response.headers["retry-after"] == "3600"
        # Another account from the same addresses is not affected.
        assert await _sign_in(client, "jumin02", DEMO_PASSWORD, "10.0.0.3") == 303
        # No permanent lockout: an hour later the right password works again.
        clock.advance(minutes=61)
        assert await _sign_in(client, "jumin01", DEMO_PASSWORD, "10.0.2.2") == 303


async def test_S26_31st_failed_sign_in_post_from_one_address_is_429(
    client: AsyncTestClient,
) -> None:
    # Successful sign-ins never count, before the failures or between them.
    codes = []
    for n in range(30):
        if n % 10 == 0:
            assert await _sign_in(client, "jumin01", DEMO_PASSWORD) == 303
        codes.append(await _sign_in(client, f"nobody{n}", "wrong password"))
    assert set(codes) == {422}
    refused = await post_form(client, "/signin", {"login": "jumin02", "password": DEMO_PASSWORD})
    assert refused.status_code == 429
    assert "登录失败次数过多" in text_of(refused.text)
    assert refused.headers["retry-after"] == "3600"


async def test_wrong_password_says_so_in_chinese_and_keeps_the_login(client: Client) -> None:
    response = await post_form(client, "/signin", {"login": "jumin01", "password": "nope"})
    assert response.status_code == 422
    assert "账号或密码不正确" in response.text
    assert 'value="jumin01"' in response.text
