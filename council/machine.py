"""The one shape of every state machine: a table of (from, to) → gate. Pure: no web, no database.

A gate takes a frozen snapshot of facts and returns the reasons blocking the move (empty:
allowed). Services load the facts, call ``advance``, persist, and write the audit entry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from council.errors import TransitionRefused
from council.i18n import _

S = TypeVar("S", bound=enum.Enum)
F = TypeVar("F")

Gate = Callable[[F], list[str]]
Check = Callable[[F], "str | None"]


def _no_such_move(label: Callable[[S], str]) -> Callable[[S, S], str]:
    def refuse(current: S, target: S) -> str:
        return _("不能从“%(a)s”变为“%(b)s”", a=label(current), b=label(target))

    return refuse


@dataclass(frozen=True)
class Machine(Generic[S, F]):
    name: str
    gates: Mapping[tuple[S, S], Gate[F]]
    label: Callable[[S], str]
    # Why a move that is not in the table is refused, in words; a generic sentence otherwise.
    refusal: Callable[[S, S], str] | None = field(default=None)

    def reasons(self, current: S, target: S, facts: F) -> list[str]:
        gate = self.gates.get((current, target))
        if gate is None:
            refuse = self.refusal or _no_such_move(self.label)
            return [refuse(current, target)]
        return gate(facts)

    def allowed(self, current: S, target: S, facts: F) -> bool:
        return not self.reasons(current, target, facts)

    def moves(self, current: S) -> list[S]:
        """Every target the table has a gate for from ``current``, gates not yet asked."""
        return [to for (frm, to) in self.gates if frm == current]

    def advance(self, current: S, target: S, facts: F) -> S:
        """The target state, or TransitionRefused naming every reason; nothing changes."""
        reasons = self.reasons(current, target, facts)
        if reasons:
            raise TransitionRefused(reasons[0], reasons)
        return target


def every(*checks: Check[F]) -> Gate[F]:
    """A gate that asks each check and keeps every reason given."""

    def gate(facts: F) -> list[str]:
        return [reason for check in checks if (reason := check(facts))]

    return gate
