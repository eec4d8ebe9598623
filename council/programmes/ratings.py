"""文明诚信商户: the rating arithmetic, in exact fractions. Pure: no I/O.

DOMAIN §8 (weights ours): each scorer gives 0–10 per dimension; a scorer's total is
Σ(weight × score) / 10 on 0–100. A group's score is the mean of its scorers' totals; the
shop's score is Σ(group weight % × group score). Each verified violation in the quarter takes
the scheme's penalty off; a verified 诚信 violation bars the shop from the 流动红旗 that
quarter. Ties for the flag: the higher 诚信 group-weighted score, then fewer violations, then
lots drawn by the supervisor. Numbers are rounded half up to one decimal for display only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from council.i18n import _

SCORE_MIN, SCORE_MAX = 0, 10
WEIGHT_TOTAL = 100  # dimension weights, and group weights in %, each add up to this
DEFAULT_PENALTY = 5


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    weight: int
    integrity: bool = False  # the 诚信 dimension: tie-break, and its violations bar the flag


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    weight: int  # percent of the shop's score


@dataclass(frozen=True)
class Scheme:
    dimensions: tuple[Dimension, ...]
    groups: tuple[Group, ...]
    penalty: int = DEFAULT_PENALTY  # points off per verified violation in the quarter

    @property
    def integrity_key(self) -> str | None:
        return next((d.key for d in self.dimensions if d.integrity), None)


def scheme_problems(
    dimension_weights: Sequence[int], group_weights: Sequence[int], integrity_count: int
) -> dict[str, str]:
    """Why a scheme cannot be published, by form field; empty when it can."""
    problems: dict[str, str] = {}
    if not dimension_weights:
        problems["dimensions"] = _("至少要有一项评分标准")
    elif any(w <= 0 for w in dimension_weights) or sum(dimension_weights) != WEIGHT_TOTAL:
        problems["dimensions"] = _(
            "各项标准的权重须为正整数，合计 100（现在合计 %(n)s）", n=sum(dimension_weights)
        )
    if integrity_count > 1:
        problems["dimensions"] = _("只能有一项标准标为“诚信”")
    if not group_weights:
        problems["groups"] = _("至少要有一个评分组")
    elif any(w <= 0 for w in group_weights) or sum(group_weights) != WEIGHT_TOTAL:
        problems["groups"] = _(
            "各评分组的权重须为正整数，合计 100%%（现在合计 %(n)s%%）", n=sum(group_weights)
        )
    return problems


def score_problem(value: int) -> str | None:
    if not SCORE_MIN <= value <= SCORE_MAX:
        return _("每项分数为 0 到 10 的整数")
    return None


def scorer_total(scheme: Scheme, scores: Mapping[str, int]) -> Fraction:
    """One scorer's total for one shop: Σ(weight × score) / 10, on 0–100."""
    return Fraction(sum(d.weight * scores[d.key] for d in scheme.dimensions), 10)


def mean(values: Sequence[Fraction]) -> Fraction:
    return Fraction(sum(values, Fraction(0))) / len(values)


def weighted(scheme: Scheme, by_group: Mapping[str, Fraction]) -> Fraction:
    """Σ(group weight % × value) over every group of the scheme."""
    return sum((Fraction(g.weight, 100) * by_group[g.key] for g in scheme.groups), Fraction(0))


@dataclass(frozen=True)
class Sheet:
    """One scorer's scores for one shop, dimension key → 0–10."""

    scorer: str
    group: str
    shop: str
    scores: Mapping[str, int]


@dataclass(frozen=True)
class Violations:
    count: int = 0
    integrity: int = 0  # of which 诚信 (短斤少两, 价格欺诈)


@dataclass(frozen=True)
class ShopResult:
    shop: str
    complete: bool  # every group scored it
    base: Fraction | None  # before violations
    score: Fraction | None  # after violations, never below 0
    by_group: Mapping[str, Fraction]  # group key → mean of its scorers' totals
    by_dimension: Mapping[str, Fraction]  # dimension key → group-weighted mean, on 0–10
    integrity: Fraction | None  # the 诚信 dimension's group-weighted score
    violations: Violations
    rank: int | None = None

    @property
    def barred(self) -> bool:
        return self.violations.integrity > 0

    @property
    def eligible(self) -> bool:
        """May receive the 流动红旗: scored by every group, no 诚信 violation."""
        return self.complete and not self.barred


@dataclass(frozen=True)
class Outcome:
    results: tuple[ShopResult, ...]  # ranked, the unscored last
    winner: str | None  # the shop that receives the 流动红旗
    tied: tuple[str, ...] = field(default=())  # when lots must decide between these
    by_lot: bool = False


def shop_result(
    scheme: Scheme, shop: str, sheets: Sequence[Sheet], violations: Violations
) -> ShopResult:
    mine = [s for s in sheets if s.shop == shop]
    by_group: dict[str, Fraction] = {}
    dims_by_group: dict[str, dict[str, Fraction]] = {}
    for group in scheme.groups:
        theirs = [s for s in mine if s.group == group.key]
        if not theirs:
            continue
        by_group[group.key] = mean([scorer_total(scheme, s.scores) for s in theirs])
        dims_by_group[group.key] = {
            d.key: mean([Fraction(s.scores[d.key]) for s in theirs]) for d in scheme.dimensions
        }
    complete = len(by_group) == len(scheme.groups)
    if not complete:
        return ShopResult(shop, False, None, None, by_group, {}, None, violations)
    base = weighted(scheme, by_group)
    by_dimension = {
        d.key: weighted(scheme, {g: dims[d.key] for g, dims in dims_by_group.items()})
        for d in scheme.dimensions
    }
    score = max(Fraction(0), base - scheme.penalty * violations.count)
    key = scheme.integrity_key
    integrity = by_dimension[key] if key else None
    return ShopResult(shop, True, base, score, by_group, by_dimension, integrity, violations)


def _order(result: ShopResult) -> tuple[Fraction, Fraction, int]:
    """Higher score, then higher 诚信 score, then fewer violations: smaller sorts first."""
    assert result.score is not None  # noqa: S101 - only complete results are ranked
    return (-result.score, -(result.integrity or Fraction(0)), result.violations.count)


def compute(
    scheme: Scheme,
    shops: Sequence[str],
    sheets: Sequence[Sheet],
    violations: Mapping[str, Violations],
    lot: str | None = None,
) -> Outcome:
    """Every shop's result, ranked, and the 流动红旗's winner. ``lot``: the shop the
    supervisor drew among those still tied after both published tie-breaks."""
    results = [shop_result(scheme, s, sheets, violations.get(s, Violations())) for s in shops]
    scored = sorted((r for r in results if r.complete), key=_order)
    ranked: list[ShopResult] = []
    for position, result in enumerate(scored):
        previous = ranked[-1] if ranked else None
        same = previous is not None and _order(previous) == _order(result)
        rank = previous.rank if same and previous else position + 1
        ranked.append(_with_rank(result, rank))
    unscored = [r for r in results if not r.complete]
    eligible = [r for r in ranked if r.eligible]
    if not eligible:
        return Outcome((*ranked, *unscored), None)
    top = [r.shop for r in eligible if _order(r) == _order(eligible[0])]
    if len(top) == 1:
        return Outcome((*ranked, *unscored), top[0])
    if lot in top:
        return Outcome((*ranked, *unscored), lot, tuple(top), by_lot=True)
    return Outcome((*ranked, *unscored), None, tuple(top))


def _with_rank(result: ShopResult, rank: int | None) -> ShopResult:
    return ShopResult(
        result.shop,
        result.complete,
        result.base,
        result.score,
        result.by_group,
        result.by_dimension,
        result.integrity,
        result.violations,
        rank,
    )


def display(value: Fraction | None, places: int = 1) -> str:
    """Round half up to ``places`` decimals, for display only: 81.65 → 81.7."""
    if value is None:
        return "—"
    scale = 10**places
    tenths = (value * scale * 2 + 1) // 2  # floor(x + 1/2), exact
    whole, part = divmod(int(tenths), scale)
    return f"{whole}.{part:0{places}d}" if places else str(whole)


def as_text(value: Fraction) -> str:
    """A fraction stored exactly: "1634/20" style, reduced."""
    return f"{value.numerator}/{value.denominator}"


def from_text(value: str) -> Fraction:
    return Fraction(value)


def _fraction(value: Fraction | None) -> str | None:
    return None if value is None else as_text(value)


def _unfraction(value: str | None) -> Fraction | None:
    return None if value is None else from_text(value)


def dump(outcome: Outcome) -> str:
    """The frozen results, exact: every fraction as "n/d"."""
    return json.dumps(
        {
            "winner": outcome.winner,
            "tied": list(outcome.tied),
            "by_lot": outcome.by_lot,
            "results": [
                {
                    "shop": r.shop,
                    "complete": r.complete,
                    "base": _fraction(r.base),
                    "score": _fraction(r.score),
                    "by_group": {k: as_text(v) for k, v in r.by_group.items()},
                    "by_dimension": {k: as_text(v) for k, v in r.by_dimension.items()},
                    "integrity": _fraction(r.integrity),
                    "violations": [r.violations.count, r.violations.integrity],
                    "rank": r.rank,
                }
                for r in outcome.results
            ],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def load(text: str) -> Outcome:
    data = json.loads(text)
    results = tuple(
        ShopResult(
            shop=r["shop"],
            complete=r["complete"],
            base=_unfraction(r["base"]),
            score=_unfraction(r["score"]),
            by_group={k: from_text(v) for k, v in r["by_group"].items()},
            by_dimension={k: from_text(v) for k, v in r["by_dimension"].items()},
            integrity=_unfraction(r["integrity"]),
            violations=Violations(*r["violations"]),
            rank=r["rank"],
        )
        for r in data["results"]
    )
    return Outcome(results, data["winner"], tuple(data["tied"]), data["by_lot"])


def drawn(outcome: Outcome, lot: str) -> Outcome | None:
    """The outcome once the supervisor's lot picked ``lot`` among the tied; None if it is
    not one of them."""
    if outcome.winner is not None or lot not in outcome.tied:
        return None
    return Outcome(outcome.results, lot, outcome.tied, by_lot=True)
