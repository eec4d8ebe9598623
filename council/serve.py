"""`python -m council.serve`: the web server as `make run` and `make bench` start it.

uvicorn on uvloop and httptools, with the access log off unless COUNCIL_ACCESS_LOG is on. With
one worker this process is the server (make execs it: no CLI process stays behind). With more,
this process only forks the workers, restarts one that dies and passes signals on; it never
imports the app. Each worker binds its own listening socket with SO_REUSEPORT, so the kernel
spreads new connections over the workers: on one shared socket the worker that wakes first
accepts a whole burst of keep-alive connections and keeps them.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from typing import Any

from council.settings import Settings

APP_FACTORY = "council.app:create_app"
# A worker that dies sooner than this after its start is not restarted: it would only die again.
STEADY_SECONDS = 5.0


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def serve_worker(settings: Settings) -> None:
    """One server process: uvicorn on its own SO_REUSEPORT socket until told to stop."""
    import uvicorn

    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=settings.access_log,
        # The app decides which proxies it believes (COUNCIL_TRUSTED_PROXIES); uvicorn's own
        # default would believe X-Forwarded-For from any local process.
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(settings.host, settings.port)])


class Supervisor:
    """Forks ``workers`` servers, restarts one that dies after running steadily, and passes
    SIGTERM, SIGINT and SIGHUP on to all of them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.children: dict[int, float] = {}  # pid → started at (monotonic)
        self.stopping = False

    def _fork(self) -> None:
        pid = os.fork()
        if pid == 0:
            for name in ("SIGTERM", "SIGINT", "SIGHUP"):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
            code = 0
            try:
                serve_worker(self.settings)
            except BaseException:  # a worker that cannot start reports it and exits
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _stop(self, signum: int, _frame: Any) -> None:
        self.stopping = True
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGTERM if signum == signal.SIGHUP else signum)
            except ProcessLookupError:
                continue

    def run(self) -> int:
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            signal.signal(getattr(signal, name), self._stop)
        for _ in range(self.settings.workers):
            self._fork()
        status = 0
        while self.children:
            try:
                pid, code = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            if time.monotonic() - started < STEADY_SECONDS:
                print(f"council: worker {pid} failed at start; stopping", file=sys.stderr)
                status = 1
                self._stop(signal.SIGTERM, None)
                continue
            print(f"council: worker {pid} ended ({code}); starting another", file=sys.stderr)
            self._fork()
        return status


def main() -> None:
    settings = Settings.from_env()
    if settings.workers <= 1:
        serve_worker(settings)
        return
    sys.exit(Supervisor(settings).run())


if __name__ == "__main__":
    main()
