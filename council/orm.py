"""Shared column types and base classes for every domain's models."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import DateTimeUTC

__all__ = ["Base", "CouncilScoped", "DateTimeUTC", "TimestampedBase", "enum_type", "utcnow"]

Base = UUIDBase
TimestampedBase = UUIDAuditBase


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def enum_type(enum_cls: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """Enums are stored as their string values in a VARCHAR with a CHECK constraint.

    ``name`` names the CHECK constraint: needed when one table has two columns of one enum.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
    )


def council_fk() -> Any:
    """Every council-scoped table carries council_id, even where a parent row implies it."""
    return sa.orm.mapped_column(
        sa.ForeignKey("council.id", ondelete="CASCADE"), index=True, nullable=False
    )


CouncilScoped = council_fk
