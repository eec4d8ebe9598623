"""Fixtures: every database test runs once on SQLite and once on PostgreSQL.

Each engine gets a template database per session (migrated to head, then the 钟楼烟火 demo
loaded through the services); each test gets its own copy of that template.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from council.app import create_app
from council.clock import FixedClock
from council.settings import Settings
from tests import databases as dbs
from tests.support import client_for

ENGINES = ("sqlite", "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cases marked ``postgresql_only`` are not run on SQLite at all: not applicable there,
    which is neither a pass nor a skip."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("postgresql_only")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("engine_name") == "sqlite"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str | None]:
    with dbs.postgres_server() as url:
        yield url


def _require_postgres(url: str | None) -> str:
    if url is None:
        message = "PostgreSQL is not installed (no initdb, no COUNCIL_TEST_POSTGRES_URL)"
        if dbs.IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return url


def migrate(settings: Settings) -> None:
    from advanced_alchemy.alembic.commands import AlembicCommands

    from council.db import alchemy_config, create_engine

    def upgrade() -> None:
        config = alchemy_config(settings, create_engine(settings, pooled=False))
        AlembicCommands(sqlalchemy_config=config).upgrade("head")

    dbs.run_in_thread(upgrade)


def load_demo(settings: Settings) -> None:
    from council.db import alchemy_config
    from council.demo import loader

    async def load() -> None:
        config = alchemy_config(settings)
        async with config.get_session() as db:
            await loader.load(db, FixedClock().now(), hashing=settings.password_hashing)
            await db.commit()
        await config.get_engine().dispose()

    dbs.run_async(load)


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def template_database(
    engine_name: str, postgres_admin_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database holding the demo council, copied for each test."""
    root = tmp_path_factory.mktemp(f"template-{engine_name}")
    if engine_name == "sqlite":
        path = root / "template.db"
        settings = dbs.make_settings(f"sqlite:///{path}", root)
        migrate(settings)
        load_demo(settings)
        yield str(path)
        return
    admin = _require_postgres(postgres_admin_url)
    name = dbs.unique_name("council_tpl")
    url = dbs.pg_create(admin, name)
    settings = dbs.make_settings(url, root)
    migrate(settings)
    load_demo(settings)
    yield name
    dbs.pg_drop(admin, name)


@pytest.fixture
def database_url(
    engine_name: str, template_database: str, postgres_admin_url: str | None, tmp_path: Path
) -> Iterator[str]:
    if engine_name == "sqlite":
        path = tmp_path / "council.db"
        # The backup API copies what is still in the template's WAL file too.
        with sqlite3.connect(template_database) as source, sqlite3.connect(path) as target:
            source.backup(target)
        yield f"sqlite:///{path}"
        return
    admin = _require_postgres(postgres_admin_url)
    name = dbs.unique_name("council_test")
    yield dbs.pg_create(admin, name, template=template_database)
    dbs.pg_drop(admin, name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return dbs.make_settings(database_url, tmp_path / "data")


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[Litestar]:
    application = create_app(settings, clock=clock)
    yield application
    await application.state.alchemy.get_engine().dispose()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with client_for(app) as test_client:
        yield test_client


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test's database, for arranging facts and checking rows.

    It has its own engine (the HTTP test client runs the app on another event loop), whose
    transactions do not take SQLite's write lock up front, so that a test holding a session
    open never blocks the app it is watching."""
    from council.db import alchemy_config, create_engine

    engine = create_engine(settings, pooled=False)
    watcher = engine.execution_options(write_intent=False)
    async with alchemy_config(settings, watcher).get_session() as session:
        yield session
    await engine.dispose()
