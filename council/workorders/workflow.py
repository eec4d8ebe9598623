"""The work-order loop (数字城管) as a state machine. Pure: no Litestar, no SQLAlchemy.

    登记+派发 ─签收─► 处置中 ─反馈─► 已反馈 ─核查满意─► 已核查 ─结案─► 已结案 ─评价─► 已评价
                        ▲                      │
                        └──── 核查不满意，退回 ─┘          (no close without 核查: rule 22)

A table maps each allowed (from, to) move to a gate: a function of a frozen snapshot of facts
that returns the reasons blocking the move (empty: allowed). Who may act at all (the
department's liaison, the facilitator, the person who raised it) is the permission module's
question; the gates hold the rules of the record itself, such as "nobody verifies their own
handling" (rule 12 by analogy). Extensions of the deadline have their own small table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from council.errors import TransitionRefused
from council.i18n import N_, _


class OrderKind(enum.StrEnum):
    """12345 time limits: emergency the same day, inquiry and complaint in working days."""

    EMERGENCY = "emergency"
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"


class OrderStatus(enum.StrEnum):
    DISPATCHED = "dispatched"  # 登记 and 派发 in one step: the deadline clock runs
    ACCEPTED = "accepted"  # 签收, 处置中 (also after a not-satisfied 核查)
    REPLIED = "replied"  # 反馈: handling recorded, waiting for 核查
    VERIFIED = "verified"  # 核查: the person who raised it or the facilitator is satisfied
    CLOSED = "closed"  # 结案
    RATED = "rated"  # 评价


class Rating(enum.StrEnum):
    SATISFIED = "satisfied"
    BASIC = "basic"
    UNSATISFIED = "unsatisfied"


class ExtensionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


KIND_LABELS: Mapping[OrderKind, str] = {
    OrderKind.EMERGENCY: N_("紧急"),
    OrderKind.INQUIRY: N_("咨询"),
    OrderKind.COMPLAINT: N_("投诉"),
}
STATUS_LABELS: Mapping[OrderStatus, str] = {
    OrderStatus.DISPATCHED: N_("待签收"),
    OrderStatus.ACCEPTED: N_("处置中"),
    OrderStatus.REPLIED: N_("待核查"),
    OrderStatus.VERIFIED: N_("已核查"),
    OrderStatus.CLOSED: N_("已结案"),
    OrderStatus.RATED: N_("已评价"),
}
RATING_LABELS: Mapping[Rating, str] = {
    Rating.SATISFIED: N_("满意"),
    Rating.BASIC: N_("基本满意"),
    Rating.UNSATISFIED: N_("不满意"),
}
EXTENSION_LABELS: Mapping[ExtensionStatus, str] = {
    ExtensionStatus.PENDING: N_("待审批"),
    ExtensionStatus.APPROVED: N_("已批准"),
    ExtensionStatus.REFUSED: N_("未批准"),
}

# With the department: the deadline applies and an overdue order is flagged.
WITH_DEPARTMENT = frozenset({OrderStatus.DISPATCHED, OrderStatus.ACCEPTED})
# Handled to the satisfaction of whoever raised it (解决).
RESOLVED = frozenset({OrderStatus.VERIFIED, OrderStatus.CLOSED, OrderStatus.RATED})
FINISHED = frozenset({OrderStatus.CLOSED, OrderStatus.RATED})
# Ratings that count as satisfied in 满意率 (12345 practice: 满意 + 基本满意).
CONTENT = frozenset({Rating.SATISFIED, Rating.BASIC})


def kind_label(kind: OrderKind) -> str:
    return _(KIND_LABELS[kind])


def label(status: OrderStatus) -> str:
    return _(STATUS_LABELS[status])


def rating_label(rating: Rating) -> str:
    return _(RATING_LABELS[rating])


@dataclass(frozen=True)
class Facts:
    """What the gates may look at, gathered by the service before a move."""

    status: OrderStatus
    note: str = ""  # the reply, the 核查 reason, …
    actor_handled: bool = False  # the actor recorded handling of this order
    rating: Rating | None = None


Gate = Callable[[Facts], list[str]]


def _always(_facts: Facts) -> list[str]:
    return []


def _reply(facts: Facts) -> list[str]:
    return [] if facts.note.strip() else [_("反馈须写明办理情况")]


def _verify(facts: Facts) -> list[str]:
    reasons = []
    if facts.actor_handled:
        reasons.append(_("不能核查自己办理的工单"))
    if not facts.note.strip():
        reasons.append(_("核查须写明核查情况"))
    return reasons


def _rate(facts: Facts) -> list[str]:
    return [] if facts.rating is not None else [_("请选择满意、基本满意或不满意")]


TRANSITIONS: Mapping[tuple[OrderStatus, OrderStatus], Gate] = {
    (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED): _always,
    (OrderStatus.ACCEPTED, OrderStatus.REPLIED): _reply,
    (OrderStatus.REPLIED, OrderStatus.VERIFIED): _verify,
    # Not satisfied: back to the department, which handles it again.
    (OrderStatus.REPLIED, OrderStatus.ACCEPTED): _verify,
    (OrderStatus.VERIFIED, OrderStatus.CLOSED): _always,
    (OrderStatus.CLOSED, OrderStatus.RATED): _rate,
}

_NOT_VERIFIED = N_("工单须先经核查、确认办理满意，才能结案")
# Moves people try that the table refuses, with the rule in words.
_EXPLAINED: Mapping[tuple[OrderStatus, OrderStatus], str] = {
    (OrderStatus.DISPATCHED, OrderStatus.CLOSED): _NOT_VERIFIED,
    (OrderStatus.ACCEPTED, OrderStatus.CLOSED): _NOT_VERIFIED,
    (OrderStatus.REPLIED, OrderStatus.CLOSED): _NOT_VERIFIED,
    (OrderStatus.DISPATCHED, OrderStatus.REPLIED): N_("请先签收工单，再反馈办理情况"),
    (OrderStatus.DISPATCHED, OrderStatus.VERIFIED): N_("部门尚未反馈办理情况，不能核查"),
    (OrderStatus.ACCEPTED, OrderStatus.VERIFIED): N_("部门尚未反馈办理情况，不能核查"),
    **{
        (status, OrderStatus.RATED): N_("工单结案后才能评价")
        for status in (
            OrderStatus.DISPATCHED,
            OrderStatus.ACCEPTED,
            OrderStatus.REPLIED,
            OrderStatus.VERIFIED,
        )
    },
    (OrderStatus.RATED, OrderStatus.RATED): N_("这个工单已经评价过了"),
}


def allowed_moves(status: OrderStatus) -> list[OrderStatus]:
    return [to for (frm, to) in TRANSITIONS if frm is status]


def blocking(facts: Facts, to: OrderStatus) -> list[str]:
    """The reasons the move is refused; empty when it may go ahead."""
    gate = TRANSITIONS.get((facts.status, to))
    if gate is None:
        explained = _EXPLAINED.get((facts.status, to))
        if explained:
            return [_(explained)]
        return [_("“%(a)s”的工单不能改为“%(b)s”", a=label(facts.status), b=label(to))]
    return gate(facts)


def advance(facts: Facts, to: OrderStatus) -> OrderStatus:
    """The new status, or TransitionRefused naming every reason; nothing changes."""
    reasons = blocking(facts, to)
    if reasons:
        raise TransitionRefused("；".join(reasons), reasons)
    return to


# --- deadline extensions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionFacts:
    order_status: OrderStatus
    reason: str = ""
    pending: bool = False  # another request is waiting for a decision


def extension_blocking(facts: ExtensionFacts) -> list[str]:
    """Why a request for more time cannot be made; empty when it can."""
    reasons = []
    if facts.order_status not in WITH_DEPARTMENT:
        reasons.append(_("只有待签收或处置中的工单可以申请延期"))
    if facts.pending:
        reasons.append(_("已有一份延期申请等待审批"))
    if not facts.reason.strip():
        reasons.append(_("申请延期须写明理由"))
    return reasons


def request_extension(facts: ExtensionFacts) -> ExtensionStatus:
    reasons = extension_blocking(facts)
    if reasons:
        raise TransitionRefused("；".join(reasons), reasons)
    return ExtensionStatus.PENDING


def decide_extension(current: ExtensionStatus, approve: bool) -> ExtensionStatus:
    """Approved or refused, once: a decided request is never decided again."""
    if current is not ExtensionStatus.PENDING:
        message = _("这份延期申请已处理（%(s)s），不能再审批", s=_(EXTENSION_LABELS[current]))
        raise TransitionRefused(message, [message])
    return ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
