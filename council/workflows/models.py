"""A major matter's path, its stage changes, the party review and the supervisors' opinions."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type
from council.workflows.workflow import Stage


class Workflow(TimestampedBase):
    """A matter marked 重大事项 has one: where it stands on 四议两公开一监督."""

    __tablename__ = "workflow"
    __table_args__ = (sa.UniqueConstraint("matter_id", name="uq_workflow_matter"),)

    council_id: Mapped[UUID] = council_fk()
    matter_id: Mapped[UUID] = mapped_column(sa.ForeignKey("matter.id", ondelete="CASCADE"))
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), default=Stage.PROPOSAL)
    stage_started_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class WorkflowEvent(TimestampedBase):
    """One stage change, with who, when, why and the record that finished the stage."""

    __tablename__ = "workflow_event"

    council_id: Mapped[UUID] = council_fk()
    workflow_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("workflow.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[Stage | None] = mapped_column(
        enum_type(Stage, name="from_stage"), default=None
    )
    to_stage: Mapped[Stage] = mapped_column(enum_type(Stage, name="to_stage"))
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(sa.String(80), default="")
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    record: Mapped[str] = mapped_column(sa.String(300), default="")


class Review(TimestampedBase):
    """审议: the party members' meeting on this matter, as its paper record has it (rule 3)."""

    __tablename__ = "workflow_review"
    __table_args__ = (
        sa.CheckConstraint(
            "members > 0 AND present >= 0 AND present <= members", name="attendance"
        ),
        sa.CheckConstraint(
            "yes >= 0 AND no >= 0 AND abstain >= 0 AND yes + no + abstain <= present",
            name="votes_within_present",
        ),
    )

    council_id: Mapped[UUID] = council_fk()
    workflow_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("workflow.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[dt.date] = mapped_column(sa.Date)
    members: Mapped[int] = mapped_column(sa.Integer)
    present: Mapped[int] = mapped_column(sa.Integer)
    yes: Mapped[int] = mapped_column(sa.Integer)
    no: Mapped[int] = mapped_column(sa.Integer, default=0)
    abstain: Mapped[int] = mapped_column(sa.Integer, default=0)
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class OpinionKind(enum.StrEnum):
    OPINION = "opinion"  # 监督意见
    SIGNOFF = "signoff"  # 签字确认 (rule 11)
    REOPEN = "reopen"  # a request to reopen a stage, answered by the facilitator


class Opinion(TimestampedBase):
    """一监督: what a supervisor said, at which stage; public only where marked."""

    __tablename__ = "supervision_opinion"
    __table_args__ = (
        sa.CheckConstraint(
            "kind = 'reopen' OR reopen_stage IS NULL", name="reopen_stage_only_on_requests"
        ),
    )

    council_id: Mapped[UUID] = council_fk()
    workflow_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("workflow.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[OpinionKind] = mapped_column(enum_type(OpinionKind))
    stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    author_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(sa.Text)
    public: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    filed_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    reopen_stage: Mapped[Stage | None] = mapped_column(
        enum_type(Stage, name="reopen_stage"), default=None
    )
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    accepted: Mapped[bool | None] = mapped_column(sa.Boolean, default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    answered_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
