"""Sign-in throttles (SECURITY.md S26): 10 failures per account per hour from any address,
30 sign-in posts per address per hour; no permanent lockout."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from council.app import create_app
from council.clock import FixedClock
from council.settings import Settings
from tests.support import Client, client_for, post_form


async def _sign_in(client: Client, login: str, password: str, ip: str | None = None) -> int:
    headers = {"x-forwarded-for": ip} if ip else {}
    response = await post_form(
        client, "/signin", {"login": login, "password": password}, headers=headers
    )
    return response.status_code


def _behind_proxy(settings: Settings, clock: FixedClock) -> Litestar:
    from dataclasses import replace

    # The test client connects as "testclient": trust it as a proxy to rotate addresses.
    return create_app(replace(settings, trusted_proxies=("testclient",)), clock=clock)


async def test_S26_account_throttled_after_10_failures_from_rotating_addresses(
    settings: Settings, clock: FixedClock
) -> None:
    app = _behind_proxy(settings, clock)
    async with client_for(app) as client:
        for n in range(10):
            assert await _sign_in(client, "jumin01", "wrong password", f"10.0.0.{n}") == 422
        # The 11th try is refused even with the right password: the account is throttled.
        response = await post_form(
            client,
            "/signin",
            {"login": "jumin01", "password": "zhonglou-demo-2026"},
            headers={"x-forwarded-for": "10.0.1.1"},
        )
        assert response.status_code == 429
        assert "该账号登录失败次数过多" in response.text
        # Another account from the same addresses is not affected.
        assert await _sign_in(client, "jumin02", "zhonglou-demo-2026", "10.0.0.3") == 303
        # No permanent lockout: an hour later the right password works again.
        clock.advance(minutes=61)
        assert await _sign_in(client, "jumin01", "zhonglou-demo-2026", "10.0.2.2") == 303


async def test_S26_31st_sign_in_post_from_one_address_is_429(client: AsyncTestClient) -> None:
    codes = [await _sign_in(client, f"nobody{n}", "wrong password") for n in range(30)]
    assert set(codes) == {422}
    assert await _sign_in(client, "jumin01", "zhonglou-demo-2026") == 429


async def test_wrong_password_says_so_in_chinese_and_keeps_the_login(client: Client) -> None:
    response = await post_form(client, "/signin", {"login": "jumin01", "password": "nope"})
    assert response.status_code == 422
    assert "账号或密码不正确" in response.text
    assert 'value="jumin01"' in response.text
