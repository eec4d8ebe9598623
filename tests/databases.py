"""Test databases: SQLite always; PostgreSQL from COUNCIL_TEST_POSTGRES_URL or a throwaway
cluster started here when the server binaries are installed. In CI a missing PostgreSQL fails."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
from argon2.profiles import CHEAPEST

from council.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield an admin URL (postgresql://…/postgres) or None when PostgreSQL is unavailable."""
    given = os.environ.get("COUNCIL_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = _pg_bin()
    if bindir is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="council-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*as_postgres, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=300"
    subprocess.run(
        [
            *as_postgres,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "start",
            "-l",
            str(root / "log"),
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def with_database(admin_url: str, name: str) -> str:
    base, _, query = admin_url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def _pg_admin(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def pg_create(admin_url: str, name: str, template: str | None = None) -> str:
    clause = f" TEMPLATE {template}" if template else ""
    run_async(lambda: _pg_admin(admin_url, f'CREATE DATABASE "{name}"{clause}'))
    return with_database(admin_url, name)


def pg_drop(admin_url: str, name: str) -> None:
    run_async(lambda: _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
        "db_pool": False,
        "password_hashing": PASSWORD_HASHING,
    }
    values.update(overrides)
    return Settings(**values)
