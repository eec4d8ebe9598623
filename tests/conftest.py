"""Fixtures: every database test runs once on SQLite and once on PostgreSQL.

Each engine gets a template database per run (migrated to head, then the 钟楼烟火 demo loaded
through the services), shared by every pytest-xdist worker; each test gets its own copy of
that template (tests/databases.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from council.app import create_app
from council.clock import FixedClock
from council.files.storage import storage_for
from council.settings import Settings
from tests import databases as dbs
from tests.support import client_for, on_app_loop, stop_app_loop

# Every engine unless the run names some (`make test-fast`: COUNCIL_TEST_ENGINES=sqlite).
ENGINES = tuple(os.environ.get("COUNCIL_TEST_ENGINES", "sqlite,postgresql").split(","))
BROWSER_TESTS = Path(__file__).parent / "browser"
RUN = pytest.StashKey[dbs.SharedRun]()


# First: pytest-xdist reads the groups in its own hook of the same name.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser is marked ``browser``; a module marked
    ``one_worker_per_engine`` is grouped per engine for pytest-xdist. Cases marked
    ``postgresql_only`` are not run on SQLite at all: not applicable there, which is neither a
    pass nor a skip."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("one_worker_per_engine"):
            engine = getattr(item, "callspec", None) and item.callspec.params.get("engine_name")
            item.add_marker(pytest.mark.xdist_group(f"{item.module.__name__}-{engine}"))
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


def pytest_configure(config: pytest.Config) -> None:
    # The process that begins the run (pytest-xdist's controller, or the only process)
    # owns what its workers share, and removes it at the end.
    if not hasattr(config, "workerinput"):
        config.stash[RUN] = dbs.SharedRun.begin()


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_app_loop()
    if RUN in config.stash:
        config.stash[RUN].finish()


@pytest.fixture(scope="session")
def shared_run() -> dbs.SharedRun:
    return dbs.SharedRun.current()


@pytest.fixture(scope="session")
def postgres_admin_url(shared_run: dbs.SharedRun) -> str | None:
    return shared_run.postgres_url()


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


def _sqlite_template(path: Path) -> str:
    settings = dbs.make_settings(f"sqlite:///{path}", path.parent / "template-data")
    migrate(settings)
    load_demo(settings)
    # Out of WAL mode, the template is one self-contained file to copy; the app's connections
    # put each copy back in WAL mode as they open it.
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return str(path)


def _postgres_template(admin: str, data_dir: Path) -> str:
    name = dbs.unique_name("council_tpl")
    settings = dbs.make_settings(dbs.pg_create(admin, name), data_dir)
    try:
        migrate(settings)
        load_demo(settings)
    except BaseException:
        dbs.pg_drop(admin, name)
        raise
    return name


def _template(
    engine_name: str, shared_run: dbs.SharedRun, request: pytest.FixtureRequest, wait: bool = True
) -> str | None:
    if engine_name == "sqlite":
        path = shared_run.root / "template.db"
        return shared_run.template(engine_name, lambda: _sqlite_template(path), wait)
    # Asked for here, not as a parameter: a run of SQLite cases alone starts no PostgreSQL.
    url = request.getfixturevalue("postgres_admin_url")
    if url is None and not wait:
        return None
    admin = _require_postgres(url)
    data_dir = shared_run.root / "template-data"
    return shared_run.template(engine_name, lambda: _postgres_template(admin, data_dir), wait)


def _engines_used(session: pytest.Session) -> set[str]:
    return {
        str(item.callspec.params["engine_name"])
        for item in session.items
        if "engine_name" in getattr(getattr(item, "callspec", None), "params", {})
    }


@pytest.fixture(scope="session")
def template_database(
    engine_name: str, shared_run: dbs.SharedRun, request: pytest.FixtureRequest
) -> str:
    """A migrated database holding the demo council, made once per run (shared by every
    worker) and copied for each test: a file path on SQLite, a database name on PostgreSQL.

    A worker first builds any other template the run needs that no process is building yet:
    with two workers, both templates are built at once instead of one after the other."""
    for other in _engines_used(request.session) - {engine_name}:
        _template(other, shared_run, request, wait=False)
    found = _template(engine_name, shared_run, request)
    assert found is not None
    return found


@pytest.fixture(scope="session")
def worker_database(
    engine_name: str,
    template_database: str,
    shared_run: dbs.SharedRun,
    request: pytest.FixtureRequest,
) -> Iterator[dbs.SqliteCopy | dbs.PostgresCopy]:
    """This process's database for ``engine_name``: the same URL for every test of the run,
    so that one app serves them all (see ``app``), refreshed from the template per test."""
    copy: dbs.SqliteCopy | dbs.PostgresCopy
    if engine_name == "sqlite":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        path = shared_run.root / f"sqlite-{worker}" / "council.db"
        path.parent.mkdir(exist_ok=True)
        copy = dbs.SqliteCopy(Path(template_database), path)
    else:
        admin = _require_postgres(request.getfixturevalue("postgres_admin_url"))
        copy = dbs.PostgresCopy(admin, template_database, dbs.unique_name("council_test"))
    yield copy
    copy.drop()


@contextlib.contextmanager
def copy_of(
    engine_name: str, template: str, admin_url: str | None, directory: Path
) -> Iterator[str]:
    """A database of its own, copied from the template, removed afterwards (PostgreSQL)."""
    if engine_name == "sqlite":
        path = directory / "council.db"
        # The backup API copies what is still in the template's WAL file too.
        with sqlite3.connect(template) as source, sqlite3.connect(path) as target:
            source.backup(target)
        yield f"sqlite:///{path}"
        return
    admin = _require_postgres(admin_url)
    name = dbs.unique_name("council_test")
    yield dbs.pg_create(admin, name, template=template)
    dbs.pg_drop(admin, name)


@pytest.fixture
def database_url(worker_database: dbs.SqliteCopy | dbs.PostgresCopy) -> str:
    """A fresh copy of the demo database for this test."""
    worker_database.refresh()
    return worker_database.url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="session")
def data_dirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def settings(database_url: str, engine_name: str, data_dirs: Path) -> Settings:
    """Settings on this test's database, with an empty data directory. Both keep their
    location from test to test so that one app serves every test that takes them as given."""
    data_dir = data_dirs / engine_name
    shutil.rmtree(data_dir, ignore_errors=True)
    return dbs.make_settings(database_url, data_dir)


# Built apps by their settings, in this process. Building one costs ~0.2 s (Litestar checks
# every route handler's signature), as much as many a test takes to run.
_apps: OrderedDict[str, Litestar] = OrderedDict()
_APPS_KEPT = 4


def _app_for(settings: Settings) -> Litestar:
    key = repr(settings)
    if key not in _apps:
        _apps[key] = create_app(settings)
        if len(_apps) > _APPS_KEPT:
            _apps.popitem(last=False)
    _apps.move_to_end(key)
    return _apps[key]


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[Litestar]:
    """The app on this test's database and clock. One app serves every test with the same
    settings (the database under its URL is a fresh copy each time); what a test may change
    in its state (clock, settings, file storage) is put back here. Its clients run it on the
    process's app loop (tests/support.py): outside a request, use ``db``, or ``on_app_loop``
    for the app's own engine."""
    application = _app_for(settings)
    application.state.settings = settings
    application.state.clock = clock
    application.state.storage = storage_for(settings)
    yield application
    # The app's pooled connections belong to the loop its clients run it on; the vote
    # writer's own connection is given back first.
    on_app_loop(application.state.votes.close)
    on_app_loop(application.state.alchemy.get_engine().dispose)
    on_app_loop(application.state.counters.close)
    on_app_loop(application.state.pages.close)


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
