"""Helpers for web tests: CSRF tokens, signing in, reading pages and audit entries."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from council.app import create_app
from council.audit.models import AuditEntry
from council.clock import FixedClock
from council.demo.data import DEMO_PASSWORD
from council.settings import Settings

Client = AsyncTestClient[Litestar]


def app_behind_proxy(settings: Settings, clock: FixedClock, **overrides: Any) -> Litestar:
    """The app with the test client ("testclient") trusted as a proxy, so that a test can
    speak from any address through X-Forwarded-For; ``overrides`` change settings."""
    return create_app(replace(settings, trusted_proxies=("testclient",), **overrides), clock)


def from_address(ip: str) -> dict[str, str]:
    """Headers that make a request come from ``ip`` (with ``app_behind_proxy``)."""
    return {"x-forwarded-for": ip}


def client_for(app: Litestar) -> Client:
    """A test client that shows redirects instead of following them."""
    client: Client = AsyncTestClient(app=app, base_url="http://testserver.local")
    client.follow_redirects = False
    return client


_TOKEN_IN_PAGE = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def csrf_token(client: Client) -> str:
    """The token a page gives this browser, as a person's browser would read it.

    It is bound to the browser's CSRF cookie and its session cookie, so it is fetched again
    whenever either changes (sign-in, sign-out) and reused otherwise."""
    cookies = (client.cookies.get("csrftoken"), client.cookies.get("council_session"))
    cached = getattr(client, "_council_csrf", None)
    if cached and cached[0] == cookies:
        return str(cached[1])
    response = await client.get("/signin")
    found = _TOKEN_IN_PAGE.search(response.text)
    assert found, "every page carries the CSRF token in its forms"
    cookies = (client.cookies.get("csrftoken"), client.cookies.get("council_session"))
    client._council_csrf = (cookies, found.group(1))  # type: ignore[attr-defined]
    return found.group(1)


async def post_form(
    client: Client, url: str, data: dict[str, Any] | None = None, **kw: Any
) -> Response:
    form = {"_csrf_token": await csrf_token(client), **(data or {})}
    return await client.post(url, data=form, **kw)


async def sign_in(client: Client, login: str, password: str = DEMO_PASSWORD) -> Response:
    response = await post_form(
        client, "/signin", {"login": login, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response


def text_of(html: str) -> str:
    """The visible text of a page, tags removed and whitespace collapsed."""
    without = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without)).strip()


async def audit_actions(db: AsyncSession, action: str | None = None) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    await db.rollback()  # end the read snapshot to see what the app wrote
    return list((await db.execute(stmt)).scalars())


@contextlib.contextmanager
def statements(app: Litestar) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs while the block runs (transaction control
    left out): a page's count must not grow with its rows (no N+1)."""
    engine = app.state.alchemy.get_engine().sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2]).lstrip()
        if statement.split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
