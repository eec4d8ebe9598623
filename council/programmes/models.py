"""Street programmes: the 文明诚信商户 rating, the points ledger (积分), the duty rota (值日)
and 外摆 inspections. Every table carries council_id."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from council.orm import DateTimeUTC, TimestampedBase, council_fk, enum_type
from council.programmes.kinds import (
    ActivityKind,
    CheckPurpose,
    ClaimSource,
    ClaimState,
    EntryKind,
    RedemptionState,
    RoundStatus,
    SwapState,
)


def _person(ondelete: str = "SET NULL", *, nullable: bool = True) -> Any:
    return mapped_column(
        sa.ForeignKey("person.id", ondelete=ondelete),
        nullable=nullable,
        default=None,
        **({"index": True} if not nullable else {}),
    )


def _shop() -> Any:
    return mapped_column(sa.ForeignKey("shop.id", ondelete="CASCADE"), index=True)


class ProgrammeSettings(TimestampedBase):
    """A council's settings for its programmes: what a point is worth, how long awards stay
    in notice (DOMAIN §8: 3 days; 1 point = 1 yuan by default)."""

    __tablename__ = "programme_settings"
    __table_args__ = (
        sa.UniqueConstraint("council_id", name="uq_programme_settings_council"),
        sa.CheckConstraint("point_value_fen > 0", name="point_value_positive"),
        sa.CheckConstraint("award_notice_days >= 3", name="award_notice_min"),
    )

    council_id: Mapped[UUID] = council_fk()
    point_value_fen: Mapped[int] = mapped_column(sa.Integer, default=100)
    award_notice_days: Mapped[int] = mapped_column(sa.Integer, default=3)


# --- 文明诚信商户 ------------------------------------------------------------------------------


class RatingScheme(TimestampedBase):
    """Published criteria and fixed weights: never edited once made; a change is a new scheme."""

    __tablename__ = "rating_scheme"
    __table_args__ = (sa.CheckConstraint("penalty >= 0 AND penalty <= 100", name="penalty_range"),)

    council_id: Mapped[UUID] = council_fk()
    name: Mapped[str] = mapped_column(sa.String(60))
    penalty: Mapped[int] = mapped_column(sa.Integer, default=5)
    created_by_id: Mapped[UUID | None] = _person()


class RatingDimension(TimestampedBase):
    __tablename__ = "rating_dimension"
    __table_args__ = (sa.CheckConstraint("weight > 0", name="weight_positive"),)

    council_id: Mapped[UUID] = council_fk()
    scheme_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_scheme.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(30))
    weight: Mapped[int] = mapped_column(sa.Integer)
    integrity: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class RatingGroup(TimestampedBase):
    """A scorer group (商会, 社区, 居民代表) and its weight in percent."""

    __tablename__ = "rating_group"
    __table_args__ = (sa.CheckConstraint("weight > 0", name="weight_positive"),)

    council_id: Mapped[UUID] = council_fk()
    scheme_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_scheme.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(30))
    weight: Mapped[int] = mapped_column(sa.Integer)


class RatingRound(TimestampedBase):
    """A quarter's rating: who scores, when, and the frozen results."""

    __tablename__ = "rating_round"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="window_order"),
        sa.CheckConstraint("quarter_end >= quarter_start", name="quarter_order"),
    )

    council_id: Mapped[UUID] = council_fk()
    scheme_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_scheme.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(60))
    quarter_start: Mapped[dt.date] = mapped_column(sa.Date)
    quarter_end: Mapped[dt.date] = mapped_column(sa.Date)
    opens_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    closes_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[RoundStatus] = mapped_column(enum_type(RoundStatus), default=RoundStatus.SCORING)
    computed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    # The frozen results (JSON, fractions as "n/d"), and the shop the 流动红旗 goes to.
    results: Mapped[str] = mapped_column(sa.Text, default="")
    winner_shop_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("shop.id", ondelete="SET NULL"), default=None
    )
    # Lots drawn by the supervisor when both published tie-breaks leave a tie.
    lot_shop_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("shop.id", ondelete="SET NULL"), default=None
    )
    lot_by_id: Mapped[UUID | None] = _person()
    lot_note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[UUID | None] = _person()


class RatingEntrant(TimestampedBase):
    """A shop rated in a round."""

    __tablename__ = "rating_entrant"
    __table_args__ = (sa.UniqueConstraint("round_id", "shop_id", name="uq_rating_entrant_shop"),)

    council_id: Mapped[UUID] = council_fk()
    round_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_round.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[UUID] = _shop()


class RatingScorer(TimestampedBase):
    """A person scoring in a round, in one scorer group: the group is kept with the scores."""

    __tablename__ = "rating_scorer"
    __table_args__ = (sa.UniqueConstraint("round_id", "person_id", name="uq_rating_scorer_person"),)

    council_id: Mapped[UUID] = council_fk()
    round_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_round.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_group.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[UUID] = _person("CASCADE", nullable=False)


class RatingScore(TimestampedBase):
    """One scorer's 0–10 for one shop on one dimension."""

    __tablename__ = "rating_score"
    __table_args__ = (
        sa.UniqueConstraint("scorer_id", "shop_id", "dimension_id", name="uq_rating_score_once"),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="score_range"),
    )

    council_id: Mapped[UUID] = council_fk()
    round_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_round.id", ondelete="CASCADE"), index=True
    )
    scorer_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_scorer.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[UUID] = _shop()
    dimension_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rating_dimension.id", ondelete="RESTRICT")
    )
    score: Mapped[int] = mapped_column(sa.Integer)


# --- 积分 ------------------------------------------------------------------------------------


class PointActivity(TimestampedBase):
    """Something that earns points, at an amount the council set."""

    __tablename__ = "point_activity"
    __table_args__ = (sa.CheckConstraint("points > 0 AND points <= 100", name="points_range"),)

    council_id: Mapped[UUID] = council_fk()
    name: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[ActivityKind] = mapped_column(enum_type(ActivityKind))
    points: Mapped[int] = mapped_column(sa.Integer)
    held_on: Mapped[dt.date | None] = mapped_column(sa.Date, default=None)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class PointClaim(TimestampedBase):
    """申请 → 审核 → 公示 → 入账 of one person's points for one activity."""

    __tablename__ = "point_claim"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "person_id", name="uq_point_claim_once"),
        sa.CheckConstraint("points > 0", name="points_positive"),
    )

    council_id: Mapped[UUID] = council_fk()
    activity_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("point_activity.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[UUID] = _person("RESTRICT", nullable=False)
    points: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[ClaimState] = mapped_column(
        enum_type(ClaimState), default=ClaimState.APPLIED, index=True
    )
    source: Mapped[ClaimSource] = mapped_column(enum_type(ClaimSource))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    submitted_by_id: Mapped[UUID | None] = _person()
    reviewed_by_id: Mapped[UUID | None] = _person()
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    review_note: Mapped[str] = mapped_column(sa.String(300), default="")
    notice_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("notice.id", ondelete="RESTRICT"), default=None, index=True
    )


class PointBalance(TimestampedBase):
    """A person's balance, locked by every entry: the row that serialises the ledger."""

    __tablename__ = "point_balance"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "person_id", name="uq_point_balance_person"),
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    council_id: Mapped[UUID] = council_fk()
    person_id: Mapped[UUID] = _person("RESTRICT", nullable=False)
    balance: Mapped[int] = mapped_column(sa.Integer, default=0)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)  # the last entry's number


class PointEntry(TimestampedBase):
    """积分流水: append-only (the database refuses UPDATE and DELETE); a correction is a new
    entry pointing at the one it corrects."""

    __tablename__ = "point_entry"
    __table_args__ = (
        sa.UniqueConstraint("council_id", "person_id", "seq", name="uq_point_entry_seq"),
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    )

    council_id: Mapped[UUID] = council_fk()
    person_id: Mapped[UUID] = _person("RESTRICT", nullable=False)
    seq: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind))
    amount: Mapped[int] = mapped_column(sa.Integer)
    balance_after: Mapped[int] = mapped_column(sa.Integer)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    claim_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("point_claim.id", ondelete="RESTRICT"), default=None, unique=True
    )
    redemption_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("redemption.id", ondelete="RESTRICT"), default=None, index=True
    )
    corrects_id: Mapped[UUID | None] = mapped_column(
        sa.ForeignKey("point_entry.id", ondelete="RESTRICT"), default=None, index=True
    )
    created_by_id: Mapped[UUID | None] = _person()
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class ShopOffer(TimestampedBase):
    """A service a shop gives for points (a barber's cut for 30 points)."""

    __tablename__ = "shop_offer"
    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),)

    council_id: Mapped[UUID] = council_fk()
    shop_id: Mapped[UUID] = _shop()
    title: Mapped[str] = mapped_column(sa.String(60))
    points: Mapped[int] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_by_id: Mapped[UUID | None] = _person()


class Redemption(TimestampedBase):
    """兑换: the points leave the balance when asked for, and come back if the shop declines."""

    __tablename__ = "redemption"
    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),)

    council_id: Mapped[UUID] = council_fk()
    offer_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("shop_offer.id", ondelete="RESTRICT"), index=True
    )
    shop_id: Mapped[UUID] = _shop()
    person_id: Mapped[UUID] = _person("RESTRICT", nullable=False)
    points: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[RedemptionState] = mapped_column(
        enum_type(RedemptionState), default=RedemptionState.REQUESTED, index=True
    )
    requested_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decided_by_id: Mapped[UUID | None] = _person()


# --- 值日 · 街区管家 and 外摆 ------------------------------------------------------------------


class CheckItem(TimestampedBase):
    """A line of the duty checklist (门前三包, 十无) or a 外摆 rule an inspection checks."""

    __tablename__ = "check_item"

    council_id: Mapped[UUID] = council_fk()
    purpose: Mapped[CheckPurpose] = mapped_column(enum_type(CheckPurpose))
    section: Mapped[str] = mapped_column(sa.String(30), default="")
    text: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class ShopRota(TimestampedBase):
    """A shop's place in the rota: its weekly closing days (bit 0 Monday … bit 6 Sunday)."""

    __tablename__ = "shop_rota"
    __table_args__ = (
        sa.UniqueConstraint("shop_id", name="uq_shop_rota_shop"),
        sa.CheckConstraint("closed_mask >= 0 AND closed_mask < 128", name="closed_mask_range"),
    )

    council_id: Mapped[UUID] = council_fk()
    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("shop.id", ondelete="CASCADE"))
    closed_mask: Mapped[int] = mapped_column(sa.Integer, default=0)
    in_rota: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class RotaDuty(TimestampedBase):
    """One day's duty shop (街区管家) and, once ticked, when and by whom."""

    __tablename__ = "rota_duty"
    __table_args__ = (sa.UniqueConstraint("council_id", "day", name="uq_rota_duty_day"),)

    council_id: Mapped[UUID] = council_fk()
    day: Mapped[dt.date] = mapped_column(sa.Date)
    shop_id: Mapped[UUID] = _shop()
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    done_by_id: Mapped[UUID | None] = _person()
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class DutyCheck(TimestampedBase):
    __tablename__ = "duty_check"
    __table_args__ = (sa.UniqueConstraint("duty_id", "item_id", name="uq_duty_check_item"),)

    council_id: Mapped[UUID] = council_fk()
    duty_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rota_duty.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[UUID] = mapped_column(sa.ForeignKey("check_item.id", ondelete="RESTRICT"))
    ok: Mapped[bool] = mapped_column(sa.Boolean)


class RotaSwap(TimestampedBase):
    """Two shops swap duty days; it happens only when the other shop agrees."""

    __tablename__ = "rota_swap"

    council_id: Mapped[UUID] = council_fk()
    duty_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rota_duty.id", ondelete="CASCADE"), index=True
    )
    other_duty_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("rota_duty.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SwapState] = mapped_column(enum_type(SwapState), default=SwapState.PENDING)
    requested_by_id: Mapped[UUID | None] = _person()
    decided_by_id: Mapped[UUID | None] = _person()
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class DisplayPermit(TimestampedBase):
    """A shop's permitted 外摆 area and hours."""

    __tablename__ = "display_permit"
    __table_args__ = (sa.UniqueConstraint("shop_id", name="uq_display_permit_shop"),)

    council_id: Mapped[UUID] = council_fk()
    shop_id: Mapped[UUID] = mapped_column(sa.ForeignKey("shop.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(sa.String(120))
    hours: Mapped[str] = mapped_column(sa.String(60))
    updated_by_id: Mapped[UUID | None] = _person()


class Inspection(TimestampedBase):
    """An inspection of one shop's 外摆; a failed one is a violation for the rating."""

    __tablename__ = "inspection"
    __table_args__ = (sa.Index("ix_inspection_shop_time", "shop_id", "inspected_at"),)

    council_id: Mapped[UUID] = council_fk()
    shop_id: Mapped[UUID] = _shop()
    inspector_id: Mapped[UUID | None] = _person()
    inspected_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class InspectionCheck(TimestampedBase):
    __tablename__ = "inspection_check"
    __table_args__ = (
        sa.UniqueConstraint("inspection_id", "item_id", name="uq_inspection_check_item"),
    )

    council_id: Mapped[UUID] = council_fk()
    inspection_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("inspection.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[UUID] = mapped_column(sa.ForeignKey("check_item.id", ondelete="RESTRICT"))
    passed: Mapped[bool] = mapped_column(sa.Boolean)
