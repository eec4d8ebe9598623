"""A large database for `make bench`: 1,000 councils with 10 years of records each.

    grow.py PATH    turn the migrated demo database at PATH into the large one

Rows are written through the project's models (ORM bulk inserts, the models' own defaults) on
a synchronous connection: each council, the demo council included, gets ten years of issues,
meetings, matters and closed ballots, and an audit chain of hash-linked entries built with
council.audit.chain, as the services would have left them. Nothing here is timed; bench/run.py
builds the file once and keeps it in the data directory for the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from council.accounts.models import Person
from council.audit.chain import GENESIS, EntryFacts, canonical_json, entry_hash
from council.audit.models import AuditEntry, AuditHead
from council.consultations.models import Matter, Meeting, MeetingStatus
from council.councils.models import Council
from council.db import import_models
from council.issues.models import IntakeSettings, Issue, IssueStatus
from council.voting.models import Ballot, BallotKind, BallotOption, Electorate, Method
from council.voting.tally import BaseKind
from council.voting.workflow import Status

COUNCILS = 1000  # the demo council and 999 more
YEARS = 10
PER_YEAR = {"issues": 24, "meetings": 12, "matters": 4, "ballots": 4}
AUDIT_PER_YEAR = 64  # each record above writes one or more entries; 640 per council
START = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
BATCH = 20_000
STATUSES = (IssueStatus.ACCEPTED, IssueStatus.REJECTED, IssueStatus.CLOSED)


def _moments(count: int, rng: random.Random) -> list[dt.datetime]:
    span = YEARS * 365 * 24 * 3600
    return sorted(START + dt.timedelta(seconds=rng.randrange(span)) for _ in range(count))


class Grower:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.rng = random.Random(16)  # the same database every time
        self.pending: dict[type, list[dict[str, Any]]] = {}

    def add(self, model: type, row: dict[str, Any]) -> None:
        rows = self.pending.setdefault(model, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush(model)

    def flush(self, model: type | None = None) -> None:
        for kind in [model] if model else list(self.pending):
            rows = self.pending.pop(kind, [])
            if rows:
                self.session.execute(sa.insert(kind), rows)

    def council(self, number: int) -> tuple[uuid.UUID, uuid.UUID]:
        council_id = uuid.uuid4()
        self.add(
            Council,
            {
                "id": council_id,
                "slug": f"street-{number:04d}",
                "name": f"第{number:04d}街商居议事会",
                "street": f"第{number:04d}街",
                "district": "示例区",
            },
        )
        person_id = uuid.uuid4()
        self.add(
            Person,
            {
                "id": person_id,
                "login": f"clerk{number:04d}",
                "display_name": f"记录员{number:04d}",
                "password_hash": "!",  # no password signs in to this account
            },
        )
        return council_id, person_id

    def history(self, council_id: uuid.UUID, person_id: uuid.UUID, first_number: int) -> None:
        """Ten years of records and the audit chain that tells them."""
        events: list[tuple[dt.datetime, str, str, uuid.UUID]] = []
        for n, at in enumerate(_moments(PER_YEAR["issues"] * YEARS, self.rng), first_number):
            issue_id = uuid.uuid4()
            self.add(
                Issue,
                {
                    "id": issue_id,
                    "council_id": council_id,
                    "number": n,
                    "status": self.rng.choice(STATUSES),
                    "title": f"诉求 {n}：夜间外摆占道",
                    "body": "晚上九点后门前桌椅占用人行道，行人只能走机动车道。",
                    "category": "占道经营",
                    "submitter_id": person_id,
                    "submitter_role": "resident",
                    "submitted_at": at,
                    "decided_at": at + dt.timedelta(days=3),
                    "created_at": at,
                    "updated_at": at,
                },
            )
            events.append((at, "issue.submitted", "issue", issue_id))
        for at in _moments(PER_YEAR["meetings"] * YEARS, self.rng):
            meeting_id = uuid.uuid4()
            self.add(
                Meeting,
                {
                    "id": meeting_id,
                    "council_id": council_id,
                    "title": f"{at:%Y年%m月}议事会例会",
                    "starts_at": at,
                    "place": "社区活动室",
                    "status": MeetingStatus.CLOSED,
                    "code": f"{self.rng.randrange(10**6):06d}",
                    "created_at": at,
                    "updated_at": at,
                },
            )
            events += [(at, "meeting.scheduled", "meeting", meeting_id)] * 2
        for at in _moments(PER_YEAR["matters"] * YEARS, self.rng):
            matter_id = uuid.uuid4()
            self.add(
                Matter,
                {
                    "id": matter_id,
                    "council_id": council_id,
                    "title": f"{at:%Y年}停车秩序议题",
                    "created_at": at,
                    "updated_at": at,
                },
            )
            events.append((at, "matter.created", "matter", matter_id))
        for at in _moments(PER_YEAR["ballots"] * YEARS, self.rng):
            self._ballot(council_id, at, events)
        events.sort(key=lambda e: e[0])
        self._chain(council_id, person_id, events)

    def _ballot(self, council_id: uuid.UUID, at: dt.datetime, events: list[Any]) -> None:
        ballot_id = uuid.uuid4()
        result = {"passed": True, "counts": {"yes": 11, "no": 3}, "cast": 15, "eligible": 21}
        self.add(
            Ballot,
            {
                "id": ballot_id,
                "council_id": council_id,
                "question": f"{at:%Y年%m月}：是否同意试行错时停车",
                "kind": BallotKind.YES_NO,
                "electorate": Electorate.MEMBERS,
                "method": Method.NAMED,
                "pass_num": 1,
                "pass_den": 2,
                "pass_strict": True,
                "pass_base": BaseKind.CAST,
                "status": Status.CLOSED,
                "opened_at": at,
                "closed_at": at + dt.timedelta(days=2),
                "eligible_count": 21,
                "result": json.dumps(result, ensure_ascii=False, sort_keys=True),
                "created_at": at,
                "updated_at": at,
            },
        )
        for position, (code, label) in enumerate(
            (("yes", "同意"), ("no", "反对"), ("abstain", "弃权"))
        ):
            self.add(
                BallotOption,
                {
                    "council_id": council_id,
                    "ballot_id": ballot_id,
                    "code": code,
                    "label": label,
                    "position": position,
                },
            )
        events += [
            (at, "ballot.created", "ballot", ballot_id),
            (at, "ballot.opened", "ballot", ballot_id),
            (at + dt.timedelta(days=2), "ballot.closed", "ballot", ballot_id),
        ]

    def _chain(self, council_id: uuid.UUID, person_id: uuid.UUID, events: list[Any]) -> None:
        """The council's audit chain: its events, then settings changes up to AUDIT_PER_YEAR."""
        chain = council_id.hex
        wanted = AUDIT_PER_YEAR * YEARS
        extra = _moments(max(0, wanted - len(events)), self.rng)
        events = sorted(
            events + [(at, "council.settings_changed", "council", council_id) for at in extra],
            key=lambda e: e[0],
        )
        previous = GENESIS
        for seq, (at, action, object_type, object_id) in enumerate(events, 1):
            facts = EntryFacts(
                chain=chain,
                seq=seq,
                occurred_at=at,
                actor_id=person_id.hex,
                actor_label="记录员",
                action=action,
                object_type=object_type,
                object_id=object_id.hex,
                summary=canonical_json({}),
                prev_hash=previous,
            )
            previous = entry_hash(facts)
            self.add(
                AuditEntry,
                {
                    "chain": chain,
                    "council_id": council_id,
                    "seq": seq,
                    "occurred_at": at,
                    "actor_id": person_id,
                    "actor_label": facts.actor_label,
                    "action": action,
                    "object_type": object_type,
                    "object_id": facts.object_id,
                    "summary": facts.summary,
                    "prev_hash": facts.prev_hash,
                    "hash": previous,
                },
            )
        self.add(AuditHead, {"chain": chain, "seq": len(events), "hash": previous})


def _demo_council(session: Session) -> tuple[uuid.UUID, uuid.UUID, int]:
    """The demo council's id, its facilitator and its next issue number."""
    council_id = session.scalar(sa.select(Council.id).where(Council.slug == "zhonglou"))
    person_id = session.scalar(sa.select(Person.id).where(Person.login == "zhuchi"))
    if council_id is None or person_id is None:
        raise SystemExit("grow.py needs the demo database (make demo)")
    last = session.scalar(
        sa.select(sa.func.max(Issue.number)).where(Issue.council_id == council_id)
    )
    return council_id, person_id, (last or 0) + 1


def _prepend_demo_history(grower: Grower, session: Session) -> None:
    """The demo council's ten years come before its demo records: its chain is rebuilt with
    the history first and the demo's own entries after, each entry re-linked."""
    council_id, person_id, next_number = _demo_council(session)
    chain = council_id.hex
    demo_entries = list(
        session.execute(
            sa.select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
        ).scalars()
    )
    session.execute(sa.delete(AuditEntry).where(AuditEntry.chain == chain))
    session.execute(sa.delete(AuditHead).where(AuditHead.chain == chain))
    grower.history(council_id, person_id, next_number)
    grower.flush()
    head = session.execute(sa.select(AuditHead).where(AuditHead.chain == chain)).scalar_one()
    previous, seq = head.hash, head.seq
    for entry in demo_entries:
        seq += 1
        facts = EntryFacts(
            chain=chain,
            seq=seq,
            occurred_at=entry.occurred_at,
            actor_id=entry.actor_id.hex if entry.actor_id else "",
            actor_label=entry.actor_label,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary,
            prev_hash=previous,
        )
        previous = entry_hash(facts)
        session.add(
            AuditEntry(
                chain=chain,
                council_id=council_id,
                seq=seq,
                occurred_at=entry.occurred_at,
                actor_id=entry.actor_id,
                actor_label=entry.actor_label,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                summary=entry.summary,
                prev_hash=facts.prev_hash,
                hash=previous,
            )
        )
    head.seq, head.hash = seq, previous
    last = session.scalar(
        sa.select(sa.func.max(Issue.number)).where(Issue.council_id == council_id)
    )
    session.execute(
        sa.update(IntakeSettings)
        .where(IntakeSettings.council_id == council_id)
        .values(last_number=last)
    )
    session.flush()


def grow(path: str) -> None:
    import_models()
    engine = sa.create_engine(f"sqlite:///{path}")
    started = time.monotonic()
    with Session(engine) as session:
        session.execute(sa.text("PRAGMA journal_mode=WAL"))
        session.execute(sa.text("PRAGMA synchronous=OFF"))  # a scratch build, redone if cut
        grower = Grower(session)
        _prepend_demo_history(grower, session)
        for number in range(1, COUNCILS):
            council_id, person_id = grower.council(number)
            grower.history(council_id, person_id, 1)
            if number % 100 == 0:
                grower.flush()
                print(f"  {number} councils, {time.monotonic() - started:.0f} s", flush=True)
        grower.flush()
        session.commit()
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    grow(sys.argv[1])
