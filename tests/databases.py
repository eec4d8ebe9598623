"""Test databases: SQLite always; PostgreSQL from COUNCIL_TEST_POSTGRES_URL or a throwaway
cluster started here when the server binaries are installed. In CI a missing PostgreSQL fails.

One test run (every pytest-xdist worker of it) shares one PostgreSQL cluster and one template
database per engine, migrated and holding the demo, each made by the first process that needs
it. Each worker copies the template into a database of its own, under the same name for the
whole run, afresh for every test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from argon2.profiles import CHEAPEST

from council.accounts.counters import counters_file
from council.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL_VARIABLE = "COUNCIL_TEST_POSTGRES_URL"
RUN_DIR_VARIABLE = "COUNCIL_TEST_RUN_DIR"
# The suite hashes and verifies thousands of passwords: at the cheapest valid argon2id cost.
PASSWORD_HASHING = CHEAPEST


def run_async(fn: Callable[[], Any]) -> Any:
    """Run a coroutine factory to completion on a fresh loop in a worker thread (safe from
    inside pytest-asyncio's running loop; Alembic's env.py calls asyncio.run itself)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(fn()) if fn else None).result()


def run_in_thread(fn: Callable[[], Any]) -> Any:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def _scratch() -> str | None:
    """Where a run keeps its databases: memory-backed /dev/shm when it has room (copying the
    template for every test then touches no disk), else the default temporary directory."""
    shm = Path("/dev/shm")  # noqa: S108 (mkdtemp makes a private directory in it)
    try:
        if os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= 2 * 1024**3:
            return str(shm)
    except OSError:
        pass
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """A throwaway PostgreSQL cluster: trust authentication, a unix socket, no fsync."""

    root: Path
    url: str

    def stop(self) -> None:
        _server_command("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _server_command(program: str, *args: str, check: bool = False) -> None:
    """Run a PostgreSQL server program, as the postgres user when run as root (initdb refuses
    to run as root)."""
    bindir = _pg_bin()
    if bindir is None:
        return
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_postgres, str(bindir / program), *args], check=check, capture_output=True)


def start_cluster() -> Cluster | None:
    """A new cluster, or None when the PostgreSQL server binaries are not installed."""
    bindir = _pg_bin()
    if bindir is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="council-pg-", dir=_scratch()))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    _server_command("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", check=True)
    # fsync and full-page writes off: a crash loses only a throwaway cluster. Every test
    # worker of a run shares it, each holding a few connections per test at most; the WAL is
    # kept below 256 MB by checkpoints.
    options = (
        f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        " -c max_connections=300 -c max_wal_size=256MB"
        # For a failed test's report: waits on a lock past a second, statements past five.
        " -c log_lock_waits=on -c log_min_duration_statement=5000"
    )
    log = str(root / "log")
    _server_command("pg_ctl", "-D", str(data), "-o", options, "-w", "start", "-l", log, check=True)
    return Cluster(root, f"postgresql://postgres@/postgres?host={sock}&port={port}")


def with_database(admin_url: str, name: str) -> str:
    base, _, query = admin_url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def _pg_admin(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        for statement in statements:
            if statement.startswith("CREATE DATABASE") and conn.get_server_version().major < 15:
                statement = statement.removesuffix(_FILE_COPY)
            await conn.execute(statement)
    finally:
        await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


# Copies the template's files instead of writing every page of them through the WAL (the
# default since PostgreSQL 15, which has the choice): 50 ms instead of 80 for the demo, once
# per test.
_FILE_COPY = " STRATEGY FILE_COPY"


def _create(name: str, template: str | None) -> str:
    clause = f' TEMPLATE "{template}"{_FILE_COPY}' if template else ""
    return f'CREATE DATABASE "{name}"{clause}'


def _drop(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


def pg_create(admin_url: str, name: str, template: str | None = None) -> str:
    run_async(lambda: _pg_admin(admin_url, _create(name, template)))
    return with_database(admin_url, name)


def pg_drop(admin_url: str, name: str) -> None:
    run_async(lambda: _pg_admin(admin_url, _drop(name)))


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    from council.settings import normalise_database_url

    data_dir.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": normalise_database_url(database_url),
        "secret_key": "test-secret-key-of-sufficient-length-0123456789",
        "allowed_hosts": ("testserver.local", "testserver", "127.0.0.1", "localhost"),
        "base_url": "http://testserver.local",
        "demo": True,
        "password_hashing": PASSWORD_HASHING,
        # Every test client is one address; the limit's own tests use the real figure.
        "anonymous_per_ip_5min": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)


class SharedRun:
    """What every process of one test run shares, in a directory named by RUN_DIR_VARIABLE:
    the PostgreSQL cluster and the template databases. The first process to need one makes
    it under a file lock; the process that began the run removes them all at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def begin(cls) -> SharedRun:
        """Called once per run, before pytest-xdist starts workers (they inherit the path)."""
        root = Path(tempfile.mkdtemp(prefix="council-test-run-", dir=_scratch()))
        os.environ[RUN_DIR_VARIABLE] = str(root)
        return cls(root)

    @classmethod
    def current(cls) -> SharedRun:
        return cls(Path(os.environ[RUN_DIR_VARIABLE]))

    @contextlib.contextmanager
    def _once(self, name: str, wait: bool = True) -> Iterator[Path | None]:
        """Hold the run-wide lock on ``name`` and yield the file that records it; None
        without waiting when another process holds the lock and ``wait`` is false."""
        with (self.root / f"{name}.lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            yield self.root / name

    def postgres_url(self) -> str | None:
        """The admin URL of the run's PostgreSQL, None when there is none to start."""
        given = os.environ.get(POSTGRES_URL_VARIABLE)
        if given:
            return given
        with self._once("postgres.json") as record:
            assert record is not None
            if not record.exists():
                cluster = start_cluster()
                found = {"url": cluster.url, "root": str(cluster.root)} if cluster else None
                record.write_text(json.dumps(found))
            found = json.loads(record.read_text())
        return found["url"] if found else None

    def postgres_log(self) -> Path | None:
        """The log of the cluster this run started, None when it started none."""
        record = self.root / "postgres.json"
        found = json.loads(record.read_text()) if record.exists() else None
        return Path(found["root"]) / "log" if found else None

    def template(self, engine_name: str, build: Callable[[], str], wait: bool = True) -> str | None:
        """The run's template database for ``engine_name`` (a path or a name), built once;
        None without waiting when another process is building it and ``wait`` is false."""
        with self._once(f"template-{engine_name}", wait) as record:
            if record is None:
                return None
            if not record.exists():
                record.write_text(build())
            return record.read_text()

    def finish(self) -> None:
        given = os.environ.get(POSTGRES_URL_VARIABLE)
        template = self.root / "template-postgresql"
        if given and template.exists():
            pg_drop(given, template.read_text())
        record = self.root / "postgres.json"
        found = json.loads(record.read_text()) if record.exists() else None
        if found:
            Cluster(Path(found["root"]), found["url"]).stop()
        shutil.rmtree(self.root, ignore_errors=True)


class SqliteCopy:
    """A worker's SQLite database: one path for the whole run, the template copied over it."""

    def __init__(self, template: Path, path: Path) -> None:
        self.template, self.path = template, path
        self.url = f"sqlite:///{path}"

    def refresh(self) -> None:
        # A connection a test left open keeps the old file; every new one opens the copy.
        # The rate counters' file beside it starts empty too, as with a fresh database.
        for path in (self.path, counters_file(self.path)):
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.path)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


class PostgresCopy:
    """A worker's PostgreSQL database: one name for the whole run, made again from the
    template for every test (WITH (FORCE) ends any connection a test left open)."""

    def __init__(self, admin_url: str, template: str, name: str) -> None:
        self.admin_url, self.template, self.name = admin_url, template, name
        self.url = with_database(admin_url, name)

    def refresh(self) -> None:
        statements = (_drop(self.name), _create(self.name, self.template))
        run_async(lambda: _pg_admin(self.admin_url, *statements))

    def drop(self) -> None:
        pg_drop(self.admin_url, self.name)
