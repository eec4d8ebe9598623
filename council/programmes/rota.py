"""值日 · 街区管家: the duty rota. Pure: no I/O.

The shops take turns by day in street order, one shop a day. A shop closed on a day (its
weekly rest day) gives that day to the next shop in line and keeps its own place, so it
serves the next day it is open; nobody loses or gains a turn by resting. A month continues
from where the previous one stopped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from council.i18n import N_, _

WEEKDAY_LABELS = (
    N_("周一"),
    N_("周二"),
    N_("周三"),
    N_("周四"),
    N_("周五"),
    N_("周六"),
    N_("周日"),
)


def month_days(year: int, month: int) -> list[dt.date]:
    last = calendar.monthrange(year, month)[1]
    return [dt.date(year, month, day) for day in range(1, last + 1)]


def weekdays_from_mask(mask: int) -> frozenset[int]:
    """Weekly closing days stored as a bit mask: bit 0 Monday … bit 6 Sunday."""
    return frozenset(day for day in range(7) if mask >> day & 1)


def mask_from_weekdays(days: Sequence[int]) -> int:
    return sum(1 << day for day in set(days) if 0 <= day < 7)


def generate(
    shops: Sequence[str],
    days: Sequence[dt.date],
    closed: Mapping[str, frozenset[int]],
    after: str | None = None,
) -> list[tuple[dt.date, str | None]]:
    """(day, shop on duty) for each day; None on a day every shop is closed.

    ``shops`` in street order; ``closed`` maps a shop to its weekly closing weekdays
    (0 = Monday); ``after`` is the shop whose turn came last, so the rota carries on."""
    line = deque(shops)
    if after in shops:
        line.rotate(-(shops.index(after) + 1))
    plan: list[tuple[dt.date, str | None]] = []
    for day in days:
        on_duty = next((s for s in line if day.weekday() not in closed.get(s, frozenset())), None)
        if on_duty is not None:
            line.remove(on_duty)
            line.append(on_duty)
        plan.append((day, on_duty))
    return plan


@dataclass(frozen=True)
class Turn:
    day: dt.date
    shop: str
    closed: frozenset[int] = frozenset()  # the shop's weekly closing weekdays


def swap_refusal(mine: Turn, theirs: Turn, today: dt.date) -> str | None:
    """Why two duties cannot change hands: two different shops, both days still to come,
    and neither shop closed on the day it would take."""
    if mine.shop == theirs.shop:
        return _("只能与另一家店铺调换值日")
    if min(mine.day, theirs.day) < today:
        return _("已经过去的值日不能调换")
    if theirs.day.weekday() in mine.closed or mine.day.weekday() in theirs.closed:
        return _("调换后有一家店铺在值日当天休息，不能调换")
    return None


def missed(day: dt.date, done: bool, today: dt.date) -> bool:
    """A duty is missed once its day is over without the checklist ticked."""
    return not done and day < today
