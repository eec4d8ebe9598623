"""Notices (公示) and the objections (异议) lodged against them. Every table carries council_id."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.notices.periods import NoticeKind, NoticeStatus
from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type


class Notice(TimestampedBase):
    """公示: published once, never edited; a correction is a new notice pointing at it."""

    __tablename__ = "notice"
    __table_args__ = (
        # DOMAIN §5: at least 7 days; a points award (§8) at least 3.
        sa.CheckConstraint(
            "period_days >= 7 OR (kind = 'award' AND period_days >= 3)", name="period_min"
        ),
        sa.CheckConstraint(
            "status = 'draft' OR (published_at IS NOT NULL AND ends_at IS NOT NULL)",
            name="published_has_period",
        ),
        sa.Index("ix_notice_subject", "subject_type", "subject_id"),
    )

    council_id: Mapped[UUID] = council_fk()
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind))
    status: Mapped[NoticeStatus] = mapped_column(
        enum_type(NoticeStatus), default=NoticeStatus.DRAFT, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    # Where else the paper notice hangs (公开栏 …); photos of it are StoredFile rows with
    # parent_type "notice".
    posted_at: Mapped[str] = mapped_column(sa.String(300), default="")
    # The record it discloses: ("matter", id), ("convention", id), ("call", id), or none.
    subject_type: Mapped[str] = mapped_column(sa.String(20), default="")
    subject_id: Mapped[UUID | None] = mapped_column(sa.Uuid, default=None)
    period_days: Mapped[int] = mapped_column(sa.Integer)
    published_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    corrects_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="RESTRICT"), default=None, index=True
    )
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    published_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class Objection(TimestampedBase):
    """异议: by anyone in the period, with a name and contact (the contact is never public)."""

    __tablename__ = "objection"
    __table_args__ = (
        sa.CheckConstraint("(answer = '') = (answered_at IS NULL)", name="answer_has_time"),
    )

    council_id: Mapped[UUID] = council_fk()
    notice_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(60))
    contact: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    person_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    lodged_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    answered_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
