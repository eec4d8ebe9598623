"""Counting rules as data, and the pure tally. Integers and exact fractions only, never floats.

DOMAIN.md §3: every threshold names its base (eligible 应到 / present 实到 / cast / decisive)
and a comparison; 过半数 is strictly more than half, 以上 includes the line.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ABSTAIN = "abstain"
YES = "yes"
NO = "no"


class BaseKind(enum.StrEnum):
    ELIGIBLE = "eligible"  # 应到: the electorate frozen when the ballot opened
    PRESENT = "present"  # 实到: signed in when the ballot opened (meeting votes)
    CAST = "cast"  # every ballot cast, abstentions included
    DECISIVE = "decisive"  # ballots that are not abstentions (Robert-style "yes > no")


@dataclass(frozen=True)
class Threshold:
    """``count / base`` compared with ``numerator / denominator``; strict is 过半数-style."""

    numerator: int
    denominator: int
    strict: bool

    def __post_init__(self) -> None:
        if not (0 < self.numerator <= self.denominator):
            raise ValueError("a threshold is a fraction in (0, 1]")

    def met(self, count: int, base: int) -> bool:
        # A line over nothing is never crossed: 0 of 0 does not pass, even inclusively.
        if base <= 0 or count <= 0:
            return False
        left, right = count * self.denominator, base * self.numerator
        return left > right if self.strict else left >= right

    def needed(self, base: int) -> int:
        """The smallest count that meets the threshold over ``base`` (0 when base is 0)."""
        if base <= 0:
            return 0
        floor = base * self.numerator // self.denominator
        if self.strict:
            return floor + 1
        exact = base * self.numerator % self.denominator == 0
        return max(1, floor if exact else floor + 1)

    @property
    def key(self) -> str:
        return f"{self.numerator}/{self.denominator}{'>' if self.strict else '>='}"


MAJORITY = Threshold(1, 2, strict=True)  # 过半数
TWO_THIRDS = Threshold(2, 3, strict=False)  # 三分之二以上
THREE_QUARTERS = Threshold(3, 4, strict=False)  # 四分之三以上
HALF_OR_MORE = Threshold(1, 2, strict=False)  # 半数以上


@dataclass(frozen=True)
class QuorumRule:
    """Enough of the electorate took part: ``measure`` (present or cast) against eligible."""

    threshold: Threshold
    measure: BaseKind = BaseKind.CAST

    def __post_init__(self) -> None:
        if self.measure not in (BaseKind.PRESENT, BaseKind.CAST):
            raise ValueError("quorum measures who was present or who voted")


@dataclass(frozen=True)
class PassingRule:
    threshold: Threshold
    base: BaseKind


@dataclass(frozen=True)
class Rules:
    passing: PassingRule
    quorum: QuorumRule | None = None
    multiple: bool = False  # several options may be chosen on one ballot

    @property
    def needs_present(self) -> bool:
        uses = {self.passing.base, self.quorum.measure if self.quorum else None}
        return BaseKind.PRESENT in uses


@dataclass(frozen=True)
class Result:
    counts: Mapping[str, int]
    eligible: int
    present: int | None
    cast: int
    decisive: int
    base_kind: BaseKind
    base: int
    quorum_met: bool
    quorum_count: int | None
    quorum_needed: int | None
    winners: tuple[str, ...]
    needed: int
    passed: bool
    reasons: tuple[str, ...] = field(default=())

    @property
    def turnout(self) -> tuple[int, int]:
        """Ballots cast over the electorate, as an exact pair (never a rounded percentage)."""
        return (self.cast, self.eligible)

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": dict(sorted(self.counts.items())),
            "eligible": self.eligible,
            "present": self.present,
            "cast": self.cast,
            "decisive": self.decisive,
            "base_kind": self.base_kind.value,
            "base": self.base,
            "quorum_met": self.quorum_met,
            "quorum_count": self.quorum_count,
            "quorum_needed": self.quorum_needed,
            "winners": list(self.winners),
            "needed": self.needed,
            "passed": self.passed,
            "reasons": list(self.reasons),
        }


def _base_value(
    kind: BaseKind, eligible: int, present: int | None, cast: int, decisive: int
) -> int:
    if kind is BaseKind.ELIGIBLE:
        return eligible
    if kind is BaseKind.PRESENT:
        if present is None:
            raise ValueError("the present base needs the count of those present at opening")
        return present
    if kind is BaseKind.CAST:
        return cast
    return decisive


def tally(
    ballots: Iterable[Sequence[str]],
    *,
    options: Sequence[str],
    rules: Rules,
    eligible: int,
    present: int | None = None,
) -> Result:
    """Count ``ballots`` (each the chosen codes of one voter) under ``rules``.

    ``options`` are the choices a threshold applies to (``yes`` for a yes/no ballot, every
    option otherwise); ``abstain`` is counted but never wins. With one winner allowed, only a
    sole top option that meets the threshold wins; a tie at the top wins nothing.
    """
    counts = {code: 0 for code in (*options, ABSTAIN)}
    cast = decisive = 0
    for chosen in ballots:
        cast += 1
        if ABSTAIN in chosen or not chosen:
            counts[ABSTAIN] += 1
            continue
        decisive += 1
        for code in set(chosen):
            counts[code] += 1
    base = _base_value(rules.passing.base, eligible, present, cast, decisive)
    threshold = rules.passing.threshold
    reasons: list[str] = []

    quorum_met, quorum_count, quorum_needed = True, None, None
    if rules.quorum is not None:
        quorum_count = _base_value(rules.quorum.measure, eligible, present, cast, decisive)
        quorum_needed = rules.quorum.threshold.needed(eligible)
        quorum_met = rules.quorum.threshold.met(quorum_count, eligible)
        if not quorum_met:
            reasons.append("quorum")

    contenders = [code for code in options if code not in (ABSTAIN, NO)]
    meeting = [code for code in contenders if threshold.met(counts[code], base)]
    if rules.multiple:
        winners = tuple(sorted(meeting, key=lambda c: (-counts[c], options.index(c))))
    else:
        top = max((counts[c] for c in meeting), default=0)
        leaders = [c for c in meeting if counts[c] == top]
        winners = tuple(leaders) if len(leaders) == 1 else ()
        if len(leaders) > 1:
            reasons.append("tie")
    if not meeting:
        reasons.append("threshold")
    passed = quorum_met and bool(winners)
    return Result(
        counts=counts,
        eligible=eligible,
        present=present,
        cast=cast,
        decisive=decisive,
        base_kind=rules.passing.base,
        base=base,
        quorum_met=quorum_met,
        quorum_count=quorum_count,
        quorum_needed=quorum_needed,
        winners=winners if quorum_met else (),
        needed=threshold.needed(base),
        passed=passed,
        reasons=tuple(reasons),
    )
