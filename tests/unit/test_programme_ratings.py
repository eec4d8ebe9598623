"""文明诚信商户 arithmetic (published criteria, fixed weights, three scorer groups,
a verified violation downgrades; DOMAIN §8 worked example), in exact fractions. No database."""

from __future__ import annotations

from fractions import Fraction

import pytest

from council.programmes.ratings import (
    Dimension,
    Group,
    Scheme,
    Sheet,
    Violations,
    compute,
    display,
    scheme_problems,
    scorer_total,
    shop_result,
)

DIMENSIONS = (
    Dimension("hygiene", "卫生", 20),
    Dimension("service", "服务", 20),
    Dimension("integrity", "诚信", 20, integrity=True),
    Dimension("safety", "安全", 15),
    Dimension("frontage", "门前三包", 15),
    Dimension("prices", "明码标价", 10),
)
GROUPS = (
    Group("chamber", "商会", 40),
    Group("community", "社区", 30),
    Group("residents", "居民代表", 30),
)
SCHEME = Scheme(DIMENSIONS, GROUPS, penalty=5)
KEYS = [d.key for d in DIMENSIONS]


def scores(*values: int) -> dict[str, int]:
    return dict(zip(KEYS, values, strict=True))


# Score sheets whose totals are the worked example's: Σ(weight × score) / 10.
TOTAL_86 = scores(9, 9, 9, 8, 8, 8)  # 180+180+180+120+120+80 = 860
TOTAL_90 = scores(9, 9, 9, 9, 9, 9)
TOTAL_80 = scores(8, 8, 8, 8, 8, 8)
TOTAL_70 = scores(7, 7, 7, 7, 7, 7)
TOTAL_75 = scores(8, 8, 7, 7, 7, 8)  # 160+160+140+105+105+80 = 750


def worked_example(shop: str = "12") -> list[Sheet]:
    """商会 86 and 90; 社区 80; 居民代表 70, 75 and 80 (DOMAIN §8)."""
    return [
        Sheet("s1", "chamber", shop, TOTAL_86),
        Sheet("s2", "chamber", shop, TOTAL_90),
        Sheet("c1", "community", shop, TOTAL_80),
        Sheet("r1", "residents", shop, TOTAL_70),
        Sheet("r2", "residents", shop, TOTAL_75),
        Sheet("r3", "residents", shop, TOTAL_80),
    ]


def test_rating_a_scorers_total_is_the_weighted_sum_over_ten() -> None:
    """Scores 9, 9, 8, 9, 8, 10 → 875 / 10 = 87.5."""
    total = scorer_total(SCHEME, scores(9, 9, 8, 9, 8, 10))
    assert total == Fraction(875, 10)
    assert display(total) == "87.5"
    assert scorer_total(SCHEME, TOTAL_86) == 86
    assert scorer_total(SCHEME, TOTAL_75) == 75


def test_rating_group_means_weighted_by_group_give_81_7() -> None:
    """商会 (40 %) 86 and 90 → 88; 社区 (30 %) 80; 居民代表 (30 %) 70, 75, 80 → 75;
    shop = 35.2 + 24 + 22.5 = 81.7, exactly."""
    result = shop_result(SCHEME, "12", worked_example(), Violations())
    assert result.by_group == {"chamber": 88, "community": 80, "residents": 75}
    assert result.score == Fraction(817, 10)
    assert display(result.score) == "81.7"
    # Per dimension, on 0–10: 诚信 is 0.4·9 + 0.3·8 + 0.3·(7+7+8)/3 = 3.6 + 2.4 + 2.2 = 8.2.
    assert result.by_dimension["integrity"] == Fraction(82, 10)
    assert result.integrity == Fraction(82, 10)


def test_rating_each_verified_violation_takes_the_scheme_penalty_off() -> None:
    """One violation in the quarter: 81.7 − 5 = 76.7; two: 71.7."""
    one = shop_result(SCHEME, "12", worked_example(), Violations(count=1))
    two = shop_result(SCHEME, "12", worked_example(), Violations(count=2))
    assert (one.base, one.score) == (Fraction(817, 10), Fraction(767, 10))
    assert two.score == Fraction(717, 10)
    assert one.eligible


def test_rating_a_downgrade_moves_the_flag_to_the_next_shop() -> None:
    """Shop 12 (81.7) leads shop 5 (80.0) until one violation puts it at 76.7."""
    sheets = worked_example("12") + [Sheet(f"x{g.key}", g.key, "5", TOTAL_80) for g in GROUPS]
    clean = compute(SCHEME, ["5", "12"], sheets, {})
    assert clean.winner == "12"
    assert [(r.shop, r.rank) for r in clean.results] == [("12", 1), ("5", 2)]
    downgraded = compute(SCHEME, ["5", "12"], sheets, {"12": Violations(count=1)})
    assert downgraded.winner == "5"
    assert [(r.shop, display(r.score)) for r in downgraded.results] == [
        ("5", "80.0"),
        ("12", "76.7"),
    ]


def test_rating_an_integrity_violation_bars_the_flag_but_keeps_the_score_ranked() -> None:
    sheets = worked_example("12") + [Sheet(f"x{g.key}", g.key, "5", TOTAL_70) for g in GROUPS]
    outcome = compute(SCHEME, ["5", "12"], sheets, {"12": Violations(count=1, integrity=1)})
    first = outcome.results[0]
    assert (first.shop, display(first.score), first.barred) == ("12", "76.7", True)
    assert outcome.winner == "5"


def _tied_pair(integrity_12: int, integrity_5: int) -> list[Sheet]:
    """Shops 12 and 5 with the same total (80) but different 诚信 scores: a shop trades 2
    points of 诚信 (weight 20) for 4 of 明码标价 (weight 10)."""

    def sheet(shop: str, integrity: int) -> dict[str, int]:
        prices = 8 + (8 - integrity) * 2
        return scores(8, 8, integrity, 8, 8, prices)

    return [
        Sheet(f"{shop}{g.key}", g.key, shop, sheet(shop, i))
        for shop, i in (("12", integrity_12), ("5", integrity_5))
        for g in GROUPS
    ]


def test_rating_ties_go_to_the_higher_integrity_score() -> None:
    sheets = _tied_pair(integrity_12=7, integrity_5=8)
    outcome = compute(SCHEME, ["12", "5"], sheets, {})
    assert [display(r.score) for r in outcome.results] == ["80.0", "80.0"]
    assert outcome.winner == "5"
    assert [r.rank for r in outcome.results] == [1, 2]


def test_rating_then_to_fewer_violations() -> None:
    """Shop 12: 81.7 with one violation → 76.7. Shop 5: the same sheets with 明码标价 5
    lower (weight 10, so 5 off every total) → 76.7 with none. Same 诚信: shop 5 wins."""
    cheaper = [
        Sheet(s.scorer, s.group, "5", {**s.scores, "prices": s.scores["prices"] - 5})
        for s in worked_example("5")
    ]
    sheets = worked_example("12") + cheaper
    outcome = compute(SCHEME, ["12", "5"], sheets, {"12": Violations(count=1)})
    assert [display(r.score) for r in outcome.results] == ["76.7", "76.7"]
    assert outcome.results[0].integrity == outcome.results[1].integrity
    assert outcome.winner == "5"
    assert [(r.shop, r.rank) for r in outcome.results] == [("5", 1), ("12", 2)]


def test_rating_a_tie_after_both_rules_waits_for_the_supervisors_lot() -> None:
    same = [Sheet(s.scorer + "5", s.group, "5", s.scores) for s in worked_example("12")]
    sheets = worked_example("12") + same
    undecided = compute(SCHEME, ["12", "5"], sheets, {})
    assert undecided.winner is None
    assert undecided.tied == ("12", "5")
    assert [r.rank for r in undecided.results] == [1, 1]
    drawn = compute(SCHEME, ["12", "5"], sheets, {}, lot="5")
    assert (drawn.winner, drawn.by_lot) == ("5", True)
    # A lot for a shop that is not among the tied decides nothing.
    assert compute(SCHEME, ["12", "5"], sheets, {}, lot="9").winner is None


def test_rating_a_shop_not_scored_by_every_group_is_unranked() -> None:
    sheets = [s for s in worked_example("12") if s.group != "community"]
    outcome = compute(SCHEME, ["12"], sheets, {})
    assert outcome.results[0].complete is False
    assert outcome.results[0].score is None and outcome.results[0].rank is None
    assert outcome.winner is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(8165, 100), "81.7"),  # half up, never to even
        (Fraction(8175, 100), "81.8"),
        (Fraction(8164, 100), "81.6"),
        (Fraction(245, 3), "81.7"),  # 81.666…
        (Fraction(0), "0.0"),
        (Fraction(100), "100.0"),
    ],
)
def test_rating_display_rounds_half_up_to_one_decimal(value: Fraction, shown: str) -> None:
    assert display(value) == shown


def test_rating_weights_are_published_whole_and_add_up_to_100() -> None:
    assert scheme_problems([20, 20, 20, 15, 15, 10], [40, 30, 30], 1) == {}
    problems = scheme_problems([20, 20, 20, 15, 15, 5], [40, 30, 20], 2)
    assert set(problems) == {"dimensions", "groups"}
    assert "合计 95" in scheme_problems([20, 20, 20, 15, 15, 5], [40, 30, 30], 1)["dimensions"]
    assert scheme_problems([110, -10], [100], 0)["dimensions"]
