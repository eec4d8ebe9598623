"""The states and kinds of the street programmes, with their zh-CN labels. Pure."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from council.i18n import N_, _


class RoundStatus(enum.StrEnum):
    SCORING = "scoring"  # scorers score in the round's period
    COMPUTED = "computed"  # results frozen; in notice once the notice is published


class ActivityKind(enum.StrEnum):
    CLEANUP = "cleanup"
    PATROL = "patrol"
    LECTURE = "lecture"
    VOLUNTEER = "volunteer"
    OTHER = "other"


class ClaimState(enum.StrEnum):
    APPLIED = "applied"  # 申请
    APPROVED = "approved"  # 审核通过, waiting to be put in notice
    REJECTED = "rejected"
    IN_NOTICE = "in_notice"  # 公示
    CREDITED = "credited"  # 入账


class ClaimSource(enum.StrEnum):
    APPLIED = "applied"  # the resident applied, with a photo
    ATTENDANCE = "attendance"  # the facilitator recorded attendance


class EntryKind(enum.StrEnum):
    AWARD = "award"
    REDEMPTION = "redemption"
    REFUND = "refund"  # a redemption the shop declined gives the points back
    CORRECTION = "correction"  # a wrong entry is corrected by a new one, never edited


class RedemptionState(enum.StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class SwapState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CheckPurpose(enum.StrEnum):
    DUTY = "duty"  # the duty shop's checklist: 门前三包, 十无
    DISPLAY = "display"  # 外摆 rules an inspection checks


ACTIVITY_LABELS: Mapping[ActivityKind, str] = {
    ActivityKind.CLEANUP: N_("清洁家园"),
    ActivityKind.PATROL: N_("巡逻"),
    ActivityKind.LECTURE: N_("讲座"),
    ActivityKind.VOLUNTEER: N_("志愿服务"),
    ActivityKind.OTHER: N_("其他"),
}
CLAIM_LABELS: Mapping[ClaimState, str] = {
    ClaimState.APPLIED: N_("待审核"),
    ClaimState.APPROVED: N_("审核通过，待公示"),
    ClaimState.REJECTED: N_("未通过"),
    ClaimState.IN_NOTICE: N_("公示中"),
    ClaimState.CREDITED: N_("已入账"),
}
ENTRY_LABELS: Mapping[EntryKind, str] = {
    EntryKind.AWARD: N_("获得"),
    EntryKind.REDEMPTION: N_("兑换"),
    EntryKind.REFUND: N_("退回"),
    EntryKind.CORRECTION: N_("更正"),
}
REDEMPTION_LABELS: Mapping[RedemptionState, str] = {
    RedemptionState.REQUESTED: N_("待店铺确认"),
    RedemptionState.CONFIRMED: N_("店铺已确认"),
    RedemptionState.DECLINED: N_("店铺未接受，积分已退回"),
}
ROUND_LABELS: Mapping[RoundStatus, str] = {
    RoundStatus.SCORING: N_("评分中"),
    RoundStatus.COMPUTED: N_("已出结果"),
}
SWAP_LABELS: Mapping[SwapState, str] = {
    SwapState.PENDING: N_("等待对方同意"),
    SwapState.ACCEPTED: N_("已调换"),
    SwapState.DECLINED: N_("对方未同意"),
}


LABELS: Mapping[type[enum.Enum], Mapping] = {
    ActivityKind: ACTIVITY_LABELS,
    ClaimState: CLAIM_LABELS,
    EntryKind: ENTRY_LABELS,
    RedemptionState: REDEMPTION_LABELS,
    RoundStatus: ROUND_LABELS,
    SwapState: SWAP_LABELS,
}


def label(value: enum.Enum) -> str:
    """The zh-CN label of any state or kind of this room."""
    table = LABELS.get(type(value), {})
    return _(table[value]) if value in table else str(value.value)
