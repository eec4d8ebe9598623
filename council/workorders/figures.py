"""Overdue flags and a department's scorecard figures. Pure: facts of orders in, counts out.

Each figure is one predicate over an order; the scorecard counts them and the list behind a
figure filters by the same predicate, so a count and its list always agree.

- 收到 (received): orders dispatched to the department in the month.
- 按时办结反馈 (on time): the latest reply came before the deadline.
- 超期 (overdue): still with the department after the deadline, or replied after it.
- 响应率: orders accepted (签收) before the deadline ÷ received.
- 解决率: orders verified as handled to satisfaction (核查满意) ÷ received.
- 满意率: ratings 满意 or 基本满意 ÷ orders rated (12345 practice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from council.i18n import N_
from council.workorders.workflow import CONTENT, RESOLVED, WITH_DEPARTMENT, OrderStatus, Rating


@dataclass(frozen=True)
class OrderFacts:
    status: OrderStatus
    due_at: dt.datetime
    accepted_at: dt.datetime | None = None
    replied_at: dt.datetime | None = None
    rating: Rating | None = None


def overdue(order: OrderFacts, now: dt.datetime) -> bool:
    if order.status in WITH_DEPARTMENT:
        return now >= order.due_at
    return order.replied_at is not None and order.replied_at >= order.due_at


def due_soon(order: OrderFacts, now: dt.datetime, hours: int) -> bool:
    """Still with the department and due within ``hours``: the reminder's window."""
    return order.status in WITH_DEPARTMENT and now < order.due_at <= now + dt.timedelta(hours=hours)


Predicate = Callable[[OrderFacts, dt.datetime], bool]

FIGURES: Mapping[str, tuple[str, Predicate]] = {
    "received": (N_("收到"), lambda o, now: True),
    "on_time": (
        N_("按时反馈"),
        lambda o, now: (
            o.status not in WITH_DEPARTMENT and o.replied_at is not None and o.replied_at < o.due_at
        ),
    ),
    "overdue": (N_("超期"), overdue),
    "responded": (
        N_("按时签收"),
        lambda o, now: o.accepted_at is not None and o.accepted_at < o.due_at,
    ),
    "resolved": (N_("解决"), lambda o, now: o.status in RESOLVED),
    "rated": (N_("已评价"), lambda o, now: o.rating is not None),
    "satisfied": (N_("满意"), lambda o, now: o.rating in CONTENT),
}


def matches(figure: str, order: OrderFacts, now: dt.datetime) -> bool:
    return FIGURES[figure][1](order, now)


@dataclass(frozen=True)
class Figures:
    counts: Mapping[str, int]

    def __getitem__(self, figure: str) -> int:
        return self.counts[figure]

    @property
    def response_rate(self) -> Fraction | None:
        return _rate(self["responded"], self["received"])

    @property
    def resolution_rate(self) -> Fraction | None:
        return _rate(self["resolved"], self["received"])

    @property
    def satisfaction_rate(self) -> Fraction | None:
        return _rate(self["satisfied"], self["rated"])


def _rate(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def count(orders: Iterable[OrderFacts], now: dt.datetime) -> Figures:
    rows = list(orders)
    return Figures(
        {name: sum(1 for o in rows if test(o, now)) for name, (_l, test) in FIGURES.items()}
    )


def percent(rate: Fraction | None) -> str:
    """A rate for display: exact until here, then rounded half up to one decimal."""
    if rate is None:
        return "—"
    value = Decimal(rate.numerator * 100) / Decimal(rate.denominator)
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
