"""Quorum against an explicit rule, in exact integers (DOMAIN §3, rule 13). Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class QuorumRule(enum.StrEnum):
    MAJORITY = "majority"  # 过半数: strictly more than half of those eligible
    TWO_THIRDS = "two_thirds"  # 三分之二以上: at least two thirds, inclusive


QUORUM_LABELS = {QuorumRule.MAJORITY: "过半数", QuorumRule.TWO_THIRDS: "三分之二以上"}


def is_met(rule: QuorumRule, present: int, eligible: int) -> bool:
    if eligible <= 0:
        return False
    if rule is QuorumRule.MAJORITY:
        return present * 2 > eligible
    return present * 3 >= eligible * 2


def needed(rule: QuorumRule, eligible: int) -> int:
    """The smallest number present that meets the rule."""
    if rule is QuorumRule.MAJORITY:
        return eligible // 2 + 1
    return (eligible * 2 + 2) // 3


@dataclass(frozen=True)
class Quorum:
    rule: QuorumRule
    eligible: int  # 应到: invited members who may vote (observers excluded)
    present: int  # 实到: of those, signed in

    @property
    def met(self) -> bool:
        return is_met(self.rule, self.present, self.eligible)

    @property
    def needed(self) -> int:
        return needed(self.rule, self.eligible)

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.present)
