"""The public export of a council's audit chain as JSON Lines, checkable by verify_export.py.

Line one is the chain's head; then every entry in order, with the facts its hash covers (or,
for a record not yet public or facts not written for the public, only its number and
hashes); then the closing record of every
counted ballot the public sees, whose hash the chain's ballot entries published.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.audit.objects import name_objects
from council.audit.service import FACT_COLUMNS, chain_for, facts_of, head_of
from council.councils.models import Council
from council.councils.permissions import ANONYMOUS
from council.voting import service as voting
from council.voting.models import Ballot

# Actions whose recorded facts were written to be public: a record's stages, a ballot's rules,
# counts and hashes, a convention's versions, a notice's period. Any other entry (a grant that
# names a private resident, a voter's key and receipt, a speaker, an answer to a call, a
# scorer's marks) is exported by its number and hashes only, as is an entry about a record
# not public yet: its link in the chain is checked, its facts are not published.
PUBLISHED_ACTIONS = frozenset(
    {
        "council.created",
        "ballot.created",
        "ballot.opened",
        "ballot.closed",
        "ballot.certified",
        "convention.created",
        "convention.draft_saved",
        "convention.reviewed",
        "convention.comment_opened",
        "convention.put_to_vote",
        "convention.adopted",
        "convention.filed",
        "convention.revision_started",
        "convention.superseded",
        "notice.published",
        "notice.closed",
        "issue.triaged",
        "issue.accepted",
        "issue.referred",
        "issue.merged",
        "issue.rejected",
        "issue.closed",
        "matter.created",
        "matter.status_changed",
        "matter.issue_linked",
        "workflow.started",
        "workflow.stage_changed",
        "workflow.review_recorded",
        "workflow.ballot_drafted",
        "meeting.scheduled",
        "meeting.closed",
        "meeting.vote_opened",
        "agenda.added",
        "round.opened",
        "round.closed",
        "plan.created",
        "call.opened",
        "rating.scheme_published",
        "rating.computed",
        "rating.results_in_notice",
        "order.dispatched",
        "whistle.summoned",
    }
)


def published(action: str, record_public: bool) -> bool:
    """Whether the export carries an entry's facts, or only its number and hashes."""
    return record_public and action in PUBLISHED_ACTIONS


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n"


async def export_lines(db: AsyncSession, council: Council) -> list[str]:
    chain = chain_for(council.id)
    lines = [_line({"type": "head", "council": council.slug, **await head_of(db, chain)})]
    rows = (
        await db.execute(
            sa.select(*FACT_COLUMNS).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
        )
    ).all()
    named = await name_objects(db, council, {(r.object_type, r.object_id) for r in rows})
    for row in rows:
        if published(row.action, named[(row.object_type, row.object_id)].public):
            body = facts_of(row).body()
            lines.append(_line({"type": "entry", **body, "hash": row.hash}))
        else:
            kept = {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash}
            lines.append(_line({"type": "entry", "withheld": True, **kept}))
    ballots = (
        await db.execute(
            sa.select(Ballot)
            .where(Ballot.council_id == council.id, Ballot.closing_hash.is_not(None))
            .order_by(Ballot.closed_at)
        )
    ).scalars()
    for ballot in ballots:
        if voting.visible(ANONYMOUS, ballot) and ballot.counted_record:
            record = json.loads(ballot.counted_record)
            entry = {"ballot": ballot.id.hex, "closing_hash": ballot.closing_hash}
            lines.append(_line({"type": "closing_record", **entry, "record": record}))
    return lines
