"""Votes taken in a live meeting (issue 6, "in meetings"; DOMAIN rule 14).

The facilitator opens a 同意/反对/弃权 vote on the current agenda item from the console; the
electorate is the council's voting members, and who is present (实到) is frozen from the
meeting's sign-in list at that moment. Members vote from the meeting's phone view. Opening,
casting, closing and certifying are the voting engine's own functions (``voting.service``);
this module only ties them to the meeting and refuses what does not fit it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.service import record_by
from council.consultations import service_meetings
from council.consultations.common import as_uuid
from council.consultations.models import AgendaItem, Invitation, Meeting, MeetingStatus, Round
from council.consultations.quorum import QuorumRule
from council.councils.models import Council, Role
from council.councils.permissions import Action, Actor
from council.councils.service import check
from council.errors import Conflict, FormInvalid, NotFound, TransitionRefused
from council.i18n import N_, _
from council.settings import Settings
from council.voting import service as voting
from council.voting.models import (
    Ballot,
    BallotKind,
    BallotOption,
    Electorate,
    Method,
)
from council.voting.pipeline import VoteWriter
from council.voting.schemas import BallotForm, QuorumKey, RuleKey
from council.voting.service import Receipt, Seat
from council.voting.tally import MAJORITY, TWO_THIRDS, BaseKind
from council.voting.workflow import Status

# The meeting's own quorum rule (over those invited) suggests the vote's (over the members).
QUORUM_FROM_MEETING: Mapping[QuorumRule, str] = {
    QuorumRule.MAJORITY: MAJORITY.key,
    QuorumRule.TWO_THIRDS: TWO_THIRDS.key,
}
# Bases offered in a meeting: its point is that "present" is known when the vote opens.
MEETING_BASES: tuple[BaseKind, ...] = (
    BaseKind.PRESENT,
    BaseKind.ELIGIBLE,
    BaseKind.CAST,
    BaseKind.DECISIVE,
)
OBSERVER = N_("列席人员可以旁听表决，但不参加投票")
NOT_ELECTOR = N_("您不在本次表决的投票人名单中")


class MeetingVoteForm(msgspec.Struct):
    """What the facilitator fills in on the console; the rest is fixed for meeting votes."""

    agenda_item_id: Annotated[str, msgspec.Meta(max_length=40)]
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    method: Method = Method.NAMED
    pass_rule: RuleKey = MAJORITY.key
    pass_base: BaseKind = BaseKind.PRESENT
    quorum_rule: QuorumKey = ""


# --- reads ----------------------------------------------------------------------------------


async def ballots_of(db: AsyncSession, meeting: Meeting) -> list[Ballot]:
    stmt = (
        sa.select(Ballot)
        .where(Ballot.meeting_id == meeting.id, Ballot.council_id == meeting.council_id)
        .order_by(Ballot.created_at)
    )
    return list((await db.execute(stmt)).scalars())


async def ballot_in(
    db: AsyncSession, actor: Actor, council: Council, meeting: Meeting, ballot_id: UUID | str
) -> Ballot:
    """One of this meeting's ballots; any other id is simply missing."""
    wanted = as_uuid(ballot_id)
    if wanted is None:
        raise NotFound(_("找不到这个表决"))
    ballot = await voting.get(db, actor, council, wanted)
    if ballot.meeting_id != meeting.id:
        raise NotFound(_("找不到这个表决"))
    return ballot


@dataclass(frozen=True)
class MeetingVote:
    """A meeting ballot as the console, the phone and the public pages show it."""

    ballot: Ballot
    meeting: Meeting | None
    item: AgendaItem | None
    options: list[BallotOption]
    turnout: int
    live: Mapping[str, int] | None  # running counts while open (named ballots only)
    result: Mapping[str, Any] | None  # the sealed result once closed

    @property
    def closed(self) -> bool:
        return self.ballot.status in (Status.CLOSED, Status.CERTIFIED)

    @property
    def needed(self) -> int | None:
        """Yes votes needed to pass, when the base is fixed at opening (present, eligible)."""
        rules = voting.rules_of(self.ballot)
        fixed = {
            BaseKind.PRESENT: self.ballot.present_count,
            BaseKind.ELIGIBLE: self.ballot.eligible_count,
        }
        base = fixed.get(rules.passing.base)
        return None if base is None else rules.passing.threshold.needed(base)

    @property
    def labels(self) -> dict[str, str]:
        return {o.code: o.label for o in self.options}


async def view(db: AsyncSession, ballot: Ballot) -> MeetingVote:
    item = await db.get(AgendaItem, ballot.agenda_item_id) if ballot.agenda_item_id else None
    live = None
    if ballot.status is Status.OPEN and ballot.method is Method.NAMED:
        # Secret ballots show turnout only while open (see voting.controller._tally_context).
        live = (await voting.count(db, ballot)).counts
    return MeetingVote(
        ballot=ballot,
        meeting=await db.get(Meeting, ballot.meeting_id) if ballot.meeting_id else None,
        item=item,
        options=await voting.options_of(db, ballot),
        turnout=await voting.participation_count(db, ballot),
        live=live,
        result=voting.stored_result(ballot)
        if ballot.status in (Status.CLOSED, Status.CERTIFIED)
        else None,
    )


async def latest(db: AsyncSession, meeting: Meeting) -> MeetingVote | None:
    """The vote the console and phones show: the open one, else the one most recently opened."""
    ballots = [b for b in await ballots_of(db, meeting) if b.status is not Status.DRAFT]
    if not ballots:
        return None
    current = next((b for b in ballots if b.status is Status.OPEN), ballots[-1])
    return await view(db, current)


@dataclass(frozen=True)
class PhoneVote:
    vote: MeetingVote
    seat: Seat | None
    refusal: str  # why this person has no vote here ("" when they have one)


async def for_phone(db: AsyncSession, actor: Actor, meeting: Meeting) -> PhoneVote | None:
    vote = await latest(db, meeting)
    if vote is None:
        return None
    seats = await voting.seats(db, actor, vote.ballot)
    usable = [s for s in seats if not s.absent]
    refusal = ""
    if not seats:
        observer = Role.OBSERVER in actor.roles_in(meeting.council_id)
        refusal = _(OBSERVER) if observer else _(NOT_ELECTOR)
    elif not usable:
        refusal = _(voting.NOT_PRESENT)
    return PhoneVote(vote, usable[0] if usable else None, refusal)


async def results_for_matter(
    db: AsyncSession, council: Council, matter_id: UUID
) -> list[MeetingVote]:
    """The closed votes taken on any round of this matter, oldest first (public)."""
    stmt = (
        sa.select(Ballot)
        .join(AgendaItem, AgendaItem.id == Ballot.agenda_item_id)
        .join(Round, Round.id == AgendaItem.round_id)
        .where(
            Round.matter_id == matter_id,
            Ballot.council_id == council.id,
            Ballot.status.in_((Status.CLOSED, Status.CERTIFIED)),
        )
        .order_by(Ballot.closed_at)
    )
    return [await view(db, b) for b in (await db.execute(stmt)).scalars()]


async def results_for_meeting(db: AsyncSession, meeting: Meeting) -> list[MeetingVote]:
    closed = [
        b for b in await ballots_of(db, meeting) if b.status in (Status.CLOSED, Status.CERTIFIED)
    ]
    return [await view(db, b) for b in closed]


# --- the facilitator ------------------------------------------------------------------------


def _require_run(actor: Actor, council: Council) -> None:
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以在会上开启和结束表决"))


async def _locked_meeting(db: AsyncSession, council: Council, meeting_id: UUID) -> Meeting:
    """The meeting row, locked: two "open a vote" taps cannot both find no vote open."""
    meeting = await service_meetings.get_meeting(db, council, meeting_id)
    await db.execute(
        sa.select(Meeting.id)
        .where(Meeting.id == meeting.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return meeting


def defaults(meeting: Meeting, item: AgendaItem | None) -> dict[str, str]:
    """The form as the console first shows it: the question is the current item's title."""
    return {
        "agenda_item_id": item.id.hex if item else "",
        "question": item.title if item else "",
        "method": Method.NAMED.value,
        "pass_rule": MAJORITY.key,
        "pass_base": BaseKind.PRESENT.value,
        "quorum_rule": QUORUM_FROM_MEETING.get(meeting.quorum_rule, ""),
    }


async def open_vote(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    form: MeetingVoteForm,
    now: dt.datetime,
) -> Ballot:
    """Create and open a yes/no vote on the current item; 实到 = signed in right now."""
    _require_run(actor, council)
    meeting = await _locked_meeting(db, council, meeting_id)
    if meeting.status is not MeetingStatus.LIVE:
        raise TransitionRefused(_("会议不在进行中，不能开启表决"))
    state = await service_meetings.live_state(db, meeting)
    wanted = as_uuid(form.agenda_item_id)
    if wanted is None or wanted not in {a.id for a in state.agenda}:
        raise FormInvalid({"agenda_item_id": _("请选择本次会议的议程")}, _values(form))
    if state.current is None or state.current.id != wanted:
        raise Conflict(_("只能对当前议程开启表决，请先在主持台把它设为当前议程"))
    if any(b.status is Status.OPEN for b in await ballots_of(db, meeting)):
        raise Conflict(_("本次会议已有一项表决正在进行，请先结束它"))
    if form.pass_base not in MEETING_BASES:
        raise FormInvalid({"pass_base": _("请选择通过规则的基数")}, _values(form))
    draft = BallotForm(
        question=form.question,
        kind=BallotKind.YES_NO,
        electorate=Electorate.MEMBERS,
        method=form.method,
        pass_rule=form.pass_rule,
        pass_base=form.pass_base,
        quorum_rule=form.quorum_rule,
        quorum_measure=BaseKind.PRESENT,
    )
    present = {f"p:{i.invitation.person_id.hex}" for i in state.present}
    if not present & {p.voter_key for p in await _members(db, council)}:
        raise TransitionRefused(_("还没有有表决权的成员签到，不能开启表决"))
    ballot = await voting.create(db, actor, council, draft, now)
    ballot.meeting_id, ballot.agenda_item_id = meeting.id, wanted
    ballot = await voting.open_ballot(db, actor, council, ballot.id, now, present=present)
    await record_by(
        db,
        actor,
        council.id,
        "meeting.vote_opened",
        ("meeting", meeting.id),
        {
            "ballot": ballot.id.hex,
            "agenda_item": state.current.title,
            "question": ballot.question,
            "eligible": ballot.eligible_count,
            "present": ballot.present_count,
        },
        now,
    )
    return ballot


async def _members(db: AsyncSession, council: Council) -> list[voting.Prospect]:
    """Who the engine would freeze as the electorate of a members' ballot opened now."""
    # A probe, never added to the session: the electorate rule stays in voting.service.
    probe = Ballot(council_id=council.id, electorate=Electorate.MEMBERS, electorate_spec="[]")
    return await voting.prospective_electorate(db, probe)


def _values(form: MeetingVoteForm) -> dict[str, Any]:
    return {f: str(getattr(form, f)) for f in form.__struct_fields__}


async def _run_ballot(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, ballot_id: UUID
) -> Ballot:
    """This meeting's ballot, for the facilitator running the meeting."""
    _require_run(actor, council)
    meeting = await service_meetings.get_meeting(db, council, meeting_id)
    return await ballot_in(db, actor, council, meeting, ballot_id)


async def close_vote(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    ballot_id: UUID,
    now: dt.datetime,
) -> Ballot:
    ballot = await _run_ballot(db, actor, council, meeting_id, ballot_id)
    return await voting.close(db, actor, council, ballot.id, now)


async def certify_vote(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    ballot_id: UUID,
    now: dt.datetime,
) -> Ballot:
    ballot = await _run_ballot(db, actor, council, meeting_id, ballot_id)
    return await voting.certify(db, actor, council, ballot.id, now)


# --- members --------------------------------------------------------------------------------


async def cast(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    ballot_id: UUID | str | None,
    data: Mapping[str, Any],
    now: dt.datetime,
    *,
    per_hour: int = Settings.votes_per_person_hour,
    writer: VoteWriter | None = None,
) -> Receipt:
    """A member's vote from the phone view: the engine's ``cast`` on this meeting's ballot."""
    check(actor, council, Action.CAST_VOTE, _(OBSERVER))
    meeting = await service_meetings.get_meeting(db, council, meeting_id)
    invitation = await db.scalar(
        sa.select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.person_id == actor.person_id
        )
    )
    if invitation is None:
        raise NotFound(_("找不到这个页面"))
    ballot = await ballot_in(db, actor, council, meeting, ballot_id or "")
    return await voting.cast(
        db, actor, council, ballot.id, data, now, per_hour=per_hour, writer=writer
    )
