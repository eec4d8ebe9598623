"""Overdue flags and scorecard figures (pure): each figure is one predicate, rates are exact
fractions rounded half up only for display."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from council.workorders.figures import OrderFacts, count, due_soon, matches, overdue, percent
from council.workorders.workflow import OrderStatus as S
from council.workorders.workflow import Rating

DUE = dt.datetime(2026, 10, 19, 16, 0, tzinfo=dt.UTC)
BEFORE, AFTER = DUE - dt.timedelta(hours=1), DUE + dt.timedelta(hours=1)


def test_an_order_with_the_department_is_overdue_from_its_deadline_on() -> None:
    order = OrderFacts(S.ACCEPTED, DUE)
    assert not overdue(order, BEFORE)
    assert overdue(order, DUE) and overdue(order, AFTER)


def test_a_reply_after_the_deadline_stays_overdue_and_one_before_it_never_is() -> None:
    late = OrderFacts(S.RATED, DUE, replied_at=AFTER, rating=Rating.BASIC)
    early = OrderFacts(S.REPLIED, DUE, replied_at=BEFORE)
    assert overdue(late, AFTER + dt.timedelta(days=30))
    assert not overdue(early, AFTER + dt.timedelta(days=30))


def test_due_soon_is_the_reminder_window_before_the_deadline() -> None:
    order = OrderFacts(S.DISPATCHED, DUE)
    assert due_soon(order, DUE - dt.timedelta(hours=23), 24)
    assert not due_soon(order, DUE - dt.timedelta(hours=25), 24)
    assert not due_soon(order, AFTER, 24)  # overdue, not due soon
    assert not due_soon(OrderFacts(S.REPLIED, DUE), BEFORE, 24)


def test_figures_count_each_predicate_and_rates_use_their_own_base() -> None:
    orders = [
        OrderFacts(S.RATED, DUE, accepted_at=BEFORE, replied_at=BEFORE, rating=Rating.SATISFIED),
        OrderFacts(S.RATED, DUE, accepted_at=BEFORE, replied_at=AFTER, rating=Rating.UNSATISFIED),
        OrderFacts(S.CLOSED, DUE, accepted_at=AFTER, replied_at=AFTER),
        OrderFacts(S.ACCEPTED, DUE, accepted_at=BEFORE),  # with the department, past due
        OrderFacts(S.DISPATCHED, DUE + dt.timedelta(days=9)),  # not yet due
        OrderFacts(S.ACCEPTED, DUE, accepted_at=BEFORE, replied_at=BEFORE),  # sent back
    ]
    figures = count(orders, AFTER)
    assert {k: figures[k] for k in figures.counts} == {
        "received": 6,
        "on_time": 1,
        "overdue": 4,
        "responded": 4,
        "resolved": 3,
        "rated": 2,
        "satisfied": 1,
    }
    assert figures.response_rate == Fraction(4, 6)
    assert figures.resolution_rate == Fraction(1, 2)
    assert figures.satisfaction_rate == Fraction(1, 2)
    assert [o for o in orders if matches("overdue", o, AFTER)] == [
        orders[1],
        orders[2],
        orders[3],
        orders[5],
    ]


def test_rates_display_rounded_half_up_and_a_dash_without_a_base() -> None:
    assert percent(Fraction(2, 3)) == "66.7%"
    assert percent(Fraction(1, 8)) == "12.5%"
    assert percent(Fraction(1, 16)) == "6.3%"  # 6.25 rounds up, not to even
    assert percent(Fraction(1, 1)) == "100.0%"
    assert percent(None) == "—"
    assert count([], AFTER).satisfaction_rate is None
