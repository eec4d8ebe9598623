"""The server under test, as `make run` starts it, and what its processes spend, from /proc.

The server runs in a process group of its own (the supervisor and its workers), so that the
kill -9 case can take all of it at once and the CPU and memory of every process are found by
group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, database: Path | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "COUNCIL_DATA_DIR": str(data_dir),
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_DEMO": "false",
        # The load generator is one anonymous address: counted (that cost is measured), but
        # never refused.
        "COUNCIL_ANONYMOUS_PER_IP_5MIN": "1000000000",
        **extra,
    }
    if database is not None:
        env["COUNCIL_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def council_command(env: dict[str, str], *args: str) -> None:
    """`python -m council …` (migrations, the demo loader) against the bench's database.
    The server runs without the demo (COUNCIL_DEMO=false); the loader is asked for it."""
    subprocess.run(
        [sys.executable, "-m", "council", *args],
        cwd=ROOT,
        env={**env, "COUNCIL_DEMO": "true"} if args[:1] == ("demo",) else env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@dataclass(frozen=True)
class Usage:
    """CPU time (s) per process of the server, by pid, at one moment."""

    cpu: dict[int, float]

    def since(self, before: Usage) -> dict[int, float]:
        return {pid: t - before.cpu.get(pid, 0.0) for pid, t in self.cpu.items()}


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


class Server:
    """``python -m council.serve`` with WORKERS workers on a port of its own."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.env = {**env, "COUNCIL_PORT": str(self.port), "COUNCIL_WORKERS": str(workers)}
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = self._launch()
        self._wait_ready()

    def start(self) -> None:
        self.process = self._launch()
        self._wait_ready()

    def _launch(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "council.serve"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        self.kill()
        raise SystemExit("the server did not start")

    @property
    def pgid(self) -> int:
        return self.process.pid

    def pids(self) -> list[int]:
        """Every live process of the server's group: the supervisor first, then workers."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat(int(entry.name))
                if fields and int(fields[2]) == self.pgid and fields[0] != "Z":
                    found.append(int(entry.name))
        return sorted(found, key=lambda pid: (pid != self.pgid, pid))

    def workers(self) -> list[int]:
        pids = self.pids()
        return [p for p in pids if p != self.pgid] or pids

    def usage(self) -> Usage:
        cpu = {}
        for pid in self.pids():
            fields = _stat(pid)
            if fields:
                cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
        return Usage(cpu)

    def rss_mb(self) -> dict[int, float]:
        found = {}
        for pid in self.pids():
            with contextlib.suppress(OSError):
                resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
                found[pid] = resident * PAGE_KB / 1024
        return found

    def _group_gone(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            try:
                os.killpg(self.pgid, 0)
            except ProcessLookupError:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9 of the whole group: no shutdown, no flush."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait()
        self._group_gone(5)

    def stop(self) -> None:
        """SIGTERM to the group and wait for it to shut down; SIGKILL after 15 s."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        if not self._group_gone(15):
            self.kill()
