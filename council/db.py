"""Engine and session configuration for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)

# The plugin keeps a request's session in the ASGI scope under the config's key; this is the
# accessor its own before-send handlers use.
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from council.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from litestar.types import Message, Scope

log = logging.getLogger("council.db")

# PostgreSQL aborts a transaction with these when running it again may well succeed:
# serialization_failure and deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

# Writes on SQLite must start with BEGIN IMMEDIATE: a deferred transaction that reads and
# then writes fails at once with SQLITE_BUSY when another writer got there first, whatever
# the busy timeout. Safe requests (GET/HEAD) switch this off for their lifetime so readers
# never queue behind writers; anything else (services, scripts, tests) writes safely.
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


@contextlib.contextmanager
def write_intent(value: bool) -> Iterator[None]:
    token = _write_intent.set(value)
    try:
        yield
    finally:
        _write_intent.reset(token)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def import_models() -> None:
    """Import every models module so that the metadata is complete."""
    from council.accounts import models as _accounts  # noqa: F401
    from council.audit import models as _audit  # noqa: F401
    from council.consultations import models as _consultations  # noqa: F401
    from council.conventions import models as _conventions  # noqa: F401
    from council.councils import models as _councils  # noqa: F401
    from council.files import models as _files  # noqa: F401
    from council.issues import models as _issues  # noqa: F401
    from council.notices import models as _notices  # noqa: F401
    from council.notifications import models as _notifications  # noqa: F401
    from council.programmes import models as _programmes  # noqa: F401
    from council.voting import models as _voting  # noqa: F401
    from council.web import models as _web  # noqa: F401
    from council.workflows import models as _workflows  # noqa: F401
    from council.workorders import models as _workorders  # noqa: F401


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: an acknowledged commit survives power loss too (NORMAL would only survive
        # an application crash). Votes are worth the extra fsync.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # A migration's autocommit block runs statements that a transaction would swallow
        # (PRAGMA foreign_keys): it starts none.
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        # An engine made with .execution_options(write_intent=False) reads without the lock.
        intent = options.get("write_intent", _write_intent.get())
        conn.exec_driver_sql("BEGIN IMMEDIATE" if intent else "BEGIN")


def _sqlite_pool(settings: Settings) -> dict[str, Any]:
    """A file's pool sizes; a database in memory lives in its one connection."""
    database = make_url(settings.database_url).database
    return {} if database in (None, "", ":memory:") else {"pool_size": 10, "max_overflow": 10}


def create_engine(settings: Settings, *, pooled: bool = True) -> AsyncEngine:
    """``pooled=False`` for one-off work (migrations, scripts) that must leave no connection."""
    if settings.is_sqlite:
        # Ten kept connections: beyond the pool's size each checkout opened a connection (a
        # thread of its own, four pragmas) and closed it again on return, which cost a vote
        # more than its statements when a worker served a dozen requests at once.
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": 15},
            **(_sqlite_pool(settings) if pooled else {"poolclass": NullPool}),
        )
        _configure_sqlite(engine)
        return engine
    if not pooled:
        return create_async_engine(settings.database_url, poolclass=NullPool)
    return create_async_engine(
        settings.database_url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
    )


# advanced-alchemy keeps a process-wide registry of the state and scope keys its configs use
# and finds a free one by recursing once per key already taken, so a process that builds many
# apps (the test suite, the vote bench) overflows the interpreter's recursion limit. Each
# config therefore names keys of its own; one app holds one config, so nothing reads them.
_config_serial = itertools.count(1)


def database_error(exc: BaseException) -> DBAPIError | None:
    """The database error ``exc`` is, or was raised from (directly or while handling it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DBAPIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def sqlstate_of(exc: BaseException) -> str | None:
    error = database_error(exc)
    if error is None:
        return None
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return str(code) if code else None


def is_retryable(exc: BaseException) -> bool:
    """The transaction was aborted as a serialization failure or deadlock: run it again."""
    return sqlstate_of(exc) in RETRYABLE_SQLSTATES


# session.info key: names of app-state services (with a ``kick()``) to wake once the
# session's transaction has committed, e.g. the notification dispatcher.
WAKE_AFTER_COMMIT = "council.wake_after_commit"


def wake_after(db: AsyncSession, service: str) -> None:
    """Ask for ``service`` on the app state to be kicked after this session commits."""
    db.info.setdefault(WAKE_AFTER_COMMIT, set()).add(service)


def wake_after_commit(session: AsyncSession, state: Any) -> None:
    for name in sorted(session.info.pop(WAKE_AFTER_COMMIT, ())):
        service = getattr(state, name, None)
        if service is not None:
            service.kick()


# session.info key: the request's writes were committed apart from its own transaction, by a
# writer that raised the page versions with them (the vote writer): its own commit adds none.
WRITTEN_ELSEWHERE = "council.written_elsewhere"

# Runs in the request's transaction just before it commits (the page versions' raise).
BeforeCommit = Callable[["AsyncSession", "Scope"], Awaitable[None]]


async def end_request_session(
    scope: Scope,
    session_scope_key: str,
    *,
    commit: bool,
    before_commit: BeforeCommit | None = None,
) -> None:
    """Commit or roll back the request's session, if it opened one, and close it.

    A failed commit is raised: the response that would have acknowledged the write must not
    be sent. A failed rollback or close is only logged: nothing was written either way."""
    session: AsyncSession | None = get_aa_scope_state(scope, session_scope_key, pop=True)
    if session is None:
        return
    try:
        if commit:
            if before_commit is not None and not session.info.get(WRITTEN_ELSEWHERE):
                await before_commit(session, scope)
            await session.commit()
            wake_after_commit(session, scope["app"].state)
        else:
            await session.rollback()
    except Exception:
        if commit:
            raise
        log.warning("rollback of a request's session failed", exc_info=True)
    finally:
        try:
            await session.close()
        except Exception:  # the pool discards the connection anyway
            log.warning("closing a request's session failed", exc_info=True)


def request_transaction(
    session_scope_key: str, before_commit: BeforeCommit | None = None
) -> Callable[[Message, Scope], Awaitable[None]]:
    """Before-send handler: a request's transaction commits as its response starts, for 2xx
    and 3xx (POST-redirect-GET writes count), and rolls back for anything else.

    advanced-alchemy's "autocommit_include_redirects" does the same but logs a failed commit
    and sends the response anyway, acknowledging a write that is not there. Here the commit
    error propagates: the retry middleware runs the request again or answers 503."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            await end_request_session(
                scope, session_scope_key, commit=200 <= status < 400, before_commit=before_commit
            )

    return before_send


def alchemy_config(
    settings: Settings,
    engine: AsyncEngine | None = None,
    before_commit: BeforeCommit | None = None,
) -> SQLAlchemyAsyncConfig:
    import_models()
    serial = next(_config_serial)
    session_scope_key = f"_council_db_session_{serial}"
    return SQLAlchemyAsyncConfig(
        session_scope_key=session_scope_key,
        engine_app_state_key=f"council_db_engine_{serial}",
        session_maker_app_state_key=f"council_session_maker_{serial}",
        engine_instance=engine or create_engine(settings, pooled=settings.db_pool),
        before_send_handler=request_transaction(session_scope_key, before_commit),
        session_config=AsyncSessionConfig(expire_on_commit=False, autoflush=True),
        alembic_config=AlembicAsyncConfig(
            script_config=str(PROJECT_ROOT / "alembic.ini"),
            script_location=str(PROJECT_ROOT / "migrations"),
            version_table_name="alembic_version",
            render_as_batch=True,
            compare_type=True,
        ),
        create_all=False,
    )
