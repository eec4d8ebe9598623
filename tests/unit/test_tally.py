"""The pure tally against DOMAIN.md §3: every base, every comparison, the six worked examples."""

from __future__ import annotations

import pytest

from council.voting.tally import (
    ABSTAIN,
    HALF_OR_MORE,
    MAJORITY,
    NO,
    THREE_QUARTERS,
    TWO_THIRDS,
    YES,
    BaseKind,
    PassingRule,
    QuorumRule,
    Rules,
    Threshold,
    tally,
)

YES_NO = (YES, NO)


def votes(yes: int = 0, no: int = 0, abstain: int = 0) -> list[tuple[str, ...]]:
    return [(YES,)] * yes + [(NO,)] * no + [(ABSTAIN,)] * abstain


def rules(
    threshold: Threshold, base: BaseKind, quorum: QuorumRule | None = None, **kw: bool
) -> Rules:
    return Rules(passing=PassingRule(threshold, base), quorum=quorum, **kw)


# --- rule 13: exact fractions, 过半数 strict, 以上 inclusive -----------------------------------


def test_R13_majority_is_strictly_more_than_half() -> None:
    assert not MAJORITY.met(5, 10)
    assert MAJORITY.met(6, 10)
    assert MAJORITY.met(6, 11)
    assert not MAJORITY.met(5, 11)


def test_R13_yishang_includes_the_line() -> None:
    assert HALF_OR_MORE.met(5, 10)
    assert TWO_THIRDS.met(2, 3)
    assert TWO_THIRDS.met(14, 21)
    assert not TWO_THIRDS.met(13, 21)
    assert THREE_QUARTERS.met(3, 4)
    assert not THREE_QUARTERS.met(2, 3)


def test_R13_no_float_rounding_at_the_line() -> None:
    # 2/3 of 3 000 000 003 is exactly 2 000 000 002: floats would wobble here, integers don't.
    assert TWO_THIRDS.met(2_000_000_002, 3_000_000_003)
    assert not TWO_THIRDS.met(2_000_000_001, 3_000_000_003)
    assert Threshold(1, 3, strict=True).needed(9) == 4
    assert Threshold(1, 3, strict=False).needed(9) == 3


@pytest.mark.parametrize(
    ("threshold", "base", "needed"),
    [
        (MAJORITY, 37, 19),
        (MAJORITY, 14, 8),
        (MAJORITY, 11, 6),
        (MAJORITY, 10, 6),
        (HALF_OR_MORE, 10, 5),
        (TWO_THIRDS, 21, 14),
        (TWO_THIRDS, 24, 16),
        (TWO_THIRDS, 11, 8),
        (THREE_QUARTERS, 10, 8),
        (MAJORITY, 0, 0),
    ],
)
def test_R13_needed_is_the_smallest_count_that_meets(
    threshold: Threshold, base: int, needed: int
) -> None:
    assert threshold.needed(base) == needed
    if base:
        assert threshold.met(needed, base)
        assert not threshold.met(needed - 1, base)


def test_R13_threshold_must_be_a_fraction_of_one() -> None:
    with pytest.raises(ValueError):
        Threshold(3, 2, strict=False)
    with pytest.raises(ValueError):
        Threshold(0, 2, strict=True)


# --- every base ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected_base", "passed"),
    [
        # 7 yes, 5 no, 3 abstain; 20 eligible, 16 present
        (BaseKind.ELIGIBLE, 20, False),  # 14 > 20 no
        (BaseKind.PRESENT, 16, False),  # 14 > 16 no
        (BaseKind.CAST, 15, False),  # 14 > 15 no
        (BaseKind.DECISIVE, 12, True),  # 14 > 12 yes
    ],
)
def test_R13_every_base_names_its_count(base: BaseKind, expected_base: int, passed: bool) -> None:
    result = tally(
        votes(7, 5, 3), options=YES_NO, rules=rules(MAJORITY, base), eligible=20, present=16
    )
    assert result.base_kind is base
    assert result.base == expected_base
    assert result.passed is passed
    assert (result.cast, result.decisive, result.turnout) == (15, 12, (15, 20))
    assert result.counts == {YES: 7, NO: 5, ABSTAIN: 3}


def test_R13_present_base_needs_the_present_count() -> None:
    with pytest.raises(ValueError):
        tally(votes(3), options=YES_NO, rules=rules(MAJORITY, BaseKind.PRESENT), eligible=5)
    assert rules(MAJORITY, BaseKind.PRESENT).needs_present
    assert rules(MAJORITY, BaseKind.CAST, QuorumRule(TWO_THIRDS, BaseKind.PRESENT)).needs_present
    assert not rules(MAJORITY, BaseKind.CAST).needs_present


def test_R13_quorum_measures_present_or_cast_only() -> None:
    with pytest.raises(ValueError):
        QuorumRule(TWO_THIRDS, BaseKind.DECISIVE)


# --- DOMAIN.md §3 worked examples --------------------------------------------------------------


def test_example_1_shop_convention_37_shops_majority_of_eligible() -> None:
    r = rules(MAJORITY, BaseKind.ELIGIBLE)
    fails = tally(votes(18, 10, 2), options=YES_NO, rules=r, eligible=37)
    passes = tally(votes(19, 10, 2), options=YES_NO, rules=r, eligible=37)
    assert (fails.passed, passes.passed) == (False, True)
    assert passes.needed == 19  # 19·2 = 38 > 37


def test_example_2_council_of_21_quorum_two_thirds_present() -> None:
    r = rules(MAJORITY, BaseKind.PRESENT, QuorumRule(TWO_THIRDS, BaseKind.PRESENT))
    at_line = tally(votes(8, 6), options=YES_NO, rules=r, eligible=21, present=14)
    assert at_line.quorum_met and at_line.quorum_needed == 14  # 14·3 = 42 ≥ 42
    assert at_line.passed and at_line.needed == 8
    one_short = tally(votes(8, 5), options=YES_NO, rules=r, eligible=21, present=13)
    assert not one_short.quorum_met and not one_short.passed
    assert "quorum" in one_short.reasons
    half_abstain = tally(votes(7, 0, 7), options=YES_NO, rules=r, eligible=21, present=14)
    assert half_abstain.quorum_met and not half_abstain.passed


def test_example_3_party_review_of_11_majority_of_all() -> None:
    r = rules(MAJORITY, BaseKind.ELIGIBLE, QuorumRule(TWO_THIRDS, BaseKind.PRESENT))
    six = tally(votes(6, 2), options=YES_NO, rules=r, eligible=11, present=8)
    assert six.quorum_met and six.passed  # 8·3 = 24 ≥ 22; 6·2 = 12 > 11
    five = tally(votes(5, 0, 3), options=YES_NO, rules=r, eligible=11, present=8)
    assert five.quorum_met and not five.passed
    seven_present = tally(votes(6, 1), options=YES_NO, rules=r, eligible=11, present=7)
    assert not seven_present.quorum_met and not seven_present.passed  # 21 < 22


def test_example_4_two_thirds_of_24_present() -> None:
    r = rules(TWO_THIRDS, BaseKind.PRESENT)
    assert tally(votes(16, 8), options=YES_NO, rules=r, eligible=30, present=24).passed
    assert not tally(votes(15, 9), options=YES_NO, rules=r, eligible=30, present=24).passed


def test_example_5_robert_mode_tie_fails() -> None:
    r = rules(MAJORITY, BaseKind.DECISIVE)
    result = tally(votes(9, 9, 6), options=YES_NO, rules=r, eligible=24)
    assert result.base == 18 and not result.passed
    assert tally(votes(10, 9, 6), options=YES_NO, rules=r, eligible=24).passed


@pytest.mark.parametrize("base", list(BaseKind))
@pytest.mark.parametrize("threshold", [MAJORITY, HALF_OR_MORE, TWO_THIRDS, THREE_QUARTERS])
def test_example_6_all_abstain_passes_nothing(base: BaseKind, threshold: Threshold) -> None:
    result = tally(
        votes(0, 0, 12), options=YES_NO, rules=rules(threshold, base), eligible=12, present=12
    )
    assert not result.passed and result.winners == ()
    assert result.decisive == 0 and result.cast == 12


# --- quorum on cast, ties and options ----------------------------------------------------------


def test_quorum_exactly_at_the_line_and_one_short_on_cast() -> None:
    r = rules(MAJORITY, BaseKind.CAST, QuorumRule(MAJORITY, BaseKind.CAST))
    assert tally(votes(11), options=YES_NO, rules=r, eligible=21).quorum_met
    short = tally(votes(10), options=YES_NO, rules=r, eligible=21)
    assert not short.quorum_met and not short.passed and short.quorum_needed == 11


def test_empty_ballot_and_no_votes_at_all() -> None:
    result = tally([], options=YES_NO, rules=rules(MAJORITY, BaseKind.CAST), eligible=5)
    assert result.cast == 0 and not result.passed


def test_options_single_choice_sole_leader_wins() -> None:
    opts = ("a", "b", "c")
    r = rules(MAJORITY, BaseKind.CAST)
    ballots = [("a",)] * 6 + [("b",)] * 3 + [("c",)] * 1
    result = tally(ballots, options=opts, rules=r, eligible=12)
    assert result.winners == ("a",) and result.passed
    plurality = tally(
        [("a",)] * 4 + [("b",)] * 3 + [("c",)] * 3, options=opts, rules=r, eligible=12
    )
    assert not plurality.passed  # 4 of 10 is not more than half


def test_options_tie_at_the_top_wins_nothing() -> None:
    r = rules(Threshold(1, 3, strict=False), BaseKind.CAST)
    result = tally(
        [("a",)] * 4 + [("b",)] * 4 + [("c",)] * 2, options=("a", "b", "c"), rules=r, eligible=10
    )
    assert result.winners == () and not result.passed and "tie" in result.reasons


def test_options_multiple_choice_each_option_against_the_base() -> None:
    r = rules(MAJORITY, BaseKind.CAST, multiple=True)
    ballots = [("a", "b")] * 4 + [("a",)] * 2 + [("c",)] * 2 + [(ABSTAIN,)]
    result = tally(ballots, options=("a", "b", "c"), rules=r, eligible=9)
    assert result.counts == {"a": 6, "b": 4, "c": 2, ABSTAIN: 1}
    assert result.winners == ("a",)  # 6·2 > 9; 4·2 = 8 is not > 9
    assert result.cast == 9 and result.decisive == 8


def test_no_can_never_win_a_yes_no_ballot() -> None:
    result = tally(votes(1, 20), options=YES_NO, rules=rules(MAJORITY, BaseKind.CAST), eligible=21)
    assert result.winners == () and not result.passed
