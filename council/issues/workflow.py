"""The triage state machine of an issue. Pure: no Litestar, no SQLAlchemy.

A table maps each allowed (from, to) move to a gate: a function of a frozen snapshot of
facts that returns the reasons blocking the move (empty: allowed). The service loads the
facts, calls ``advance``, persists and writes the audit entry.

    已提交 ─受理─► 受理中 ─┬─► 已立项 ──────────────► 已办结
                           ├─► 已合并 (into another open issue)
                           ├─► 已转办 ─(工单核查)─► 已核实 ─(工单结案)─► 已办结
                           └─► 不予受理 (public reason) ───► 已办结
    已提交 (随手拍) ─转办─► 已转办
    已提交 / 受理中 ─撤回─► 已撤回 (by the submitter)

A referred issue follows its work orders (council/workorders): it is verified when every one
of them has been verified to the satisfaction of whoever raised it, and closed when every one
is closed; nobody moves it by hand (rule 22: no close without verification).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from council.errors import TransitionRefused
from council.i18n import _


class IssueStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    TRIAGE = "triage"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REFERRED = "referred"
    VERIFIED = "verified"
    REJECTED = "rejected"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class IssueKind(enum.StrEnum):
    ISSUE = "issue"  # 诉求
    PROPOSAL = "proposal"  # 提议 (a merchant, for a shop)
    SNAP = "snap"  # 随手拍: photo, place, one line from a phone


STATUS_LABELS: Mapping[IssueStatus, str] = {
    IssueStatus.SUBMITTED: "已提交",
    IssueStatus.TRIAGE: "受理中",
    IssueStatus.ACCEPTED: "已立项",
    IssueStatus.MERGED: "已合并",
    IssueStatus.REFERRED: "已转办",
    IssueStatus.VERIFIED: "已核实",
    IssueStatus.REJECTED: "不予受理",
    IssueStatus.CLOSED: "已办结",
    IssueStatus.WITHDRAWN: "已撤回",
}

# Waiting for the facilitator: seen only inside the council, open to co-signs.
OPEN = frozenset({IssueStatus.SUBMITTED, IssueStatus.TRIAGE})
# Decided: public with their timeline (the submitter's contact details never are).
PUBLIC = frozenset(
    {
        IssueStatus.ACCEPTED,
        IssueStatus.MERGED,
        IssueStatus.REFERRED,
        IssueStatus.VERIFIED,
        IssueStatus.REJECTED,
        IssueStatus.CLOSED,
    }
)
# What another issue may be merged into: anything still alive.
MERGE_TARGETS = frozenset(
    {IssueStatus.SUBMITTED, IssueStatus.TRIAGE, IssueStatus.ACCEPTED, IssueStatus.REFERRED}
)


@dataclass(frozen=True)
class Facts:
    """What the gates may look at, gathered by the service before a move."""

    status: IssueStatus
    kind: IssueKind = IssueKind.ISSUE
    reason: str = ""  # public reason / note given with the move
    department_chosen: bool = False  # 转办: a department serving this council was chosen
    orders_verified: bool = False  # every work order of the issue passed 核查
    orders_closed: bool = False  # every work order of the issue is closed
    merge_target_found: bool = False
    merge_target_is_self: bool = False
    merge_target_status: IssueStatus | None = None


Gate = Callable[[Facts], list[str]]


def _always(_facts: Facts) -> list[str]:
    return []


def _accept(facts: Facts) -> list[str]:
    # DOMAIN rule 21: an agenda proposal is accepted or rejected with a reason.
    if facts.kind is IssueKind.PROPOSAL and not facts.reason:
        return [_("立项商户提议须写明理由")]
    return []


def _merge(facts: Facts) -> list[str]:
    if not facts.merge_target_found:
        return [_("找不到要合并到的诉求，请填写本议事会的诉求编号")]
    if facts.merge_target_is_self:
        return [_("不能把诉求合并到它自己")]
    if facts.merge_target_status not in MERGE_TARGETS:
        label = (
            STATUS_LABELS.get(facts.merge_target_status, "") if facts.merge_target_status else ""
        )
        return [_("只能合并到仍在办理的诉求，目标诉求%(s)s", s=label)]
    return []


def _refer(facts: Facts) -> list[str]:
    return [] if facts.department_chosen else [_("转办须选择服务本议事会的职能部门")]


def _refer_directly(facts: Facts) -> list[str]:
    if facts.kind is not IssueKind.SNAP:
        return [_("只有随手拍可以不经受理直接转办，请先受理")]
    return _refer(facts)


def _reject(facts: Facts) -> list[str]:
    return [] if facts.reason else [_("不予受理须写明公开理由")]


def _verify(facts: Facts) -> list[str]:
    reasons = []
    if not facts.orders_verified:
        reasons.append(_("转办的工单尚未全部核查为办理满意，诉求不能核实"))
    if not facts.reason:
        reasons.append(_("核实须写明核实情况"))
    return reasons


def _close_referred(facts: Facts) -> list[str]:
    return [] if facts.orders_closed else [_("转办的工单尚未全部结案，诉求不能办结")]


TRANSITIONS: Mapping[tuple[IssueStatus, IssueStatus], Gate] = {
    (IssueStatus.SUBMITTED, IssueStatus.TRIAGE): _always,
    (IssueStatus.TRIAGE, IssueStatus.ACCEPTED): _accept,
    (IssueStatus.TRIAGE, IssueStatus.MERGED): _merge,
    (IssueStatus.TRIAGE, IssueStatus.REFERRED): _refer,
    (IssueStatus.SUBMITTED, IssueStatus.REFERRED): _refer_directly,
    (IssueStatus.TRIAGE, IssueStatus.REJECTED): _reject,
    (IssueStatus.REFERRED, IssueStatus.VERIFIED): _verify,
    (IssueStatus.VERIFIED, IssueStatus.CLOSED): _close_referred,
    (IssueStatus.ACCEPTED, IssueStatus.CLOSED): _always,
    (IssueStatus.REJECTED, IssueStatus.CLOSED): _always,
    (IssueStatus.SUBMITTED, IssueStatus.WITHDRAWN): _always,
    (IssueStatus.TRIAGE, IssueStatus.WITHDRAWN): _always,
}

# Moves people try that the table refuses, with the rule in words.
_EXPLAINED: Mapping[tuple[IssueStatus, IssueStatus], str] = {
    (IssueStatus.REFERRED, IssueStatus.CLOSED): "转办的诉求须先核实办理结果，才能办结",
}


def label(status: IssueStatus) -> str:
    return _(STATUS_LABELS[status])


# Moves the work orders make (the service of council/workorders), never a person by hand.
FOLLOW_ORDERS = frozenset(
    {(IssueStatus.REFERRED, IssueStatus.VERIFIED), (IssueStatus.VERIFIED, IssueStatus.CLOSED)}
)
# Moves open to some kinds of issue only.
ONLY_FOR: Mapping[tuple[IssueStatus, IssueStatus], frozenset[IssueKind]] = {
    (IssueStatus.SUBMITTED, IssueStatus.REFERRED): frozenset({IssueKind.SNAP}),
}


def allowed_moves(status: IssueStatus) -> list[IssueStatus]:
    return [to for (frm, to) in TRANSITIONS if frm is status]


def offered_moves(status: IssueStatus, kind: IssueKind) -> list[IssueStatus]:
    """The moves a facilitator is offered on the issue page: those made by hand, for this kind."""
    return [
        to
        for to in allowed_moves(status)
        if (status, to) not in FOLLOW_ORDERS
        and kind in ONLY_FOR.get((status, to), frozenset(IssueKind))
    ]


def blocking(facts: Facts, to: IssueStatus) -> list[str]:
    """The reasons the move is refused; empty when it may go ahead."""
    gate = TRANSITIONS.get((facts.status, to))
    if gate is None:
        explained = _EXPLAINED.get((facts.status, to))
        if explained:
            return [_(explained)]
        return [_("“%(a)s”的诉求不能改为“%(b)s”", a=label(facts.status), b=label(to))]
    return gate(facts)


def advance(facts: Facts, to: IssueStatus) -> IssueStatus:
    """The new status, or TransitionRefused naming every reason."""
    reasons = blocking(facts, to)
    if reasons:
        raise TransitionRefused("；".join(reasons), reasons)
    return to
