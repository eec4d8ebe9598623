"""Building the database configuration: one per app, as many apps as a process needs."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from council.db import alchemy_config
from council.settings import Settings


def test_a_process_can_build_more_configs_than_the_recursion_limit(tmp_path: Path) -> None:
    """The test suite and the vote bench build an app per case; none may fail to start."""
    settings = Settings.from_env({"COUNCIL_DATA_DIR": str(tmp_path)})
    engine = create_async_engine("sqlite+aiosqlite://")
    configs = [alchemy_config(settings, engine) for _ in range(sys.getrecursionlimit() + 10)]
    keys = {config.session_scope_key for config in configs}
    assert len(keys) == len(configs)
