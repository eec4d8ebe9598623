"""The ballot's life: draft → open → closed → certified. Pure; no I/O.

A certified result is never edited: a correction is a new ballot whose ``corrects`` points at
the old one. Gates take a frozen snapshot of facts and return the reasons blocking a move.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from council.errors import Conflict, TransitionRefused
from council.i18n import N_, _


class Status(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CERTIFIED = "certified"


STATUS_LABELS: Mapping[Status, str] = {
    Status.DRAFT: N_("草稿"),
    Status.OPEN: N_("投票中"),
    Status.CLOSED: N_("已结束"),
    Status.CERTIFIED: N_("已认证"),
}


@dataclass(frozen=True)
class Facts:
    status: Status
    choices: int = 0
    electorate: int = 0
    needs_present: bool = False
    present_given: bool = False
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    has_result: bool = False
    votes: int = 0
    now: dt.datetime | None = None


def _to_open(f: Facts) -> list[str]:
    reasons = []
    if f.choices < 2:
        reasons.append(N_("至少需要两个选项"))
    if f.electorate < 1:
        reasons.append(N_("投票人名单为空"))
    if f.needs_present and not f.present_given:
        reasons.append(N_("规则以实到人数为基数，开启时须提供签到名单"))
    if f.closes_at and f.now and f.closes_at <= f.now:
        reasons.append(N_("截止时间已过"))
    return reasons


def _to_closed(_f: Facts) -> list[str]:
    return []


def _back_to_draft(f: Facts) -> list[str]:
    """A reset (S5) undoes an opening nobody has voted under yet; once someone has voted, the
    ballot can only be closed and, if need be, corrected by a new one."""
    return [N_("已有人投票，不能撤回；请结束表决，必要时发起更正表决")] if f.votes else []


def _to_certified(f: Facts) -> list[str]:
    return [] if f.has_result else [N_("尚无计票结果")]


GATES: Mapping[tuple[Status, Status], Callable[[Facts], list[str]]] = {
    (Status.DRAFT, Status.OPEN): _to_open,
    (Status.OPEN, Status.CLOSED): _to_closed,
    (Status.OPEN, Status.DRAFT): _back_to_draft,
    (Status.CLOSED, Status.CERTIFIED): _to_certified,
}


def blockers(facts: Facts, target: Status) -> list[str] | None:
    """The reasons blocking ``facts.status → target``; None when no such move exists."""
    gate = GATES.get((facts.status, target))
    return None if gate is None else gate(facts)


def advance(facts: Facts, target: Status) -> Status:
    reasons = blockers(facts, target)
    if reasons is None:
        raise TransitionRefused(
            _("表决处于“%(state)s”状态，不能进行此操作", state=_(STATUS_LABELS[facts.status]))
        )
    if reasons:
        # The reasons go into the message too: the error page shows the message only.
        said = [_(r) for r in reasons]
        raise TransitionRefused(_("暂不能进行此操作：%(reasons)s", reasons="；".join(said)), said)
    return target


def editable(status: Status) -> bool:
    """Question, choices, rules and electorate change only while the ballot is a draft (S5)."""
    return status is Status.DRAFT


def check_cast(facts: Facts) -> None:
    """Votes count only while open and inside the window (rule 16); refuse with S3's words."""
    if facts.status in (Status.CLOSED, Status.CERTIFIED):
        raise Conflict(_("表决已结束"))
    if facts.status is not Status.OPEN:
        raise Conflict(_("表决尚未开始"))
    if facts.now is not None:
        if facts.opens_at is not None and facts.now < facts.opens_at:
            raise Conflict(_("表决尚未开始"))
        if facts.closes_at is not None and facts.now >= facts.closes_at:
            raise Conflict(_("表决已结束"))
