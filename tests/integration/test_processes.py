"""Several app processes on one PostgreSQL (README: "Several processes"): two servers started
as `make run` starts them, on two ports, share sign-ins, rate limits and page versions, so a
reverse proxy may send each request to either."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from council.demo.data import DEMO_PASSWORD
from council.settings import PROJECT_ROOT, Settings
from tests.databases import _free_port

pytestmark = pytest.mark.postgresql_only

LIMIT = 20  # anonymous requests per address in 5 minutes, for both processes together
TOKEN = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


@contextlib.contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    """One `python -m council.serve` process; its base URL while it runs."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "council.serve"],
        cwd=PROJECT_ROOT,
        env={**env, "COUNCIL_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def two_processes(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": database_url,
        "COUNCIL_SECRET_KEY": settings.secret_key,
        "COUNCIL_DATA_DIR": str(tmp_path / "data"),
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_WORKERS": "1",
        "COUNCIL_DEMO": "false",
        "COUNCIL_ANONYMOUS_PER_IP_5MIN": str(LIMIT),
    }
    with server(env) as first, server(env) as second:
        yield [first, second]


def _token(client: httpx.Client, path: str) -> str:
    found = TOKEN.search(client.get(path).text)
    assert found is not None, path
    return found.group(1)


def test_two_processes_share_sessions_page_versions_and_rate_limits(
    two_processes: list[str],
) -> None:
    first, second = two_processes
    with httpx.Client(base_url=first) as a, httpx.Client(base_url=second) as b:
        # A session begun in one process is honoured by the other.
        form = {"_csrf_token": _token(a, "/signin"), "login": "zhuchi", "password": DEMO_PASSWORD}
        signed = a.post("/signin", data=form)
        assert signed.status_code == 303
        b.cookies.update(a.cookies)
        assert b.get("/me").status_code == 200

        # A change written through one process shows on the next request of a page the
        # other has cached.
        with httpx.Client(base_url=second) as visitor:
            for _ in range(2):
                assert "夜市新规" not in visitor.get("/c/zhonglou").text
            changed = a.post(
                "/c/zhonglou/manage/settings",
                data={
                    "_csrf_token": _token(a, "/c/zhonglou/manage"),
                    "description": "夜市新规：晚十点后收摊",
                    "meeting_place": "钟楼社区议事厅",
                    "notice_period_days": "7",
                },
            )
            assert changed.status_code == 303
            assert "夜市新规：晚十点后收摊" in visitor.get("/c/zhonglou").text

        # One address is counted once, whichever process it reaches: the limit is refused
        # before either process alone has served that many.
        served = {first: 0, second: 0}
        with httpx.Client() as anonymous:
            for i in range(2 * LIMIT):
                base = (first, second)[i % 2]
                if anonymous.get(f"{base}/c/zhonglou/issues").status_code == 429:
                    break
                served[base] += 1
            else:
                raise AssertionError("never refused")
        assert max(served.values()) < LIMIT, served
