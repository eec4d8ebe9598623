"""Working days and deadlines (pure): the DOMAIN §8 worked example verbatim, a holiday, a
make-up working day, a month end and the same-day limit of an emergency."""

from __future__ import annotations

import datetime as dt

import pytest

from council.workorders.calendar import (
    WorkCalendar,
    deadline,
    deadline_label,
    end_of_day,
    extended,
    local_date,
)

TZ = "Asia/Shanghai"
D = dt.date

# DOMAIN §8: 09-27 (Sunday) and 10-10 (Saturday) are make-up working days; 10-01…10-07 holidays.
EXAMPLE = WorkCalendar.of(
    holidays=[D(2026, 10, day) for day in range(1, 8)],
    workdays=[D(2026, 9, 27), D(2026, 10, 10)],
)


def _local(*args: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo(TZ))


@pytest.mark.parametrize(
    ("n", "day"),
    [(1, D(2026, 9, 27)), (4, D(2026, 9, 30)), (5, D(2026, 10, 8)), (7, D(2026, 10, 10))],
)
def test_domain_example_counts_make_up_days_and_skips_holidays(n: int, day: dt.date) -> None:
    assert EXAMPLE.add_working_days(D(2026, 9, 25), n) == day


def test_domain_example_complaint_dispatched_friday_is_due_at_the_end_of_monday_10_19() -> None:
    due = deadline(_local(2026, 9, 25, 16, 0), 13, TZ, EXAMPLE)
    assert due == _local(2026, 10, 20, 0, 0).astimezone(dt.UTC)
    assert local_date(due - dt.timedelta(seconds=1), TZ) == D(2026, 10, 19)


def test_a_holiday_is_not_a_working_day_and_a_make_up_weekend_is() -> None:
    assert not EXAMPLE.is_working_day(D(2026, 10, 1))  # a Thursday, holiday
    assert EXAMPLE.is_working_day(D(2026, 10, 10))  # a Saturday, make-up day
    assert not EXAMPLE.is_working_day(D(2026, 10, 11))  # an ordinary Sunday
    assert EXAMPLE.is_working_day(D(2026, 10, 9))  # an ordinary Friday


def test_inquiry_of_three_working_days_runs_over_a_month_end() -> None:
    # Dispatched Thursday 2026-04-30: Friday 05-01 … 05-05 holidays in this calendar.
    may_day = WorkCalendar.of(holidays=[D(2026, 5, day) for day in range(1, 6)])
    due = deadline(_local(2026, 4, 30, 10, 0), 3, TZ, may_day)
    assert local_date(due - dt.timedelta(seconds=1), TZ) == D(2026, 5, 8)
    # Without holidays: Fri 05-01, Mon 05-04, Tue 05-05.
    plain = deadline(_local(2026, 4, 30, 10, 0), 3, TZ, WorkCalendar())
    assert local_date(plain - dt.timedelta(seconds=1), TZ) == D(2026, 5, 5)


def test_month_and_year_end_on_a_weekend() -> None:
    # Thursday 2026-12-31: day 1 is Friday 2027-01-01 without a calendar, Monday 01-04 with
    # New Year's Day as a holiday.
    assert WorkCalendar().add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    new_year = WorkCalendar.of(holidays=[D(2027, 1, 1)])
    assert new_year.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    # Dispatched on a Saturday at the end of October: day 1 is Monday 11-02.
    assert WorkCalendar().add_working_days(D(2026, 10, 31), 1) == D(2026, 11, 2)


def test_emergency_is_due_at_24_00_of_the_dispatch_day_in_council_time() -> None:
    # 23:30 UTC on 09-24 is 07:30 on 09-25 in Shanghai: the council's day counts.
    dispatched = dt.datetime(2026, 9, 24, 23, 30, tzinfo=dt.UTC)
    assert deadline(dispatched, 0, TZ, EXAMPLE) == end_of_day(D(2026, 9, 25), TZ)
    assert end_of_day(D(2026, 9, 25), TZ) == dt.datetime(2026, 9, 25, 16, 0, tzinfo=dt.UTC)


def test_an_extension_adds_working_days_after_the_current_last_day() -> None:
    due = end_of_day(D(2026, 9, 30), TZ)  # day 4 of the example
    assert extended(due, 1, TZ, EXAMPLE) == end_of_day(D(2026, 10, 8), TZ)
    assert extended(due, 3, TZ, EXAMPLE) == end_of_day(D(2026, 10, 10), TZ)


def test_working_days_between_counts_after_start_up_to_end() -> None:
    assert EXAMPLE.working_days_between(D(2026, 9, 25), D(2026, 10, 19)) == 13
    assert EXAMPLE.working_days_between(D(2026, 10, 19), D(2026, 10, 19)) == 0


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    start = D(2026, 1, 1)
    never = WorkCalendar.of(holidays=[start + dt.timedelta(days=n) for n in range(1, 3700)])
    with pytest.raises(ValueError, match="no working days"):
        never.add_working_days(start, 1)


def test_a_deadline_reads_as_24_00_of_its_last_day() -> None:
    assert deadline_label(end_of_day(D(2026, 10, 19), TZ), TZ) == "2026-10-19 24:00"
    assert deadline_label(dt.datetime(2026, 10, 19, 1, 30, tzinfo=dt.UTC), TZ) == "2026-10-19 09:30"
