"""Matters and their rounds of consultation: the story a resident can follow (rules 23, 24)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.consultations import service_meetings as meetings
from council.consultations.common import as_uuid, scoped
from council.consultations.models import (
    ActionPlan,
    AgendaItem,
    EntryKind,
    Matter,
    Meeting,
    MeetingStatus,
    Minutes,
    Round,
    RoundEntry,
    Side,
)
from council.consultations.quorum import Quorum
from council.consultations.schemas import (
    AgendaForm,
    CloseRoundForm,
    EntryForm,
    MatterForm,
    MatterStatusForm,
)
from council.consultations.workflow import (
    MATTER,
    ROUND,
    MatterFacts,
    MatterStatus,
    MinutesStatus,
    Outcome,
    RoundFacts,
    RoundStatus,
)
from council.councils.models import Council
from council.councils.permissions import Action, Actor, Visibility
from council.councils.service import check
from council.errors import FormInvalid, TransitionRefused
from council.files import service as files
from council.files.images import ImageRejected
from council.files.models import StoredFile
from council.files.storage import Storage
from council.i18n import _

ENTRY_FILES = "round_entry"


def question_lines(text: str) -> list[str]:
    return [line.strip(" -·•\t") for line in text.splitlines() if line.strip(" -·•\t")]


# --- reads ----------------------------------------------------------------------------------


async def list_matters(
    db: AsyncSession, council_id: UUID, limit: int | None = None
) -> list[tuple[Matter, int]]:
    """The council's matters, newest first, each with its number of rounds."""
    rounds = (
        sa.select(sa.func.count(Round.id)).where(Round.matter_id == Matter.id).scalar_subquery()
    )
    rows = await db.execute(
        sa.select(Matter, rounds)
        .where(Matter.council_id == council_id)
        .order_by(Matter.created_at.desc())
        .limit(limit)
    )
    return [(m, int(n)) for m, n in rows]


async def get_matter(db: AsyncSession, council: Council, matter_id: UUID | str) -> Matter:
    return await scoped(db, Matter, council.id, matter_id)


async def rounds_of(db: AsyncSession, matter: Matter) -> list[Round]:
    stmt = (
        sa.select(Round)
        .where(Round.matter_id == matter.id, Round.council_id == matter.council_id)
        .order_by(Round.number)
    )
    return list((await db.execute(stmt)).scalars())


@dataclass(frozen=True)
class SideCount:
    side: Side
    invited: int
    present: int
    names: list[str]


@dataclass
class RoundView:
    """One round as the matter page tells it."""

    round: Round
    meeting: Meeting | None
    agenda_item: AgendaItem | None
    carried: list[str]
    entries: dict[EntryKind, list[RoundEntry]] = field(default_factory=dict)
    sides: list[SideCount] = field(default_factory=list)
    quorum: Quorum | None = None
    files: dict[UUID, list[StoredFile]] = field(default_factory=dict)
    minutes_published: bool = False

    @property
    def open_questions(self) -> list[str]:
        return question_lines(self.round.open_questions)


async def round_view(db: AsyncSession, round_: Round, previous: Round | None) -> RoundView:
    item = await db.scalar(sa.select(AgendaItem).where(AgendaItem.round_id == round_.id))
    meeting = await db.get(Meeting, item.meeting_id) if item else None
    view = RoundView(
        round=round_,
        meeting=meeting,
        agenda_item=item,
        carried=question_lines(previous.open_questions) if previous else [],
    )
    entries = (
        await db.execute(
            sa.select(RoundEntry)
            .where(RoundEntry.round_id == round_.id, RoundEntry.council_id == round_.council_id)
            .order_by(RoundEntry.created_at)
        )
    ).scalars()
    ids = []
    for entry in entries:
        view.entries.setdefault(entry.kind, []).append(entry)
        ids.append(entry.id)
    view.files = await files.for_parents(db, ENTRY_FILES, ids)
    if meeting is not None:
        view.minutes_published = bool(
            await db.scalar(
                sa.select(Minutes.id)
                .where(
                    Minutes.meeting_id == meeting.id,
                    Minutes.status == MinutesStatus.PUBLISHED,
                )
                .limit(1)
            )
        )
        people = await meetings.invitees(db, meeting)
        view.quorum = meetings.quorum_of(meeting, people)
        for side in Side:
            on_side = [p for p in people if p.invitation.side is side]
            if on_side:
                present = [p.name for p in on_side if p.present]
                view.sides.append(SideCount(side, len(on_side), len(present), present))
    return view


@dataclass(frozen=True)
class Story:
    matter: Matter
    rounds: list[RoundView]
    plans: list[ActionPlan]

    @property
    def open_round(self) -> RoundView | None:
        return next((r for r in self.rounds if r.round.status is RoundStatus.OPEN), None)


async def story(db: AsyncSession, matter: Matter) -> Story:
    rounds = await rounds_of(db, matter)
    views = [await round_view(db, r, rounds[i - 1] if i else None) for i, r in enumerate(rounds)]
    plans = (
        await db.execute(
            sa.select(ActionPlan)
            .where(ActionPlan.matter_id == matter.id, ActionPlan.council_id == matter.council_id)
            .order_by(ActionPlan.created_at)
        )
    ).scalars()
    return Story(matter, views, list(plans))


async def get_round(db: AsyncSession, council: Council, round_id: UUID | str) -> Round:
    return await scoped(db, Round, council.id, round_id)


async def round_context(db: AsyncSession, round_: Round) -> tuple[Matter, RoundView]:
    matter = await db.get(Matter, round_.matter_id)
    assert matter is not None  # noqa: S101 - a foreign key guarantees it
    previous = await db.scalar(
        sa.select(Round).where(Round.matter_id == matter.id, Round.number == round_.number - 1)
    )
    return matter, await round_view(db, round_, previous)


# --- changes --------------------------------------------------------------------------------


async def create_matter(
    db: AsyncSession, actor: Actor, council: Council, form: MatterForm, now: dt.datetime
) -> Matter:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以立项"))
    matter = Matter(
        council_id=council.id,
        title=form.title,
        description=form.description,
        merchant_side=form.merchant_side,
        resident_side=form.resident_side,
        other_parties=form.other_parties,
        source=form.source,
        created_by_id=actor.person_id,
    )
    db.add(matter)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "matter.created",
        ("matter", matter.id),
        {"title": matter.title},
        at=now,
    )
    return matter


async def _matter_facts(db: AsyncSession, matter: Matter, reason: str = "") -> MatterFacts:
    rounds = await rounds_of(db, matter)
    closed = [r for r in rounds if r.status is RoundStatus.CLOSED]
    return MatterFacts(
        latest_outcome=closed[-1].outcome if closed else None,
        has_open_round=any(r.status is RoundStatus.OPEN for r in rounds),
        reason=reason,
    )


async def change_status(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID,
    form: MatterStatusForm,
    now: dt.datetime,
) -> Matter:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以改变议题状态"))
    matter = await get_matter(db, council, matter_id)
    return await _move(db, actor, matter, form.status, form.reason, now)


async def _move(
    db: AsyncSession,
    actor: Actor,
    matter: Matter,
    target: MatterStatus,
    reason: str,
    now: dt.datetime,
) -> Matter:
    facts = await _matter_facts(db, matter, reason)
    before = matter.status
    matter.status = MATTER.advance(matter.status, target, facts)
    matter.status_reason = reason
    await audit.record_by(
        db,
        actor,
        matter.council_id,
        "matter.status_changed",
        ("matter", matter.id),
        {"from": before.value, "to": target.value, "reason": reason},
        at=now,
    )
    return matter


async def open_round(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    matter_id: UUID,
    meeting_id: UUID | str,
    now: dt.datetime,
) -> Round:
    """Round N+1 of a matter, put on a meeting's agenda."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以安排协商"))
    matter = await get_matter(db, council, matter_id)
    if matter.status is not MatterStatus.CONSULTING:
        raise TransitionRefused(_("只有“协商中”的议题可以安排新一轮协商"))
    meeting = await meetings.get_meeting(db, council, meeting_id)
    if meeting.status is MeetingStatus.CLOSED:
        raise FormInvalid({"meeting_id": _("这次会议已经结束，请选择一次未开的会议")})
    rounds = await rounds_of(db, matter)
    if any(r.status is RoundStatus.OPEN for r in rounds):
        raise TransitionRefused(_("上一轮协商还没有结束"))
    round_ = Round(council_id=council.id, matter_id=matter.id, number=len(rounds) + 1)
    db.add(round_)
    await db.flush()
    title = _("第 %(n)s 轮协商：%(title)s", n=round_.number, title=matter.title)
    await meetings.add_agenda_item(
        db, actor, council, meeting.id, AgendaForm(title=title), now, round_=round_
    )
    await audit.record_by(
        db,
        actor,
        council.id,
        "round.opened",
        ("round", round_.id),
        {"matter": matter.title, "number": round_.number, "meeting": meeting.title},
        at=now,
    )
    return round_


async def add_entry(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    round_id: UUID,
    form: EntryForm,
    now: dt.datetime,
    *,
    uploads: Sequence[UploadFile] = (),
    storage: Storage | None = None,
    uploads_per_hour: int = 20,
) -> RoundEntry:
    """A statement, position or option, with photos or test reports attached (public, like
    the rest of the consultation record; checked and re-encoded by the uploads module)."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以记录发言"))
    round_ = await get_round(db, council, round_id)
    if round_.status is not RoundStatus.OPEN:
        raise TransitionRefused(_("这一轮已经结束，记录不能再改动"))
    try:
        images = await files.clean_uploads(uploads)
    except ImageRejected as exc:
        values = {"text": form.text, "speaker": form.speaker}
        raise FormInvalid({"photos": str(exc)}, values) from exc
    if images and actor.person_id is not None:
        await files.check_quota(db, actor.person_id, len(images), uploads_per_hour, now)
    entry = RoundEntry(
        council_id=council.id,
        round_id=round_.id,
        kind=form.kind,
        side=form.side,
        speaker=form.speaker,
        text=form.text,
        recorded_by_id=actor.person_id,
    )
    db.add(entry)
    await db.flush()
    stored = []
    if images:
        assert storage is not None  # noqa: S101 - the controller passes the app's storage
        stored = await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, ENTRY_FILES, entry.id),
            owner_id=actor.person_id,
            visibility=Visibility.PUBLIC,
            now=now,
        )
    await audit.record_by(
        db,
        actor,
        council.id,
        "round.entry_recorded",
        ("round", round_.id),
        {
            "kind": form.kind.value,
            "side": form.side.value,
            "speaker": form.speaker,
            "files": [f.name for f in stored],
        },
        at=now,
    )
    return entry


async def close_round(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    round_id: UUID,
    form: CloseRoundForm,
    now: dt.datetime,
) -> Round:
    """Close with an outcome (rule 23); "none" or "partial" schedules round N+1 or defers."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以结束协商轮次"))
    round_ = await get_round(db, council, round_id)
    next_meeting = None
    if as_uuid(form.next_meeting_id) is not None:
        next_meeting = await meetings.get_meeting(db, council, form.next_meeting_id)
        if next_meeting.status is MeetingStatus.CLOSED:
            raise FormInvalid({"next_meeting_id": _("请选择一次未结束的会议")})
    facts = RoundFacts(
        outcome=form.outcome,
        schedules_next=next_meeting is not None,
        deferral_note=form.deferral_note,
    )
    round_.status = ROUND.advance(round_.status, RoundStatus.CLOSED, facts)
    round_.outcome = form.outcome
    round_.summary = form.summary
    round_.open_questions = form.open_questions
    round_.deferral_note = form.deferral_note
    round_.closed_at = now
    await db.flush()
    assert form.outcome is not None  # noqa: S101 - the ROUND gate refuses a missing outcome
    await audit.record_by(
        db,
        actor,
        council.id,
        "round.closed",
        ("round", round_.id),
        {
            "number": round_.number,
            "outcome": form.outcome.value,
            "open_questions": question_lines(form.open_questions),
            "deferral": form.deferral_note,
        },
        at=now,
    )
    matter = await get_matter(db, council, round_.matter_id)
    if form.outcome is Outcome.CONSENSUS:
        await _move(db, actor, matter, MatterStatus.CONSENSUS, "", now)
    elif next_meeting is not None:
        await open_round(db, actor, council, matter.id, next_meeting.id, now)
    return round_
