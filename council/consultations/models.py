"""Matters, meetings, rounds, minutes and action plans. Every table carries council_id."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.consultations.quorum import QuorumRule
from council.consultations.workflow import (
    ItemStatus,
    MatterStatus,
    MinutesStatus,
    Outcome,
    RoundStatus,
)
from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    CLOSED = "closed"


class SignInMethod(enum.StrEnum):
    FACILITATOR = "facilitator"  # marked by the facilitator at the door
    CODE = "code"  # the member typed the code shown on the console


class EntryKind(enum.StrEnum):
    STATEMENT = "statement"  # 发言
    POSITION = "position"  # 立场
    OPTION = "option"  # 方案


class Side(enum.StrEnum):
    MERCHANT = "merchant"
    RESIDENT = "resident"
    PARTY = "party"
    PROPERTY = "property"
    DEPARTMENT = "department"
    EXPERT = "expert"
    OTHER = "other"


class SpeakStatus(enum.StrEnum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"


class Verdict(enum.StrEnum):
    PASSED = "passed"  # 通过
    RETURNED = "returned"  # 退回


class Matter(TimestampedBase):
    """议题: what the council consults on, over as many rounds as it takes."""

    __tablename__ = "matter"

    council_id: Mapped[UUID] = council_fk()
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    merchant_side: Mapped[str] = mapped_column(sa.String(500), default="")
    resident_side: Mapped[str] = mapped_column(sa.String(500), default="")
    other_parties: Mapped[str] = mapped_column(sa.String(500), default="")
    # Where it came from (issue numbers, petitions) until issue intake links them by id.
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[MatterStatus] = mapped_column(
        enum_type(MatterStatus), default=MatterStatus.CONSULTING
    )
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class MatterIssue(TimestampedBase):
    """An issue or 提议 a matter came from: the link both pages show (立项 · 来源)."""

    __tablename__ = "matter_issue"
    __table_args__ = (sa.UniqueConstraint("matter_id", "issue_id", name="uq_matter_issue"),)

    council_id: Mapped[UUID] = council_fk()
    matter_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("matter.id", ondelete="CASCADE"), index=True
    )
    issue_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="CASCADE"), index=True
    )


class Meeting(TimestampedBase):
    """会议: date, place, agenda, invitations, sign-in and minutes (rule 29)."""

    __tablename__ = "meeting"

    council_id: Mapped[UUID] = council_fk()
    title: Mapped[str] = mapped_column(sa.String(120))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        enum_type(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    quorum_rule: Mapped[QuorumRule] = mapped_column(
        enum_type(QuorumRule), default=QuorumRule.MAJORITY
    )
    # Typed by members on their phones to sign in; shown only on the facilitator's console.
    code: Mapped[str] = mapped_column(sa.String(12))
    chair_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    recorder_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    current_position: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    notified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class Invitation(TimestampedBase):
    __tablename__ = "meeting_invitation"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "person_id", name="uq_invitation_meeting_person"),
    )

    council_id: Mapped[UUID] = council_fk()
    meeting_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    side: Mapped[Side] = mapped_column(enum_type(Side))
    # Observers (列席) attend and speak but never count towards quorum or vote.
    counts_for_quorum: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    # 请假: excused by the facilitator before or during the meeting (rule 30).
    excused: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Attendance(TimestampedBase):
    """签到: one row per person per meeting; the constraint refuses a second sign-in."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "person_id", name="uq_attendance_meeting_person"),
    )

    council_id: Mapped[UUID] = council_fk()
    meeting_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    signed_in_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    method: Mapped[SignInMethod] = mapped_column(enum_type(SignInMethod))
    marked_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class AgendaItem(TimestampedBase):
    __tablename__ = "agenda_item"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "position", name="uq_agenda_meeting_position"),
    )

    council_id: Mapped[UUID] = council_fk()
    meeting_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    round_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("consultation_round.id", ondelete="SET NULL"), default=None, index=True
    )


class Round(TimestampedBase):
    """第 N 轮协商 of one matter (rules 23, 24); held as an agenda item of a meeting."""

    __tablename__ = "consultation_round"
    __table_args__ = (sa.UniqueConstraint("matter_id", "number", name="uq_round_matter_number"),)

    council_id: Mapped[UUID] = council_fk()
    matter_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("matter.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[RoundStatus] = mapped_column(enum_type(RoundStatus), default=RoundStatus.OPEN)
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome), default=None)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # One question per line; round N+1 shows them at its start.
    open_questions: Mapped[str] = mapped_column(sa.Text, default="")
    deferral_note: Mapped[str] = mapped_column(sa.String(500), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class RoundEntry(TimestampedBase):
    """A statement, a party's position, or an option on the table in one round."""

    __tablename__ = "round_entry"

    council_id: Mapped[UUID] = council_fk()
    round_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("consultation_round.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind))
    side: Mapped[Side] = mapped_column(enum_type(Side))
    speaker: Mapped[str] = mapped_column(sa.String(120), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class SpeakRequest(TimestampedBase):
    """发言申请: a member asks from their phone; the facilitator orders, times and closes."""

    __tablename__ = "speak_request"

    council_id: Mapped[UUID] = council_fk()
    meeting_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[SpeakStatus] = mapped_column(enum_type(SpeakStatus), default=SpeakStatus.WAITING)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class Minutes(TimestampedBase):
    """纪要 of one agenda item: drafted, confirmed by attendees, then published (rule 9)."""

    __tablename__ = "minutes"

    council_id: Mapped[UUID] = council_fk()
    meeting_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    # The public version: no names, phone numbers or other personal data.
    public_text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MinutesStatus] = mapped_column(
        enum_type(MinutesStatus), default=MinutesStatus.DRAFT
    )
    drafted_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    published_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    corrects_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("minutes.id", ondelete="RESTRICT"), default=None, index=True
    )


class MinutesConfirmation(TimestampedBase):
    __tablename__ = "minutes_confirmation"
    __table_args__ = (
        sa.UniqueConstraint("minutes_id", "person_id", name="uq_minutes_confirmation_person"),
    )

    council_id: Mapped[UUID] = council_fk()
    minutes_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("minutes.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))


class ActionPlan(TimestampedBase):
    """行动计划: the agreed text of a consensus and what it obliges (rule 25)."""

    __tablename__ = "action_plan"

    council_id: Mapped[UUID] = council_fk()
    matter_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("matter.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("consultation_round.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    agreed_text: Mapped[str] = mapped_column(sa.Text)
    merchants_pay: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    deadline: Mapped[dt.date] = mapped_column(sa.Date)
    supervision_group: Mapped[str] = mapped_column(sa.String(300), default="")
    inspection_frequency: Mapped[str] = mapped_column(sa.String(120), default="")
    acceptance_method: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class ActionItem(TimestampedBase):
    """One obligation, usually of one shop, with its evidence and verification."""

    __tablename__ = "action_item"
    __table_args__ = (sa.UniqueConstraint("plan_id", "shop_id", name="uq_action_item_plan_shop"),)

    council_id: Mapped[UUID] = council_fk()
    plan_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("shop.id", ondelete="RESTRICT"), index=True)
    obligation: Mapped[str] = mapped_column(sa.String(500))
    payer: Mapped[str] = mapped_column(sa.String(120))
    deadline: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[ItemStatus] = mapped_column(enum_type(ItemStatus), default=ItemStatus.OPEN)
    verified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


class Evidence(TimestampedBase):
    """整改材料 uploaded by the item's owner (photos, invoices, test reports)."""

    __tablename__ = "action_evidence"

    council_id: Mapped[UUID] = council_fk()
    item_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("action_item.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    note: Mapped[str] = mapped_column(sa.String(1000))
    # Photos, invoices and test reports are StoredFile rows of the shared uploads module
    # (council/files/) with parent_type "action_evidence" and parent_id this row's id.


class Verification(TimestampedBase):
    """核验: a supervisor passes or returns (with a reason) the evidence of an item."""

    __tablename__ = "action_verification"

    council_id: Mapped[UUID] = council_fk()
    item_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("action_item.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("action_evidence.id", ondelete="RESTRICT")
    )
    verifier_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="RESTRICT"))
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")


class Inspection(TimestampedBase):
    """巡查: a follow-up visit by the supervision group, logged against the plan or one item."""

    __tablename__ = "action_inspection"

    council_id: Mapped[UUID] = council_fk()
    plan_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("action_plan.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("action_item.id", ondelete="CASCADE"), default=None
    )
    inspector_id: Mapped[UUID] = mapped_column(sa.ForeignKey("person.id", ondelete="RESTRICT"))
    inspected_on: Mapped[dt.date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(1000))
