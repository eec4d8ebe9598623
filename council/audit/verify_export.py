#!/usr/bin/env python3
"""Check a council's audit export (JSON Lines) with nothing but Python's standard library.

    python3 verify_export.py zhonglou-audit.jsonl

The export's first line is the chain's published head ({"type": "head", "seq", "hash"}).
Each entry line holds the facts of one entry and its hash: the hash is the SHA-256 of the
facts (the fields in FIELDS) written as canonical JSON (keys sorted, no spaces, UTF-8
characters as they are), and the facts include the hash of the entry before (the first entry
follows 64 zeros). So each entry's hash is recomputed, each must point at the one before, and
the last must be the published head. An entry about a record not yet public is withheld: its
line gives only its number and hashes, and its link to its neighbours is still checked.

A "closing_record" line is everything a ballot counted (electorate, votes or receipts, result)
when it closed: its SHA-256, as canonical JSON again, must equal the closing hash that the
chain's "ballot.closed" and "ballot.certified" entries for that ballot published.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "summary",
    "prev_hash",
)
SEALING = ("ballot.closed", "ballot.certified")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


@dataclass
class Report:
    entries: int = 0
    recomputed: int = 0
    withheld: int = 0
    head: dict[str, Any] = field(default_factory=dict)
    breaks: list[tuple[int, str]] = field(default_factory=list)
    ballots: dict[str, str] = field(default_factory=dict)  # ballot id → closing hash checked
    ballot_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.ballot_problems

    @property
    def first_break(self) -> tuple[int, str] | None:
        return self.breaks[0] if self.breaks else None


def check(lines: Iterable[str]) -> Report:
    report = Report()
    expected_seq, previous = 1, GENESIS
    published: dict[str, set[str]] = {}  # ballot id → closing hashes the chain published
    records: list[dict[str, Any]] = []
    for raw in lines:
        if not raw.strip():
            continue
        line = json.loads(raw)
        if line["type"] == "head":
            report.head = {"seq": line["seq"], "hash": line["hash"]}
            continue
        if line["type"] == "closing_record":
            records.append(line)
            continue
        seq = line["seq"]
        report.entries += 1
        if seq != expected_seq:
            report.breaks.append((seq, "missing" if seq > expected_seq else "reordered"))
        if line["prev_hash"] != previous:
            report.breaks.append((seq, "link"))
        if line.get("withheld"):
            report.withheld += 1
        else:
            report.recomputed += 1
            if sha256({name: line[name] for name in FIELDS}) != line["hash"]:
                report.breaks.append((seq, "altered"))
            if line["action"] in SEALING and line["object_type"] == "ballot":
                closing = json.loads(line["summary"]).get("closing_hash")
                published.setdefault(line["object_id"], set()).add(closing)
        expected_seq, previous = seq + 1, line["hash"]
    if report.head and (report.head["seq"] != expected_seq - 1 or report.head["hash"] != previous):
        report.breaks.append((expected_seq - 1, "head"))
    for record in records:
        ballot, claimed = record["ballot"], record["closing_hash"]
        if sha256(record["record"]) != claimed:
            report.ballot_problems.append(f"ballot {ballot}: record does not give its hash")
        elif published.get(ballot) != {claimed}:
            report.ballot_problems.append(f"ballot {ballot}: hash not the one the chain published")
        else:
            report.ballots[ballot] = claimed
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as export:
        report = check(export)
    print(
        f"{report.entries} entries: {report.recomputed} recomputed, {report.withheld} withheld; "
        f"head {report.head.get('seq')} {report.head.get('hash')}"
    )
    for ballot, closing in report.ballots.items():
        print(f"ballot {ballot}: closing hash {closing} recomputed")
    for seq, reason in report.breaks:
        print(f"BREAK at entry {seq}: {reason}")
    for problem in report.ballot_problems:
        print(f"BROKEN {problem}")
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
