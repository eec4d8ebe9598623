"""Helpers for web tests: CSRF tokens, signing in, reading pages and audit entries."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any, ClassVar, Self, TypeVar

import sqlalchemy as sa
from anyio.from_thread import BlockingPortal, start_blocking_portal
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import second_factor
from council.accounts import service as accounts
from council.accounts.models import Person
from council.app import create_app
from council.audit.models import AuditEntry
from council.clock import FixedClock
from council.demo.data import DEMO_PASSWORD
from council.settings import Settings
from council.web.auth import session_cookie_name

Client = AsyncTestClient[Litestar]
T = TypeVar("T")

_app_loop: tuple[contextlib.ExitStack, BlockingPortal] | None = None


def app_loop() -> BlockingPortal:
    """The event loop (in a thread of its own) on which every test client of this process
    runs the app. Database connections belong to the loop that opened them: with one loop
    for every client, the app keeps its connection pool from request to request, as a server
    does. Code outside a request that uses the app's own engine runs here too (``on_app_loop``).
    """
    global _app_loop
    if _app_loop is None:
        stack = contextlib.ExitStack()
        _app_loop = stack, stack.enter_context(start_blocking_portal(name="app-loop"))
    return _app_loop[1]


def stop_app_loop() -> None:
    global _app_loop
    if _app_loop is not None:
        _app_loop[0].close()
        _app_loop = None


def on_app_loop(fn: Callable[[], Awaitable[T]]) -> T:
    """Await ``fn()`` on the app's loop, e.g. to use ``app.state.alchemy`` outside a request."""
    return app_loop().call(fn)


class _AppClient(AsyncTestClient[Litestar]):
    """A client on the app's loop that leaves the app's lifespan to the outermost of the app's
    clients open at once: Litestar keeps per-app lifespan state (its event emitter's task
    group), which two lifespans of one app running on one loop would overwrite."""

    _open: ClassVar[dict[int, int]] = {}  # id(app) -> its clients open now
    _runs_lifespan = False

    async def __aenter__(self) -> Self:
        key = id(self.app)
        opened = self._open.get(key, 0)
        self._open[key] = opened + 1
        if opened:
            return self
        self._runs_lifespan = True
        try:
            return await super().__aenter__()
        except BaseException:
            self._close_one()
            raise

    async def __aexit__(self, *args: object) -> None:
        self._close_one()
        if self._runs_lifespan:
            await super().__aexit__(*args)

    def _close_one(self) -> None:
        key = id(self.app)
        self._open[key] -= 1
        if not self._open[key]:
            del self._open[key]


def app_behind_proxy(settings: Settings, clock: FixedClock, **overrides: Any) -> Litestar:
    """The app with the test client ("testclient") trusted as a proxy, so that a test can
    speak from any address through X-Forwarded-For; ``overrides`` change settings."""
    return create_app(replace(settings, trusted_proxies=("testclient",), **overrides), clock)


def from_address(ip: str) -> dict[str, str]:
    """Headers that make a request come from ``ip`` (with ``app_behind_proxy``)."""
    return {"x-forwarded-for": ip}


def client_for(app: Litestar) -> Client:
    """A test client that shows redirects instead of following them, on the app's loop."""
    client: Client = _AppClient(app=app, base_url="http://testserver.local")
    client.follow_redirects = False
    # AsyncTestClient starts a loop of its own unless it is given one.
    client.blocking_portal = app_loop()
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


async def sign_in_directly(client: Client, login: str) -> None:
    """Sign ``login`` in without the form, for tests that are not about signing in: a fresh
    server-side session made as sign-in makes it (accounts.service.start_session), its cookie
    on the client, and the CSRF cookie the form's page would have left. A disabled person, or
    one with a second factor, goes through the form (``sign_in``) instead."""
    state = client.app.state
    settings: Settings = state.settings
    name = session_cookie_name(settings)
    old = client.cookies.get(name)

    async def start() -> str:
        async with state.alchemy.get_session() as db:
            person = await db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, f"no person signs in as {login!r}"
            assert person.disabled_at is None and not second_factor.enabled(person), (
                f"{login} signs in through the form"
            )
            if old:
                await accounts.end_session(db, old)
            token = await accounts.start_session(db, person, settings, state.clock.now())
            await db.commit()
            return token

    client.cookies.set(name, on_app_loop(start), domain=client.base_url.host, path="/")
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
    # In the order they happened: with several councils' chains, chain order alone would put
    # another council's older entries after this test's.
    stmt = sa.select(AuditEntry).order_by(AuditEntry.occurred_at, AuditEntry.chain, AuditEntry.seq)
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
