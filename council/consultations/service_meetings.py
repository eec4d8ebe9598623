"""Meetings: agenda, invitations, sign-in with live quorum, speakers' queue and minutes."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import throttle
from council.accounts.models import Person
from council.audit import service as audit
from council.consultations import attendance
from council.consultations.common import (
    as_uuid,
    parse_date,
    scoped,
    side_of,
)
from council.consultations.models import (
    AgendaItem,
    Attendance,
    Invitation,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesConfirmation,
    Round,
    SignInMethod,
    SpeakRequest,
    SpeakStatus,
)
from council.consultations.quorum import Quorum
from council.consultations.schemas import (
    AgendaForm,
    CodeForm,
    InviteForm,
    MeetingForm,
    MinutesForm,
    PublishForm,
)
from council.consultations.workflow import (
    MINUTES,
    MinutesFacts,
    MinutesStatus,
    minutes_editable,
)
from council.councils.models import (
    ClaimStatus,
    Constituency,
    Council,
    Membership,
    Role,
)
from council.councils.permissions import Action, Actor
from council.councils.service import check
from council.errors import Conflict, FormInvalid, NotAllowed, NotFound, TransitionRefused
from council.i18n import _
from council.notifications import events
from council.paging import page_of
from council.settings import Settings
from council.voting.models import Ballot
from council.voting.workflow import Status

INVITABLE_ROLES = (Role.MEMBER, Role.OBSERVER, Role.SUPERVISOR)


# --- reads ----------------------------------------------------------------------------------


async def list_meetings(db: AsyncSession, council_id: UUID) -> list[Meeting]:
    """Every meeting of the council, in date order."""
    stmt = sa.select(Meeting).where(Meeting.council_id == council_id).order_by(Meeting.starts_at)
    return list((await db.execute(stmt)).scalars())


async def meeting_page(
    db: AsyncSession, council_id: UUID, *, after: UUID | None = None
) -> tuple[list[Meeting], UUID | None]:
    """The latest meetings first, a page at a time; and the meeting to continue after."""
    stmt = sa.select(Meeting).where(Meeting.council_id == council_id)
    found = await page_of(db, stmt, order=[Meeting.starts_at], ident=Meeting.id, after=after)
    return [row[0] for row in found.rows], found.next


async def open_meetings(db: AsyncSession, council_id: UUID) -> list[Meeting]:
    """Meetings not yet closed, in date order: few, whatever the years of history."""
    stmt = (
        sa.select(Meeting)
        .where(Meeting.council_id == council_id, Meeting.status != MeetingStatus.CLOSED)
        .order_by(Meeting.starts_at)
    )
    return list((await db.execute(stmt)).scalars())


async def get_meeting(db: AsyncSession, council: Council, meeting_id: UUID | str) -> Meeting:
    return await scoped(db, Meeting, council.id, meeting_id)


async def agenda(db: AsyncSession, meeting: Meeting) -> list[AgendaItem]:
    stmt = (
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.council_id == meeting.council_id)
        .order_by(AgendaItem.position)
    )
    return list((await db.execute(stmt)).scalars())


@dataclass(frozen=True)
class Invitee:
    invitation: Invitation
    name: str
    attendance: Attendance | None

    @property
    def present(self) -> bool:
        return self.attendance is not None


@dataclass(frozen=True)
class QueueEntry:
    request: SpeakRequest
    name: str


@dataclass(frozen=True)
class LiveState:
    """Everything the console and the phone view show, read in one go."""

    meeting: Meeting
    invitees: list[Invitee]
    quorum: Quorum
    agenda: list[AgendaItem]
    current: AgendaItem | None
    queue: list[QueueEntry]

    @property
    def present(self) -> list[Invitee]:
        return [i for i in self.invitees if i.present]

    @property
    def speaking(self) -> QueueEntry | None:
        return next((q for q in self.queue if q.request.status is SpeakStatus.SPEAKING), None)

    @property
    def waiting(self) -> list[QueueEntry]:
        return [q for q in self.queue if q.request.status is SpeakStatus.WAITING]

    def invitee(self, person_id: UUID | None) -> Invitee | None:
        return next((i for i in self.invitees if i.invitation.person_id == person_id), None)

    def in_queue(self, person_id: UUID | None) -> QueueEntry | None:
        return next((q for q in self.queue if q.request.person_id == person_id), None)


async def invitees(db: AsyncSession, meeting: Meeting) -> list[Invitee]:
    rows = await db.execute(
        sa.select(Invitation, Person.display_name, Attendance)
        .join(Person, Person.id == Invitation.person_id)
        .outerjoin(
            Attendance,
            sa.and_(
                Attendance.meeting_id == Invitation.meeting_id,
                Attendance.person_id == Invitation.person_id,
            ),
        )
        .where(Invitation.meeting_id == meeting.id, Invitation.council_id == meeting.council_id)
        .order_by(Invitation.side, Person.display_name)
    )
    return [Invitee(inv, name, att) for inv, name, att in rows]


def quorum_of(meeting: Meeting, people: list[Invitee]) -> Quorum:
    counted = [i for i in people if i.invitation.counts_for_quorum]
    return Quorum(meeting.quorum_rule, len(counted), sum(1 for i in counted if i.present))


async def live_state(db: AsyncSession, meeting: Meeting) -> LiveState:
    people = await invitees(db, meeting)
    items = await agenda(db, meeting)
    current = next((a for a in items if a.position == meeting.current_position), None)
    rows = await db.execute(
        sa.select(SpeakRequest, Person.display_name)
        .join(Person, Person.id == SpeakRequest.person_id)
        .where(
            SpeakRequest.meeting_id == meeting.id,
            SpeakRequest.council_id == meeting.council_id,
            SpeakRequest.status != SpeakStatus.DONE,
        )
        .order_by(SpeakRequest.position, SpeakRequest.requested_at)
    )
    queue = [QueueEntry(r, name) for r, name in rows]
    return LiveState(meeting, people, quorum_of(meeting, people), items, current, queue)


# --- scheduling -----------------------------------------------------------------------------


def _starts_at(form: MeetingForm, timezone: str) -> dt.datetime:
    day = parse_date(form.date)
    try:
        hour, minute = (int(part) for part in form.time.split(":"))
        moment = dt.datetime.combine(day, dt.time(hour, minute)) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise FormInvalid({"date": _("请填写有效的日期和时间")}, {"title": form.title})
    return moment.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


async def create_meeting(
    db: AsyncSession, actor: Actor, council: Council, form: MeetingForm, now: dt.datetime
) -> Meeting:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以安排会议"))
    meeting = Meeting(
        council_id=council.id,
        title=form.title,
        starts_at=_starts_at(form, council.timezone),
        place=form.place or council.meeting_place,
        quorum_rule=form.quorum_rule,
        code=f"{secrets.randbelow(10**6):06d}",
        chair_id=actor.person_id,
        recorder_id=actor.person_id,
        notified_at=now,
    )
    db.add(meeting)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "meeting.scheduled",
        ("meeting", meeting.id),
        {
            "title": meeting.title,
            "starts_at": meeting.starts_at.isoformat(),
            "place": meeting.place,
        },
        at=now,
    )
    return meeting


async def invite(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    form: InviteForm,
    now: dt.datetime,
) -> int:
    """Invite a whole constituency's verified members, or one person by login."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以邀请参会人"))
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is MeetingStatus.CLOSED:
        raise Conflict(_("会议已结束，不能再邀请"))
    stmt = (
        sa.select(Membership, Person, Constituency)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(Constituency, Constituency.id == Membership.constituency_id)
        .where(
            Membership.council_id == council.id,
            Membership.status == ClaimStatus.VERIFIED,
            Membership.role.in_(INVITABLE_ROLES),
        )
    )
    constituency_id = as_uuid(form.constituency_id)
    if constituency_id is not None:
        stmt = stmt.where(Membership.constituency_id == constituency_id)
    elif form.login:
        stmt = stmt.where(Person.login == form.login.strip().lower())
    else:
        raise FormInvalid({"login": _("请选择界别或填写账号")})
    rows = list(await db.execute(stmt))
    if not rows:
        raise FormInvalid({"login": _("没有找到可邀请的议事会成员")}, {"login": form.login})
    already = set(
        (
            await db.execute(
                sa.select(Invitation.person_id).where(Invitation.meeting_id == meeting.id)
            )
        ).scalars()
    )
    added = []
    added_ids: list[UUID] = []
    for membership, person, constituency in rows:
        if person.id in already:
            continue
        already.add(person.id)
        db.add(
            Invitation(
                council_id=council.id,
                meeting_id=meeting.id,
                person_id=person.id,
                side=side_of(constituency.kind if constituency else None),
                counts_for_quorum=membership.role is Role.MEMBER,
                label=membership.title,
            )
        )
        added.append(person.display_name)
        added_ids.append(person.id)
    await db.flush()
    await events.invited(db, council, meeting, added_ids, now)
    if added:
        await audit.record_by(
            db,
            actor,
            council.id,
            "meeting.invited",
            ("meeting", meeting.id),
            {"invited": added},
            at=now,
        )
    return len(added)


async def add_agenda_item(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    form: AgendaForm,
    now: dt.datetime,
    *,
    round_: Round | None = None,
) -> AgendaItem:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以编排议程"))
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is MeetingStatus.CLOSED:
        raise Conflict(_("会议已结束，不能再添加议程"))
    last = await db.scalar(
        sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    item = AgendaItem(
        council_id=council.id,
        meeting_id=meeting.id,
        position=(last or 0) + 1,
        title=form.title,
        round_id=round_.id if round_ else None,
    )
    db.add(item)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "agenda.added",
        ("meeting", meeting.id),
        {"position": item.position, "title": item.title},
        at=now,
    )
    return item


# --- running the meeting --------------------------------------------------------------------


async def set_live(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, now: dt.datetime
) -> Meeting:
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以主持会议"))
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise TransitionRefused(_("会议已开始或已结束"))
    meeting.status = MeetingStatus.LIVE
    items = await agenda(db, meeting)
    meeting.current_position = items[0].position if items else None
    await audit.record_by(
        db, actor, council.id, "meeting.opened", ("meeting", meeting.id), {}, at=now
    )
    return meeting


async def close_meeting(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, now: dt.datetime
) -> Meeting:
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以主持会议"))
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is MeetingStatus.CLOSED:
        raise TransitionRefused(_("会议已经结束"))
    if await db.scalar(
        sa.select(Ballot.id).where(Ballot.meeting_id == meeting.id, Ballot.status == Status.OPEN)
    ):
        # A vote's electorate was frozen in this meeting; it ends here, not after it.
        raise TransitionRefused(_("会上还有表决没有结束，请先结束表决再结束会议"))
    state = await live_state(db, meeting)
    meeting.status = MeetingStatus.CLOSED
    meeting.current_position = None
    summary = {
        "eligible": state.quorum.eligible,
        "present": state.quorum.present,
        "quorum_met": state.quorum.met,
    }
    await audit.record_by(
        db, actor, council.id, "meeting.closed", ("meeting", meeting.id), summary, at=now
    )
    return meeting


async def set_current_item(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, position: int
) -> Meeting:
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以主持会议"))
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is not MeetingStatus.LIVE:
        raise TransitionRefused(_("会议尚未开始"))
    if position not in {a.position for a in await agenda(db, meeting)}:
        raise NotFound(_("找不到这个页面"))
    meeting.current_position = position
    return meeting


async def _sign_in(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting: Meeting,
    person_id: UUID,
    method: SignInMethod,
    now: dt.datetime,
) -> Attendance:
    if meeting.status is MeetingStatus.CLOSED:
        raise TransitionRefused(_("会议已结束，不能再签到"))
    invitation = await db.scalar(
        sa.select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.person_id == person_id
        )
    )
    if invitation is None:
        raise NotAllowed(_("不在本次会议的邀请名单中，不能签到"))
    duplicate = _("已经签到过了")
    if await db.scalar(
        sa.select(Attendance.id).where(
            Attendance.meeting_id == meeting.id, Attendance.person_id == person_id
        )
    ):
        raise Conflict(duplicate)
    attendance = Attendance(
        council_id=council.id,
        meeting_id=meeting.id,
        person_id=person_id,
        signed_in_at=now,
        method=method,
        marked_by_id=actor.person_id if method is SignInMethod.FACILITATOR else None,
    )
    db.add(attendance)
    try:
        # Two taps at once: the unique constraint lets exactly one sign-in through.
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise Conflict(duplicate) from exc
    name = await db.scalar(sa.select(Person.display_name).where(Person.id == person_id))
    await audit.record_by(
        db,
        actor,
        council.id,
        "meeting.signed_in",
        ("meeting", meeting.id),
        {"person": name, "method": method.value},
        at=now,
    )
    return attendance


async def sign_in_with_code(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    form: CodeForm,
    now: dt.datetime,
    *,
    per_person: int = Settings.meeting_code_failures_per_person_hour,
    per_meeting: int = Settings.meeting_code_failures_per_meeting_hour,
) -> Attendance:
    """Presence decides quorum and who may vote, so a code signs in only while the meeting is
    in session, and wrong codes are limited per person and per meeting (in any hour). The
    facilitator can still mark anyone present at the door."""
    check(actor, council, Action.ATTEND_MEETINGS, _("您不是本议事会的参会成员"))
    assert actor.person_id is not None  # noqa: S101 - ATTEND_MEETINGS implies signed in
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is MeetingStatus.SCHEDULED:
        raise TransitionRefused(_("会议尚未开始，请在主持人宣布开会后再签到"))
    if meeting.status is MeetingStatus.CLOSED:
        raise TransitionRefused(_("会议已结束，不能再签到"))
    person_key = f"meeting-code-person:{meeting.id}:{actor.person_id}"
    meeting_key = f"meeting-code:{meeting.id}"
    await throttle.within_hourly(
        db, person_key, per_person, now, _("您输错签到码的次数过多，请找主持人为您签到")
    )
    await throttle.within_hourly(
        db,
        meeting_key,
        per_meeting,
        now,
        _("本次会议输错签到码的次数过多，签到码已暂停使用，请找主持人为您签到"),
    )
    if not hmac.compare_digest(form.code.encode(), meeting.code.encode()):
        await throttle.hit(db, person_key, now)
        await throttle.hit(db, meeting_key, now)
        raise FormInvalid({"code": _("签到码不对，请看主持人屏幕上的 6 位数字")})
    return await _sign_in(db, actor, council, meeting, actor.person_id, SignInMethod.CODE, now)


async def mark_present(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    person_id: UUID,
    now: dt.datetime,
) -> Attendance:
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以代为签到"))
    meeting = await get_meeting(db, council, meeting_id)
    return await _sign_in(db, actor, council, meeting, person_id, SignInMethod.FACILITATOR, now)


async def excuse(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    person_id: UUID,
    now: dt.datetime,
) -> Invitation:
    """请假: an invited member will not come; the absence is not held against them."""
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以登记请假"))
    meeting = await get_meeting(db, council, meeting_id)
    invitation = await db.scalar(
        sa.select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.person_id == person_id
        )
    )
    if invitation is None:
        raise NotFound(_("找不到这个页面"))
    if meeting.status is MeetingStatus.CLOSED:
        raise TransitionRefused(_("会议已结束，不能再登记请假"))
    if await db.scalar(
        sa.select(Attendance.id).where(
            Attendance.meeting_id == meeting.id, Attendance.person_id == person_id
        )
    ):
        raise Conflict(_("已签到的成员不需要请假"))
    if invitation.excused:
        raise Conflict(_("已经登记过请假"))
    invitation.excused = True
    name = await db.scalar(sa.select(Person.display_name).where(Person.id == person_id))
    await audit.record_by(
        db, actor, council.id, "meeting.excused", ("meeting", meeting.id), {"person": name}, at=now
    )
    return invitation


async def absentees(db: AsyncSession, council: Council, now: dt.datetime) -> list[tuple[str, int]]:
    """Members with three unexcused absences in the past year (rule 30), most first."""
    rows = await db.execute(
        sa.select(Invitation.person_id, Meeting.starts_at, Invitation.excused)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .outerjoin(
            Attendance,
            sa.and_(
                Attendance.meeting_id == Invitation.meeting_id,
                Attendance.person_id == Invitation.person_id,
            ),
        )
        .where(
            Invitation.council_id == council.id,
            Invitation.counts_for_quorum.is_(True),
            Meeting.status == MeetingStatus.CLOSED,
            Attendance.id.is_(None),
        )
    )
    flags = attendance.flagged(
        (attendance.Absence(person, at, excused) for person, at, excused in rows), now
    )
    if not flags:
        return []
    named = await db.execute(sa.select(Person.id, Person.display_name).where(Person.id.in_(flags)))
    names = {person_id: name for person_id, name in named}
    return sorted(((names[p], n) for p, n in flags.items()), key=lambda r: (-r[1], r[0]))


# --- speakers' queue ------------------------------------------------------------------------


async def request_to_speak(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, now: dt.datetime
) -> SpeakRequest:
    check(actor, council, Action.ATTEND_MEETINGS, _("您不是本议事会的参会成员"))
    meeting = await get_meeting(db, council, meeting_id)
    if meeting.status is not MeetingStatus.LIVE:
        raise TransitionRefused(_("会议尚未开始或已经结束"))
    signed_in = await db.scalar(
        sa.select(Attendance.id).where(
            Attendance.meeting_id == meeting.id, Attendance.person_id == actor.person_id
        )
    )
    if not signed_in:
        raise TransitionRefused(_("请先签到，再申请发言"))
    pending = await db.scalar(
        sa.select(SpeakRequest.id).where(
            SpeakRequest.meeting_id == meeting.id,
            SpeakRequest.person_id == actor.person_id,
            SpeakRequest.status != SpeakStatus.DONE,
        )
    )
    if pending:
        raise Conflict(_("您已在发言队列中"))
    last = await db.scalar(
        sa.select(sa.func.max(SpeakRequest.position)).where(SpeakRequest.meeting_id == meeting.id)
    )
    assert actor.person_id is not None  # noqa: S101 - ATTEND_MEETINGS implies signed in
    request = SpeakRequest(
        council_id=council.id,
        meeting_id=meeting.id,
        person_id=actor.person_id,
        position=(last or 0) + 1,
        requested_at=now,
    )
    db.add(request)
    await db.flush()
    return request


async def _queue_request(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, request_id: UUID
) -> tuple[Meeting, SpeakRequest]:
    check(actor, council, Action.RUN_MEETINGS, _("只有主持人可以安排发言"))
    meeting = await get_meeting(db, council, meeting_id)
    request = await scoped(db, SpeakRequest, council.id, request_id)
    if request.meeting_id != meeting.id:
        raise NotFound(_("找不到这个页面"))
    return meeting, request


async def move_up(
    db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID, request_id: UUID
) -> None:
    """Swap a waiting request with the one before it."""
    meeting, request = await _queue_request(db, actor, council, meeting_id, request_id)
    before = await db.scalar(
        sa.select(SpeakRequest)
        .where(
            SpeakRequest.meeting_id == meeting.id,
            SpeakRequest.status == SpeakStatus.WAITING,
            SpeakRequest.position < request.position,
        )
        .order_by(SpeakRequest.position.desc())
        .limit(1)
    )
    if before is not None:
        before.position, request.position = request.position, before.position


async def start_speaking(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    request_id: UUID,
    now: dt.datetime,
) -> None:
    meeting, request = await _queue_request(db, actor, council, meeting_id, request_id)
    if request.status is not SpeakStatus.WAITING:
        raise Conflict(_("这位成员不在等待发言"))
    speaking = (
        await db.execute(
            sa.select(SpeakRequest).where(
                SpeakRequest.meeting_id == meeting.id,
                SpeakRequest.status == SpeakStatus.SPEAKING,
            )
        )
    ).scalars()
    for other in speaking:
        other.status, other.ended_at = SpeakStatus.DONE, now
    request.status, request.started_at = SpeakStatus.SPEAKING, now


async def finish_speaking(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    meeting_id: UUID,
    request_id: UUID,
    now: dt.datetime,
) -> None:
    _meeting, request = await _queue_request(db, actor, council, meeting_id, request_id)
    request.status, request.ended_at = SpeakStatus.DONE, now


# --- minutes (rules 9, 29) ------------------------------------------------------------------


@dataclass(frozen=True)
class MinutesView:
    minutes: Minutes
    confirmed_by: list[str]
    corrects: Minutes | None


async def minutes_of(db: AsyncSession, meeting: Meeting) -> dict[UUID, list[MinutesView]]:
    """Agenda item id → its minutes, oldest first (a correction follows what it corrects)."""
    rows = (
        await db.execute(
            sa.select(Minutes)
            .where(Minutes.meeting_id == meeting.id, Minutes.council_id == meeting.council_id)
            .order_by(Minutes.created_at)
        )
    ).scalars()
    found = list(rows)
    by_id = {m.id: m for m in found}
    names: dict[UUID, list[str]] = {}
    if found:
        confirmations = await db.execute(
            sa.select(MinutesConfirmation.minutes_id, Person.display_name)
            .join(Person, Person.id == MinutesConfirmation.person_id)
            .where(MinutesConfirmation.minutes_id.in_(by_id))
            .order_by(MinutesConfirmation.created_at)
        )
        for minutes_id, name in confirmations:
            names.setdefault(minutes_id, []).append(name)
    views: dict[UUID, list[MinutesView]] = {}
    for m in found:
        view = MinutesView(
            m, names.get(m.id, []), by_id.get(m.corrects_id) if m.corrects_id else None
        )
        views.setdefault(m.agenda_item_id, []).append(view)
    return views


async def draft_minutes(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    agenda_item_id: UUID,
    form: MinutesForm,
    now: dt.datetime,
) -> Minutes:
    """Write or rewrite the draft of an item's minutes; confirmed minutes are refused."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以起草纪要"))
    item = await scoped(db, AgendaItem, council.id, agenda_item_id)
    latest = await db.scalar(
        sa.select(Minutes)
        .where(Minutes.agenda_item_id == item.id)
        .order_by(Minutes.created_at.desc())
        .limit(1)
    )
    if latest is not None and not minutes_editable(latest.status):
        raise TransitionRefused(
            _("纪要已确认，不能修改；如需更正，请提交一份更正纪要"),
            [_("已确认的纪要只读（规则 9）")],
        )
    if latest is None:
        latest = Minutes(
            council_id=council.id,
            meeting_id=item.meeting_id,
            agenda_item_id=item.id,
            text=form.text,
            drafted_by_id=actor.person_id,
        )
        db.add(latest)
        await db.flush()
        await events.minutes_drafted(db, council, latest, now)
    else:
        latest.text = form.text
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "minutes.drafted",
        ("minutes", latest.id),
        {"agenda_item": item.title, "length": len(form.text)},
        at=now,
    )
    return latest


async def edit_minutes(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    minutes_id: UUID,
    form: MinutesForm,
    now: dt.datetime,
) -> Minutes:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以修改纪要"))
    minutes = await scoped(db, Minutes, council.id, minutes_id)
    if not minutes_editable(minutes.status):
        raise TransitionRefused(
            _("纪要已确认，不能修改；如需更正，请提交一份更正纪要"),
            [_("已确认的纪要只读（规则 9）")],
        )
    minutes.text = form.text
    await audit.record_by(
        db,
        actor,
        council.id,
        "minutes.drafted",
        ("minutes", minutes.id),
        {"length": len(form.text)},
        at=now,
    )
    return minutes


async def correct_minutes(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    minutes_id: UUID,
    form: MinutesForm,
    now: dt.datetime,
) -> Minutes:
    """A correction is a new draft pointing at the confirmed minutes it corrects."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以更正纪要"))
    old = await scoped(db, Minutes, council.id, minutes_id)
    if minutes_editable(old.status):
        raise TransitionRefused(_("草稿可以直接修改，不需要更正"))
    correction = Minutes(
        council_id=council.id,
        meeting_id=old.meeting_id,
        agenda_item_id=old.agenda_item_id,
        text=form.text,
        drafted_by_id=actor.person_id,
        corrects_id=old.id,
    )
    db.add(correction)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "minutes.corrected",
        ("minutes", correction.id),
        {"corrects": old.id.hex},
        at=now,
    )
    return correction


async def confirm_minutes(
    db: AsyncSession, actor: Actor, council: Council, minutes_id: UUID, now: dt.datetime
) -> None:
    """An attendee confirms that the draft is what was said."""
    check(actor, council, Action.CONFIRM_MINUTES, _("只有到会成员可以确认纪要"))
    minutes = await scoped(db, Minutes, council.id, minutes_id)
    if minutes.status is not MinutesStatus.DRAFT:
        raise TransitionRefused(_("纪要已经定稿"))
    attended = await db.scalar(
        sa.select(Attendance.id).where(
            Attendance.meeting_id == minutes.meeting_id, Attendance.person_id == actor.person_id
        )
    )
    if not attended:
        raise NotAllowed(_("只有签到到会的成员可以确认纪要"))
    confirmation = MinutesConfirmation(
        council_id=council.id, minutes_id=minutes.id, person_id=actor.person_id
    )
    db.add(confirmation)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise Conflict(_("您已经确认过这份纪要")) from exc
    await audit.record_by(
        db, actor, council.id, "minutes.confirmed_by", ("minutes", minutes.id), {}, at=now
    )


async def finalize_minutes(
    db: AsyncSession, actor: Actor, council: Council, minutes_id: UUID, now: dt.datetime
) -> Minutes:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以定稿纪要"))
    minutes = await scoped(db, Minutes, council.id, minutes_id)
    count = await db.scalar(
        sa.select(sa.func.count(MinutesConfirmation.id)).where(
            MinutesConfirmation.minutes_id == minutes.id
        )
    )
    facts = MinutesFacts(confirmations=int(count or 0), has_text=bool(minutes.text.strip()))
    minutes.status = MINUTES.advance(minutes.status, MinutesStatus.CONFIRMED, facts)
    minutes.confirmed_at = now
    await audit.record_by(
        db,
        actor,
        council.id,
        "minutes.confirmed",
        ("minutes", minutes.id),
        {"confirmations": facts.confirmations},
        at=now,
    )
    return minutes


async def publish_minutes(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    minutes_id: UUID,
    form: PublishForm,
    now: dt.datetime,
) -> Minutes:
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以公开纪要"))
    minutes = await scoped(db, Minutes, council.id, minutes_id)
    facts = MinutesFacts(has_public_text=bool(form.public_text.strip()))
    minutes.status = MINUTES.advance(minutes.status, MinutesStatus.PUBLISHED, facts)
    minutes.public_text = form.public_text
    minutes.published_at = now
    await audit.record_by(
        db, actor, council.id, "minutes.published", ("minutes", minutes.id), {}, at=now
    )
    return minutes


@dataclass(frozen=True)
class PublicMinutes:
    meeting: Meeting
    quorum: Quorum
    items: list[tuple[AgendaItem, Minutes]]


async def with_public_minutes(db: AsyncSession, council_id: UUID) -> set[UUID]:
    """Meetings whose minutes have a published version: only they link to 公开纪要."""
    rows = await db.scalars(
        sa.select(Minutes.meeting_id)
        .where(Minutes.council_id == council_id, Minutes.status == MinutesStatus.PUBLISHED)
        .distinct()
    )
    return set(rows)


async def public_minutes(db: AsyncSession, council: Council, meeting_id: UUID) -> PublicMinutes:
    """The published version only: counts, not names (rule 28); 404 until something is out."""
    meeting = await get_meeting(db, council, meeting_id)
    items = {a.id: a for a in await agenda(db, meeting)}
    published = (
        await db.execute(
            sa.select(Minutes)
            .where(Minutes.meeting_id == meeting.id, Minutes.status == MinutesStatus.PUBLISHED)
            .order_by(Minutes.published_at)
        )
    ).scalars()
    latest: dict[UUID, Minutes] = {}
    for m in published:
        latest[m.agenda_item_id] = m
    if not latest:
        raise NotFound(_("找不到这个页面"))
    ordered = sorted(latest.values(), key=lambda m: items[m.agenda_item_id].position)
    quorum = quorum_of(meeting, await invitees(db, meeting))
    return PublicMinutes(meeting, quorum, [(items[m.agenda_item_id], m) for m in ordered])


async def published_meetings(
    db: AsyncSession, council_id: UUID, limit: int
) -> list[tuple[Meeting, dt.datetime]]:
    """Meetings with published minutes, the latest publication first (the noticeboard)."""
    last = sa.func.max(Minutes.published_at).label("last")
    rows = await db.execute(
        sa.select(Meeting, last)
        .join(Minutes, Minutes.meeting_id == Meeting.id)
        .where(Meeting.council_id == council_id, Minutes.status == MinutesStatus.PUBLISHED)
        .group_by(Meeting.id)
        .order_by(last.desc())
        .limit(limit)
    )
    return [(meeting, at) for meeting, at in rows]
