"""People and their server-side sessions."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import Base, DateTimeUTC, TimestampedBase


class Person(TimestampedBase):
    __tablename__ = "person"

    login: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(60))
    # Contact details are private: never rendered on a public page.
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # An initial password someone else chose and saw (a facilitator's import): its owner is
    # sent to change it at every sign-in until they do.
    must_change_password: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    disabled_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    # Second factor (TOTP, RFC 6238): a secret without ``totp_enabled_at`` is an enrolment not
    # yet confirmed with a code; ``totp_last_step`` refuses a code used once already.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    # Raised by database triggers whenever this person's sessions, memberships or standing
    # change (migration 0011authversion): the per-process session cache compares it.
    auth_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class WebSession(Base):
    """A signed-in browser. Only the sha256 of the cookie's token is stored."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    # Password checked, second factor not yet given: such a session signs nobody in.
    second_factor_pending: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )


class RateCounter(Base):
    """A fixed-window request counter shared by every process (sign-in, traffic, uploads)."""

    __tablename__ = "rate_counter"
    __table_args__ = (sa.UniqueConstraint("key", "window_start", name="uq_rate_counter_window"),)

    key: Mapped[str] = mapped_column(sa.String(200))
    window_start: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)


class SetupClaim(Base):
    """While no administrator exists: the nonce from which the one-time setup code is derived
    with the secret key (every worker prints the same code). Gone once the instance is claimed."""

    __tablename__ = "setup_claim"

    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
