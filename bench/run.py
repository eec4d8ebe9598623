"""`make bench`: start the real server (2 workers) and drive it over 127.0.0.1.

Bounded: each case runs for a fixed number of seconds with a fixed number of concurrent
clients, then the server is stopped. Prints requests/s, p50, p99 and ratios between cases.
Later capabilities add their cases to CASES.

The vote cases (issue 6, SECURITY S39) use members and signed-in sessions made beforehand
through the app's services (bench/voters.py): an ingest case where distinct voters cast as
fast as the server takes them, then 200 voters spread over 10 s, once quietly and once while
public pages are read. After each, the votes in the database are compared with the receipts
the server acknowledged: "lost" are receipts missing from the database, "duplicated" rows
beyond the acknowledged ones or a voter counted twice.

S32 comes last: 500 voters vote at once, the server's process group gets kill -9 after 150
acknowledgements, the server starts again on the same data, and every unanswered vote is sent
again; each retry must be a clean first insert or "已投票", and the database must hold
exactly the acknowledged votes, the retries' inserts and the ones already recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
VOTERS = min(int(os.environ.get("BENCH_VOTERS", "600")), 800)
VOTE_SECONDS = min(float(os.environ.get("BENCH_VOTE_SECONDS", "15")), 15.0)
PACED_VOTERS = 200  # S39: 200 voters within 10 s
PACED_SECONDS = 10.0
# The council page lists every member, so it grows with the bench's residents: read pages
# whose cost does not depend on them.
READ_PAGES = ("/c/zhonglou/issues", "/c/zhonglou/ballots", "/c/zhonglou/meetings")
READ_RATE = float(os.environ.get("BENCH_READ_RATE", "30"))  # public reads/s during S39
KILL_VOTERS = min(500, VOTERS)  # S32: kill -9 during 500 concurrent votes
KILL_AFTER = int(os.environ.get("BENCH_KILL_AFTER", "150"))  # acknowledgements before the kill


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


def server_env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COUNCIL_DATA_DIR": str(data_dir),
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_DEMO": "false",
        # The portal readers are one anonymous address: counted (that cost is measured), but
        # never refused.
        "COUNCIL_ANONYMOUS_PER_IP_5MIN": "1000000000",
    }


def start_server(data_dir: Path, port: int, *, setup: bool = True) -> subprocess.Popen[bytes]:
    """The server in a process group of its own (workers included), so that S32 can kill -9
    all of it at once. ``setup``: migrate and load the demo first."""
    env = server_env(data_dir)
    python = sys.executable
    for args in (["database", "upgrade", "--no-prompt"], ["demo", "load"]) if setup else ():
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
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    kill_server(server)
    raise SystemExit("the server did not start")


def _group_gone(pgid: int, seconds: float) -> bool:
    """Wait until no process of the group is left (uvicorn's workers are reaped by init)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def kill_server(server: subprocess.Popen[bytes]) -> None:
    """kill -9 of the server's whole process group (the CLI, uvicorn and its workers): no
    shutdown, no flush."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    _group_gone(server.pid, 5)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group and wait for it to shut down; SIGKILL after 15 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=15)  # reaped here, or the group would never look empty
    if not _group_gone(server.pid, 15):
        kill_server(server)


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


# --- vote cases -----------------------------------------------------------------------------


def voters_tool(data_dir: Path, *args: str) -> Any:
    """bench/voters.py against the bench database, through the app's own services."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "voters.py"), *args],
        cwd=ROOT,
        env={**server_env(data_dir), "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


CHOICES = ("yes", "no", "abstain")


TOKEN_IN_PAGE = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def open_ballot_pages(client: httpx.AsyncClient, voters: list[dict[str, str]]) -> None:
    """Before the clock starts, each voter's browser loads a page, as a person does before
    voting: it receives its CSRF cookie and the page's token, which is bound to its session."""

    async def load(voter: dict[str, str]) -> None:
        response = await client.get(
            "/signin", headers={"Cookie": f"council_session={voter['token']}"}
        )
        found = TOKEN_IN_PAGE.search(response.text)
        if found is None:
            raise RuntimeError(f"no CSRF token in /signin ({response.status_code})")
        voter["csrf_cookie"] = response.cookies["csrftoken"]
        voter["csrf"] = found.group(1)

    await asyncio.gather(*(load(v) for v in voters))
    client.cookies.clear()


async def post_vote(
    client: httpx.AsyncClient, path: str, voter: dict[str, str], choice: str
) -> httpx.Response:
    """One vote as the voter's browser sends it: session cookie, CSRF cookie and field."""
    return await client.post(
        path,
        data={"_csrf_token": voter["csrf"], "choice": choice},
        headers={"Cookie": f"council_session={voter['token']}; csrftoken={voter['csrf_cookie']}"},
    )


@dataclass
class VoteRun:
    """Per voter key: the receipt the server acknowledged, "refused" (409) or "unanswered"
    (no answer, or a 5xx); voters never reached before the time ran out are absent."""

    result: Result
    outcomes: dict[str, str]

    @property
    def acknowledged(self) -> dict[str, str]:
        return {k: v for k, v in self.outcomes.items() if v not in ("refused", "unanswered")}

    def count(self, outcome: str) -> int:
        return sum(1 for v in self.outcomes.values() if v == outcome)


async def cast_votes(
    name: str,
    base: str,
    path: str,
    voters: list[dict[str, str]],
    *,
    paced: float | None = None,
) -> VoteRun:
    """Each voter casts once. ``paced``: spread the votes evenly over that many seconds;
    otherwise CONCURRENCY clients cast back to back until VOTE_SECONDS run out."""
    latencies: list[float] = []
    outcomes: dict[str, str] = {}
    errors = 0
    pending = list(voters)
    rng = random.Random(6)  # choices for a benchmark, not secrets

    async def cast(client: httpx.AsyncClient, voter: dict[str, str]) -> None:
        nonlocal errors
        started = time.perf_counter()
        outcomes[voter["key"]] = "unanswered"
        try:
            response = await post_vote(client, path, voter, rng.choice(CHOICES))
        except httpx.HTTPError:
            errors += 1
            return
        latencies.append(time.perf_counter() - started)
        receipt = response.headers.get("x-vote-receipt")
        if response.status_code == 303 and receipt:
            outcomes[voter["key"]] = receipt
        elif response.status_code == 409:
            outcomes[voter["key"]] = "refused"
        else:
            errors += 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await open_ballot_pages(client, pending)
        begun = time.monotonic()
        if paced is not None:
            gap = paced / len(pending)

            async def at(i: int, voter: dict[str, str]) -> None:
                await asyncio.sleep(max(0.0, begun + i * gap - time.monotonic()))
                await cast(client, voter)

            await asyncio.gather(*(at(i, v) for i, v in enumerate(pending)))
        else:
            stop = begun + VOTE_SECONDS

            async def worker() -> None:
                while pending and time.monotonic() < stop:
                    await cast(client, pending.pop())

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.monotonic() - begun
    return VoteRun(Result(name, len(latencies), errors, elapsed, latencies), outcomes)


async def read_while(base: str, busy: asyncio.Future[Any]) -> Result:
    """Public pages requested at READ_RATE per second (open loop, like visitors arriving) for
    as long as ``busy`` runs."""
    latencies: list[float] = []
    errors = 0

    async def read(client: httpx.AsyncClient) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            page = READ_PAGES[len(latencies) % len(READ_PAGES)]
            ok = (await client.get(page)).status_code == 200
        except httpx.HTTPError:
            ok = False
        latencies.append(time.perf_counter() - started)
        errors += not ok

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        begun = time.monotonic()
        sent: list[asyncio.Task[None]] = []
        while not busy.done():
            sent.append(asyncio.ensure_future(read(client)))
            await asyncio.sleep(max(0.0, begun + len(sent) / READ_RATE - time.monotonic()))
        await asyncio.gather(*sent)
        elapsed = time.monotonic() - begun
    return Result(f"  public GETs @{READ_RATE:.0f}/s", len(latencies), errors, elapsed, latencies)


@dataclass
class Stored:
    lost: int  # acknowledged, but no such row in the database
    duplicated: int  # a voter stored twice, or a row for a vote that was refused or never sent
    unanswered: int  # stored, but the answer never reached the client (timeout, 5xx)


def check_stored(data_dir: Path, ballot: str, run: VoteRun) -> Stored:
    stored: list[tuple[str, str]] = voters_tool(data_dir, "count", ballot)
    keys = [key for key, _receipt in stored]
    by_key = dict(stored)
    acknowledged = run.acknowledged
    lost = sum(1 for key, receipt in acknowledged.items() if by_key.get(key) != receipt)
    duplicated = len(keys) - len(set(keys))
    duplicated += sum(1 for key in by_key if run.outcomes.get(key, "refused") == "refused")
    unanswered = sum(1 for key in by_key if run.outcomes.get(key) == "unanswered")
    return Stored(lost, duplicated, unanswered)


def vote_line(run: VoteRun, stored: Stored) -> str:
    r = run.result
    line = (
        f"{r.name:<28} {len(run.acknowledged) / r.seconds:8.1f} votes/s "
        f"p50 {r.pct(0.50):7.1f} ms   p99 {r.pct(0.99):7.1f} ms   errors {r.errors}   "
        f"accepted {len(run.acknowledged)}   refused {run.count('refused')}   "
        f"lost {stored.lost}, duplicated {stored.duplicated}"
    )
    return line + (f"   (stored but unanswered {stored.unanswered})" if stored.unanswered else "")


# --- S32: kill -9 during 500 concurrent votes ------------------------------------------------


class Server:
    """The server under test; S32 kills it and starts it again on the same data and port."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.base = f"http://127.0.0.1:{port}"
        self.process = start_server(data_dir, port)

    def kill(self) -> None:
        kill_server(self.process)

    def restart(self) -> None:
        self.process = start_server(self.data_dir, self.port, setup=False)

    def stop(self) -> None:
        stop_server(self.process)


@dataclass
class KillRun:
    """S32's outcome per voter: acknowledged before the kill, or unanswered and retried after
    the restart, where the retry is a clean first insert (303) or "已投票" (409)."""

    acknowledged: dict[str, str]  # voter key → receipt
    unanswered: int
    new: dict[str, str]  # voter key → receipt of the retry
    already: set[str]  # voter keys whose retry was told "already recorded"
    errors: int  # any other answer, before the kill or on retry
    killed: bool


async def kill_during_votes(server: Server, path: str, voters: list[dict[str, str]]) -> KillRun:
    """Every voter votes at once; at KILL_AFTER acknowledgements the server's whole process
    group gets SIGKILL. After a restart on the same data, each unanswered vote is sent again."""
    acknowledged: dict[str, str] = {}
    unanswered: list[dict[str, str]] = []
    errors = 0
    killed = False
    rng = random.Random(32)  # choices for a benchmark, not secrets

    async def first(client: httpx.AsyncClient, voter: dict[str, str]) -> None:
        nonlocal errors, killed
        try:
            response = await post_vote(client, path, voter, rng.choice(CHOICES))
        except httpx.HTTPError:
            unanswered.append(voter)
            return
        receipt = response.headers.get("x-vote-receipt")
        if response.status_code == 303 and receipt:
            acknowledged[voter["key"]] = receipt
            if len(acknowledged) >= KILL_AFTER and not killed:
                killed = True
                server.kill()
        elif response.status_code >= 500:
            unanswered.append(voter)  # an answer that acknowledges nothing
        else:
            errors += 1

    limits = httpx.Limits(max_connections=len(voters))
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        await open_ballot_pages(client, voters)
        await asyncio.gather(*(first(client, v) for v in voters))
    if not killed:
        return KillRun(acknowledged, len(unanswered), {}, set(), errors, killed=False)

    server.restart()
    new: dict[str, str] = {}
    already: set[str] = set()

    async def retry(client: httpx.AsyncClient, voter: dict[str, str]) -> None:
        nonlocal errors
        try:
            response = await post_vote(client, path, voter, rng.choice(CHOICES))
        except httpx.HTTPError:
            errors += 1
            return
        receipt = response.headers.get("x-vote-receipt")
        if response.status_code == 303 and receipt:
            new[voter["key"]] = receipt
        elif response.status_code == 409 and "已投票" in response.text:
            already.add(voter["key"])
        else:
            errors += 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(retry(client, v) for v in unanswered))
    return KillRun(acknowledged, len(unanswered), new, already, errors, killed=True)


def kill_line(run: KillRun, stored: list[list[str]]) -> tuple[str, bool]:
    """The S32 line, and whether the database holds exactly the acknowledged votes, the
    retries' clean inserts and the votes the retries were told were already recorded."""
    rows = {(key, receipt) for key, receipt in stored}  # JSON pairs arrive as lists
    keys = [key for key, _receipt in stored]
    answered = {**run.acknowledged, **run.new}
    lost = sum(1 for row in answered.items() if row not in rows)
    lost += len(run.already - set(keys))
    expected = answered.keys() | run.already
    duplicated = len(keys) - len(set(keys)) + len(set(keys) - expected)
    exact = len(keys) == len(run.acknowledged) + len(run.new) + len(run.already)
    line = (
        f"S32 kill -9 during {KILL_VOTERS} votes: acknowledged {len(run.acknowledged)} before "
        f"the kill, lost {lost}, retried {run.unanswered} ({len(run.already)} already recorded, "
        f"{len(run.new)} new), duplicated {duplicated}"
    )
    if run.errors:
        line += f"   errors {run.errors}"
    if not run.killed:
        line += f"   (never killed: fewer than {KILL_AFTER} votes acknowledged)"
    ok = run.killed and exact and not (lost or duplicated or run.errors)
    return line, ok


async def vote_cases(data_dir: Path, server: Server) -> bool:
    """The vote cases; False if any vote was lost, duplicated or failed."""
    base = server.base
    started = time.monotonic()
    prepared = voters_tool(data_dir, "prepare", str(VOTERS), "4")
    voters: list[dict[str, str]] = prepared["voters"]
    (ingest, eligible), (quiet, _), (mixed, _), (killed, _) = prepared["ballots"]
    print(
        f"vote cases: {len(voters)} signed-in voters made through the services "
        f"({eligible} eligible per ballot) in {time.monotonic() - started:.1f} s, not timed"
    )

    def path(ballot: str) -> str:
        return f"/c/{prepared['slug']}/ballots/{UUID(ballot)}/vote"

    ok = True
    runs: list[tuple[str, VoteRun]] = []
    runs.append(
        (ingest, await cast_votes(f"POST vote ({CONCURRENCY} clients)", base, path(ingest), voters))
    )
    paced = voters[:PACED_VOTERS]
    runs.append(
        (
            quiet,
            await cast_votes(
                f"POST vote {PACED_VOTERS}/{PACED_SECONDS:.0f}s",
                base,
                path(quiet),
                paced,
                paced=PACED_SECONDS,
            ),
        )
    )
    voting = asyncio.ensure_future(
        cast_votes(
            f"POST vote {PACED_VOTERS}/{PACED_SECONDS:.0f}s+reads",
            base,
            path(mixed),
            paced,
            paced=PACED_SECONDS,
        )
    )
    reads = await read_while(base, voting)
    runs.append((mixed, await voting))
    for ballot, run in runs:
        stored = check_stored(data_dir, ballot, run)
        print(vote_line(run, stored), flush=True)
        ok = ok and not (stored.lost or stored.duplicated or run.result.errors)
    print(reads.line())
    quiet_p99, mixed_p99 = runs[1][1].result.pct(0.99), runs[2][1].result.pct(0.99)
    print(f"vote p99 with reads ÷ quiet: {mixed_p99 / max(quiet_p99, 1e-9):.2f}")
    # Last: it kills the server, which then serves again on the same data.
    run = await kill_during_votes(server, path(killed), voters[:KILL_VOTERS])
    line, kill_ok = kill_line(run, voters_tool(data_dir, "count", killed))
    print(line, flush=True)
    return ok and not reads.errors and kill_ok


async def main() -> None:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="council-bench-") as tmp:
        server = Server(Path(tmp), port)
        try:
            base = server.base
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
            votes_ok = await vote_cases(Path(tmp), server)
            if any(r.errors for r in results) or not votes_ok:
                raise SystemExit("errors, lost or duplicated votes during the bench")
        finally:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
