"""Alembic environment, driven by advanced-alchemy's command config (engine from council.db)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from advanced_alchemy.base import metadata_registry
from advanced_alchemy.types import GUID
from alembic import context
from alembic.autogenerate import rewriter
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

from council.db import import_models

if TYPE_CHECKING:
    from advanced_alchemy.alembic.commands import AlembicCommandConfig
    from sqlalchemy.engine import Connection

import_models()
config: AlembicCommandConfig = context.config  # type: ignore[assignment]
writer = rewriter.Rewriter()


def _compare_type(
    _context: object,
    _inspected_column: object,
    _metadata_column: object,
    inspected_type: object,
    metadata_type: object,
) -> bool | None:
    """GUID is stored as BINARY(16) on SQLite, which reflects as NUMERIC: not a difference."""
    if isinstance(metadata_type, GUID):
        return False
    return None  # Alembic's own comparison for everything else


def _options() -> dict[str, object]:
    return {
        "target_metadata": metadata_registry.get(config.bind_key),
        "compare_type": _compare_type if config.compare_type else False,
        "version_table": config.version_table_name,
        "version_table_schema": config.version_table_schema,
        "version_table_pk": config.version_table_pk,
        "user_module_prefix": config.user_module_prefix,
        "render_as_batch": config.render_as_batch,
        "process_revision_directives": writer,
    }


def run_migrations_offline() -> None:
    context.configure(
        url=config.db_url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options()
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    configuration = config.get_section(config.config_ini_section) or {}
    configuration["sqlalchemy.url"] = config.db_url
    connectable = cast(
        "AsyncEngine",
        config.engine
        or async_engine_from_config(configuration, prefix="sqlalchemy.", poolclass=pool.NullPool),
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
