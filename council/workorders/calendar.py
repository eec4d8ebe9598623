"""Working days and work-order deadlines. Pure: dates and time zones in, dates out.

A working day is Monday to Friday, unless the administrator's calendar makes it a public
holiday; a Saturday or Sunday is one only when the calendar makes it a make-up working day
(调休上班). A limit of N working days counts from the first working day after the day of
dispatch, in the council's time zone, and ends at 24:00 of day N; a same-day limit (紧急)
ends at 24:00 of the day of dispatch (DOMAIN §8, "Work-order time limits").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAY = dt.timedelta(days=1)
# Far more than any limit or extension; a calendar that never yields a working day (every
# day a holiday) ends the count here instead of looping for ever.
MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # make-up working days on weekends

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """Day ``days`` of a count that begins with the first working day after ``start``;
        ``start`` itself for a count of 0."""
        if days < 0:
            raise ValueError("a count of working days is never negative")
        day, counted = start, 0
        for _ in range(MAX_SPAN_DAYS):
            if counted == days:
                return day
            day += DAY
            if self.is_working_day(day):
                counted += 1
        raise ValueError("the calendar has no working days within ten years")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count, day = 0, start
        while day < end:
            day += DAY
            if self.is_working_day(day):
                count += 1
        return count


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: dt.date, timezone: str) -> dt.datetime:
    """24:00 of ``day`` in the council's time zone, in UTC: the instant a deadline passes."""
    midnight = dt.datetime.combine(day + DAY, dt.time(), tzinfo=ZoneInfo(timezone))
    return midnight.astimezone(dt.UTC)


def deadline(
    dispatched_at: dt.datetime, working_days: int, timezone: str, calendar: WorkCalendar
) -> dt.datetime:
    """When an order dispatched at ``dispatched_at`` with a limit of ``working_days`` is due
    (0 = the same day), as a UTC instant: 24:00 of the last day, council time."""
    start = local_date(dispatched_at, timezone)
    return end_of_day(calendar.add_working_days(start, working_days), timezone)


def extended(
    due_at: dt.datetime, working_days: int, timezone: str, calendar: WorkCalendar
) -> dt.datetime:
    """A deadline moved on by ``working_days`` more working days after the current last day."""
    return end_of_day(calendar.add_working_days(last_day(due_at, timezone), working_days), timezone)


def last_day(due_at: dt.datetime, timezone: str) -> dt.date:
    """The day a deadline (24:00 of it) belongs to, in the council's time zone."""
    return local_date(due_at - dt.timedelta(microseconds=1), timezone)


def deadline_label(due_at: dt.datetime, timezone: str = "Asia/Shanghai") -> str:
    """A deadline as people say it: "2026-10-19 24:00", not "2026-10-20 00:00"."""
    moment = due_at.astimezone(ZoneInfo(timezone))
    if moment.time() == dt.time():
        return f"{last_day(due_at, timezone).isoformat()} 24:00"
    return moment.strftime("%Y-%m-%d %H:%M")
