"""In-app notifications, the channels a person chose, and each delivery through them."""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type


def _person_fk() -> Mapped[UUID]:
    return mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Notification(TimestampedBase):
    """An in-app message to one person: "your issue #12 is now 已立项"."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_person_created", "person_id", "created_at"),)

    council_id: Mapped[UUID] = council_fk()
    person_id: Mapped[UUID] = _person_fk()
    text: Mapped[str] = mapped_column(sa.String(300))
    link: Mapped[str] = mapped_column(sa.String(200))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class NotificationChannel(TimestampedBase):
    """A channel one person chose in their profile, with its address (e-mail or robot URL)."""

    __tablename__ = "notification_channel"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "kind", name="uq_notification_channel_person_kind"),
    )

    person_id: Mapped[UUID] = _person_fk()
    kind: Mapped[ChannelKind] = mapped_column(enum_type(ChannelKind))
    address: Mapped[str] = mapped_column(sa.String(500))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a sender until next_attempt_at (a lease)
    SENT = "sent"
    FAILED = "failed"  # every attempt failed; the in-app notification stays


class Delivery(TimestampedBase):
    """One notification through one channel to one person: its attempts and outcome."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "kind", name="uq_delivery_notification_kind"),
        sa.Index("ix_delivery_status_next", "status", "next_attempt_at"),
    )

    council_id: Mapped[UUID] = council_fk()
    notification_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[UUID] = _person_fk()
    kind: Mapped[ChannelKind] = mapped_column(enum_type(ChannelKind))
    # The address as it was when the notification was made: a later change in the profile
    # does not redirect what was already on its way.
    address: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
