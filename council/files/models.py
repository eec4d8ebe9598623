"""A stored file: who uploaded it, where it belongs and who may fetch it."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.councils.permissions import Visibility
from council.orm import TimestampedBase, council_fk, enum_type


class StoredFile(TimestampedBase):
    """Bytes live in the storage under ``name``; this row decides who may read them.

    ``parent_type``/``parent_id`` name the record the file belongs to (an issue, a meeting…);
    that record's room keeps ``visibility`` in step with its own (pending → public…).
    """

    __tablename__ = "stored_file"
    __table_args__ = (
        sa.Index("ix_stored_file_parent", "parent_type", "parent_id"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    council_id: Mapped[UUID] = council_fk()
    owner_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(sa.String(32), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(60))
    extension: Mapped[str] = mapped_column(sa.String(8))
    size: Mapped[int] = mapped_column(sa.Integer)
    width: Mapped[int] = mapped_column(sa.Integer, default=0)
    height: Mapped[int] = mapped_column(sa.Integer, default=0)
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility))
    parent_type: Mapped[str] = mapped_column(sa.String(40))
    parent_id: Mapped[UUID | None] = mapped_column(sa.Uuid, default=None)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    @property
    def url(self) -> str:
        return f"/files/{self.name}"
