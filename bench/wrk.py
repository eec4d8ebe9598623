"""wrk (Debian package `wrk`) as the load generator: a C client whose own cost stays far below
the server's, so the rate measured is the server's, not the client's."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VOTE_SCRIPT = HERE / "vote.lua"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "make bench needs wrk, the HTTP load generator, which is not installed.\n"
            "On Debian or Ubuntu: sudo apt-get install wrk"
        )
    return found


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx/3xx answers and socket errors

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse(output: str) -> WrkRun:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", output)
    if done is None:
        raise RuntimeError(f"wrk gave no summary:\n{output}")
    requests, seconds = int(done.group(1)), _ms(done.group(2) + done.group(3)) / 1000
    percentile = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)\s*$", output, re.M))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return WrkRun(
        requests,
        seconds,
        _ms(percentile["50"]) if "50" in percentile else 0.0,
        _ms(percentile["99"]) if "99" in percentile else 0.0,
        bad,
    )


def run(
    url: str,
    *,
    seconds: float,
    connections: int,
    headers: tuple[str, ...] = (),
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
) -> WrkRun:
    """One wrk run: two client threads, ``connections`` keep-alive connections."""
    command = [require_wrk(), "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "30s"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return parse(done.stdout)


@dataclass(frozen=True)
class VoteAnswers:
    """What wrk's vote script saw: per answer its status and receipt, and when it came."""

    statuses: dict[int, int]
    receipts: list[str]
    first_sent: float
    last_answer: float

    @property
    def seconds(self) -> float:
        return max(self.last_answer - self.first_sent, 1e-9)


def run_votes(
    url: str, voters: list[dict[str, str]], path: str, seconds: float, connections: int
) -> VoteAnswers:
    """Each voter votes once, spread over wrk's two threads; a thread stops once every vote it
    sent has an answer, and the rate is taken from the first request to the last answer."""
    with tempfile.TemporaryDirectory(prefix="council-votes-") as tmp:
        listing = Path(tmp) / "voters.txt"
        listing.write_text(
            "".join(f"{v['token']} {v['csrf_cookie']} {v['csrf']}\n" for v in voters)
        )
        out = Path(tmp) / "answers"
        run(
            url,
            seconds=seconds,
            connections=connections,
            script=VOTE_SCRIPT,
            script_args=(str(listing), path, str(out)),
        )
        statuses: dict[int, int] = {}
        receipts: list[str] = []
        first, last = float("inf"), 0.0
        for part in Path(tmp).glob("answers.*"):
            for line in part.read_text().splitlines():
                kind, *rest = line.split()
                if kind == "start":
                    first = min(first, float(rest[0]))
                    continue
                status, at = int(rest[0]), float(rest[1])
                statuses[status] = statuses.get(status, 0) + 1
                last = max(last, at)
                if status == 303 and len(rest) > 2:
                    receipts.append(rest[2])
    return VoteAnswers(statuses, receipts, first, last)
