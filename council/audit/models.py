"""Audit entries, chained per council, and the published head of each chain."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import Base, DateTimeUTC


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (sa.UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),)

    # "platform" or the council's id: one chain per council, so none spans two councils.
    chain: Mapped[str] = mapped_column(sa.String(40))
    # No foreign keys: the log outlives what it describes and is never cascaded away.
    council_id: Mapped[UUID | None] = mapped_column(sa.Uuid, index=True, default=None)
    seq: Mapped[int] = mapped_column(sa.Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_id: Mapped[UUID | None] = mapped_column(sa.Uuid, default=None)
    actor_label: Mapped[str] = mapped_column(sa.String(80), default="")
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(40))
    summary: Mapped[str] = mapped_column(sa.Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditHead(Base):
    """The latest entry of a chain; appends lock this row so that a chain never forks."""

    __tablename__ = "audit_head"

    chain: Mapped[str] = mapped_column(sa.String(40), unique=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditCheckpoint(Base):
    """How far a chain was last verified: entries 1 to ``seq`` fit, the last with ``hash``.

    Verifying starts after it, so a page costs the same however long the log has grown. An
    UPDATE or DELETE of any entry of the chain removes its checkpoint (database triggers, see
    the migration), and the next verification goes through the whole chain again.
    """

    __tablename__ = "audit_checkpoint"

    chain: Mapped[str] = mapped_column(sa.String(40), unique=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    hash: Mapped[str] = mapped_column(sa.String(64))
