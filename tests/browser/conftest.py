"""A real server (uvicorn, on 127.0.0.1) on the test's database, and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser as AsyncBrowser
from playwright.async_api import async_playwright
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from council.settings import PROJECT_ROOT
from tests.databases import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": database_url,
        "COUNCIL_DATA_DIR": str(tmp_path / "server-data"),
        "COUNCIL_SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = (tmp_path / "server.log").open("w")
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
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError((tmp_path / "server.log").read_text()) from None
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; outside CI its absence skips the browser tests, in CI it fails them."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Path(CHROMIUM)


# Function scope on purpose: Playwright's sync API runs an event loop on the main thread
# while it is open, which would stop pytest-asyncio from running the async tests after it.
@pytest.fixture
def playwright_instance(chromium: Path) -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


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


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
