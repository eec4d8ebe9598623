"""Helpers for web tests: CSRF tokens, signing in, reading pages and audit entries."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
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


async def csrf_token(client: Client) -> str:
    token = client.cookies.get("csrftoken")
    if not token:
        await client.get("/healthz")
        await client.get("/signin")
        token = client.cookies.get("csrftoken")
    assert token, "the CSRF cookie is set on the first page"
    return str(token)


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
