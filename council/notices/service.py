"""Notices (公示) from draft to end, corrections, objections and answers. No HTTP here.

Used by the workflows room (决议公开, 实施结果公开) and on its own for a convention's adoption
or a call for suggestions. Every change is an audit entry; an objector's contact never
reaches a public page or the audit chain (rule 28).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.names import mask
from council.audit import service as audit
from council.consultations.common import as_uuid, scoped
from council.consultations.models import Matter
from council.conventions.models import Convention
from council.councils.models import Council
from council.councils.permissions import Action, Actor, Visibility, can
from council.councils.service import check
from council.errors import FormInvalid, NotFound, StateRefused, TransitionRefused
from council.files import service as files
from council.files.images import CleanImage
from council.files.models import StoredFile
from council.files.storage import Storage
from council.i18n import _
from council.issues.models import Call
from council.notices import periods
from council.notices.models import Notice, Objection
from council.notices.periods import (
    NOT_EDITABLE,
    NOTICE,
    NoticeKind,
    NoticeState,
    NoticeStatus,
    Period,
)
from council.notices.schemas import AnswerForm, NoticeForm, ObjectionForm
from council.programmes.models import PointActivity, RatingRound

FILES = "notice"

# Where a notice's subject is shown: (type) → how to find its title and address.
SUBJECT_TYPES = ("matter", "convention", "call", "rating_round", "activity")


def period_of(notice: Notice, council: Council) -> Period | None:
    if notice.published_at is None:
        return None
    return periods.period_from(notice.published_at, notice.period_days, council.timezone)


def visible(actor: Actor, notice: Notice) -> bool:
    return notice.status in periods.PUBLIC or can(
        actor, Action.VIEW_NOTICE_DRAFTS, notice.council_id
    )


async def get(
    db: AsyncSession, actor: Actor, council: Council, notice_id: UUID | str, *, lock: bool = False
) -> Notice:
    """The notice if this person may see it: a draft is missing to all but staff."""
    wanted = as_uuid(notice_id)
    stmt = sa.select(Notice).where(Notice.id == wanted, Notice.council_id == council.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    notice = await db.scalar(stmt) if wanted else None
    if notice is None or not visible(actor, notice):
        raise NotFound(_("找不到这份公示"))
    return notice


async def list_notices(db: AsyncSession, actor: Actor, council: Council) -> list[Notice]:
    rows = await db.execute(
        sa.select(Notice)
        .where(Notice.council_id == council.id)
        .order_by(Notice.published_at.desc().nulls_first(), Notice.created_at.desc())
    )
    return [n for n in rows.scalars() if visible(actor, n)]


async def for_subject(
    db: AsyncSession, actor: Actor, council: Council, subject_type: str, subject_id: UUID
) -> list[Notice]:
    rows = await db.execute(
        sa.select(Notice)
        .where(
            Notice.council_id == council.id,
            Notice.subject_type == subject_type,
            Notice.subject_id == subject_id,
        )
        .order_by(Notice.created_at)
    )
    return [n for n in rows.scalars() if visible(actor, n)]


async def latest(
    db: AsyncSession, council: Council, subject_type: str, subject_id: UUID, kind: NoticeKind
) -> Notice | None:
    """The notice of this kind that stands for the record now: not one a correction replaced."""
    return await db.scalar(
        sa.select(Notice)
        .where(
            Notice.council_id == council.id,
            Notice.subject_type == subject_type,
            Notice.subject_id == subject_id,
            Notice.kind == kind,
            Notice.status != NoticeStatus.SUPERSEDED,
        )
        .order_by(Notice.created_at.desc())
        .limit(1)
    )


async def _chain(db: AsyncSession, notice: Notice) -> list[UUID]:
    """This notice and every one it corrects, newest first."""
    ids = [notice.id]
    current = notice.corrects_id
    while current is not None and current not in ids:
        ids.append(current)
        current = await db.scalar(sa.select(Notice.corrects_id).where(Notice.id == current))
    return ids


async def unanswered(db: AsyncSession, notice: Notice) -> int:
    """Objections still waiting for an answer, on this notice and the ones it corrects."""
    ids = await _chain(db, notice)
    return int(
        await db.scalar(
            sa.select(sa.func.count(Objection.id)).where(
                Objection.notice_id.in_(ids), Objection.answered_at.is_(None)
            )
        )
        or 0
    )


async def state(
    db: AsyncSession, council: Council, notice: Notice | None, now: dt.datetime
) -> NoticeState | None:
    if notice is None:
        return None
    period = period_of(notice, council)
    published = notice.status in (NoticeStatus.PUBLISHED, NoticeStatus.CLOSED)
    return NoticeState(
        published=published,
        period_over=period is not None and period.over(now),
        days_left=period.days_left(now, council.timezone) if period else 0,
        unanswered=await unanswered(db, notice),
    )


async def in_period(db: AsyncSession, council: Council, now: dt.datetime) -> list[Notice]:
    """Published notices still in their period, the soonest to end first (the noticeboard)."""
    rows = await db.execute(
        sa.select(Notice)
        .where(
            Notice.council_id == council.id,
            Notice.status == NoticeStatus.PUBLISHED,
            Notice.ends_at > now,
        )
        .order_by(Notice.ends_at)
    )
    return list(rows.scalars())


# --- what a page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    kind: str
    title: str
    url: str


async def subject_of(db: AsyncSession, council: Council, notice: Notice) -> Subject | None:
    if notice.subject_id is None:
        return None
    base = f"/c/{council.slug}"
    if notice.subject_type == "matter":
        matter = await db.get(Matter, notice.subject_id)
        if matter is not None and matter.council_id == council.id:
            return Subject(_("议题"), matter.title, f"{base}/matters/{matter.id}/timeline")
    if notice.subject_type == "convention":
        convention = await db.get(Convention, notice.subject_id)
        if convention is not None and convention.council_id == council.id:
            return Subject(_("公约"), convention.title, f"{base}/conventions/{convention.id}")
    if notice.subject_type == "call":
        call = await db.get(Call, notice.subject_id)
        if call is not None and call.council_id == council.id:
            return Subject(_("意见征集"), call.title, f"{base}/calls/{call.id}")
    if notice.subject_type == "rating_round":
        rnd = await db.get(RatingRound, notice.subject_id)
        if rnd is not None and rnd.council_id == council.id:
            return Subject(_("文明诚信商户评比"), rnd.title, f"{base}/ratings/{rnd.id}")
    if notice.subject_type == "activity":
        activity = await db.get(PointActivity, notice.subject_id)
        if activity is not None and activity.council_id == council.id:
            return Subject(_("积分活动"), activity.name, f"{base}/points")
    return None


async def subject_options(db: AsyncSession, council: Council) -> list[tuple[str, str]]:
    """Records a notice outside the workflow may disclose: conventions and calls."""
    options = [("", _("不关联"))]
    conventions = await db.execute(
        sa.select(Convention).where(Convention.council_id == council.id).order_by(Convention.number)
    )
    options += [(f"convention:{c.id}", _("公约：%(t)s", t=c.title)) for c in conventions.scalars()]
    calls = await db.execute(
        sa.select(Call).where(Call.council_id == council.id).order_by(Call.opened_at.desc())
    )
    options += [(f"call:{c.id}", _("意见征集：%(t)s", t=c.title)) for c in calls.scalars()]
    return options


@dataclass(frozen=True)
class ObjectionView:
    objection: Objection
    public_name: str
    overdue: bool
    due_day: dt.date  # the last local day for the answer


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    period: Period | None
    days_left: int
    objections: list[ObjectionView]
    files: list[StoredFile]
    subject: Subject | None
    corrects: Notice | None
    corrected_by: list[Notice] = field(default_factory=list)

    @property
    def unanswered(self) -> int:
        return sum(1 for o in self.objections if o.objection.answered_at is None)


async def objections_of(
    db: AsyncSession, notice_ids: Sequence[UUID], now: dt.datetime, timezone: str
) -> dict[UUID, list[ObjectionView]]:
    found: dict[UUID, list[ObjectionView]] = {}
    if not notice_ids:
        return found
    rows = await db.execute(
        sa.select(Objection)
        .where(Objection.notice_id.in_(list(notice_ids)))
        .order_by(Objection.lodged_at)
    )
    for o in rows.scalars():
        overdue = o.answered_at is None and now >= o.due_at
        last_day = periods.local_day(o.due_at - dt.timedelta(microseconds=1), timezone)
        view = ObjectionView(o, mask(o.name), overdue, last_day)
        found.setdefault(o.notice_id, []).append(view)
    return found


@dataclass(frozen=True)
class NoticeCard:
    """A notice as a line of a list: its period and how many objections it has had."""

    notice: Notice
    period: Period | None
    days_left: int
    objections: int
    unanswered: int


async def cards(
    db: AsyncSession, council: Council, notices: Sequence[Notice], now: dt.datetime
) -> list[NoticeCard]:
    """The lines of a list, with every notice's objection counts in one statement."""
    counts: dict[UUID, tuple[int, int]] = {}
    if notices:
        waiting = sa.func.sum(sa.case((Objection.answered_at.is_(None), 1), else_=0))
        rows = await db.execute(
            sa.select(Objection.notice_id, sa.func.count(Objection.id), waiting)
            .where(Objection.notice_id.in_([n.id for n in notices]))
            .group_by(Objection.notice_id)
        )
        counts = {notice_id: (int(n), int(w or 0)) for notice_id, n, w in rows}
    found = []
    for notice in notices:
        period = period_of(notice, council)
        lodged, waiting_answer = counts.get(notice.id, (0, 0))
        days_left = period.days_left(now, council.timezone) if period else 0
        found.append(NoticeCard(notice, period, days_left, lodged, waiting_answer))
    return found


async def ended(
    db: AsyncSession, council: Council, excluding: Sequence[UUID], limit: int
) -> list[Notice]:
    """The public notices no longer in their period (none a correction replaced), latest
    first: the noticeboard's "ended" list, read without the council's whole history."""
    rows = await db.execute(
        sa.select(Notice)
        .where(
            Notice.council_id == council.id,
            Notice.status.in_(periods.PUBLIC - {NoticeStatus.SUPERSEDED}),
            Notice.id.not_in(list(excluding)),
        )
        .order_by(
            sa.func.coalesce(Notice.ends_at, Notice.created_at).desc(),
            Notice.published_at.desc(),
            Notice.created_at.desc(),
        )
        .limit(limit)
    )
    return list(rows.scalars())


async def view(
    db: AsyncSession, actor: Actor, council: Council, notice: Notice, now: dt.datetime
) -> NoticeView:
    period = period_of(notice, council)
    corrects = await db.get(Notice, notice.corrects_id) if notice.corrects_id else None
    later = await db.execute(
        sa.select(Notice).where(Notice.corrects_id == notice.id).order_by(Notice.created_at)
    )
    return NoticeView(
        notice=notice,
        period=period,
        days_left=period.days_left(now, council.timezone) if period else 0,
        objections=(await objections_of(db, [notice.id], now, council.timezone)).get(notice.id, []),
        files=(await files.for_parents(db, FILES, [notice.id])).get(notice.id, []),
        subject=await subject_of(db, council, notice),
        corrects=corrects if corrects and visible(actor, corrects) else None,
        corrected_by=[n for n in later.scalars() if visible(actor, n)],
    )


# --- changes ------------------------------------------------------------------------------


def form_values(form: NoticeForm) -> dict[str, object]:
    return {
        "title": form.title,
        "body": form.body,
        "period_days": form.period_days or "",
        "posted_at": form.posted_at,
        "kind": form.kind.value,
        "subject": form.subject,
    }


def _days(form: NoticeForm, council: Council) -> int:
    days = form.period_days or council.notice_period_days
    if problem := periods.period_problem(days, council.notice_period_days, form.kind):
        raise FormInvalid({"period_days": problem}, form_values(form))
    return days


async def _subject(db: AsyncSession, council: Council, form: NoticeForm) -> tuple[str, UUID | None]:
    """The (type, id) chosen on the form, checked to be a convention or call of this council."""
    if not form.subject:
        return "", None
    kind, _sep, raw = form.subject.partition(":")
    model = {"convention": Convention, "call": Call}.get(kind)
    if model is not None and as_uuid(raw) is not None:
        try:
            record = await scoped(db, model, council.id, raw)
        except NotFound:
            record = None
        if record is not None:
            return kind, record.id
    raise FormInvalid({"subject": _("请从列表中选择本议事会的公约或意见征集")}, form_values(form))


async def _audit(
    db: AsyncSession,
    actor: Actor,
    notice: Notice,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    await audit.record_by(
        db,
        actor,
        notice.council_id,
        action,
        ("notice", notice.id),
        {"title": notice.title, "kind": notice.kind.value, **summary},
        at=now,
    )


async def draft(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: NoticeForm,
    now: dt.datetime,
    *,
    subject: tuple[str, UUID | None] | None = None,
    images: Sequence[CleanImage] = (),
    storage: Storage | None = None,
    upload_limit: int = 20,
) -> Notice:
    """A draft notice. ``subject`` is given by the room that owns the record (a matter's
    workflow); otherwise it comes from the form (a convention or a call)."""
    check(actor, council, Action.MANAGE_NOTICES, _("只有主持人可以起草公示"))
    days = _days(form, council)
    subject_type, subject_id = subject if subject is not None else await _subject(db, council, form)
    if subject is None and form.kind in (NoticeKind.RESOLUTION, NoticeKind.RESULTS):
        message = _("决议公示和实施结果公示请在重大事项的进程页发布")
        raise FormInvalid({"kind": message}, form_values(form))
    if images and actor.person_id is not None:
        await files.check_quota(db, actor.person_id, len(images), upload_limit, now)
    notice = Notice(
        council_id=council.id,
        kind=form.kind,
        status=NoticeStatus.DRAFT,
        title=form.title,
        body=form.body,
        posted_at=form.posted_at,
        subject_type=subject_type,
        subject_id=subject_id,
        period_days=days,
        created_by_id=actor.person_id,
    )
    db.add(notice)
    await db.flush()
    if images:
        assert storage is not None  # noqa: S101 - the controller passes the app's storage
        await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, FILES, notice.id),
            owner_id=actor.person_id,
            visibility=Visibility.STAFF,
            now=now,
        )
    await _audit(db, actor, notice, "notice.drafted", now, period_days=days, photos=len(images))
    return notice


async def edit(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    notice_id: UUID | str,
    form: NoticeForm,
    now: dt.datetime,
) -> Notice:
    """Only a draft changes (rule 9): a published notice is corrected by a new one."""
    check(actor, council, Action.MANAGE_NOTICES, _("只有主持人可以修改公示"))
    notice = await get(db, actor, council, notice_id, lock=True)
    if not periods.editable(notice.status):
        raise StateRefused(TransitionRefused(_(NOT_EDITABLE)), "_form", form_values(form))
    notice.period_days = _days(form, council)
    notice.title = form.title
    notice.body = form.body
    notice.posted_at = form.posted_at
    await db.flush()
    await _audit(db, actor, notice, "notice.edited", now, period_days=notice.period_days)
    return notice


async def publish(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    notice_id: UUID | str,
    now: dt.datetime,
    *,
    blockers: Sequence[str] = (),
) -> Notice:
    """Publish: the text is frozen and the period starts now; a correction replaces the
    notice it corrects and its own period runs from today (rule 10). ``blockers``: reasons
    another room gives for not publishing yet (a results notice without sign-off)."""
    check(actor, council, Action.MANAGE_NOTICES, _("只有主持人可以发布公示"))
    notice = await get(db, actor, council, notice_id, lock=True)
    facts = periods.Facts(
        status=notice.status,
        now=now,
        kind=notice.kind,
        title=notice.title,
        body=notice.body,
        period_days=notice.period_days,
        council_days=council.notice_period_days,
        timezone=council.timezone,
        blockers=tuple(blockers),
    )
    try:
        notice.status = NOTICE.advance(notice.status, NoticeStatus.PUBLISHED, facts)
    except TransitionRefused as refused:
        raise StateRefused(refused) from refused
    period = periods.period_from(now, notice.period_days, council.timezone)
    notice.published_at = now
    notice.ends_at = period.ends_at
    notice.published_by_id = actor.person_id
    replaced = None
    if notice.corrects_id is not None:
        replaced = await db.get(Notice, notice.corrects_id)
        if replaced is not None and replaced.status is NoticeStatus.PUBLISHED:
            old_facts = periods.Facts(status=replaced.status, now=now)
            replaced.status = NOTICE.advance(replaced.status, NoticeStatus.SUPERSEDED, old_facts)
    await files.set_visibility(db, FILES, [notice.id], Visibility.PUBLIC)
    await db.flush()
    await _audit(
        db,
        actor,
        notice,
        "notice.published",
        now,
        first_day=period.first_day.isoformat(),
        last_day=period.last_day.isoformat(),
        days=notice.period_days,
        corrects=replaced.id.hex if replaced else None,
    )
    return notice


async def correct(
    db: AsyncSession, actor: Actor, council: Council, notice_id: UUID | str, now: dt.datetime
) -> Notice:
    """A correction: a new draft with the old text, pointing at the published notice."""
    check(actor, council, Action.MANAGE_NOTICES, _("只有主持人可以更正公示"))
    old = await get(db, actor, council, notice_id, lock=True)
    if old.status is not NoticeStatus.PUBLISHED:
        raise StateRefused(TransitionRefused(_("只有公示中的公示可以更正")))
    pending = await db.scalar(
        sa.select(Notice.id).where(
            Notice.corrects_id == old.id, Notice.status == NoticeStatus.DRAFT
        )
    )
    if pending is not None:
        raise StateRefused(TransitionRefused(_("这份公示已有一份未发布的更正草稿")))
    notice = Notice(
        council_id=council.id,
        kind=old.kind,
        status=NoticeStatus.DRAFT,
        title=old.title,
        body=old.body,
        posted_at=old.posted_at,
        subject_type=old.subject_type,
        subject_id=old.subject_id,
        period_days=max(old.period_days, council.notice_period_days),
        corrects_id=old.id,
        created_by_id=actor.person_id,
    )
    db.add(notice)
    await db.flush()
    await _audit(db, actor, notice, "notice.correction_drafted", now, corrects=old.id.hex)
    return notice


async def close(
    db: AsyncSession, actor: Actor, council: Council, notice_id: UUID | str, now: dt.datetime
) -> Notice:
    """End a notice: only when its period is over and every objection is answered."""
    check(actor, council, Action.MANAGE_NOTICES, _("只有主持人可以结束公示"))
    notice = await get(db, actor, council, notice_id, lock=True)
    try:
        await close_notice(db, actor, council, notice, now)
    except TransitionRefused as refused:
        raise StateRefused(refused) from refused
    return notice


async def close_notice(
    db: AsyncSession, actor: Actor, council: Council, notice: Notice, now: dt.datetime
) -> None:
    """The move itself, for a room that ends a notice as part of its own (a stage's end)."""
    facts = periods.Facts(
        status=notice.status,
        now=now,
        period=period_of(notice, council),
        timezone=council.timezone,
        unanswered=await unanswered(db, notice),
    )
    notice.status = NOTICE.advance(notice.status, NoticeStatus.CLOSED, facts)
    notice.closed_at = now
    await db.flush()
    await _audit(db, actor, notice, "notice.closed", now)


async def lodge(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    notice_id: UUID | str,
    form: ObjectionForm,
    now: dt.datetime,
) -> Objection:
    """异议 by anyone while the notice is in its period; the contact stays with staff."""
    check(actor, council, Action.LODGE_OBJECTION)
    notice = await get(db, actor, council, notice_id, lock=True)
    values = {"name": form.name, "contact": form.contact, "body": form.body}
    refusal = periods.objection_refusal(notice.status, period_of(notice, council), now)
    if refusal:
        raise StateRefused(TransitionRefused(refusal), "body", values)
    objection = Objection(
        council_id=council.id,
        notice_id=notice.id,
        name=form.name,
        contact=form.contact,
        body=form.body,
        person_id=actor.person_id,
        lodged_at=now,
        due_at=periods.answer_due(now, council.objection_answer_days, council.timezone),
    )
    db.add(objection)
    await db.flush()
    # The public log names the objector by surname only and never carries the contact.
    await audit.record(
        db,
        council_id=council.id,
        actor_id=actor.person_id,
        actor_label=mask(form.name),
        action="objection.lodged",
        object_type="objection",
        object_id=objection.id,
        summary={"notice": notice.id.hex, "title": notice.title},
        at=now,
    )
    return objection


async def answer(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    objection_id: UUID | str,
    form: AnswerForm,
    now: dt.datetime,
) -> Objection:
    """A written answer, public beside the objection; given once (rule 8)."""
    check(actor, council, Action.MANAGE_NOTICES, _("只有主持人可以答复异议"))
    objection = await scoped(db, Objection, council.id, objection_id)
    await db.refresh(objection, with_for_update=True)
    if objection.answered_at is not None:
        refused = TransitionRefused(_("这条异议已经答复；答复公开后不再修改"))
        raise StateRefused(refused, "answer", {"answer": form.answer})
    objection.answer = form.answer
    objection.answered_at = now
    objection.answered_by_id = actor.person_id
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "objection.answered",
        ("objection", objection.id),
        {"notice": objection.notice_id.hex, "late": now >= objection.due_at},
        at=now,
    )
    return objection
