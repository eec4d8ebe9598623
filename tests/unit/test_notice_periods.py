"""Notice periods in calendar days of the council's time zone, the notice's life, and when
objections are accepted (DOMAIN §5, rules 6, 7, 9, 10). No database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from council.errors import TransitionRefused
from council.notices.periods import (
    NOTICE,
    Facts,
    NoticeStatus,
    answer_due,
    editable,
    objection_refusal,
    period_from,
    period_problem,
)

N = NoticeStatus
TZ = "Asia/Shanghai"


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def test_R6_a_period_runs_in_local_calendar_days_across_a_month_end() -> None:
    """Published 11-25 21:00 in Shanghai (13:00 UTC) for 7 days: through 12-01, ending at
    local midnight starting 12-02, which is 12-01 16:00 UTC."""
    period = period_from(utc(2026, 11, 25, 13), 7, TZ)
    assert (period.first_day, period.last_day) == (dt.date(2026, 11, 25), dt.date(2026, 12, 1))
    assert period.ends_at == utc(2026, 12, 1, 16)
    assert period.days_left(utc(2026, 11, 25, 13), TZ) == 7
    assert period.days_left(utc(2026, 11, 30, 16), TZ) == 1  # 12-01 00:00 local: last day
    assert period.days_left(utc(2026, 12, 1, 15, 59), TZ) == 1
    assert period.days_left(utc(2026, 12, 1, 16), TZ) == 0
    assert period.over(utc(2026, 12, 1, 16)) and not period.over(utc(2026, 12, 1, 15, 59))


def test_R6_the_local_date_decides_not_the_utc_one() -> None:
    """20:00 UTC on 11-25 is already 11-26 in Shanghai: the period starts on 11-26."""
    period = period_from(utc(2026, 11, 25, 20), 7, TZ)
    assert period.first_day == dt.date(2026, 11, 26)
    assert period.last_day == dt.date(2026, 12, 2)
    # In a council that keeps UTC the same instant falls on 11-25.
    assert period_from(utc(2026, 11, 25, 20), 7, "UTC").last_day == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("days", "council", "ok"),
    [(7, 7, True), (6, 7, False), (9, 10, False), (10, 10, True), (90, 7, True), (91, 7, False)],
)
def test_R6_a_period_is_never_shorter_than_the_council_minimum(
    days: int, council: int, ok: bool
) -> None:
    assert (period_problem(days, council) is None) is ok


PUBLISHED = utc(2026, 11, 25, 13)
PERIOD = period_from(PUBLISHED, 7, TZ)
READY = Facts(status=N.DRAFT, now=PUBLISHED, title="决议公示", body="表决结果……")
RUNNING = Facts(status=N.PUBLISHED, now=utc(2026, 11, 28), period=PERIOD)
ENDED = Facts(status=N.PUBLISHED, now=PERIOD.ends_at, period=PERIOD)


@pytest.mark.parametrize(
    ("current", "target", "facts"),
    [
        (N.DRAFT, N.PUBLISHED, READY),
        (N.PUBLISHED, N.CLOSED, ENDED),
        (N.PUBLISHED, N.SUPERSEDED, RUNNING),
    ],
)
def test_notice_legal_moves(current: N, target: N, facts: Facts) -> None:
    assert NOTICE.advance(current, target, facts) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair in itertools.product(N, N) if pair not in NOTICE.gates],
)
def test_notice_moves_outside_the_table_are_refused(current: N, target: N) -> None:
    with pytest.raises(TransitionRefused):
        NOTICE.advance(current, target, ENDED)


@pytest.mark.parametrize(
    ("facts", "said"),
    [
        (Facts(**{**READY.__dict__, "body": " "}), "公示须有标题和正文"),
        (Facts(**{**READY.__dict__, "period_days": 7, "council_days": 10}), "不得少于"),
        (Facts(**{**READY.__dict__, "blockers": ("须有监督员签字确认",)}), "签字确认"),
    ],
)
def test_notice_publish_refusals(facts: Facts, said: str) -> None:
    reasons = NOTICE.reasons(N.DRAFT, N.PUBLISHED, facts)
    assert any(said in r for r in reasons), reasons


def test_R6_no_early_end_and_R7_no_end_with_an_unanswered_objection() -> None:
    assert NOTICE.reasons(N.PUBLISHED, N.CLOSED, RUNNING) == [
        "公示期未满，不能提前结束（还剩 4 天）"
    ]
    pending = Facts(**{**ENDED.__dict__, "unanswered": 2})
    assert NOTICE.reasons(N.PUBLISHED, N.CLOSED, pending) == [
        "还有 2 条异议未答复，答复后才能结束公示"
    ]


def test_R9_only_drafts_are_edited() -> None:
    assert editable(N.DRAFT)
    assert not any(editable(s) for s in (N.PUBLISHED, N.CLOSED, N.SUPERSEDED))


def test_objections_only_inside_the_period_of_the_current_notice() -> None:
    assert objection_refusal(N.PUBLISHED, PERIOD, utc(2026, 11, 28)) is None
    assert "已结束" in (objection_refusal(N.PUBLISHED, PERIOD, PERIOD.ends_at) or "")
    assert "不在公示期内" in (objection_refusal(N.DRAFT, None, utc(2026, 11, 28)) or "")
    assert "已被更正" in (objection_refusal(N.SUPERSEDED, PERIOD, utc(2026, 11, 28)) or "")


def test_R8_answers_are_due_at_the_end_of_the_third_local_day_after_lodging() -> None:
    """Lodged 12-01 01:00 local: days 12-02, 12-03, 12-04; due when 12-04 ends."""
    assert answer_due(utc(2026, 11, 30, 17), 3, TZ) == utc(2026, 12, 4, 16)
