"""Ballots, their frozen electorate, and votes.

One vote per voter (or shop) is a UNIQUE constraint, not an application check (rule 15).
Named ballots keep who chose what in ``vote``. Secret ballots keep who voted in
``ballot_participation`` and what was chosen in ``secret_choice``: no shared key, no timestamp,
random ids, so the two cannot be joined (rule 18, S11).
"""

from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import Base, DateTimeUTC, TimestampedBase, council_fk, enum_type
from council.voting.tally import BaseKind
from council.voting.workflow import Status


class BallotKind(enum.StrEnum):
    YES_NO = "yes_no"  # 同意 / 反对 / 弃权
    OPTIONS = "options"


class Electorate(enum.StrEnum):
    MEMBERS = "members"  # every verified council member (observers never vote)
    CONSTITUENCIES = "constituencies"  # members of the chosen constituencies
    SHOPS = "shops"  # every shop with a verified representative, one vote per shop
    LISTED = "listed"  # people named on the ballot


class Method(enum.StrEnum):
    NAMED = "named"  # 记名
    SECRET = "secret"  # noqa: S105 - 无记名, not a password


class Ballot(TimestampedBase):
    __tablename__ = "ballot"
    __table_args__ = (
        sa.CheckConstraint(
            "NOT (method = 'secret' AND allow_change)", name="secret_votes_not_changeable"
        ),
        sa.CheckConstraint("pass_num > 0 AND pass_num <= pass_den", name="pass_fraction"),
        sa.CheckConstraint(
            "quorum_num IS NULL OR (quorum_num > 0 AND quorum_num <= quorum_den)",
            name="quorum_fraction",
        ),
    )

    council_id: Mapped[UUID] = council_fk()
    question: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[BallotKind] = mapped_column(enum_type(BallotKind))
    multiple: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    electorate: Mapped[Electorate] = mapped_column(enum_type(Electorate))
    # JSON list of constituency ids (constituencies) or person ids (listed)
    electorate_spec: Mapped[str] = mapped_column(sa.Text, default="[]")
    method: Mapped[Method] = mapped_column(enum_type(Method))
    allow_change: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    pass_num: Mapped[int] = mapped_column(sa.Integer)
    pass_den: Mapped[int] = mapped_column(sa.Integer)
    pass_strict: Mapped[bool] = mapped_column(sa.Boolean)
    pass_base: Mapped[BaseKind] = mapped_column(enum_type(BaseKind, name="pass_base"))
    quorum_num: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    quorum_den: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    quorum_strict: Mapped[bool | None] = mapped_column(sa.Boolean, default=None)
    quorum_measure: Mapped[BaseKind | None] = mapped_column(
        enum_type(BaseKind, name="quorum_measure"), default=None
    )
    status: Mapped[Status] = mapped_column(enum_type(Status), default=Status.DRAFT, index=True)
    created_by_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    certified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    eligible_count: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    present_count: Mapped[int | None] = mapped_column(sa.Integer, default=None)
    # Written once at close, under the ballot lock: the result, the canonical record of every
    # counted vote and the electorate, and the sha256 of that record (rule 20).
    result: Mapped[str | None] = mapped_column(sa.Text, default=None)
    counted_record: Mapped[str | None] = mapped_column(sa.Text, default=None)
    closing_hash: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    corrects_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="RESTRICT"), default=None, index=True
    )
    # A vote taken in a live meeting, on one of its agenda items (voting.meetings). Its
    # present_count is who had signed in to that meeting when the vote opened (rule 14).
    meeting_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="RESTRICT"), default=None, index=True
    )
    agenda_item_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("agenda_item.id", ondelete="RESTRICT"), default=None, index=True
    )
    # The matter this ballot decides (决议 of a major matter); meeting votes reach their
    # matter through the agenda item's round instead.
    matter_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("matter.id", ondelete="RESTRICT"), default=None, index=True
    )


class BallotOption(Base):
    __tablename__ = "ballot_option"
    __table_args__ = (sa.UniqueConstraint("ballot_id", "code", name="uq_ballot_option_code"),)

    council_id: Mapped[UUID] = council_fk()
    ballot_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(20))
    label: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(sa.Integer)


class BallotElector(Base):
    """The electorate frozen when the ballot opened (应到), with who was present (实到)."""

    __tablename__ = "ballot_elector"
    __table_args__ = (sa.UniqueConstraint("ballot_id", "voter_key", name="uq_ballot_elector"),)

    council_id: Mapped[UUID] = council_fk()
    ballot_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), index=True
    )
    # "p:<person hex>" or "s:<shop hex>": the unit that has one vote
    voter_key: Mapped[str] = mapped_column(sa.String(40))
    person_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    shop_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("shop.id", ondelete="SET NULL"), default=None
    )
    label: Mapped[str] = mapped_column(sa.String(160))
    present: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Vote(TimestampedBase):
    """A named vote: who (or which shop) chose what. One row per voter key per ballot."""

    __tablename__ = "vote"
    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "voter_key", name="uq_vote_one_per_voter"),
        sa.UniqueConstraint("ballot_id", "receipt", name="uq_vote_receipt"),
    )

    council_id: Mapped[UUID] = council_fk()
    ballot_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), index=True
    )
    voter_key: Mapped[str] = mapped_column(sa.String(40))
    person_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    shop_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("shop.id", ondelete="SET NULL"), default=None
    )
    choices: Mapped[str] = mapped_column(sa.String(200))  # sorted codes joined by ","
    receipt: Mapped[str] = mapped_column(sa.String(32))
    cast_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    revision: Mapped[int] = mapped_column(sa.Integer, default=1)


class BallotParticipation(Base):
    """Secret ballots: who has voted. Nothing here says what they chose."""

    __tablename__ = "ballot_participation"
    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "voter_key", name="uq_participation_one_per_voter"),
    )

    council_id: Mapped[UUID] = council_fk()
    ballot_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), index=True
    )
    voter_key: Mapped[str] = mapped_column(sa.String(40))
    person_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), default=None
    )
    shop_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("shop.id", ondelete="SET NULL"), default=None
    )
    voted_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class SecretChoice(Base):
    """Secret ballots: what was chosen, with a random id and receipt; no person, no time.

    Rows are rewritten in receipt order at close, so storage order does not mirror the order
    of participation either.
    """

    __tablename__ = "secret_choice"
    __table_args__ = (sa.UniqueConstraint("ballot_id", "receipt", name="uq_secret_receipt"),)

    council_id: Mapped[UUID] = council_fk()
    ballot_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), index=True
    )
    choices: Mapped[str] = mapped_column(sa.String(200))
    receipt: Mapped[str] = mapped_column(sa.String(32))
