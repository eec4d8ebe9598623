"""State machines of matters, rounds, minutes and action items. Pure: no web, no database.

Each machine is a ``council.machine.Machine``: a table of (from, to) → gate over a frozen
snapshot of facts.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from council.i18n import _
from council.machine import Machine, every


class MatterStatus(enum.StrEnum):
    CONSULTING = "consulting"
    CONSENSUS = "consensus"
    SHELVED = "shelved"
    DECISION = "decision"


class RoundStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    CONSENSUS = "consensus"
    PARTIAL = "partial"
    NONE = "none"
    DEFERRED = "deferred"


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PUBLISHED = "published"


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    RETURNED = "returned"


# Keyed by enum class: StrEnum members of different classes with the same value
# ("consensus") are equal and would overwrite each other in one dict.
LABELS: Mapping[type[enum.Enum], Mapping[str, str]] = {
    MatterStatus: {
        MatterStatus.CONSULTING: "协商中",
        MatterStatus.CONSENSUS: "已达成共识",
        MatterStatus.SHELVED: "搁置",
        MatterStatus.DECISION: "已转入决策",
    },
    RoundStatus: {RoundStatus.OPEN: "进行中", RoundStatus.CLOSED: "已结束"},
    Outcome: {
        Outcome.CONSENSUS: "共识",
        Outcome.PARTIAL: "部分共识",
        Outcome.NONE: "未达成",
        Outcome.DEFERRED: "暂缓",
    },
    MinutesStatus: {
        MinutesStatus.DRAFT: "草稿",
        MinutesStatus.CONFIRMED: "已确认",
        MinutesStatus.PUBLISHED: "已公开",
    },
    ItemStatus: {
        ItemStatus.OPEN: "待整改",
        ItemStatus.SUBMITTED: "待核验",
        ItemStatus.VERIFIED: "已核验",
        ItemStatus.RETURNED: "已退回",
    },
}


def label(state: enum.Enum) -> str:
    return _(LABELS[type(state)][state.value])


# --- matters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatterFacts:
    latest_outcome: Outcome | None = None
    has_open_round: bool = False
    reason: str = ""


def _no_open_round(f: MatterFacts) -> str | None:
    return _("还有进行中的协商轮次，请先结束") if f.has_open_round else None


def _consensus_reached(f: MatterFacts) -> str | None:
    if f.latest_outcome is not Outcome.CONSENSUS:
        return _("最近一轮协商的结果须为“共识”")
    return None


def _reason_given(f: MatterFacts | ItemFacts) -> str | None:
    return None if f.reason.strip() else _("请写明理由")


MATTER = Machine[MatterStatus, MatterFacts](
    "matter",
    label=label,
    gates={
        (MatterStatus.CONSULTING, MatterStatus.CONSENSUS): every(
            _no_open_round, _consensus_reached
        ),
        (MatterStatus.CONSULTING, MatterStatus.SHELVED): every(_no_open_round, _reason_given),
        (MatterStatus.SHELVED, MatterStatus.CONSULTING): every(_reason_given),
        (MatterStatus.CONSULTING, MatterStatus.DECISION): every(_no_open_round, _reason_given),
        (MatterStatus.CONSENSUS, MatterStatus.DECISION): every(),
        (MatterStatus.CONSENSUS, MatterStatus.CONSULTING): every(_reason_given),
    },
)


# --- rounds (rules 23, 24) --------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFacts:
    outcome: Outcome | None
    schedules_next: bool = False
    deferral_note: str = ""


def _has_outcome(f: RoundFacts) -> str | None:
    if f.outcome is None:
        return _("结束本轮前须记录结果：共识、部分共识、未达成或暂缓")
    return None


def _next_step(f: RoundFacts) -> str | None:
    needs_next = f.outcome in (Outcome.NONE, Outcome.PARTIAL)
    if needs_next and not f.schedules_next and not f.deferral_note.strip():
        return _("未达成或部分共识时，须安排下一轮协商或写明暂缓理由")
    if f.outcome is Outcome.DEFERRED and not f.deferral_note.strip():
        return _("暂缓须写明理由")
    return None


ROUND = Machine[RoundStatus, RoundFacts](
    "round",
    label=label,
    gates={(RoundStatus.OPEN, RoundStatus.CLOSED): every(_has_outcome, _next_step)},
)


# --- minutes (rule 9, 29) ---------------------------------------------------------------------


@dataclass(frozen=True)
class MinutesFacts:
    confirmations: int = 0
    has_text: bool = True
    has_public_text: bool = False


MINUTES = Machine[MinutesStatus, MinutesFacts](
    "minutes",
    label=label,
    gates={
        (MinutesStatus.DRAFT, MinutesStatus.CONFIRMED): every(
            lambda f: None if f.has_text else _("纪要内容不能为空"),
            lambda f: None if f.confirmations > 0 else _("须至少一位到会成员确认纪要"),
        ),
        (MinutesStatus.CONFIRMED, MinutesStatus.PUBLISHED): every(
            lambda f: None if f.has_public_text else _("请填写去除个人信息的公开版本"),
        ),
    },
)


def minutes_editable(status: MinutesStatus) -> bool:
    """Confirmed minutes are read-only; a correction is a new record linked to them."""
    return status is MinutesStatus.DRAFT


# --- action items (rule 12) -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    has_evidence: bool = False
    actor_owns_item: bool = False
    actor_uploaded_evidence: bool = False
    reason: str = ""


def _evidence_present(f: ItemFacts) -> str | None:
    return None if f.has_evidence else _("还没有提交整改材料")


def _not_own_work(f: ItemFacts) -> str | None:
    if f.actor_owns_item:
        return _("监督员不能核验自己负责的整改项")
    if f.actor_uploaded_evidence:
        return _("监督员不能核验自己上传的材料")
    return None


ITEM = Machine[ItemStatus, ItemFacts](
    "action_item",
    label=label,
    gates={
        (ItemStatus.OPEN, ItemStatus.SUBMITTED): every(_evidence_present),
        (ItemStatus.RETURNED, ItemStatus.SUBMITTED): every(_evidence_present),
        (ItemStatus.SUBMITTED, ItemStatus.VERIFIED): every(_evidence_present, _not_own_work),
        (ItemStatus.SUBMITTED, ItemStatus.RETURNED): every(_not_own_work, _reason_given),
    },
)


# --- consensus → action plan (rule 25) --------------------------------------------------------


@dataclass(frozen=True)
class PlanFacts:
    merchants_pay: bool
    agreed_text: str
    owners: int
    has_deadline: bool
    supervision_group: str = ""
    deadline_passed: bool = False  # before the council's today: nobody can still meet it
    inspection_frequency: str = ""
    acceptance_method: str = ""


def plan_problems(f: PlanFacts) -> dict[str, str]:
    """Field → what is missing. A 商户出资治理、居民参与监督 consensus names owners, deadline,
    supervision group, inspection frequency and acceptance method."""
    problems: dict[str, str] = {}
    if not f.agreed_text.strip():
        problems["agreed_text"] = _("请填写共识内容")
    if f.owners == 0:
        problems["shops"] = _("请列出负责整改的店铺")
    if not f.has_deadline:
        problems["deadline"] = _("请填写完成期限")
    elif f.deadline_passed:
        problems["deadline"] = _("完成期限不能早于今天")
    if f.merchants_pay:
        if not f.supervision_group.strip():
            problems["supervision_group"] = _("请写明监督小组（网格员、物业、居民代表）")
        if not f.inspection_frequency.strip():
            problems["inspection_frequency"] = _("请写明巡查频次")
        if not f.acceptance_method.strip():
            problems["acceptance_method"] = _("请写明验收方式")
    return problems
