"""The vote path's writes: a batch of validated votes, their audit entries and their quota
counts in one transaction, and the one writer per process that commits such batches.

A request validates its vote with plain reads, outside any write lock (``service.cast``),
and hands it to the process's writer through a queue. The writer takes every vote waiting,
opens one write transaction, checks under the lock only what may have changed since (the
ballot still open, and opened the same time; the hourly quota), lets the unique constraint
decide each second vote row by row (INSERT … ON CONFLICT DO NOTHING, so one duplicate never
fails the others), appends the audit entries in the chain's order, raises the council's page
versions once, commits, and only then answers each request: a vote acknowledged is a vote
stored (S32). One transaction carries many votes, so the commit's fsync (synchronous=FULL)
is paid once per batch, and writers of one process never compete for the lock.

Every statement here is SQLAlchemy Core: the ORM's unit of work costs more per row than the
rows themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from council.accounts import throttle
from council.accounts.models import RateCounter
from council.audit import service as audit
from council.db import WRITTEN_ELSEWHERE, write_intent
from council.errors import Conflict, DomainError, NotFound, Throttled
from council.i18n import _
from council.voting import workflow
from council.voting.models import Ballot, BallotParticipation, SecretChoice, Vote
from council.voting.workflow import Status
from council.web.pagecache import raise_versions

if TYPE_CHECKING:
    from litestar.types import Scope

log = logging.getLogger("council.voting")

BATCH = 64  # votes per transaction at most: raw SQLite commits fastest at 32–64
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Receipt:
    ballot_id: UUID
    receipt: str
    voter_label: str
    choices: tuple[str, ...]
    changed: bool = False
    secret: bool = False


def new_receipt() -> str:
    return secrets.token_hex(8).upper()


@dataclass(frozen=True)
class Cast:
    """A vote that passed every check a read can make: who, for which seat, what. The ballot
    is named with the moment it opened, so that a ballot reset and opened again in between is
    noticed under the lock."""

    council_id: UUID
    slug: str
    ballot_id: UUID
    opened_at: dt.datetime | None
    secret: bool
    allow_change: bool
    person_id: UUID
    person_label: str
    voter_key: str
    voter_label: str
    shop_id: UUID | None
    choices: tuple[str, ...]
    now: dt.datetime
    per_hour: int

    @property
    def quota_key(self) -> str:
        return f"vote:{self.person_id}"


class Reopened(Exception):
    """The ballot was reset and opened again after the vote was checked: check it again."""


Outcome = Receipt | Exception


async def write(db: AsyncSession, votes: Sequence[Cast]) -> list[Outcome]:
    """Write ``votes`` in the caller's transaction, in their order; per vote its receipt or
    its refusal. Nothing is committed here."""
    outcomes: list[Outcome | None] = [None] * len(votes)
    ballots = await _locked_ballots(db, sorted({v.ballot_id for v in votes}))
    for i, vote in enumerate(votes):
        outcomes[i] = _ballot_refusal(vote, ballots.get(vote.ballot_id))
    await _refuse_over_quota(db, votes, outcomes)
    entries: list[audit.NewEntry] = []
    hits: list[Cast] = []
    for round_ in _rounds([i for i, o in enumerate(outcomes) if o is None], votes):
        for i, receipt in (await insert(db, [(i, votes[i]) for i in round_])).items():
            vote = votes[i]
            outcomes[i] = receipt
            hits.append(vote)
            entries.append(_entry(vote, receipt))
    for i, outcome in enumerate(outcomes):
        if outcome is None:
            outcomes[i] = Conflict(_("已投票"))
    await _count_hits(db, hits)
    await audit.append(db, entries)
    return cast("list[Outcome]", outcomes)


async def _locked_ballots(db: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, Any]:
    """The ballots' state, locked (FOR UPDATE on PostgreSQL, in id order; SQLite's writer
    holds the database's lock already): a close waits for the batch, or the batch for it."""
    stmt = (
        sa.select(Ballot.id, Ballot.status, Ballot.opens_at, Ballot.closes_at, Ballot.opened_at)
        .where(Ballot.id.in_(ids))
        .order_by(Ballot.id)
        .with_for_update()
    )
    return {row.id: row for row in await db.execute(stmt)}


def _ballot_refusal(vote: Cast, ballot: Any) -> Exception | None:
    if ballot is None:
        return NotFound(_("找不到这个表决"))
    facts = workflow.Facts(
        status=ballot.status, opens_at=ballot.opens_at, closes_at=ballot.closes_at, now=vote.now
    )
    try:
        workflow.check_cast(facts)
    except Conflict as refusal:
        log.warning(
            "vote refused on %s ballot %s by %s", ballot.status, vote.ballot_id, vote.person_id
        )
        return refusal
    if ballot.status is Status.OPEN and ballot.opened_at != vote.opened_at:
        return Reopened()
    return None


async def _refuse_over_quota(
    db: AsyncSession, votes: Sequence[Cast], outcomes: list[Outcome | None]
) -> None:
    """At most ``per_hour`` accepted votes (changes included) per person in any hour, counted
    per person, never per address (S40). Read once for the batch; a vote of the batch counts
    against the next one of the same person before it is known to go in, so a refusal may
    come one vote early at the limit, an acceptance never late."""
    waiting = [i for i, o in enumerate(outcomes) if o is None]
    if not waiting:
        return
    since = {i: throttle.bucket_start(votes[i].now - HOUR + throttle.BUCKET) for i in waiting}
    rows = await db.execute(
        sa.select(RateCounter.key, RateCounter.window_start, RateCounter.count).where(
            RateCounter.key.in_({votes[i].quota_key for i in waiting}),
            RateCounter.window_start >= min(since.values()),
        )
    )
    counted: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for key, window_start, count in rows:
        counted[key].append((_aware(window_start), count))
    for i in waiting:
        vote = votes[i]
        used = sum(n for start, n in counted[vote.quota_key] if start >= since[i])
        if used >= vote.per_hour:
            log.warning("vote refused over the hourly limit by %s", vote.person_id)
            outcomes[i] = Throttled(
                _("投票过于频繁：每小时最多投 %(n)s 票，请稍后再试", n=vote.per_hour)
            )
        else:
            counted[vote.quota_key].append((throttle.bucket_start(vote.now), 1))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _rounds(indexes: Sequence[int], votes: Sequence[Cast]) -> list[list[int]]:
    """The votes split so that no seat of a ballot appears twice in one statement: the
    first vote of each seat in the first round, its second in the next, and so on, so that
    each is decided after the one before it."""
    rounds: list[list[int]] = []
    seen: dict[tuple[UUID, str], int] = defaultdict(int)
    for i in indexes:
        seat = (votes[i].ballot_id, votes[i].voter_key)
        if seen[seat] == len(rounds):
            rounds.append([])
        rounds[seen[seat]].append(i)
        seen[seat] += 1
    return rounds


def _insert_of(db: AsyncSession) -> Callable[..., Any]:
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


async def insert(db: AsyncSession, votes: Sequence[tuple[int, Cast]]) -> dict[int, Receipt]:
    """One statement per kind of ballot: the rows the unique constraint let in, by index."""
    accepted: dict[int, Receipt] = {}
    named = [(i, v) for i, v in votes if not v.secret]
    for allow_change in (False, True):
        group = [(i, v) for i, v in named if v.allow_change is allow_change]
        if group:
            accepted.update(await _insert_named(db, group, allow_change))
    secret = [(i, v) for i, v in votes if v.secret]
    if secret:
        accepted.update(await _insert_secret(db, secret))
    return accepted


def _seat(vote: Cast) -> dict[str, Any]:
    """A new row's columns that say whose seat voted on which ballot (vote, participation)."""
    return {
        "id": uuid4(),
        "council_id": vote.council_id,
        "ballot_id": vote.ballot_id,
        "voter_key": vote.voter_key,
        "person_id": vote.person_id,
        "shop_id": vote.shop_id,
    }


async def _insert_named(
    db: AsyncSession, votes: Sequence[tuple[int, Cast]], allow_change: bool
) -> dict[int, Receipt]:
    rows = {}
    for i, vote in votes:
        rows[i] = {
            **_seat(vote),
            "choices": ",".join(vote.choices),
            "receipt": new_receipt(),
            "cast_at": vote.now,
            "revision": 1,
            "created_at": vote.now,
            "updated_at": vote.now,
        }
    stmt = _insert_of(db)(Vote).values(list(rows.values()))
    if allow_change:
        # Rule 17: the change replaces the earlier vote in its row; both can never count.
        stmt = stmt.on_conflict_do_update(
            index_elements=[Vote.ballot_id, Vote.voter_key],
            set_={
                "choices": stmt.excluded.choices,
                "receipt": stmt.excluded.receipt,
                "cast_at": stmt.excluded.cast_at,
                "person_id": stmt.excluded.person_id,
                "updated_at": stmt.excluded.updated_at,
                "revision": Vote.revision + 1,
            },
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=[Vote.ballot_id, Vote.voter_key])
    stored = {
        row.receipt: row.revision
        for row in await db.execute(stmt.returning(Vote.receipt, Vote.revision))
    }
    accepted = {}
    for i, vote in votes:
        receipt = rows[i]["receipt"]
        if receipt in stored:
            accepted[i] = Receipt(
                vote.ballot_id, receipt, vote.voter_label, vote.choices, changed=stored[receipt] > 1
            )
    return accepted


async def _insert_secret(db: AsyncSession, votes: Sequence[tuple[int, Cast]]) -> dict[int, Receipt]:
    """Participation first; a choice row only for the participations that got in."""
    rows = {i: {**_seat(vote), "voted_at": vote.now} for i, vote in votes}
    stmt = (
        _insert_of(db)(BallotParticipation)
        .values(list(rows.values()))
        .on_conflict_do_nothing(
            index_elements=[BallotParticipation.ballot_id, BallotParticipation.voter_key]
        )
        .returning(BallotParticipation.id)
    )
    stored = set((await db.execute(stmt)).scalars())
    accepted = {
        i: Receipt(vote.ballot_id, new_receipt(), vote.voter_label, vote.choices, secret=True)
        for i, vote in votes
        if rows[i]["id"] in stored
    }
    if accepted:
        ballots = {i: (vote.council_id, vote.ballot_id) for i, vote in votes}
        await db.execute(
            sa.insert(SecretChoice),
            [
                {
                    "id": uuid4(),
                    "council_id": ballots[i][0],
                    "ballot_id": ballots[i][1],
                    "choices": ",".join(receipt.choices),
                    "receipt": receipt.receipt,
                }
                for i, receipt in accepted.items()
            ],
        )
    return accepted


def _entry(vote: Cast, receipt: Receipt) -> audit.NewEntry:
    if vote.secret:
        # Participation only: neither the choice nor the receipt may reach the log (S11).
        summary: dict[str, Any] = {"voter": vote.voter_label, "secret": True}
    else:
        summary = {
            "voter": vote.voter_label,
            "choices": list(vote.choices),
            "receipt": receipt.receipt,
        }
    return audit.NewEntry(
        council_id=vote.council_id,
        actor_id=vote.person_id,
        actor_label=vote.person_label,
        action="vote.changed" if receipt.changed else "vote.cast",
        object_type="ballot",
        object_id=vote.ballot_id,
        summary=summary,
        at=vote.now,
    )


async def _count_hits(db: AsyncSession, votes: Sequence[Cast]) -> None:
    """One more accepted vote per vote against its person's hourly quota, in one statement."""
    counts: dict[tuple[str, dt.datetime], int] = defaultdict(int)
    for vote in votes:
        counts[(vote.quota_key, throttle.bucket_start(vote.now))] += 1
    if not counts:
        return
    stmt = _insert_of(db)(RateCounter).values(
        [
            {"id": uuid4(), "key": key, "window_start": start, "count": n}
            for (key, start), n in sorted(counts.items())
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateCounter.key, RateCounter.window_start],
        set_={"count": RateCounter.count + stmt.excluded.count},
    )
    await db.execute(stmt)


async def write_one(db: AsyncSession, vote: Cast) -> Receipt:
    """One vote in the caller's transaction (scripts, the demo loader)."""
    (outcome,) = await write(db, [vote])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


# --- the writer ---------------------------------------------------------------------------


class Unanswered(DomainError):
    """The writer stopped before it could say whether the vote went in."""

    status_code = 503


@dataclass
class _Waiting:
    vote: Cast
    answer: asyncio.Future[Receipt]


class VoteWriter:
    """The process's one vote writer: votes queue here and go in by batches (group commit)."""

    def __init__(self, engine: AsyncEngine, *, batch: int = BATCH, keep: bool = True) -> None:
        self._engine = engine
        # A connection of its own, kept between batches: a writer waiting for the pool
        # behind hundreds of requests' reads would hold up every vote they are waiting for.
        # Not kept where the engine has no pool (the database may be replaced between
        # requests): each batch then opens its own.
        self._keep = keep
        self._connection: AsyncConnection | None = None
        self._batch = batch
        self._queue: asyncio.Queue[_Waiting] | None = None
        self._task: asyncio.Task[None] | None = None
        self._current: list[_Waiting] = []
        self.commits = 0  # batches committed, for tests and the bench

    def start(self) -> asyncio.Queue[_Waiting]:
        """Start the writer task on the running loop (again, if it ran on another); its queue."""
        loop = asyncio.get_running_loop()
        task = self._task
        if self._queue is None or task is None or task.done() or task.get_loop() is not loop:
            self._queue = asyncio.Queue()
            # The writer always writes: it begins its transactions with the write lock
            # (SQLite), whatever the request that started it was doing.
            with write_intent(True):
                self._task = loop.create_task(self._run(self._queue), name="council-vote-writer")
        return self._queue

    async def close(self) -> None:
        """Stop the writer; votes it had not answered are answered "unanswered" (503)."""
        task, queue = self._task, self._queue
        self._task = self._queue = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        waiting = list(self._current)
        while queue is not None and not queue.empty():
            waiting.append(queue.get_nowait())
        self._fail(waiting)
        await self._release()

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # the pool discards it anyway
                log.warning("closing the vote writer's connection failed", exc_info=True)

    async def submit(self, db: AsyncSession, vote: Cast) -> Receipt:
        """Hand ``vote`` to the writer and wait until its batch committed. The request's own
        transaction (its reads) ends first, and commits nothing of its own afterwards."""
        await db.commit()
        db.info[WRITTEN_ELSEWHERE] = True
        waiting = _Waiting(vote, asyncio.get_running_loop().create_future())
        self.start().put_nowait(waiting)
        return await asyncio.shield(waiting.answer)

    async def _run(self, queue: asyncio.Queue[_Waiting]) -> None:
        while True:
            self._current = [await queue.get()]
            while len(self._current) < self._batch and not queue.empty():
                self._current.append(queue.get_nowait())
            try:
                await self._write(self._current)
            except Exception:
                log.exception("the vote writer failed after %s votes", len(self._current))
            self._fail(self._current)
            self._current = []

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            outcomes = await self._commit([w.vote for w in batch])
        except Exception as exc:
            if len(batch) == 1:
                outcomes = [exc]
            else:
                # One vote the database refuses outright must not fail the others.
                for one in batch:
                    await self._write([one])
                return
        self._answer(batch, outcomes)

    async def _commit(self, votes: list[Cast]) -> list[Outcome]:
        if self._connection is None:
            self._connection = await self._engine.connect()
        try:
            async with AsyncSession(bind=self._connection, expire_on_commit=False) as db:
                outcomes = await write(db, votes)
                for slug in sorted({v.slug for v in votes}):
                    scope = cast("Scope", {"method": "POST", "path": f"/c/{slug}/ballots"})
                    await raise_versions(db, scope)
                await db.commit()
        except BaseException:
            # Whatever state the connection was left in, the next batch starts on a new one.
            await asyncio.shield(self._release())
            raise
        if not self._keep:
            await asyncio.shield(self._release())
        self.commits += 1
        return outcomes

    def _answer(self, batch: list[_Waiting], outcomes: list[Outcome]) -> None:
        """Answer each vote of a committed batch: only now may a receipt be shown."""
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.answer.done():
                continue
            if isinstance(outcome, Exception):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)

    @staticmethod
    def _fail(waiting: list[_Waiting]) -> None:
        for one in waiting:
            if not one.answer.done():
                one.answer.set_exception(
                    Unanswered(
                        _("没能确认这一票是否已记录，请刷新页面查看；若未记录，请再投一次。")
                    )
                )
