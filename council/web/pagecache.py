"""Anonymous pages cached per process and served while the page versions they depend on hold.

A page for someone not signed in is the same for everyone but the CSRF token in its forms
(an HMAC of the visitor's own cookies, ``council.web.csrf``). So the rendered page is kept
with the token cut out, and each visitor's own token is put back when it is served: a cached
page never carries another visitor's token.

Every request that writes gives, in its own transaction, a new version to the scopes its path
belongs to (``raise_versions``): ``c:<slug>`` for a council's pages, ``site`` for anything
else, and ``directory`` (the list of councils) for the site's and each council's management.
A page depends on its council's scope and ``site`` (the home page: ``site`` and
``directory``); each hit reads those versions, one indexed statement, so a change published
through any process shows on the next request.
Pages that change with the clock alone (a period ending) are made again after PAGE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from litestar.utils.scope.state import ScopeState
from sqlalchemy import make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from council.councils.permissions import Actor
from council.forms import has_control_characters
from council.sqlite_thread import SqliteThread
from council.web.auth import session_cookie_name
from council.web.models import PageVersion
from council.web.traffic import UNMETERED

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from council.clock import Clock
    from council.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_SECONDS = dt.timedelta(seconds=30)
BUDGET = 16 * 1024 * 1024  # bytes of pages kept per process
OPT_OUT = "no_page_cache"  # a route whose anonymous page must always be made afresh
DIRECTORY, SITE = "directory", "site"
NOT_PAGES = re.compile("|".join(UNMETERED))


def _council_parts(path: str) -> tuple[str, str] | None:
    """A council page's slug and what follows it, e.g. ("zhonglou", "manage/shops")."""
    parts = path.split("/", 3)
    if len(parts) > 2 and parts[1] == "c" and parts[2]:
        return parts[2], parts[3] if len(parts) > 3 else ""
    return None


def read_scopes(path: str) -> tuple[str, ...]:
    """The scopes whose versions a page at ``path`` was made under."""
    council = _council_parts(path)
    return (f"c:{council[0]}", SITE) if council else (SITE, DIRECTORY)


def write_scopes(path: str) -> tuple[str, ...]:
    """The scopes a write at ``path`` may change: its council's pages, and the list of
    councils (their shop and member counts) only from the council's management, so that
    votes, issues and notices of different councils never wait for one shared row."""
    council = _council_parts(path)
    if council is None:
        return (DIRECTORY, SITE)
    slug, rest = council
    managed = rest == "manage" or rest.startswith("manage/")
    return (f"c:{slug}", DIRECTORY) if managed else (f"c:{slug}",)


def new_version() -> int:
    """A version no earlier state of any database is likely to have had: a counter would
    repeat its values when a database is restored or swapped under a running process (a
    backup put back, each test's fresh copy), and a page made on the other database would
    then pass for fresh. Zero stands for a scope never written."""
    return secrets.randbelow(2**31 - 1) + 1


async def raise_versions(db: AsyncSession, scope: Scope) -> None:
    """Before a writing request commits: its scopes get a new version, in its transaction
    (one statement, whatever the number of scopes)."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    version = new_version()
    # In a fixed order, so that two writers never wait for each other's rows the other way.
    rows = [{"scope": name, "version": version} for name in sorted(write_scopes(scope["path"]))]
    stmt = insert(PageVersion).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=[PageVersion.scope], set_={"version": version})
    await db.execute(stmt)


class Versions(Protocol):
    async def read(self, scopes: Sequence[str]) -> tuple[int, ...]: ...

    async def close(self) -> None: ...


class EngineVersions:
    """PostgreSQL: one statement on the application's engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def read(self, scopes: Sequence[str]) -> tuple[int, ...]:
        stmt = sa.select(PageVersion.scope, PageVersion.version).where(
            PageVersion.scope.in_(scopes)
        )
        async with self._engine.connect() as connection:
            found = {scope: version for scope, version in await connection.execute(stmt)}
        return tuple(found.get(name, 0) for name in scopes)

    async def close(self) -> None:
        """The engine is the application's, disposed with it."""


class FileVersions:
    """SQLite: a read-only connection to the database file on one thread of its own, one hop
    off the event loop (through SQLAlchemy and aiosqlite a read takes some ten). In WAL mode
    it never waits for a writer, and each read sees the last commit."""

    QUERY = "SELECT scope, version FROM page_version WHERE scope IN ({})"

    def __init__(self, path: Path, *, keep: bool = True) -> None:
        self.path = path
        self._store = SqliteThread(self._connect, "council-pages", keep=keep)

    def _connect(self) -> sqlite3.Connection:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=15)

    def _read(self, connection: sqlite3.Connection, scopes: Sequence[str]) -> tuple[int, ...]:
        rows = connection.execute(self.QUERY.format(",".join("?" * len(scopes))), scopes)
        found = dict(rows.fetchall())
        return tuple(found.get(name, 0) for name in scopes)

    async def read(self, scopes: Sequence[str]) -> tuple[int, ...]:
        return await self._store.run(lambda c: self._read(c, scopes))

    async def close(self) -> None:
        await self._store.close()


def versions_for(settings: Settings, engine: AsyncEngine) -> Versions:
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            return FileVersions(Path(database), keep=settings.db_pool)
    return EngineVersions(engine)


@dataclass(frozen=True)
class Page:
    versions: tuple[int, ...]
    made_at: dt.datetime
    start: dict[str, Any]  # the http.response.start message
    parts: tuple[bytes, ...]  # the body, cut where the maker's CSRF token stood

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.parts)


class PageCache:
    """The pages of one process, least recently used dropped past BUDGET bytes."""

    def __init__(self, versions: Versions) -> None:
        self.versions = versions
        self._pages: OrderedDict[str, Page] = OrderedDict()
        self._size = 0

    def get(self, key: str) -> Page | None:
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: str, page: Page) -> None:
        old = self._pages.pop(key, None)
        self._size += page.size - (old.size if old else 0)
        self._pages[key] = page
        while self._size > BUDGET and self._pages:
            _key, dropped = self._pages.popitem(last=False)
            self._size -= dropped.size

    async def close(self) -> None:
        """As an engine is disposed: the pages are forgotten and the versions' connection
        closed; the cache fills again on later requests."""
        self._pages.clear()
        self._size = 0
        await self.versions.close()


def _cacheable_request(scope: Scope, session_cookie: bytes) -> bool:
    user = scope.get("user")
    if scope["method"] != "GET" or (isinstance(user, Actor) and user.signed_in):
        return False
    handler = scope.get("route_handler")
    if handler is not None and handler.opt.get(OPT_OUT):
        return False
    for name, value in scope["headers"]:
        # htmx fragments and history restores vary by these headers: always made afresh.
        if name.startswith(b"hx-"):
            return False
        # A session not (or not yet) signed in, such as one waiting for its second factor,
        # may still shape a page: only visitors without one share pages.
        if name == b"cookie" and session_cookie in value:
            return False
    return True


def _cacheable_response(start: Message) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start.get("headers", ()):
        if name == b"set-cookie":
            return False
        if name == b"content-type" and not value.startswith(b"text/html"):
            return False
    return True


class PageCacheMiddleware:
    """Inside the CSRF middleware (which has chosen this visitor's token and sets the cookie
    on the way out): serves an anonymous page from the cache, or keeps the one just made."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Health checks and static files are no pages, and /healthz must answer without the
        # database, which reading page versions would touch.
        if scope["type"] != "http" or NOT_PAGES.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        state = scope["litestar_app"].state
        if not _cacheable_request(scope, f"{session_cookie_name(state.settings)}=".encode()):
            await self.app(scope, receive, send)
            return
        cache: PageCache = state.pages
        clock: Clock = state.clock
        key = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        if has_control_characters(scope["path"]):
            # Not a page (the app answers 404), and no value for a query's parameter.
            await self.app(scope, receive, send)
            return
        try:
            versions = await cache.versions.read(read_scopes(scope["path"]))
        except (DBAPIError, OSError, sqlite3.Error):
            # Without the versions, no page is known fresh: the app makes it, or answers what
            # an unreachable database allows (503).
            await self.app(scope, receive, send)
            return
        # No token where the CSRF middleware stood aside (an excluded route): nothing to cut.
        chosen = ScopeState.from_scope(scope).csrf_token
        token = chosen.encode() if isinstance(chosen, str) else b""
        now = clock.now()
        page = cache.get(key)
        if page is not None and page.versions == versions and now - page.made_at < PAGE_SECONDS:
            # A copy: the middlewares outside add their headers (the CSRF cookie) to it.
            await send({**page.start, "headers": list(page.start.get("headers", ()))})
            await send({"type": "http.response.body", "body": token.join(page.parts)})
            return
        start: Message | None = None
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # Copied before the middlewares outside add this visitor's cookie to it.
                start = (
                    {**message, "headers": list(message.get("headers", ()))}
                    if _cacheable_response(message)
                    else None
                )
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    whole = b"".join(body)
                    parts = tuple(whole.split(token)) if token else (whole,)
                    cache.put(key, Page(versions, now, start, parts))
            await send(message)

        await self.app(scope, receive, keep)
