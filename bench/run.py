"""`make bench`: start the real server (2 workers) and drive it over 127.0.0.1.

Bounded: each case runs for a fixed number of seconds with a fixed number of concurrent
clients, then the server is stopped. Prints requests/s, p50, p99 and ratios between cases.
Later capabilities add their cases to CASES.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.rate:8.1f} req/s   p50 {self.pct(0.50):7.1f} ms   "
            f"p99 {self.pct(0.99):7.1f} ms   errors {self.errors}   n={self.requests}"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COUNCIL_DATA_DIR": str(data_dir),
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_DEMO": "false",
    }
    python = sys.executable
    for args in (["database", "upgrade", "--no-prompt"], ["demo", "load"]):
        subprocess.run(
            [python, "-m", "council", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    server = subprocess.Popen(
        [
            python,
            "-m",
            "council",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--wc",
            WORKERS,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


async def drive(
    name: str, request: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]], base: str
) -> Result:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + SECONDS

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                response = await request(client)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        begun = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.monotonic() - begun
    return Result(name, len(latencies), errors, elapsed, latencies)


CASES: list[tuple[str, Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]]] = [
    ("GET /healthz", lambda c: c.get("/healthz")),
    ("GET /c/zhonglou (public)", lambda c: c.get("/c/zhonglou")),
]


async def main() -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="council-bench-") as tmp:
        server = start_server(Path(tmp), port)
        try:
            base = f"http://127.0.0.1:{port}"
            print(
                f"council bench: {WORKERS} workers, {CONCURRENCY} clients, "
                f"{SECONDS:.0f} s per case, SQLite"
            )
            results = []
            for name, request in CASES:
                result = await drive(name, request, base)
                results.append(result)
                print(result.line(), flush=True)
            health, page = results[0], results[1]
            print(
                f"public page ÷ /healthz: throughput {page.rate / health.rate:.2f}, "
                f"p50 latency {page.pct(0.5) / max(health.pct(0.5), 1e-9):.1f}×"
            )
            if any(r.errors for r in results):
                raise SystemExit("errors during the bench")
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    asyncio.run(main())
