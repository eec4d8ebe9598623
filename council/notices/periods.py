"""Notices (公示): their life, their period and the objections it admits. Pure: no I/O.

    草稿 ─发布─► 公示中 ─(期满，异议均已答复)─► 已结束
                  └─(更正公示发布)─► 已更正 (the correction's period starts again)

A period is counted in calendar days in the council's time zone (DOMAIN §5): published on
11-25 with 7 days, it runs through 12-01 and ends at midnight starting 12-02, local time.
Published notices are never edited (rule 9); there is no early end.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from council.i18n import N_, _
from council.machine import Machine, every

MINIMUM_DAYS = 7  # DOMAIN §5: never less than 7 days, whatever a council sets
AWARD_MINIMUM_DAYS = 3  # DOMAIN §8: points awards stay in notice 3 days before crediting
MAXIMUM_DAYS = 90
ANSWER_DAYS = 3  # DOMAIN §5 [practice]: each objection answered in writing within 3 days


class NoticeStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    SUPERSEDED = "superseded"


class NoticeKind(enum.StrEnum):
    RESOLUTION = "resolution"  # 决议公开
    RESULTS = "results"  # 实施结果公开
    CONVENTION = "convention"  # an adopted convention
    CALL = "call"  # a call for suggestions
    GENERAL = "general"
    AWARD = "award"  # 积分公示: points awarded, credited when the period ends
    RATING = "rating"  # 文明诚信商户 results


STATUS_LABELS: Mapping[NoticeStatus, str] = {
    NoticeStatus.DRAFT: N_("草稿"),
    NoticeStatus.PUBLISHED: N_("公示中"),
    NoticeStatus.CLOSED: N_("公示结束"),
    NoticeStatus.SUPERSEDED: N_("已更正"),
}
KIND_LABELS: Mapping[NoticeKind, str] = {
    NoticeKind.RESOLUTION: N_("决议公示"),
    NoticeKind.RESULTS: N_("实施结果公示"),
    NoticeKind.CONVENTION: N_("公约公示"),
    NoticeKind.CALL: N_("意见征集公告"),
    NoticeKind.GENERAL: N_("其他公示"),
    NoticeKind.AWARD: N_("积分公示"),
    NoticeKind.RATING: N_("评比结果公示"),
}
# Seen by the public from publication on; drafts are for staff.
PUBLIC = frozenset({NoticeStatus.PUBLISHED, NoticeStatus.CLOSED, NoticeStatus.SUPERSEDED})


def label(status: NoticeStatus) -> str:
    return _(STATUS_LABELS[status])


def kind_label(kind: NoticeKind) -> str:
    return _(KIND_LABELS[kind])


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A notice period: its first and last local day, and the UTC instant it ends."""

    first_day: dt.date
    last_day: dt.date
    ends_at: dt.datetime

    def over(self, now: dt.datetime) -> bool:
        return now >= self.ends_at

    def days_left(self, now: dt.datetime, timezone: str) -> int:
        """Calendar days still to run, today included; 0 once the period is over."""
        if self.over(now):
            return 0
        today = now.astimezone(ZoneInfo(timezone)).date()
        return (self.last_day - max(today, self.first_day)).days + 1


def period_from(published_at: dt.datetime, days: int, timezone: str) -> Period:
    """The period of a notice published at ``published_at`` for ``days`` calendar days."""
    zone = ZoneInfo(timezone)
    first = published_at.astimezone(zone).date()
    last = first + dt.timedelta(days=days - 1)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return Period(first, last, end.astimezone(dt.UTC))


def period_problem(
    days: int, council_days: int, kind: NoticeKind = NoticeKind.GENERAL
) -> str | None:
    """Why ``days`` is not an acceptable period for a council whose default is
    ``council_days``: never shorter than the council's setting, nor than 7 days; a points
    award, whose period its programme sets, never shorter than 3."""
    floor = AWARD_MINIMUM_DAYS if kind is NoticeKind.AWARD else max(MINIMUM_DAYS, council_days)
    if days < floor:
        return _("公示期不得少于本议事会规定的 %(n)s 天", n=floor)
    if days > MAXIMUM_DAYS:
        return _("公示期最多 %(n)s 天", n=MAXIMUM_DAYS)
    return None


def local_day(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def answer_due(lodged_at: dt.datetime, answer_days: int, timezone: str) -> dt.datetime:
    """Due when the ``answer_days``-th local day after the day of lodging ends."""
    zone = ZoneInfo(timezone)
    day = lodged_at.astimezone(zone).date() + dt.timedelta(days=answer_days + 1)
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class NoticeState:
    """Where a notice stands, for a room that waits on it (the newest of a correction chain;
    ``unanswered`` counts objections on the whole chain)."""

    published: bool
    period_over: bool
    days_left: int
    unanswered: int


# --- the notice's life ------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    status: NoticeStatus
    now: dt.datetime
    kind: NoticeKind = NoticeKind.GENERAL
    title: str = ""
    body: str = ""
    period_days: int = MINIMUM_DAYS
    council_days: int = MINIMUM_DAYS
    period: Period | None = None
    timezone: str = "Asia/Shanghai"
    unanswered: int = 0  # objections without an answer, on this notice and those it corrects
    # Reasons another room gives for not publishing (a results notice without sign-off).
    blockers: tuple[str, ...] = ()


def _has_text(f: Facts) -> str | None:
    return None if f.title.strip() and f.body.strip() else _("公示须有标题和正文")


def _period_ok(f: Facts) -> str | None:
    return period_problem(f.period_days, f.council_days, f.kind)


def _not_blocked(f: Facts) -> str | None:
    return "；".join(f.blockers) if f.blockers else None


def _period_over(f: Facts) -> str | None:
    if f.period is None or f.period.over(f.now):
        return None
    left = f.period.days_left(f.now, f.timezone)
    return _("公示期未满，不能提前结束（还剩 %(n)s 天）", n=left)


def _all_answered(f: Facts) -> str | None:
    if f.unanswered:
        return _("还有 %(n)s 条异议未答复，答复后才能结束公示", n=f.unanswered)
    return None


NOTICE = Machine[NoticeStatus, Facts](
    "notice",
    label=label,
    gates={
        (NoticeStatus.DRAFT, NoticeStatus.PUBLISHED): every(_has_text, _period_ok, _not_blocked),
        (NoticeStatus.PUBLISHED, NoticeStatus.CLOSED): every(_period_over, _all_answered),
        # A correction, once published, takes the old notice's place (rule 10).
        (NoticeStatus.PUBLISHED, NoticeStatus.SUPERSEDED): every(),
    },
)

NOT_EDITABLE = N_("已发布的公示不能修改；如需更正，请发布更正公示（公示期重新计算）")


def editable(status: NoticeStatus) -> bool:
    """Only a draft changes; a published notice is corrected by a new one (rule 9)."""
    return status is NoticeStatus.DRAFT


def objection_refusal(status: NoticeStatus, period: Period | None, now: dt.datetime) -> str | None:
    """None while objections are accepted (published, inside the period); else why not."""
    if status is NoticeStatus.SUPERSEDED:
        return _("这份公示已被更正，请对更正后的公示提出异议")
    if status is not NoticeStatus.PUBLISHED or period is None:
        return _("这份公示不在公示期内，不能提出异议")
    if period.over(now):
        return _("公示期已结束，不能再提出异议")
    return None
