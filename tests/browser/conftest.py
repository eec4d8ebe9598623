"""Browser fixtures: a real uvicorn server on a free port, and Debian's chromium through
Playwright. Each test's database is a fresh copy of the demo template (SQLite and PostgreSQL).

Outside CI a missing chromium skips the browser tests; in CI it fails them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from council.settings import PROJECT_ROOT, Settings
from tests.databases import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The app served by uvicorn in its own process, on the test's database."""
    port = _free_port()
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": settings.database_url,
        "COUNCIL_DATA_DIR": str(settings.data_dir),
        "COUNCIL_SECRET_KEY": settings.secret_key,
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_HOST": "127.0.0.1",
        "COUNCIL_PORT": str(port),
    }
    log = (tmp_path / "server.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "--factory", "council.app:create_app"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"server did not start: {(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()
