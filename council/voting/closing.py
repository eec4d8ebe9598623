"""The closing record of a ballot and its hash: what was counted, from whom, under which rules.

Pure. The record is canonical JSON (the audit chain's form); its sha256 is the closing hash
printed on the result. ``differences`` names every vote that no longer matches (S6, S7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from council.audit.chain import canonical_json


def build_record(
    *,
    ballot: Mapping[str, Any],
    electorate: Sequence[tuple[str, str, bool]],
    named_votes: Sequence[tuple[str, str, str]] = (),
    participation: Sequence[str] = (),
    secret_choices: Sequence[tuple[str, str]] = (),
    result: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything sorted, so that the same facts always give the same bytes."""
    return {
        "ballot": dict(ballot),
        "electorate": sorted([list(e) for e in electorate]),
        "votes": sorted([list(v) for v in named_votes]),
        "participation": sorted(participation),
        "choices": sorted([list(c) for c in secret_choices]),
        "result": dict(result or {}),
    }


def closing_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def _diff(kind: str, stored: dict[str, Any], live: dict[str, Any]) -> list[str]:
    problems = []
    for key in sorted(stored.keys() | live.keys()):
        if key not in live:
            problems.append(f"{kind} {key}: missing")
        elif key not in stored:
            problems.append(f"{kind} {key}: added")
        elif stored[key] != live[key]:
            problems.append(f"{kind} {key}: altered")
    return problems


def differences(stored: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """Rows whose live state differs from the record taken at close, each named."""
    problems = _diff(
        "vote",
        {v[0]: v[1:] for v in stored.get("votes", [])},
        {v[0]: v[1:] for v in live.get("votes", [])},
    )
    problems += _diff(
        "participation",
        {p: True for p in stored.get("participation", [])},
        {p: True for p in live.get("participation", [])},
    )
    problems += _diff(
        "choice",
        {c[0]: c[1] for c in stored.get("choices", [])},
        {c[0]: c[1] for c in live.get("choices", [])},
    )
    problems += _diff(
        "elector",
        {e[0]: e[1:] for e in stored.get("electorate", [])},
        {e[0]: e[1:] for e in live.get("electorate", [])},
    )
    if stored.get("ballot") != live.get("ballot"):
        problems.append("ballot rules: altered")
    return problems
