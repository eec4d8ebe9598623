"""The small side stores beside a SQLite database (page versions, rate counters) keep one
connection on a thread of their own; without a pool (the setting for a server whose database
file is replaced while it runs) no connection outlives its call, so a replaced file is read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from council.web.pagecache import FileVersions


def _database_with_version(path: Path, version: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE page_version (scope TEXT PRIMARY KEY, version INTEGER)")
        connection.execute("INSERT INTO page_version VALUES ('site', ?)", (version,))
    connection.close()


@pytest.mark.parametrize(("keep", "after_replace"), [(True, 1), (False, 2)])
async def test_replaced_database_file_is_read_only_without_a_kept_connection(
    tmp_path: Path, keep: bool, after_replace: int
) -> None:
    path = tmp_path / "council.db"
    _database_with_version(path, 1)
    versions = FileVersions(path, keep=keep)
    try:
        assert await versions.read(["site"]) == (1,)
        _database_with_version(path, 2)  # a fresh copy put in its place
        assert await versions.read(["site"]) == (after_replace,)
        # Closed, the store opens the file anew on its next use, as an engine after dispose().
        await versions.close()
        assert await versions.read(["site", "c:none"]) == (2, 0)
    finally:
        await versions.close()
