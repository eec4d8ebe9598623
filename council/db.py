"""Engine and session configuration for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections.abc import Iterator
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from council.settings import PROJECT_ROOT, Settings

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
    from council.voting import models as _voting  # noqa: F401


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
        # An engine made with .execution_options(write_intent=False) reads without the lock.
        intent = conn.get_execution_options().get("write_intent", _write_intent.get())
        conn.exec_driver_sql("BEGIN IMMEDIATE" if intent else "BEGIN")


def create_engine(settings: Settings, *, pooled: bool = True) -> AsyncEngine:
    """``pooled=False`` for one-off work (migrations, scripts) that must leave no connection."""
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": 15},
            **({} if pooled else {"poolclass": NullPool}),
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


def alchemy_config(settings: Settings, engine: AsyncEngine | None = None) -> SQLAlchemyAsyncConfig:
    import_models()
    serial = next(_config_serial)
    return SQLAlchemyAsyncConfig(
        session_scope_key=f"_council_db_session_{serial}",
        engine_app_state_key=f"council_db_engine_{serial}",
        session_maker_app_state_key=f"council_session_maker_{serial}",
        engine_instance=engine or create_engine(settings, pooled=settings.db_pool),
        # plain "autocommit" rolls back on 3xx, which would drop every POST-redirect-GET write
        before_send_handler="autocommit_include_redirects",
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
