"""Pure hash-chain rules: canonical form, entry hash, verification. No I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class EntryFacts:
    """What an entry asserts; the hash covers exactly these fields and the previous hash."""

    chain: str
    seq: int
    occurred_at: dt.datetime
    actor_id: str
    actor_label: str
    action: str
    object_type: str
    object_id: str
    summary: str
    prev_hash: str

    def body(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "occurred_at": _iso(self.occurred_at),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "summary": self.summary,
            "prev_hash": self.prev_hash,
        }


def entry_hash(facts: EntryFacts) -> str:
    return hashlib.sha256(canonical_json(facts.body()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


@dataclass(frozen=True)
class Verdict:
    chain: str
    entries: int
    head_hash: str
    breaks: tuple[Break, ...]

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


@dataclass(frozen=True)
class Anchor:
    """A point of the chain already verified: entry ``seq`` and its hash (GENESIS at 0)."""

    seq: int
    hash: str


START = Anchor(0, GENESIS)


def verify(
    chain: str,
    entries: Iterable[tuple[EntryFacts, str]],
    published_head: Mapping[str, Any] | None = None,
    after: Anchor = START,
) -> Verdict:
    """Check each (facts, stored hash) pair in seq order; name every entry that does not fit.

    ``published_head`` ({"seq": n, "hash": h}) is a head kept outside the log (the chain's
    head row, a printed notice): it catches a truncated tail or a fully recomputed forgery.
    ``after``: the entries given follow this verified point (a checkpoint), not the start.
    """
    breaks: list[Break] = []
    expected_prev = after.hash
    expected_seq = after.seq + 1
    last_hash = after.hash
    count = after.seq
    for facts, stored in entries:
        count += 1
        if facts.seq != expected_seq:
            reason = "missing" if facts.seq > expected_seq else "reordered"
            breaks.append(Break(facts.seq, reason))
        if facts.prev_hash != expected_prev:
            breaks.append(Break(facts.seq, "link"))
        if entry_hash(facts) != stored:
            breaks.append(Break(facts.seq, "altered"))
        expected_prev = stored
        expected_seq = facts.seq + 1
        last_hash = stored
    if published_head is not None:
        head_seq = int(published_head["seq"])
        if head_seq != count or published_head["hash"] != last_hash:
            breaks.append(Break(head_seq if head_seq > count else count, "head"))
    return Verdict(chain, count, last_hash, tuple(breaks))
