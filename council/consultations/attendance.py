"""Rule 30: representatives with three unexcused absences in a year are flagged. Pure."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

ABSENCE_LIMIT = 3
WINDOW = dt.timedelta(days=365)


@dataclass(frozen=True)
class Absence:
    """A member invited to a meeting that has closed, who never signed in."""

    person: Hashable
    meeting_at: dt.datetime
    excused: bool


def flagged(absences: Iterable[Absence], now: dt.datetime) -> dict[Hashable, int]:
    """Person → unexcused absences in the year before ``now``, for those at the limit."""
    counts = Counter(
        a.person for a in absences if not a.excused and now - WINDOW <= a.meeting_at <= now
    )
    return {person: n for person, n in counts.items() if n >= ABSENCE_LIMIT}
