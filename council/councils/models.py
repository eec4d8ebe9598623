"""Councils and who belongs to them."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.orm import Base, DateTimeUTC, TimestampedBase, council_fk, enum_type


class Role(enum.StrEnum):
    """A person's role inside one council (the administrator is a platform-wide flag)."""

    RESIDENT = "resident"
    MERCHANT = "merchant"
    MEMBER = "member"
    OBSERVER = "observer"
    SUPERVISOR = "supervisor"
    FACILITATOR = "facilitator"


class ConstituencyKind(enum.StrEnum):
    MERCHANT = "merchant"
    RESIDENT = "resident"
    PARTY = "party"
    PROPERTY = "property"
    DEPARTMENT = "department"
    EXPERT = "expert"


class ClaimStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    ENDED = "ended"


class Council(TimestampedBase):
    __tablename__ = "council"
    __table_args__ = (
        sa.CheckConstraint("notice_period_days >= 7", name="notice_period_min"),
        sa.CheckConstraint("objection_answer_days >= 1", name="objection_answer_days_min"),
    )

    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    street: Mapped[str] = mapped_column(sa.String(120), default="")
    district: Mapped[str] = mapped_column(sa.String(120), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    meeting_place: Mapped[str] = mapped_column(sa.String(200), default="")
    timezone: Mapped[str] = mapped_column(sa.String(60), default="Asia/Shanghai")
    notice_period_days: Mapped[int] = mapped_column(sa.Integer, default=7)
    # Days the facilitator has to answer an objection in writing (DOMAIN §5: 3).
    objection_answer_days: Mapped[int] = mapped_column(
        sa.Integer, default=3, server_default=sa.text("3")
    )

    constituencies: Mapped[list[Constituency]] = relationship(
        back_populates="council", order_by="Constituency.position", lazy="raise"
    )


class Constituency(TimestampedBase):
    """界别: a group of seats (商户代表, 居民代表, 社区党组织, 物业, 职能部门, 专家/律师)."""

    __tablename__ = "constituency"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "name", name="uq_constituency_council_name"),
        sa.CheckConstraint("seats > 0", name="seats_positive"),
    )

    council_id: Mapped[UUID] = council_fk()
    kind: Mapped[ConstituencyKind] = mapped_column(enum_type(ConstituencyKind))
    name: Mapped[str] = mapped_column(sa.String(60))
    seats: Mapped[int] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    council: Mapped[Council] = relationship(back_populates="constituencies", lazy="raise")


class ConstituencyChange(Base):
    """A constituency's name and seats from ``changed_at`` on: the history that lets a past
    ballot be read with the names and seats it was held under."""

    __tablename__ = "constituency_change"

    council_id: Mapped[UUID] = council_fk()
    constituency_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("constituency.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(60))
    seats: Mapped[int] = mapped_column(sa.Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    changed_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )


class Membership(TimestampedBase):
    """A person's role in a council; pending until a facilitator verifies the claim."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "person_id", "role", name="uq_membership_person_role"),
    )

    council_id: Mapped[UUID] = council_fk()
    person_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role))
    constituency_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("constituency.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    status: Mapped[ClaimStatus] = mapped_column(enum_type(ClaimStatus), default=ClaimStatus.PENDING)
    claim_note: Mapped[str] = mapped_column(sa.String(500), default="")
    decided_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decision_reason: Mapped[str] = mapped_column(sa.String(500), default="")


class Shop(TimestampedBase):
    """店铺: the voting unit where one vote per shop applies."""

    __tablename__ = "shop"
    __table_args__ = (sa.UniqueConstraint("council_id", "number", name="uq_shop_council_number"),)

    council_id: Mapped[UUID] = council_fk()
    number: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[str] = mapped_column(sa.String(60), default="")


class ShopRepresentative(TimestampedBase):
    """A person's claim to represent a shop ("I run shop No. 12"), verified by a facilitator."""

    __tablename__ = "shop_representative"
    __table_args__ = (sa.UniqueConstraint("shop_id", "person_id", name="uq_shop_rep_person"),)

    council_id: Mapped[UUID] = council_fk()
    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("shop.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ClaimStatus] = mapped_column(enum_type(ClaimStatus), default=ClaimStatus.PENDING)
    claim_note: Mapped[str] = mapped_column(sa.String(500), default="")
    decided_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
