"""A real server (uvicorn, on 127.0.0.1) on the test's database, and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser as AsyncBrowser
from playwright.async_api import Page as AsyncPage
from playwright.async_api import async_playwright
from playwright.async_api import expect as async_expect
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from council.app import create_app
from council.clock import FixedClock
from council.settings import PROJECT_ROOT
from tests import databases as dbs
from tests.databases import IN_CI, PostgresCopy, SqliteCopy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

# What a person sees may take a while to come on a machine that also runs the other worker,
# both servers, PostgreSQL and two browsers on two cores: a page that never shows it still
# fails, only later.
EXPECT_MS = 10_000
expect.set_options(timeout=EXPECT_MS)
async_expect.set_options(timeout=EXPECT_MS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def _server(
    worker_database: SqliteCopy | PostgresCopy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Path]]:
    """One uvicorn per worker and engine, on the worker's database, whose every test gets a
    fresh copy (the server keeps no connection between requests: tests/browser/server.py)."""
    root = tmp_path_factory.mktemp("server")
    data_dir = root / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": worker_database.url,
        "COUNCIL_DATA_DIR": str(data_dir),
        "COUNCIL_SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_BASE_URL": base,
    }
    log_path = root / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.browser.server:create_test_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base, process, log_path)
            yield base, data_dir, log_path
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    # A server that exits fails at once; one that is slow to start on a loaded machine (two
    # workers, PostgreSQL and Chromium on two cores) is given its time.
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(log_path.read_text()) from None
            time.sleep(0.1)


# The logs a failed test's report shows (the live server's, PostgreSQL's), each with the
# position where this test's part of it begins.
TEST_LOGS = pytest.StashKey[list[tuple[str, Path, int]]]()


@pytest.fixture
def live_server(
    database_url: str,
    _server: tuple[str, Path, Path],
    engine_name: str,
    shared_run: dbs.SharedRun,
    request: pytest.FixtureRequest,
) -> str:
    """The base URL of a real server on this test's fresh database, with no stored files."""
    base, data_dir, log_path = _server
    shutil.rmtree(data_dir / "files", ignore_errors=True)
    logs = [("live server log", log_path)]
    postgres_log = shared_run.postgres_log() if engine_name == "postgresql" else None
    if postgres_log is not None and postgres_log.exists():
        logs.append(("PostgreSQL log", postgres_log))
    request.node.stash[TEST_LOGS] = [(name, path, path.stat().st_size) for name, path in logs]
    return base


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    """A failed test's report carries what the live server (warnings: retried transactions,
    errors with their tracebacks) and PostgreSQL (lock waits, slow statements) logged while
    it ran."""
    report: pytest.TestReport = yield
    if report.failed:
        for name, path, start in item.stash.get(TEST_LOGS, []):
            with path.open("rb") as log:
                log.seek(start)
                logged = log.read().decode(errors="replace")
            report.sections.append((name, logged or "(nothing logged)"))
    return report


@pytest.fixture
def clocked_server(database_url: str, tmp_path: Path) -> Iterator[tuple[str, FixedClock]]:
    """The app served by uvicorn in a thread of this process, on a clock the test moves
    (notice periods of days pass in a moment); the product has no way to move its clock."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # Sessions outlast the weeks the test skips; their timeouts are tested elsewhere (S30).
    settings = dbs.make_settings(
        database_url,
        tmp_path / "server-data",
        base_url=base,
        session_idle_minutes=60 * 24 * 90,
        session_absolute_hours=24 * 90,
    )
    clock = FixedClock()
    config = uvicorn.Config(
        create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="clocked-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the threaded server did not start")
        time.sleep(0.05)
    yield base, clock
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; outside CI its absence skips the browser tests, in CI it fails them."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Path(CHROMIUM)


class _SharedBrowser:
    """One Playwright (sync API) and Chromium per worker, kept open from one test to the next
    for as long as consecutive tests use it.

    While it is open, Playwright's sync API runs an event loop on the main thread, which stops
    pytest-asyncio from running async tests and fixtures; so it is closed after any test that
    is followed by one not using it (``pytest_runtest_teardown`` below), and opened again when
    a later test asks for it.
    """

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None

    def open(self) -> Playwright:
        if self.playwright is None:
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        return self.playwright

    def close_contexts(self) -> None:
        """What a test left open (a failed test skips its own closing) ends with it: no page
        of one test keeps polling the server through the next."""
        for context in self.browser.contexts if self.browser else ():
            context.close()

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self.playwright is not None:
            self.playwright.stop()
            self.playwright = None


_shared = _SharedBrowser()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield  # the test's own fixtures (its contexts) are closed first
    _shared.close_contexts()
    if nextitem is None or "playwright_instance" not in getattr(nextitem, "fixturenames", ()):
        _shared.close()


@pytest.fixture
def playwright_instance(chromium: Path) -> Playwright:
    return _shared.open()


@pytest.fixture
def browser(playwright_instance: Playwright) -> Browser:
    assert _shared.browser is not None
    return _shared.browser


@pytest.fixture
async def async_browser(chromium: Path) -> AsyncIterator[AsyncBrowser]:
    """Playwright's async API, for tests that drive several phones at once."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, base: str, login: str, password: str = "zhonglou-demo-2026") -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("账号").fill(login)
    page.get_by_label("密码").fill(password)
    page.locator("main").get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/me**")


# Screenshots of what a person sees, for people to look at (`make screenshots` writes them to
# test-artifacts/). A test run leaves them out: they assert nothing and cost a minute of it.
SCREENSHOTS = os.environ.get("COUNCIL_SCREENSHOTS", "").lower() in {"1", "true", "yes"}


def screenshots_wanted(engine_name: str) -> bool:
    """Whether this test takes its screenshots: when asked for, once (on SQLite)."""
    return SCREENSHOTS and engine_name == "sqlite"


def screenshot(page: Page, name: str) -> None:
    """A full-page PNG of ``page`` in test-artifacts/, when screenshots are asked for."""
    if SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def screenshot_async(page: AsyncPage, name: str) -> None:
    """``screenshot`` for pages of Playwright's async API."""
    if SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
