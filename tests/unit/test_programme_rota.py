"""The duty rota generator (值日 · 街区管家): one shop a day in street order, closing days
respected without anyone losing a turn, months carrying on, swaps. No database."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from council.programmes.rota import (
    Turn,
    generate,
    mask_from_weekdays,
    missed,
    month_days,
    swap_refusal,
    weekdays_from_mask,
)

MONDAY = 0
SUNDAY = 6


def test_rota_takes_turns_in_street_order_one_shop_a_day() -> None:
    days = month_days(2026, 12)
    plan = generate(["1", "2", "3"], days, {})
    assert len(plan) == 31
    assert [shop for _day, shop in plan[:7]] == ["1", "2", "3", "1", "2", "3", "1"]
    assert Counter(shop for _day, shop in plan) == {"1": 11, "2": 10, "3": 10}


def test_rota_of_48_shops_gives_each_at_most_one_day_a_month() -> None:
    """鱼巷: 48 shops under one 值日牌; a 30-day month reaches the first 30 of them, and the
    next month starts with shop 31."""
    shops = [str(n) for n in range(1, 49)]
    november = generate(shops, month_days(2026, 11), {})
    assert [shop for _d, shop in november] == shops[:30]
    december = generate(shops, month_days(2026, 12), {}, after=november[-1][1])
    assert [shop for _d, shop in december][:18] == shops[30:]
    assert [shop for _d, shop in december][18:] == shops[:13]


def test_rota_a_closing_day_passes_the_day_on_and_keeps_the_shops_place() -> None:
    """2026-12-07 is a Monday. Shop 1 rests on Mondays: shop 2 takes the Monday and shop 1
    serves on Tuesday, then the order carries on."""
    days = [dt.date(2026, 12, 7) + dt.timedelta(days=i) for i in range(5)]
    plan = generate(["1", "2", "3"], days, {"1": frozenset({MONDAY})})
    assert plan == [
        (dt.date(2026, 12, 7), "2"),
        (dt.date(2026, 12, 8), "1"),
        (dt.date(2026, 12, 9), "3"),
        (dt.date(2026, 12, 10), "2"),
        (dt.date(2026, 12, 11), "1"),
    ]
    for day, shop in generate(["1", "2", "3"], month_days(2026, 12), {"1": frozenset({MONDAY})}):
        assert not (shop == "1" and day.weekday() == MONDAY)


def test_rota_a_day_every_shop_is_closed_has_nobody_on_duty() -> None:
    sunday = dt.date(2026, 12, 6)
    closed = {"1": frozenset({SUNDAY}), "2": frozenset({SUNDAY})}
    assert generate(["1", "2"], [sunday], closed) == [(sunday, None)]


def test_rota_closing_days_round_trip_through_the_stored_mask() -> None:
    assert mask_from_weekdays([0, 6]) == 0b1000001
    assert weekdays_from_mask(0b1000001) == frozenset({0, 6})
    assert weekdays_from_mask(0) == frozenset()


def test_rota_a_swap_needs_two_shops_days_to_come_and_both_open() -> None:
    today = dt.date(2026, 12, 10)
    mine = Turn(dt.date(2026, 12, 14), "1")  # a Monday
    theirs = Turn(dt.date(2026, 12, 15), "2")
    assert swap_refusal(mine, theirs, today) is None
    assert swap_refusal(mine, Turn(dt.date(2026, 12, 9), "2"), today) == "已经过去的值日不能调换"
    assert swap_refusal(mine, Turn(dt.date(2026, 12, 15), "1"), today)
    closed_monday = Turn(dt.date(2026, 12, 15), "2", frozenset({MONDAY}))
    assert "休息" in (swap_refusal(mine, closed_monday, today) or "")


def test_rota_a_duty_is_missed_once_its_day_is_over_unticked() -> None:
    day = dt.date(2026, 12, 10)
    assert not missed(day, done=False, today=day)
    assert missed(day, done=False, today=day + dt.timedelta(days=1))
    assert not missed(day, done=True, today=day + dt.timedelta(days=1))
