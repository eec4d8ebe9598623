"""`make bench`: the real server (`python -m council.serve`, 2 workers) driven over 127.0.0.1.

Pages are loaded by wrk (bench/wrk.py): a warm-up run, then the measured run, each on keep-alive
connections that the kernel spreads over the workers. Beside each rate is the server's own CPU
time per request, read from /proc for every process of the server, and how it split between
the workers: on a shared, busy machine the rates move with the neighbours, the CPU per request
much less, and ratios are taken between cases of one run.

Cases, all in one run (bounded: about 6 minutes, plus a few minutes once to build the large
database, which is kept in the data directory for later runs):

- pages of the demo council on the demo database: /healthz, the front page, the council page
  anonymous and signed in, the issue, meeting and ballot lists, and the audit page at 640 and
  at 6,400 entries (anonymous, and signed in, which no page cache serves);
- votes (SECURITY S39, S32): distinct voters cast as fast as the server takes them (wrk), then
  200 voters spread over 10 s, quietly and while the public portal is read, each compared with
  the database afterwards ("lost": acknowledged, no such row; "duplicated": a voter counted
  twice, or a row for a vote that was refused); then kill -9 of the whole server during 500
  concurrent votes, a restart, and every unanswered vote sent again;
- the same pages on a database of 1,000 councils with 10 years of records each (bench/grow.py);
- the resident memory of each worker after all of it.

The closing table holds every figure of the goals with the goal beside it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

# bench/ is not a package: run as a script, its own folder is on the path.
import wrk
from server import ROOT, Server, council_command, load_demo, server_env

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "1"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
VOTERS = int(os.environ.get("BENCH_VOTERS", "2000"))
VOTE_SECONDS = float(os.environ.get("BENCH_VOTE_SECONDS", "6"))
PACED_VOTERS = 200  # S39: 200 voters within 10 s
PACED_SECONDS = 10.0
READ_RATE = float(os.environ.get("BENCH_READ_RATE", "50"))  # public reads/s alongside
KILL_VOTERS = 500  # S32: kill -9 during 500 concurrent votes
KILL_AFTER = int(os.environ.get("BENCH_KILL_AFTER", "150"))  # acknowledgements before it
LARGE_VERSION = 3  # bump when bench/grow.py or the migration chain changes what it builds
SLUG = "zhonglou"
PAGES = {
    "front page": "/",
    "council page": f"/c/{SLUG}",
    "issue list": f"/c/{SLUG}/issues",
    "meeting list": f"/c/{SLUG}/meetings",
    "ballot list": f"/c/{SLUG}/ballots",
    "audit page": f"/c/{SLUG}/audit",
}


@dataclass
class Case:
    name: str
    rate: float
    p50: float
    p99: float
    cpu_ms: float  # server CPU per request, all processes
    split: list[float]  # share of the workers' CPU per worker, in %
    bad: int
    requests: int

    def line(self) -> str:
        spread = "/".join(f"{s:.0f}" for s in self.split)
        return (
            f"{self.name:<36} {self.rate:8.1f} req/s  p50 {self.p50:7.1f} ms"
            f"  p99 {self.p99:7.1f} ms  cpu {self.cpu_ms:6.2f} ms/req  workers {spread}%"
            + (f"  ERRORS {self.bad}" if self.bad else "")
        )


def prime(url: str, headers: tuple[str, ...]) -> None:
    """A few requests one after another, so that what the first request does once (a cache
    filled, a checkpoint moved) is done before wrk's connections all ask at once."""
    sent = dict(h.split(": ", 1) for h in headers)
    for _ in range(2 * WORKERS):
        httpx.get(url, headers=sent, timeout=120)


def measure(server: Server, name: str, path: str, headers: tuple[str, ...] = ()) -> Case:
    """A warm-up run, then the measured one with the server's CPU read before and after."""
    url = server.base + path
    prime(url, headers)
    wrk.run(url, seconds=WARMUP, connections=CONNECTIONS, headers=headers)
    before = server.usage()
    run = wrk.run(url, seconds=SECONDS, connections=CONNECTIONS, headers=headers)
    spent = server.usage().since(before)
    workers = {pid: spent.get(pid, 0.0) for pid in server.workers()}
    total = sum(spent.values())
    split = [100 * t / max(sum(workers.values()), 1e-9) for t in workers.values()]
    case = Case(
        name,
        run.rate,
        run.p50_ms,
        run.p99_ms,
        1000 * total / max(run.requests, 1),
        split,
        run.bad,
        run.requests,
    )
    print(case.line(), flush=True)
    return case


def signed_in(token: str) -> tuple[str, ...]:
    return (f"Cookie: council_session={token}",)


def tool(env: dict[str, str], *args: str) -> Any:
    """bench/voters.py against the bench database, through the app's own services."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "voters.py"), *args],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def page_cases(server: Server, token: str, label: str = "") -> dict[str, Case]:
    cases = {name: measure(server, f"{label}{name}", path) for name, path in PAGES.items()}
    cases["council page, signed in"] = measure(
        server, f"{label}council page, signed in", PAGES["council page"], signed_in(token)
    )
    cases["audit page, signed in"] = measure(
        server, f"{label}audit page, signed in", PAGES["audit page"], signed_in(token)
    )
    return cases


# --- votes -----------------------------------------------------------------------------------

CHOICES = ("yes", "no", "abstain")
TOKEN_IN_PAGE = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def open_ballot_pages(base: str, voters: list[dict[str, str]]) -> None:
    """Before the clock starts, each voter's browser loads a page, as a person does before
    voting: it receives its CSRF cookie and the page's token, which is bound to its session."""
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(CONNECTIONS)

        async def load(voter: dict[str, str]) -> None:
            if "csrf" in voter:
                return
            async with gate:
                response = await client.get(
                    "/signin", headers={"Cookie": f"council_session={voter['token']}"}
                )
            found = TOKEN_IN_PAGE.search(response.text)
            if found is None:
                raise RuntimeError(f"no CSRF token in /signin ({response.status_code})")
            voter["csrf_cookie"] = response.cookies["csrftoken"]
            voter["csrf"] = found.group(1)

        await asyncio.gather(*(load(v) for v in voters))


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
    """Per voter key: the receipt acknowledged, "refused" (409) or "unanswered" (no answer or
    a 5xx); voters never reached before the time ran out are absent."""

    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    errors: int = 0
    unavailable: int = 0  # 503 answers ("database is locked" and kin)

    @property
    def acknowledged(self) -> dict[str, str]:
        return {k: v for k, v in self.outcomes.items() if v not in ("refused", "unanswered")}

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def paced_votes(name: str, base: str, path: str, voters: list[dict[str, str]]) -> VoteRun:
    """Each voter casts once, the votes spread evenly over PACED_SECONDS."""
    run = VoteRun(name, PACED_SECONDS)
    rng = random.Random(6)  # choices for a benchmark, not secrets
    gap = PACED_SECONDS / len(voters)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        begun = time.monotonic()

        async def cast(i: int, voter: dict[str, str]) -> None:
            await asyncio.sleep(max(0.0, begun + i * gap - time.monotonic()))
            started = time.perf_counter()
            run.outcomes[voter["key"]] = "unanswered"
            try:
                response = await post_vote(client, path, voter, rng.choice(CHOICES))
            except httpx.HTTPError:
                run.errors += 1
                return
            run.latencies.append(time.perf_counter() - started)
            receipt = response.headers.get("x-vote-receipt")
            if response.status_code == 303 and receipt:
                run.outcomes[voter["key"]] = receipt
            elif response.status_code == 409:
                run.outcomes[voter["key"]] = "refused"
            else:
                run.errors += 1
                run.unavailable += response.status_code == 503

        await asyncio.gather(*(cast(i, v) for i, v in enumerate(voters)))
        run.seconds = time.monotonic() - begun
    return run


@dataclass
class Reads:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def read_while(base: str, busy: asyncio.Future[Any]) -> Reads:
    """Public pages requested at READ_RATE per second (open loop, as visitors arrive) for as
    long as ``busy`` runs."""
    reads = Reads()
    pages = list(PAGES.values())

    async def read(client: httpx.AsyncClient, page: str) -> None:
        started = time.perf_counter()
        try:
            ok = (await client.get(page)).status_code == 200
        except httpx.HTTPError:
            ok = False
        reads.latencies.append(time.perf_counter() - started)
        reads.errors += not ok

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        begun = time.monotonic()
        sent: list[asyncio.Task[None]] = []
        while not busy.done():
            page = pages[len(sent) % len(pages)]
            sent.append(asyncio.ensure_future(read(client, page)))
            await asyncio.sleep(max(0.0, begun + len(sent) / READ_RATE - time.monotonic()))
        await asyncio.gather(*sent)
    return reads


@dataclass
class Stored:
    lost: int  # acknowledged, but no such row in the database
    duplicated: int  # a voter stored twice, or a row for a vote that was refused
    unanswered: int  # stored, but the answer never reached the client


def check_stored(env: dict[str, str], ballot: str, run: VoteRun) -> Stored:
    stored: list[tuple[str, str]] = tool(env, "count", ballot)
    keys = [key for key, _receipt in stored]
    by_key = dict(stored)
    lost = sum(1 for key, receipt in run.acknowledged.items() if by_key.get(key) != receipt)
    duplicated = len(keys) - len(set(keys))
    duplicated += sum(1 for key in by_key if run.outcomes.get(key) == "refused")
    unanswered = sum(1 for key in by_key if run.outcomes.get(key, "unanswered") == "unanswered")
    return Stored(lost, duplicated, unanswered)


@dataclass
class Ingest:
    accepted: int
    rate: float
    cpu_ms: float
    statuses: dict[int, int]
    lost: int
    duplicated: int
    unanswered: int


def ingest(
    server: Server, env: dict[str, str], path: str, ballot: str, voters: list[dict[str, str]]
) -> Ingest:
    """Distinct voters cast through wrk as fast as the server takes them. Each acknowledged
    receipt must be a row of the ballot; no voter may be stored twice."""
    before = server.usage()
    answers = wrk.run_votes(server.base, voters, path, VOTE_SECONDS, CONNECTIONS)
    spent = sum(server.usage().since(before).values())
    stored = tool(env, "count", ballot)
    receipts = {receipt for _key, receipt in stored}
    keys = [key for key, _receipt in stored]
    lost = sum(1 for receipt in answers.receipts if receipt not in receipts)
    duplicated = len(keys) - len(set(keys)) + len(answers.receipts) - len(set(answers.receipts))
    answered = sum(answers.statuses.values())
    return Ingest(
        accepted=len(answers.receipts),
        rate=len(answers.receipts) / answers.seconds,
        cpu_ms=1000 * spent / max(answered, 1),
        statuses=answers.statuses,
        lost=lost,
        duplicated=duplicated,
        unanswered=len(stored) - len(answers.receipts),
    )


@dataclass
class KillRun:
    """S32 per voter: acknowledged before the kill, or unanswered and retried after the
    restart, where the retry is a clean first insert (303) or "已投票" (409)."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    unanswered: list[dict[str, str]] = field(default_factory=list)
    new: dict[str, str] = field(default_factory=dict)
    already: set[str] = field(default_factory=set)
    errors: int = 0
    killed: bool = False


async def kill_during_votes(
    server: Server, path: str, voters: list[dict[str, str]], rate: float
) -> KillRun:
    """Every voter votes at once; at KILL_AFTER acknowledgements, or when the server should
    have taken about that many at the ingest ``rate`` (the client reads answers later than the
    server sends them), the server's whole process group gets SIGKILL, from a thread of its
    own. After a restart on the same data, each unanswered vote is sent again."""
    run = KillRun()
    rng = random.Random(32)  # choices for a benchmark, not secrets
    loop = asyncio.get_running_loop()
    killing: asyncio.Future[None] | None = None

    def kill_now() -> None:
        nonlocal killing
        if killing is None:
            run.killed = True
            killing = loop.run_in_executor(None, server.kill)

    timer = loop.call_later(KILL_AFTER / max(rate, 1.0), kill_now)

    async def first(client: httpx.AsyncClient, voter: dict[str, str]) -> None:
        try:
            response = await post_vote(client, path, voter, rng.choice(CHOICES))
        except httpx.HTTPError:
            run.unanswered.append(voter)
            return
        receipt = response.headers.get("x-vote-receipt")
        if response.status_code == 303 and receipt:
            run.acknowledged[voter["key"]] = receipt
            if len(run.acknowledged) >= KILL_AFTER:
                kill_now()
        elif response.status_code >= 500:
            run.unanswered.append(voter)  # an answer that acknowledges nothing
        else:
            run.errors += 1

    limits = httpx.Limits(max_connections=len(voters))
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(first(client, v) for v in voters))
    timer.cancel()
    if killing is None:
        return run
    await killing
    server.start()

    async def retry(client: httpx.AsyncClient, voter: dict[str, str]) -> None:
        try:
            response = await post_vote(client, path, voter, rng.choice(CHOICES))
        except httpx.HTTPError:
            run.errors += 1
            return
        receipt = response.headers.get("x-vote-receipt")
        if response.status_code == 303 and receipt:
            run.new[voter["key"]] = receipt
        elif response.status_code == 409 and "已投票" in response.text:
            run.already.add(voter["key"])
        else:
            run.errors += 1

    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(retry(client, v) for v in run.unanswered))
    return run


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
        f"the kill, retried {len(run.unanswered)} ({len(run.already)} already recorded, "
        f"{len(run.new)} new): lost {lost}, duplicated {duplicated}"
    )
    if run.errors:
        line += f"   errors {run.errors}"
    if not run.killed:
        line += f"   (never killed: fewer than {KILL_AFTER} votes acknowledged)"
    return line, run.killed and exact and not (lost or duplicated or run.errors)


@dataclass
class VoteFigures:
    ingest: Ingest
    quiet: VoteRun
    mixed: VoteRun
    reads: Reads
    ok: bool


async def vote_cases(server: Server, env: dict[str, str], prepared: dict[str, Any]) -> VoteFigures:
    voters: list[dict[str, str]] = prepared["voters"]
    (first, _), (quiet, _), (mixed, _), (killed, _) = prepared["ballots"]

    def path(ballot: str) -> str:
        return f"/c/{prepared['slug']}/ballots/{UUID(ballot)}/vote"

    await open_ballot_pages(server.base, voters)
    taken = ingest(server, env, path(first), first, voters)
    print(
        f"{'POST vote (wrk, distinct voters)':<36} {taken.rate:8.1f} votes/s"
        f"  accepted {taken.accepted}"
        f"  cpu {taken.cpu_ms:6.2f} ms/vote  answers {dict(sorted(taken.statuses.items()))}"
        f"  lost {taken.lost}, duplicated {taken.duplicated}"
        + (
            f"  (stored, answer cut by the deadline: {taken.unanswered})"
            if taken.unanswered
            else ""
        ),
        flush=True,
    )
    paced = voters[:PACED_VOTERS]
    quiet_run = await paced_votes(
        f"POST vote {PACED_VOTERS}/{PACED_SECONDS:.0f}s", server.base, path(quiet), paced
    )
    voting = asyncio.ensure_future(
        paced_votes(
            f"POST vote {PACED_VOTERS}/{PACED_SECONDS:.0f}s + reads",
            server.base,
            path(mixed),
            paced,
        )
    )
    reads = await read_while(server.base, voting)
    mixed_run = await voting
    ok = not (taken.lost or taken.duplicated)
    for ballot, run in ((quiet, quiet_run), (mixed, mixed_run)):
        stored = check_stored(env, ballot, run)
        print(
            f"{run.name:<36} accepted {len(run.acknowledged)}  p50 {run.pct(0.5):7.1f} ms  "
            f"p99 {run.pct(0.99):7.1f} ms  errors {run.errors}  "
            f"lost {stored.lost}, duplicated {stored.duplicated}",
            flush=True,
        )
        ok = ok and not (stored.lost or stored.duplicated or run.errors)
    print(
        f"{f'  public reads @{READ_RATE:.0f}/s alongside':<36} n={len(reads.latencies)}  "
        f"p50 {reads.pct(0.5):7.1f} ms  p99 {reads.pct(0.99):7.1f} ms  errors {reads.errors}",
        flush=True,
    )
    # Last: it kills the server, which then serves again on the same data.
    run = await kill_during_votes(server, path(killed), voters[:KILL_VOTERS], taken.rate)
    line, kill_ok = kill_line(run, tool(env, "count", killed))
    print(line, flush=True)
    return VoteFigures(taken, quiet_run, mixed_run, reads, ok and kill_ok and not reads.errors)


# --- the large database ----------------------------------------------------------------------


def large_database(bench_dir: Path) -> Path:
    """The 1,000-council, 10-year database, built once (a few minutes) and kept."""
    path = bench_dir / f"large-v{LARGE_VERSION}.db"
    env = server_env(bench_dir, path)
    if not path.exists():
        print(f"building {path} (once; kept for later runs) …", flush=True)
        started = time.monotonic()
        building = path.with_suffix(".building")
        for stale in bench_dir.glob(f"{building.name}*"):
            stale.unlink()
        build_env = server_env(bench_dir, building)
        council_command(build_env, "database", "upgrade", "--no-prompt")
        load_demo(build_env)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "grow.py"), str(building)],
            cwd=ROOT,
            env={**build_env, "PYTHONPATH": str(ROOT)},
            check=True,
        )
        building.rename(path)
        print(f"built in {time.monotonic() - started:.0f} s", flush=True)
    council_command(env, "database", "upgrade", "--no-prompt")  # migrations added since
    return path


# --- the goals -------------------------------------------------------------------------------


def goals(rows: list[tuple[str, str, str, bool]]) -> None:
    print("\ngoals (issue: speed where people feel it), all from this run:")
    width = max(len(r[0]) for r in rows)
    for figure, measured, goal, met in rows:
        print(f"  {figure:<{width}}  {measured:>24}  goal {goal:<10} {'met' if met else 'NOT MET'}")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def main() -> None:
    wrk.require_wrk()
    data_dir = Path(os.environ.get("COUNCIL_DATA_DIR") or ROOT / "data")
    bench_dir = data_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(
        f"council bench: {WORKERS} workers, wrk with {CONNECTIONS} connections, "
        f"{WARMUP:g} s warm-up + {SECONDS:g} s per page case, SQLite; "
        f"cpu = server CPU (all its processes) per request",
        flush=True,
    )
    large_path = large_database(bench_dir)
    with tempfile.TemporaryDirectory(prefix="council-bench-") as tmp:
        env = server_env(Path(tmp))
        council_command(env, "database", "upgrade", "--no-prompt")
        load_demo(env)
        made = time.monotonic()
        prepared = tool(env, "prepare", str(VOTERS), "4")
        reader = tool(env, "session", "shop01")["token"]
        tool(env, "audit", "640")
        print(
            f"demo database and {VOTERS} voters made in {time.monotonic() - made:.0f} s (not timed)"
        )
        server = Server(env, WORKERS)
        try:
            health = measure(server, "/healthz", "/healthz")
            demo = page_cases(server, reader)
            tool(env, "audit", "6400")
            audit_large = measure(server, "audit page, 6,400 entries", PAGES["audit page"])
            audit_large_in = measure(
                server,
                "audit page, 6,400 entries, signed in",
                PAGES["audit page"],
                signed_in(reader),
            )
            votes = asyncio.run(vote_cases(server, env, prepared))
            memory = server.rss_mb()
            supervisor = server.pgid
        finally:
            server.stop()
    large_env = server_env(bench_dir, large_path)
    large_reader = tool(large_env, "session", "shop01")["token"]
    server = Server(large_env, WORKERS)
    try:
        print("large database: 1,000 councils × 10 years", flush=True)
        large = page_cases(server, large_reader, "large: ")
    finally:
        server.stop()
    print(f"bench took {time.monotonic() - started:.0f} s")

    worst_name, worst = max(
        ((name, ratio(large[name].cpu_ms, demo[name].cpu_ms)) for name in demo),
        key=lambda item: item[1],
    )
    workers_rss = [mb for pid, mb in memory.items() if pid != supervisor or len(memory) == 1]
    errors = sum(
        c.bad for c in (health, *demo.values(), *large.values(), audit_large, audit_large_in)
    )
    errors += votes.quiet.errors + votes.mixed.errors + votes.reads.errors
    errors += sum(n for status, n in votes.ingest.statuses.items() if status >= 500)
    p99 = max(votes.quiet.pct(0.99), votes.mixed.pct(0.99))
    front = ratio(demo["front page"].rate, health.rate)
    council = ratio(demo["council page"].rate, health.rate)
    signed = ratio(demo["council page, signed in"].rate, health.rate)
    audit = ratio(audit_large_in.cpu_ms, demo["audit page, signed in"].cpu_ms)
    rows = [
        (
            "accepted votes/s, 0 lost / 0 duplicated",
            f"{votes.ingest.rate:.1f} (lost {votes.ingest.lost}, dup {votes.ingest.duplicated})",
            "≥ 1,000",
            votes.ingest.rate >= 1000 and not (votes.ingest.lost or votes.ingest.duplicated),
        ),
        (
            "vote p99, 200 voters / 10 s (quiet, + reads)",
            f"{votes.quiet.pct(0.99):.0f} ms, {votes.mixed.pct(0.99):.0f} ms",
            "≤ 100 ms",
            p99 <= 100,
        ),
        ("errors and 503 in any case", str(errors), "0", errors == 0),
        ("front page ÷ /healthz (wrk rate)", f"{front:.2f}", "≥ 0.50", front >= 0.5),
        ("council page ÷ /healthz (wrk rate)", f"{council:.2f}", "≥ 0.50", council >= 0.5),
        ("signed-in council page ÷ /healthz", f"{signed:.2f}", "≥ 0.10", signed >= 0.10),
        ("audit page 6,400 ÷ 640 entries (cpu, signed in)", f"{audit:.2f}", "≤ 1.5", audit <= 1.5),
        (
            "large ÷ demo database, worst page (cpu)",
            f"{worst:.2f} ({worst_name})",
            "≤ 1.5",
            worst <= 1.5,
        ),
        (
            "RSS per worker after the bench",
            f"{max(workers_rss):.0f} MB",
            "≤ 100 MB",
            max(workers_rss) <= 100,
        ),
    ]
    goals(rows)
    print(
        f"  (supervisor process: {memory.get(supervisor, 0):.0f} MB; S32 and votes ok: {votes.ok})"
    )
    if not votes.ok or errors:
        raise SystemExit("errors, lost or duplicated votes during the bench")


if __name__ == "__main__":
    main()
