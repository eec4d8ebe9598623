"""Helpers for web tests: CSRF tokens, signing in, reading pages and audit entries."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.demo.data import DEMO_PASSWORD

Client = AsyncTestClient[Litestar]


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
    # In the order they happened: with several councils' chains, chain order alone would put
    # another council's older entries after this test's.
    stmt = sa.select(AuditEntry).order_by(AuditEntry.occurred_at, AuditEntry.chain, AuditEntry.seq)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    await db.rollback()  # end the read snapshot to see what the app wrote
    return list((await db.execute(stmt)).scalars())
