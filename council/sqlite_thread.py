"""One plain sqlite3 connection used on one thread of its own, for small side stores read or
written on every request: each call is one hop off the event loop, where SQLAlchemy and
aiosqlite take some ten."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class SqliteThread:
    """Opens its connection with ``connect`` on first use; ``close`` leaves it usable again,
    as an engine after ``dispose()``. Without ``keep`` (as an engine without a pool, where the
    file may be replaced under a running server) each call opens and closes its own."""

    def __init__(
        self, connect: Callable[[], sqlite3.Connection], name: str, *, keep: bool = True
    ) -> None:
        self._connect = connect
        self._keep = keep
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._connection: sqlite3.Connection | None = None  # touched on that thread only

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._connection is None:
            self._connection = self._connect()
        try:
            return work(self._connection)
        finally:
            if not self._keep:
                self._close()

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._call, work)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
