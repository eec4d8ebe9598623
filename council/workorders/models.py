"""Departments (职能部门) and their liaisons, the working-day calendar, work orders with their
timeline and extensions, and 吹哨报到 summons."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type
from council.workorders.workflow import ExtensionStatus, OrderKind, OrderStatus, Rating

DEFAULT_INQUIRY_DAYS = 3
DEFAULT_COMPLAINT_DAYS = 13
DEFAULT_ARRIVAL_MINUTES = 30
DEFAULT_REMIND_HOURS = 24


def _person(*, nullable: bool = True) -> Mapped:
    return mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL" if nullable else "CASCADE"),
        index=True,
        nullable=nullable,
        default=None,
    )


def _at(*, nullable: bool = True) -> Mapped:
    return mapped_column(DateTimeUTC(timezone=True), nullable=nullable, default=None)


class Department(TimestampedBase):
    """A city department or the property manager. It belongs to the street, not to one
    council: it serves every council it is linked to (DepartmentCouncil)."""

    __tablename__ = "department"

    name: Mapped[str] = mapped_column(sa.String(60), unique=True)  # 城管
    unit: Mapped[str] = mapped_column(sa.String(120), default="")  # 区城管执法局 黄石港中队
    # Issue categories it usually takes (one per line): the referral form suggests it.
    categories: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def category_list(self) -> list[str]:
        return [c.strip() for c in self.categories.splitlines() if c.strip()]


class DepartmentCouncil(TimestampedBase):
    __tablename__ = "department_council"
    __table_args__ = (
        sa.UniqueConstraint("department_id", "council_id", name="uq_department_council"),
    )

    council_id: Mapped[UUID] = council_fk()
    department_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("department.id", ondelete="CASCADE"), index=True
    )


class DepartmentLiaison(TimestampedBase):
    """A person who receives and handles the department's work orders (联络员)."""

    __tablename__ = "department_liaison"
    __table_args__ = (
        sa.UniqueConstraint("department_id", "person_id", name="uq_department_liaison"),
    )

    department_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = _person(nullable=False)
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    ended_at: Mapped[dt.datetime | None] = _at()


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # 法定节假日 (a weekday off)
    WORKDAY = "workday"  # 调休上班 (a weekend day worked)


class CalendarDay(TimestampedBase):
    """One exception to "Monday to Friday", kept by the administrator for the whole street."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    kind: Mapped[DayKind] = mapped_column(enum_type(DayKind))
    note: Mapped[str] = mapped_column(sa.String(60), default="")


class OrderSettings(TimestampedBase):
    """A council's time limits; also the row that numbers its orders and summons."""

    __tablename__ = "order_settings"
    __table_args__ = (
        sa.UniqueConstraint("council_id", name="uq_order_settings_council"),
        sa.CheckConstraint("inquiry_days BETWEEN 1 AND 60", name="inquiry_days_range"),
        sa.CheckConstraint("complaint_days BETWEEN 1 AND 60", name="complaint_days_range"),
        sa.CheckConstraint("arrival_minutes BETWEEN 5 AND 240", name="arrival_minutes_range"),
        sa.CheckConstraint("remind_hours BETWEEN 1 AND 240", name="remind_hours_range"),
    )

    council_id: Mapped[UUID] = council_fk()
    inquiry_days: Mapped[int] = mapped_column(sa.Integer, default=DEFAULT_INQUIRY_DAYS)
    complaint_days: Mapped[int] = mapped_column(sa.Integer, default=DEFAULT_COMPLAINT_DAYS)
    arrival_minutes: Mapped[int] = mapped_column(sa.Integer, default=DEFAULT_ARRIVAL_MINUTES)
    remind_hours: Mapped[int] = mapped_column(sa.Integer, default=DEFAULT_REMIND_HOURS)
    last_order_number: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_whistle_number: Mapped[int] = mapped_column(sa.Integer, default=0)


class Whistle(TimestampedBase):
    """吹哨报到: several departments summoned to one place at once; each order of the summons
    records its department's arrival and its part. Public."""

    __tablename__ = "whistle"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "number", name="uq_whistle_council_number"),
        sa.CheckConstraint("arrive_by > summoned_at", name="arrive_after_summons"),
    )

    council_id: Mapped[UUID] = council_fk()
    number: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(120))
    place: Mapped[str] = mapped_column(sa.String(120))
    brief: Mapped[str] = mapped_column(sa.Text, default="")
    issue_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="SET NULL"), index=True, default=None
    )
    summoned_by_id: Mapped[UUID | None] = _person()
    summoned_at: Mapped[dt.datetime] = _at(nullable=False)
    arrive_by: Mapped[dt.datetime] = _at(nullable=False)
    # Set when the last summoned department has reported its part.
    completed_at: Mapped[dt.datetime | None] = _at()


class WorkOrder(TimestampedBase):
    __tablename__ = "work_order"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "number", name="uq_work_order_council_number"),
        sa.Index("ix_work_order_council_status", "council_id", "status"),
        sa.Index("ix_work_order_department_dispatched", "department_id", "dispatched_at"),
        sa.CheckConstraint("returns >= 0", name="returns_not_negative"),
        sa.CheckConstraint("due_at > dispatched_at", name="due_after_dispatch"),
        sa.CheckConstraint("(status = 'rated') = (rating IS NOT NULL)", name="rated_has_rating"),
        sa.CheckConstraint(
            "status NOT IN ('verified', 'closed', 'rated') OR verified_at IS NOT NULL",
            name="closed_was_verified",
        ),
    )

    council_id: Mapped[UUID] = council_fk()
    number: Mapped[int] = mapped_column(sa.Integer)
    department_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )
    issue_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("issue.id", ondelete="SET NULL"), index=True, default=None
    )
    whistle_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("whistle.id", ondelete="CASCADE"), index=True, default=None
    )
    kind: Mapped[OrderKind] = mapped_column(enum_type(OrderKind))
    status: Mapped[OrderStatus] = mapped_column(
        enum_type(OrderStatus), default=OrderStatus.DISPATCHED
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    brief: Mapped[str] = mapped_column(sa.Text, default="")  # the facilitator's instructions
    # Who may verify and rate besides the facilitator: the person who raised the issue.
    raised_by_id: Mapped[UUID | None] = _person()
    dispatched_by_id: Mapped[UUID | None] = _person()
    dispatched_at: Mapped[dt.datetime] = _at(nullable=False)
    due_at: Mapped[dt.datetime] = _at(nullable=False)
    accepted_at: Mapped[dt.datetime | None] = _at()
    arrived_at: Mapped[dt.datetime | None] = _at()  # 吹哨报到 only
    replied_at: Mapped[dt.datetime | None] = _at()  # the latest reply
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    verified_at: Mapped[dt.datetime | None] = _at()
    returns: Mapped[int] = mapped_column(sa.Integer, default=0)  # not satisfied, sent back
    closed_at: Mapped[dt.datetime | None] = _at()
    rating: Mapped[Rating | None] = mapped_column(enum_type(Rating), default=None)
    rated_at: Mapped[dt.datetime | None] = _at()
    reminded_at: Mapped[dt.datetime | None] = _at()


class WorkOrderEvent(TimestampedBase):
    """One line of an order's timeline (also in the audit chain); handling photos hang on the
    "replied" lines."""

    __tablename__ = "work_order_event"

    council_id: Mapped[UUID] = council_fk()
    order_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[UUID | None] = _person()
    actor_label: Mapped[str] = mapped_column(sa.String(80), default="")
    at: Mapped[dt.datetime] = _at(nullable=False)
    from_status: Mapped[OrderStatus | None] = mapped_column(
        enum_type(OrderStatus, name="from_order_status"), default=None
    )
    to_status: Mapped[OrderStatus | None] = mapped_column(
        enum_type(OrderStatus, name="to_order_status"), default=None
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")


class OrderExtension(TimestampedBase):
    """A liaison's request for more time, with a reason; the facilitator decides."""

    __tablename__ = "order_extension"
    __table_args__ = (sa.CheckConstraint("days BETWEEN 1 AND 30", name="days_range"),)

    council_id: Mapped[UUID] = council_fk()
    order_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("work_order.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[UUID | None] = _person()
    requested_at: Mapped[dt.datetime] = _at(nullable=False)
    days: Mapped[int] = mapped_column(sa.Integer)
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ExtensionStatus] = mapped_column(
        enum_type(ExtensionStatus), default=ExtensionStatus.PENDING
    )
    decided_by_id: Mapped[UUID | None] = _person()
    decided_at: Mapped[dt.datetime | None] = _at()
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    due_before: Mapped[dt.datetime] = _at(nullable=False)
    due_after: Mapped[dt.datetime | None] = _at()
