"""Backing up and restoring the database: SQLite through its online backup API, PostgreSQL
through pg_dump / pg_restore. Uploaded files and the secret key are not part of it.

SQLite: the copy is taken in one read transaction, so it is consistent while the server
writes (WAL frames not yet checkpointed are included); the file written is self-contained
(rollback journal mode). A restore writes the pages through SQLite into the live file, never
a file copy that a stale ``-wal`` could later be replayed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from council.settings import Settings

# Bookkeeping tables: a database holding rows only there is still empty.
_BOOKKEEPING = {"alembic_version"}


class BackupError(Exception):
    """Refused or failed, with a message for the operator."""


def backup(settings: Settings, path: Path) -> str:
    """Write a copy of the configured database to ``path``; return a one-line description."""
    if path.exists():
        raise BackupError(f"{path} already exists: choose a new file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed once complete: a failed or interrupted backup
    # never leaves a file that looks like one.
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if settings.is_sqlite:
            _sqlite_backup(_sqlite_path(settings), partial)
        else:
            _run([_pg_tool("pg_dump"), "--format=custom", "--file", str(partial)], settings)
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return f"{path} ({path.stat().st_size:,} bytes)"


def restore(settings: Settings, path: Path, *, force: bool = False) -> None:
    """Replace the configured database with the backup at ``path``.

    Refused when the database holds data (unless ``force``) and always while another
    connection has it open: a running server would keep writing into the restored copy.
    """
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    if settings.is_sqlite:
        _sqlite_restore(path, _sqlite_path(settings), force=force)
    else:
        _pg_restore(settings, path, force=force)


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("The configured SQLite database is not a file.")
    return Path(database)


@contextlib.contextmanager
def _sqlite(
    path: Path | str, *, uri: bool = False, timeout: float = 15
) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, uri=uri, timeout=timeout, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no database to back up.")
    with _sqlite(source) as src, _sqlite(target) as dst:
        src.backup(dst)  # one read transaction: a consistent snapshot, writers carry on
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _sqlite_sound(dst, source)


def _sqlite_sound(conn: sqlite3.Connection, name: Path) -> None:
    (verdict,) = conn.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise BackupError(f"{name}: SQLite reports the file damaged ({verdict}).")
    if not _sqlite_tables(conn) & _BOOKKEEPING:
        raise BackupError(f"{name}: not a council database (no alembic_version table).")


def _sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {name for (name,) in rows}


def _sqlite_holds_data(conn: sqlite3.Connection) -> bool:
    for table in _sqlite_tables(conn) - _BOOKKEEPING:
        quoted = table.replace('"', '""')
        if conn.execute(f'SELECT 1 FROM "{quoted}" LIMIT 1').fetchone():  # noqa: S608 - names from sqlite_master
            return True
    return False


def _sqlite_restore(source: Path, target: Path, *, force: bool) -> None:
    with _sqlite(f"{source.resolve().as_uri()}?mode=ro", uri=True) as src:
        _sqlite_sound(src, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        with _sqlite(target, timeout=1) as dst:
            if _sqlite_holds_data(dst) and not force:
                raise BackupError(f"{target} holds data: give --force to replace it.")
            # Leaving WAL mode needs every other connection closed, so it doubles as the
            # check that no server has the database open; it also lets the page size follow
            # the backup's.
            try:
                dst.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.OperationalError as exc:
                raise BackupError(
                    f"{target} is in use (another process has it open): stop the server first."
                ) from exc
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} not found on PATH or under /usr/lib/postgresql/*/bin: install the PostgreSQL "
        "client programs (Debian: postgresql-client)."
    )


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """The database as a libpq URI without the password, and the environment carrying it
    (so that it never shows in the process list)."""
    url = make_url(settings.database_url)
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], settings: Settings) -> None:
    uri, env = _libpq(settings)
    done = subprocess.run(  # noqa: S603 - fixed programs, arguments from the operator's config
        [*command, "--dbname", uri], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        program = Path(command[0]).name
        raise BackupError(f"{program} failed: {done.stderr.strip() or done.returncode}")


async def _pg_state(settings: Settings) -> tuple[int, bool]:
    """Other connections to the database, and whether any table holds a row."""
    from council.db import create_engine

    engine = create_engine(settings, pooled=False)
    try:
        async with engine.connect() as conn:
            others = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            tables = await conn.execute(
                sa.text(
                    "SELECT schemaname, tablename FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            )
            quote = conn.dialect.identifier_preparer.quote
            holds_data = False
            for schema, table in tables.all():
                if table in _BOOKKEEPING:
                    continue
                name = f"{quote(schema)}.{quote(table)}"
                if await conn.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {name})")):  # noqa: S608 - names from pg_tables, quoted
                    holds_data = True
                    break
    finally:
        await engine.dispose()
    return int(others or 0), holds_data


def _pg_restore(settings: Settings, path: Path, *, force: bool) -> None:
    try:
        others, holds_data = asyncio.run(_pg_state(settings))
    except (OSError, sa.exc.DBAPIError) as exc:
        raise BackupError(f"Cannot reach the database to restore into: {exc}") from exc
    if holds_data and not force:
        raise BackupError("The database holds data: give --force to replace it.")
    if others:
        raise BackupError(
            f"The database is in use ({others} other connections): stop the server first."
        )
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            str(path),
        ],
        settings,
    )
