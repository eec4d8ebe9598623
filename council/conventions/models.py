"""Conventions (公约), their numbered versions and articles, and comments on articles.

A version's text is frozen once it leaves draft (rule 9): revisions are new versions that
point at the one they revise. An article keeps a ``key`` across versions, so that the diff
between two versions pairs each article with its earlier text even when it moved.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.conventions.workflow import VersionStatus
from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type


class Convention(TimestampedBase):
    __tablename__ = "convention"
    __table_args__ = (sa.UniqueConstraint("council_id", "number", name="uq_convention_number"),)

    council_id: Mapped[UUID] = council_fk()
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(120))
    # whom it binds, in words: "美食街全体商户"
    binds: Mapped[str] = mapped_column(sa.String(120), default="")
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class ConventionVersion(TimestampedBase):
    __tablename__ = "convention_version"
    __table_args__ = (
        sa.UniqueConstraint("convention_id", "number", name="uq_convention_version_number"),
        sa.CheckConstraint(
            "comment_closes_at IS NULL OR comment_opens_at IS NULL"
            " OR comment_closes_at > comment_opens_at",
            name="comment_period_order",
        ),
        sa.CheckConstraint(
            "status NOT IN ('voting', 'adopted', 'not_adopted') OR ballot_id IS NOT NULL",
            name="vote_has_ballot",
        ),
    )

    council_id: Mapped[UUID] = council_fk()
    convention_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("convention.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer)
    based_on_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("convention_version.id", ondelete="RESTRICT"), default=None
    )
    status: Mapped[VersionStatus] = mapped_column(
        enum_type(VersionStatus), default=VersionStatus.DRAFT, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    preamble: Mapped[str] = mapped_column(sa.Text, default="")
    # 修订说明: what changed and why, usually in answer to the comments on the last version
    change_note: Mapped[str] = mapped_column(sa.Text, default="")
    comment_opens_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    comment_closes_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    comment_end_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # 提请审核: the street office's legality review, required before the vote (rule 26)
    legality_reviewer: Mapped[str] = mapped_column(sa.String(120), default="")
    legality_note: Mapped[str] = mapped_column(sa.Text, default="")
    legality_reviewed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    published_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    ballot_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="RESTRICT"), default=None, index=True
    )
    # when the certified ballot result was recorded; adopted_at only if it passed
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    adopted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class ConventionArticle(TimestampedBase):
    __tablename__ = "convention_article"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "position", name="uq_convention_article_position"),
        sa.UniqueConstraint("version_id", "key", name="uq_convention_article_key"),
    )

    council_id: Mapped[UUID] = council_fk()
    version_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("convention_version.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)  # 第 N 条
    key: Mapped[str] = mapped_column(sa.String(32))  # the same article across versions
    heading: Mapped[str] = mapped_column(sa.String(60), default="")
    body: Mapped[str] = mapped_column(sa.Text)


class ArticleComment(TimestampedBase):
    __tablename__ = "convention_comment"

    council_id: Mapped[UUID] = council_fk()
    version_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("convention_version.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("convention_article.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None, index=True
    )
    # How the author appears in public, fixed when they comment: "商户 · 老王烧烤"
    author_label: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)


class ConventionFiling(TimestampedBase):
    """备案: the adopted text registered with the street office. A record beside the adopted
    version, never an edit of it (rule 9); one per version."""

    __tablename__ = "convention_filing"
    __table_args__ = (sa.UniqueConstraint("version_id", name="uq_convention_filing_version"),)

    council_id: Mapped[UUID] = council_fk()
    version_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("convention_version.id", ondelete="CASCADE"), index=True
    )
    filed_with: Mapped[str] = mapped_column(sa.String(120))
    reference: Mapped[str] = mapped_column(sa.String(60), default="")
    filed_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
