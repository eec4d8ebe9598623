"""Issues (诉求 / 提议), their co-signs, comments, timeline and notifications; calls."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.councils.models import Role
from council.issues.workflow import IssueKind, IssueStatus
from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type

DEFAULT_CATEGORIES = ("油烟", "噪音", "占道经营", "停车", "环境卫生", "消防安全", "其他")


def _person_fk(*, nullable: bool = False, ondelete: str = "CASCADE") -> Mapped:
    return mapped_column(
        sa.ForeignKey("person.id", ondelete=ondelete), index=True, nullable=nullable
    )


class IntakeSettings(TimestampedBase):
    """Per-council settings of this room; also the row that numbers a council's issues."""

    __tablename__ = "intake_settings"
    __table_args__ = (
        sa.UniqueConstraint("council_id", name="uq_intake_settings_council"),
        sa.CheckConstraint("cosign_threshold >= 1", name="cosign_threshold_positive"),
        sa.CheckConstraint("cosign_days >= 1", name="cosign_days_positive"),
    )

    council_id: Mapped[UUID] = council_fk()
    cosign_threshold: Mapped[int] = mapped_column(sa.Integer, default=5)
    # Co-signs are taken for this many days after an issue is submitted (待附议).
    cosign_days: Mapped[int] = mapped_column(sa.Integer, default=14, server_default="14")
    categories: Mapped[str] = mapped_column(sa.Text, default="\n".join(DEFAULT_CATEGORIES))
    last_number: Mapped[int] = mapped_column(sa.Integer, default=0)

    @property
    def category_list(self) -> list[str]:
        return [c.strip() for c in self.categories.splitlines() if c.strip()]


class Issue(TimestampedBase):
    __tablename__ = "issue"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "number", name="uq_issue_council_number"),
        sa.CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_self"),
        sa.Index("ix_issue_council_status", "council_id", "status"),
    )

    council_id: Mapped[UUID] = council_fk()
    number: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[IssueKind] = mapped_column(enum_type(IssueKind), default=IssueKind.ISSUE)
    status: Mapped[IssueStatus] = mapped_column(
        enum_type(IssueStatus), default=IssueStatus.SUBMITTED
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(60))
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    submitter_id: Mapped[UUID] = _person_fk()
    # The capacity the submitter wrote in (居民, 商户…), shown beside the name.
    submitter_role: Mapped[Role] = mapped_column(enum_type(Role))
    # Shown as "居民 张**" in public when the submitter asks for it.
    masked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    shop_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("shop.id", ondelete="SET NULL"), default=None
    )
    # A 提议 made in the name of the community party organisation (四议: 提议), by one of
    # its seated members.
    party: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    flagged_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    public_reason: Mapped[str] = mapped_column(sa.Text, default="")
    merged_into_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="SET NULL"), default=None
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class IssueCosign(TimestampedBase):
    """附议: one per person per issue, enforced by the database."""

    __tablename__ = "issue_cosign"
    __table_args__ = (sa.UniqueConstraint("issue_id", "person_id", name="uq_issue_cosign_person"),)

    council_id: Mapped[UUID] = council_fk()
    issue_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = _person_fk()
    # Set when the co-sign was carried over from a merged issue.
    carried_from_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="SET NULL"), default=None
    )


class IssueComment(TimestampedBase):
    __tablename__ = "issue_comment"

    council_id: Mapped[UUID] = council_fk()
    issue_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[UUID] = _person_fk()
    parent_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("issue_comment.id", ondelete="CASCADE"), default=None
    )
    body: Mapped[str] = mapped_column(sa.Text)


class IssueEvent(TimestampedBase):
    """One line of an issue's timeline: who did what when (also in the audit chain)."""

    __tablename__ = "issue_event"

    council_id: Mapped[UUID] = council_fk()
    issue_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[UUID | None] = _person_fk(nullable=True, ondelete="SET NULL")
    actor_label: Mapped[str] = mapped_column(sa.String(80), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    from_status: Mapped[IssueStatus | None] = mapped_column(
        enum_type(IssueStatus, name="from_status"), default=None
    )
    to_status: Mapped[IssueStatus | None] = mapped_column(
        enum_type(IssueStatus, name="to_status"), default=None
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The other issue of a merge (target on the source's line, source on the target's).
    other_issue_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="SET NULL"), default=None
    )


# --- calls for suggestions (征集) -----------------------------------------------------------


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    CHOICE = "choice"


class Call(TimestampedBase):
    __tablename__ = "call"

    council_id: Mapped[UUID] = council_fk()
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    deadline: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    opened_by_id: Mapped[UUID | None] = _person_fk(nullable=True, ondelete="SET NULL")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class CallQuestion(TimestampedBase):
    __tablename__ = "call_question"
    __table_args__ = (sa.UniqueConstraint("call_id", "position", name="uq_call_question_pos"),)

    council_id: Mapped[UUID] = council_fk()
    call_id: Mapped[UUID] = mapped_column(sa.ForeignKey("call.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[QuestionKind] = mapped_column(enum_type(QuestionKind))
    # Choices one per line (choice questions only).
    choices: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def choice_list(self) -> list[str]:
        return [c for c in self.choices.split("\n") if c]


class CallResponse(TimestampedBase):
    """One person's answers online, or one set collected offline and entered by staff."""

    __tablename__ = "call_response"
    __table_args__ = (
        # One online response per person; offline ones have no respondent and may repeat.
        sa.UniqueConstraint("call_id", "respondent_id", name="uq_call_response_person"),
        sa.CheckConstraint(
            "(offline AND respondent_id IS NULL) OR (NOT offline AND respondent_id IS NOT NULL)",
            name="offline_xor_respondent",
        ),
    )

    council_id: Mapped[UUID] = council_fk()
    call_id: Mapped[UUID] = mapped_column(sa.ForeignKey("call.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[UUID | None] = _person_fk(nullable=True)
    offline: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    source: Mapped[str] = mapped_column(sa.String(120), default="")  # e.g. 3 月 5 日恳谈会
    entered_by_id: Mapped[UUID | None] = _person_fk(nullable=True, ondelete="SET NULL")
    answered_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class CallAnswer(TimestampedBase):
    __tablename__ = "call_answer"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "question_id", name="uq_call_answer_question"),
    )

    council_id: Mapped[UUID] = council_fk()
    response_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("call_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("call_question.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[str] = mapped_column(sa.String(120), default="")
    text: Mapped[str] = mapped_column(sa.Text, default="")
