"""The life of one version of a convention (公约). Pure: no Litestar, no SQLAlchemy.

    草稿 ─公布征求意见─► 征求意见 ─提交表决─► 表决中 ─┬─► 已生效 ─(newer adopted)─► 已被取代
      └──────────(revision, after comments)──►──┘       └─► 未通过 (a draft text, result shown)
    征求意见 / 未通过 ─(a later revision leaves draft)─► 已被取代

Adoption follows the five steps of the 2018 guidance (DOMAIN §6): opinions are collected in
a comment period before any vote, a legality review is recorded before the vote (rule 26),
and the text carries no fines. Only a draft is edited; from the moment a version is made
public its text is frozen (rule 9), and a revision is a new version.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from council.errors import TransitionRefused
from council.i18n import N_, _


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    COMMENTING = "commenting"
    VOTING = "voting"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    SUPERSEDED = "superseded"


STATUS_LABELS: Mapping[VersionStatus, str] = {
    VersionStatus.DRAFT: N_("草稿"),
    VersionStatus.COMMENTING: N_("征求意见"),
    VersionStatus.VOTING: N_("表决中"),
    VersionStatus.ADOPTED: N_("已生效"),
    VersionStatus.NOT_ADOPTED: N_("未通过（草案）"),
    VersionStatus.SUPERSEDED: N_("已被取代"),
}

# Seen by the public (公示) from the moment the text is published for comment.
PUBLIC = frozenset(set(VersionStatus) - {VersionStatus.DRAFT})
# A newer version leaving draft replaces these: their text stays in the history.
REPLACED_BY_REVISION = frozenset({VersionStatus.COMMENTING, VersionStatus.NOT_ADOPTED})
# While one of these exists, no new revision may be started.
IN_PROGRESS = frozenset({VersionStatus.DRAFT, VersionStatus.VOTING})

# Coercive penalties a convention may not impose (DOMAIN §6, rule 26); reminders, criticism,
# public lists and loss of awards are allowed.
COERCIVE_TERMS = ("罚款", "罚金", "处罚金", "没收", "扣押", "拘留", "强制拆除")


@dataclass(frozen=True)
class Facts:
    """What the gates look at, gathered by the service before a move."""

    status: VersionStatus
    now: dt.datetime
    articles: int = 0
    empty_articles: tuple[int, ...] = ()  # positions of articles without text
    coercive_terms: tuple[str, ...] = ()
    comment_opens_at: dt.datetime | None = None
    comment_closes_at: dt.datetime | None = None
    # a comment period since the last adoption has run to its end (this version's or the
    # one it revises)
    comment_period_held: bool = False
    legality_reviewed: bool = False
    ballot_certified: bool = False
    ballot_passed: bool = False
    newer_adopted: bool = False
    newer_published: bool = False


Gate = Callable[[Facts], list[str]]


def coercive_terms(texts: Iterable[str]) -> tuple[str, ...]:
    """The forbidden penalty words found in the text, in a stable order."""
    joined = "\n".join(texts)
    return tuple(term for term in COERCIVE_TERMS if term in joined)


def _text(f: Facts) -> list[str]:
    reasons = []
    if f.articles < 1:
        reasons.append(_("公约至少要有一条条款"))
    for position in f.empty_articles:
        reasons.append(_("第 %(n)s 条内容为空", n=position))
    return reasons


def _to_commenting(f: Facts) -> list[str]:
    reasons = _text(f)
    if f.comment_opens_at is None or f.comment_closes_at is None:
        reasons.append(_("请填写征求意见的开始和截止时间"))
    elif f.comment_closes_at <= f.now:
        reasons.append(_("征求意见的截止时间已过"))
    elif f.comment_closes_at <= f.comment_opens_at:
        reasons.append(_("征求意见的截止时间须晚于开始时间"))
    return reasons


def _vote_ready(f: Facts) -> list[str]:
    reasons = _text(f)
    if not f.legality_reviewed:
        reasons.append(_("须先登记街道合法性审核意见，才能提交表决"))
    if f.coercive_terms:
        terms = "、".join(f.coercive_terms)
        reasons.append(_("公约不得设定罚款等强制性处罚（出现：%(terms)s）", terms=terms))
    return reasons


def _commenting_to_voting(f: Facts) -> list[str]:
    reasons = _vote_ready(f)
    if f.comment_closes_at is not None and f.now < f.comment_closes_at:
        reasons.append(_("征求意见期尚未结束"))
    return reasons


def _draft_to_voting(f: Facts) -> list[str]:
    reasons = _vote_ready(f)
    if not f.comment_period_held:
        reasons.append(_("须先公布征求意见，意见期结束后才能提交表决"))
    return reasons


def _adopt(f: Facts) -> list[str]:
    if not f.ballot_certified:
        return [_("表决结果尚未认证")]
    return [] if f.ballot_passed else [_("表决未通过")]


def _reject(f: Facts) -> list[str]:
    if not f.ballot_certified:
        return [_("表决结果尚未认证")]
    return [_("表决已通过")] if f.ballot_passed else []


def _superseded_by_adoption(f: Facts) -> list[str]:
    return [] if f.newer_adopted else [_("尚无更新的生效版本")]


def _superseded_by_revision(f: Facts) -> list[str]:
    return [] if f.newer_published or f.newer_adopted else [_("尚无更新的修订稿")]


TRANSITIONS: Mapping[tuple[VersionStatus, VersionStatus], Gate] = {
    (VersionStatus.DRAFT, VersionStatus.COMMENTING): _to_commenting,
    (VersionStatus.DRAFT, VersionStatus.VOTING): _draft_to_voting,
    (VersionStatus.COMMENTING, VersionStatus.VOTING): _commenting_to_voting,
    (VersionStatus.VOTING, VersionStatus.ADOPTED): _adopt,
    (VersionStatus.VOTING, VersionStatus.NOT_ADOPTED): _reject,
    (VersionStatus.ADOPTED, VersionStatus.SUPERSEDED): _superseded_by_adoption,
    (VersionStatus.COMMENTING, VersionStatus.SUPERSEDED): _superseded_by_revision,
    (VersionStatus.NOT_ADOPTED, VersionStatus.SUPERSEDED): _superseded_by_revision,
}

# Moves people try that the table refuses, with the rule in words.
_EXPLAINED: Mapping[tuple[VersionStatus, VersionStatus], str] = {
    (VersionStatus.ADOPTED, VersionStatus.DRAFT): N_(
        "已生效的版本不能修改；修订请起草新版本（修正案）"
    ),
    (VersionStatus.VOTING, VersionStatus.DRAFT): N_("表决中的版本不能修改"),
    (VersionStatus.COMMENTING, VersionStatus.DRAFT): N_(
        "已公布的版本不能修改；请起草修订稿（新版本）"
    ),
}


def label(status: VersionStatus) -> str:
    return _(STATUS_LABELS[status])


def allowed_moves(status: VersionStatus) -> list[VersionStatus]:
    return [to for (frm, to) in TRANSITIONS if frm is status]


def blocking(facts: Facts, to: VersionStatus) -> list[str]:
    """The reasons the move is refused; empty when it may go ahead."""
    gate = TRANSITIONS.get((facts.status, to))
    if gate is None:
        explained = _EXPLAINED.get((facts.status, to))
        if explained:
            return [_(explained)]
        return [_("“%(a)s”的版本不能改为“%(b)s”", a=label(facts.status), b=label(to))]
    return gate(facts)


def advance(facts: Facts, to: VersionStatus) -> VersionStatus:
    """The new status, or TransitionRefused naming every reason."""
    reasons = blocking(facts, to)
    if reasons:
        raise TransitionRefused("；".join(reasons), reasons)
    return to


def editable(status: VersionStatus) -> bool:
    """Only a draft's text changes; a published version is frozen (rule 9)."""
    return status is VersionStatus.DRAFT


def refuse_edit(status: VersionStatus) -> None:
    if not editable(status):
        message = _EXPLAINED.get(
            (status, VersionStatus.DRAFT), N_("只有草稿可以修改；修订请起草新版本")
        )
        raise TransitionRefused(_(message))


def end_early_blocking(facts: Facts, reason: str) -> list[str]:
    """Ending a running comment period early is allowed with a public reason."""
    if facts.status is not VersionStatus.COMMENTING:
        return [_("这一版本不在征求意见期")]
    reasons = []
    # At the very moment it opens there is no period yet to end: it would end empty.
    if facts.comment_opens_at is not None and facts.now <= facts.comment_opens_at:
        reasons.append(_("征求意见尚未开始，不能提前结束"))
    if facts.comment_closes_at is not None and facts.now >= facts.comment_closes_at:
        reasons.append(_("征求意见期已经结束"))
    if not reason.strip():
        reasons.append(_("提前结束征求意见须写明公开理由"))
    return reasons


def accepts_comments(facts: Facts) -> str | None:
    """None while the version is open for comment now; otherwise why not, in words."""
    if facts.status is not VersionStatus.COMMENTING:
        return _("这一版本不在征求意见期，不能提意见")
    if facts.comment_opens_at is not None and facts.now < facts.comment_opens_at:
        return _("征求意见尚未开始")
    if facts.comment_closes_at is not None and facts.now >= facts.comment_closes_at:
        return _("征求意见期已结束，不能再提意见")
    return None
