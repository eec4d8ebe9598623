"""The whole database checked against its own seals: every audit chain and every closed ballot.

Run after a restore (S38): a copy that lost, edited or reordered a row is named here. Each
ballot's closing hash is compared with the one its ``ballot.closed`` audit entry published,
so a ballot row rewritten together with its closing record is caught as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.audit.models import AuditEntry, AuditHead
from council.voting import service as voting
from council.voting.models import Ballot
from council.voting.workflow import Status


@dataclass(frozen=True)
class Finding:
    """One thing checked: what it is, whether it holds, and what does not."""

    subject: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok    ' if self.ok else 'BROKEN'} {self.subject}: {self.detail}"


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def broken(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.ok)

    def summary(self) -> str:
        chains = sum(1 for f in self.findings if f.subject.startswith("audit chain"))
        ballots = len(self.findings) - chains
        verdict = "no problems" if self.ok else f"{len(self.broken)} BROKEN"
        return f"Checked {chains} audit chain(s) and {ballots} closed ballot(s): {verdict}."


async def _chains(db: AsyncSession) -> list[str]:
    heads = (await db.execute(sa.select(AuditHead.chain))).scalars()
    logged = (await db.execute(sa.select(AuditEntry.chain).distinct())).scalars()
    return sorted(set(heads) | set(logged))


async def _published_closing_hashes(db: AsyncSession) -> dict[str, str]:
    """Ballot id (hex) → the closing hash its latest ``ballot.closed`` entry published."""
    rows = await db.execute(
        sa.select(AuditEntry.object_id, AuditEntry.summary)
        .where(AuditEntry.action == "ballot.closed", AuditEntry.object_type == "ballot")
        .order_by(AuditEntry.chain, AuditEntry.seq)
    )
    return {
        object_id: str(json.loads(summary).get("closing_hash", "")) for object_id, summary in rows
    }


async def check_chain(db: AsyncSession, chain: str) -> Finding:
    council_id = None if chain == audit.PLATFORM_CHAIN else UUID(chain)
    verdict = await audit.verify_chain(db, council_id)
    if verdict.ok:
        return Finding(f"audit chain {chain}", True, f"{verdict.entries} entries verify")
    breaks = "; ".join(f"entry {b.seq} {b.reason}" for b in verdict.breaks)
    return Finding(f"audit chain {chain}", False, breaks)


async def check_ballot(db: AsyncSession, ballot: Ballot, published: str | None) -> Finding:
    subject = f"ballot {ballot.id.hex} ({ballot.status})"
    if not published:
        return Finding(subject, False, "no ballot.closed entry in the audit log")
    verdict = await voting.verify(db, ballot, published_hash=published)
    if verdict.ok and ballot.closing_hash == published:
        return Finding(subject, True, f"closing hash {published} matches")
    problems = list(verdict.problems)
    if ballot.closing_hash != published:
        problems.insert(0, "closing hash differs from the one in the audit log")
    return Finding(subject, False, "; ".join(problems))


async def check(db: AsyncSession) -> Report:
    """Verify every audit chain and the closing hash of every closed or certified ballot."""
    findings = [await check_chain(db, chain) for chain in await _chains(db)]
    published = await _published_closing_hashes(db)
    # Closed by its row or by the log: a ballot reopened behind the log's back is checked too.
    sealed = sa.or_(
        Ballot.closing_hash.is_not(None),
        Ballot.status.in_((Status.CLOSED, Status.CERTIFIED)),
        Ballot.id.in_([UUID(hex_id) for hex_id in published]),
    )
    ballots = list(
        (await db.execute(sa.select(Ballot).where(sealed).order_by(Ballot.created_at))).scalars()
    )
    for ballot in ballots:
        findings.append(await check_ballot(db, ballot, published.get(ballot.id.hex)))
    for missing in sorted(published.keys() - {b.id.hex for b in ballots}):
        findings.append(Finding(f"ballot {missing}", False, "closed in the audit log, row missing"))
    return Report(tuple(findings))
