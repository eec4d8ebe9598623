"""Helpers for web tests: CSRF tokens, signing in, reading pages and audit entries."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import second_factor
from council.accounts import service as accounts
from council.accounts.models import Person
from council.audit.models import AuditEntry
from council.db import create_engine
from council.demo.data import DEMO_PASSWORD
from council.settings import Settings
from council.web.auth import session_cookie_name

Client = AsyncTestClient[Litestar]


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


async def sign_in_directly(client: Client, login: str) -> None:
    """Sign ``login`` in without the form, for tests that are not about signing in: a fresh
    server-side session made as sign-in makes it (accounts.service.start_session), its cookie
    on the client, and the CSRF cookie the form's page would have left. A disabled person, or
    one with a second factor, goes through the form (``sign_in``) instead."""
    state = client.app.state
    settings: Settings = state.settings
    name = session_cookie_name(settings)
    # An engine of its own: the app's belongs to the client's event loop.
    engine = create_engine(settings, pooled=False)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            person = await db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, f"no person signs in as {login!r}"
            assert person.disabled_at is None and not second_factor.enabled(person), (
                f"{login} signs in through the form"
            )
            if old := client.cookies.get(name):
                await accounts.end_session(db, old)
            token = await accounts.start_session(db, person, settings, state.clock.now())
            await db.commit()
    finally:
        await engine.dispose()
    client.cookies.set(name, token, domain=client.base_url.host, path="/")
    await csrf_token(client)


@contextlib.asynccontextmanager
async def signed_in(app: Litestar, login: str) -> AsyncIterator[Client]:
    """A client with ``login`` signed in (directly), inside the app's lifespan."""
    async with client_for(app) as client:
        await sign_in_directly(client, login)
        yield client


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
