"""The pure hash-chain rules: any edit, deletion, reordering or forged tail is named."""

from __future__ import annotations

import dataclasses
import datetime as dt

from council.audit.chain import GENESIS, EntryFacts, entry_hash, verify

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def build(n: int) -> list[tuple[EntryFacts, str]]:
    chain: list[tuple[EntryFacts, str]] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        facts = EntryFacts(
            chain="c1",
            seq=seq,
            occurred_at=T0 + dt.timedelta(minutes=seq),
            actor_id="a" * 32,
            actor_label="刘敏",
            action="shop.added",
            object_type="shop",
            object_id=str(seq),
            summary=f'{{"number":"{seq}"}}',
            prev_hash=prev,
        )
        digest = entry_hash(facts)
        chain.append((facts, digest))
        prev = digest
    return chain


def head(chain: list[tuple[EntryFacts, str]]) -> dict[str, object]:
    return {"seq": len(chain), "hash": chain[-1][1] if chain else GENESIS}


def test_intact_chain_verifies() -> None:
    chain = build(5)
    verdict = verify("c1", chain, head(chain))
    assert verdict.ok and verdict.entries == 5 and verdict.head_hash == chain[-1][1]


def test_edited_summary_names_that_entry() -> None:
    chain = build(5)
    facts, digest = chain[2]
    chain[2] = (dataclasses.replace(facts, summary='{"number":"99"}'), digest)
    verdict = verify("c1", chain, head(build(5)))
    assert verdict.first_break is not None
    assert (verdict.first_break.seq, verdict.first_break.reason) == (3, "altered")


def test_deleted_middle_entry_is_named() -> None:
    chain = build(5)
    del chain[1]
    verdict = verify("c1", chain)
    assert verdict.first_break is not None and verdict.first_break.seq == 3


def test_truncated_tail_is_caught_by_the_published_head() -> None:
    full = build(5)
    verdict = verify("c1", full[:4], head(full))
    assert not verdict.ok and verdict.breaks[-1].reason == "head"


def test_forged_entry_with_recomputed_hashes_is_caught_by_the_published_head() -> None:
    """S8: a forger who recomputes every later hash still cannot match the published head."""
    original = build(4)
    forged: list[tuple[EntryFacts, str]] = []
    prev = GENESIS
    for facts, _digest in original:
        if facts.seq == 2:
            facts = dataclasses.replace(facts, actor_label="伪造者")
        facts = dataclasses.replace(facts, prev_hash=prev)
        digest = entry_hash(facts)
        forged.append((facts, digest))
        prev = digest
    assert verify("c1", forged).ok  # self-consistent on its own
    assert not verify("c1", forged, head(original)).ok


def test_hash_is_stable_across_time_zones() -> None:
    facts = build(1)[0][0]
    shifted = dataclasses.replace(
        facts, occurred_at=facts.occurred_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    )
    assert entry_hash(facts) == entry_hash(shifted)
