"""积分: activities that earn points, 申请 → 审核 → 公示 → 入账, redemptions at shops, and the
append-only ledger. No HTTP here.

Every entry locks the person's balance row first (FOR UPDATE on PostgreSQL; SQLite writers
are serialised by BEGIN IMMEDIATE), so concurrent redemptions queue: each sees the balance
the one before it left, and the numbered entries (unique per person) can neither fork nor
repeat. The database refuses UPDATE and DELETE on entries; a correction is a new entry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.names import mask
from council.accounts.service import actor_for
from council.audit import service as audit
from council.councils.models import Council, Shop
from council.councils.permissions import (
    Action,
    Actor,
    Visibility,
    can,
    can_act_for_shop,
    can_review_claim,
)
from council.councils.service import check
from council.errors import FormInvalid, NotFound, TransitionRefused
from council.files import service as files
from council.files.images import CleanImage
from council.files.storage import Storage
from council.i18n import _
from council.notices import service as notices
from council.notices.models import Notice
from council.notices.periods import NoticeKind
from council.notices.schemas import NoticeForm
from council.programmes.common import (
    forbid,
    owned_shop_ids,
    record,
    refuse,
    scoped,
    settings_of,
    shop_by_number,
)
from council.programmes.kinds import ClaimSource, ClaimState, EntryKind, RedemptionState
from council.programmes.models import (
    PointActivity,
    PointBalance,
    PointClaim,
    PointEntry,
    ProgrammeSettings,
    Redemption,
    ShopOffer,
)
from council.programmes.schemas import (
    ActivityForm,
    ApplyForm,
    AttendanceForm,
    CorrectionForm,
    DecisionForm,
    OfferForm,
    PointSettingsForm,
    ReviewForm,
)

SUBJECT = "activity"
CLAIM_FILES = "point_claim"


# --- settings and activities ------------------------------------------------------------------


async def save_settings(
    db: AsyncSession, actor: Actor, council: Council, form: PointSettingsForm, now: dt.datetime
) -> ProgrammeSettings:
    """What a point is worth (fen) and how long awards stay in notice."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以修改积分设置"))
    fen = int(Decimal(form.point_value) * 100)
    if fen <= 0:
        values = {"point_value": form.point_value, "award_notice_days": form.award_notice_days}
        raise FormInvalid({"point_value": _("每分折合金额须大于 0")}, values)
    current = await settings_of(db, council)
    if current not in db:
        db.add(current)
    current.point_value_fen = fen
    current.award_notice_days = form.award_notice_days
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.settings_saved",
        ("council", council.id),
        now,
        point_value_fen=fen,
        award_notice_days=form.award_notice_days,
    )
    return current


def yuan(fen: int) -> str:
    """120 → "1.2", 100 → "1"."""
    whole, part = divmod(fen, 100)
    return f"{whole}" if not part else f"{whole}.{part:02d}".rstrip("0")


async def create_activity(
    db: AsyncSession, actor: Actor, council: Council, form: ActivityForm, now: dt.datetime
) -> PointActivity:
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以设置积分活动"))
    held_on = None
    if form.held_on:
        try:
            held_on = dt.date.fromisoformat(form.held_on)
        except ValueError as exc:
            values = {"name": form.name, "kind": form.kind.value, "points": form.points}
            raise FormInvalid({"held_on": _("请按“2026-12-01”填写日期")}, values) from exc
    activity = PointActivity(
        council_id=council.id, name=form.name, kind=form.kind, points=form.points, held_on=held_on
    )
    db.add(activity)
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.activity_created",
        ("point_activity", activity.id),
        now,
        name=activity.name,
        points=activity.points,
    )
    return activity


async def activities(db: AsyncSession, council: Council) -> list[PointActivity]:
    rows = await db.execute(
        sa.select(PointActivity)
        .where(PointActivity.council_id == council.id)
        .order_by(PointActivity.held_on.desc().nulls_first(), PointActivity.created_at.desc())
    )
    return list(rows.scalars())


# --- 申请 → 审核 → 公示 → 入账 ----------------------------------------------------------------


async def _masked_record(
    db: AsyncSession,
    council: Council,
    person: Person,
    claim: PointClaim,
    now: dt.datetime,
    **summary: object,
) -> None:
    """An application is in the public log by surname only, as its notice will name it."""
    await audit.record(
        db,
        council_id=council.id,
        actor_id=person.id,
        actor_label=mask(person.display_name),
        action="points.applied",
        object_type="point_claim",
        object_id=claim.id,
        summary=summary,
        at=now,
    )


async def _existing_claim(db: AsyncSession, activity: PointActivity, person_id: UUID) -> bool:
    found = await db.scalar(
        sa.select(PointClaim.id).where(
            PointClaim.activity_id == activity.id, PointClaim.person_id == person_id
        )
    )
    return found is not None


async def apply(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    activity_id: UUID | str,
    form: ApplyForm,
    now: dt.datetime,
    *,
    images: list[CleanImage] | tuple[()] = (),
    storage: Storage | None = None,
    upload_limit: int = 20,
) -> PointClaim:
    """申请: a resident asks for an activity's points, with a photo."""
    check(actor, council, Action.APPLY_POINTS, _("只有本议事会的居民、商户和成员可以申请积分"))
    activity = await scoped(db, PointActivity, council.id, activity_id)
    values = {"note": form.note}
    person = await db.get(Person, actor.person_id)
    assert person is not None  # noqa: S101 - a signed-in actor has a person
    if not activity.active:
        refuse(_("这项活动已停止申请积分"), values=values)
    if await _existing_claim(db, activity, person.id):
        refuse(_("您已申请过这项活动的积分"), values=values)
    if images:
        await files.check_quota(db, person.id, len(images), upload_limit, now)
    claim = PointClaim(
        council_id=council.id,
        activity_id=activity.id,
        person_id=person.id,
        points=activity.points,
        status=ClaimState.APPLIED,
        source=ClaimSource.APPLIED,
        note=form.note,
        submitted_by_id=person.id,
    )
    db.add(claim)
    await db.flush()
    if images:
        assert storage is not None  # noqa: S101 - the controller passes the app's storage
        await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, CLAIM_FILES, claim.id),
            owner_id=person.id,
            visibility=Visibility.OWNER,
            now=now,
        )
    await _masked_record(
        db,
        council,
        person,
        claim,
        now,
        activity=activity.name,
        points=claim.points,
        photos=len(images),
    )
    return claim


async def record_attendance(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    activity_id: UUID | str,
    form: AttendanceForm,
    now: dt.datetime,
) -> list[PointClaim]:
    """The facilitator records who attended; someone else reviews it."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以登记签到"))
    activity = await scoped(db, PointActivity, council.id, activity_id)
    values = {"logins": form.logins}
    people: list[Person] = []
    for login in dict.fromkeys(re.split(r"[\s,，、]+", form.logins.strip())):
        person = await db.scalar(sa.select(Person).where(Person.login == login)) if login else None
        who = await actor_for(db, person) if person else None
        if person is None or who is None or not can(who, Action.APPLY_POINTS, council.id):
            raise FormInvalid({"logins": _("“%(l)s”不是本议事会的成员", l=login[:40])}, values)
        if await _existing_claim(db, activity, person.id):
            message = _("%(n)s 已有这项活动的积分申请", n=person.display_name)
            raise FormInvalid({"logins": message}, values)
        people.append(person)
    claims = [
        PointClaim(
            council_id=council.id,
            activity_id=activity.id,
            person_id=p.id,
            points=activity.points,
            status=ClaimState.APPLIED,
            source=ClaimSource.ATTENDANCE,
            submitted_by_id=actor.person_id,
        )
        for p in people
    ]
    db.add_all(claims)
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.attendance_recorded",
        ("point_activity", activity.id),
        now,
        activity=activity.name,
        people=[mask(p.display_name) for p in people],
        points=activity.points,
    )
    return claims


async def review(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    claim_id: UUID | str,
    form: ReviewForm,
    now: dt.datetime,
) -> PointClaim:
    """审核: approve or reject, with a reason when rejected; never one's own."""
    check(actor, council, Action.REVIEW_POINTS, _("只有主持人或监督员可以审核积分"))
    claim = await scoped(db, PointClaim, council.id, claim_id)
    await db.refresh(claim, with_for_update=True)
    values = {"decision": form.decision, "note": form.note}
    if not can_review_claim(actor, council.id, claim.person_id, claim.submitted_by_id):
        forbid(_("不能审核自己的积分或自己登记的签到，请由另一位审核人审核"), values=values)
    if claim.status is not ClaimState.APPLIED:
        refuse(_("这份申请已经审核过"), values=values)
    if form.decision == "reject" and len(form.note.strip()) < 2:
        raise FormInvalid({"note": _("不通过时请写明理由")}, values)
    claim.status = ClaimState.APPROVED if form.decision == "approve" else ClaimState.REJECTED
    claim.reviewed_by_id = actor.person_id
    claim.reviewed_at = now
    claim.review_note = form.note
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.reviewed",
        ("point_claim", claim.id),
        now,
        decision=form.decision,
        points=claim.points,
        note=form.note,
    )
    return claim


async def put_in_notice(
    db: AsyncSession, actor: Actor, council: Council, activity_id: UUID | str, now: dt.datetime
) -> Notice:
    """公示: the approved awards of one activity, published for the council's award period."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以公示积分"))
    activity = await scoped(db, PointActivity, council.id, activity_id)
    rows = list(
        await db.execute(
            sa.select(PointClaim, Person.display_name)
            .join(Person, Person.id == PointClaim.person_id)
            .where(PointClaim.activity_id == activity.id, PointClaim.status == ClaimState.APPROVED)
            .order_by(PointClaim.created_at)
            .with_for_update(of=PointClaim)
        )
    )
    if not rows:
        refuse(_("这项活动没有审核通过、待公示的积分"))
    days = (await settings_of(db, council)).award_notice_days
    held = f"（{activity.held_on.isoformat()}）" if activity.held_on else ""
    lines = [
        _(
            "以下居民参加“%(a)s”%(d)s，经审核拟获得积分；公示 %(n)s 天，期满无异议后入账。",
            a=activity.name,
            d=held,
            n=days,
        ),
        "",
        *(_("%(name)s %(p)s 分", name=mask(name), p=claim.points) for claim, name in rows),
    ]
    form = NoticeForm(
        title=_("“%(a)s”积分公示", a=activity.name)[:120],
        body="\n".join(lines),
        period_days=days,
        kind=NoticeKind.AWARD,
    )
    notice = await notices.draft(db, actor, council, form, now, subject=(SUBJECT, activity.id))
    notice = await notices.publish(db, actor, council, notice.id, now)
    for claim, _name in rows:
        claim.status = ClaimState.IN_NOTICE
        claim.notice_id = notice.id
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.put_in_notice",
        ("point_activity", activity.id),
        now,
        notice=notice.id.hex,
        claims=len(rows),
        days=days,
    )
    return notice


async def credit(
    db: AsyncSession, actor: Actor, council: Council, notice_id: UUID | str, now: dt.datetime
) -> list[PointEntry]:
    """入账: once the award notice's period is over with every objection answered, each award
    becomes a ledger entry and the notice ends."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以为积分入账"))
    notice = await notices.get(db, actor, council, notice_id, lock=True)
    if notice.kind is not NoticeKind.AWARD:
        raise NotFound(_("找不到这份积分公示"))
    claims = list(
        (
            await db.execute(
                sa.select(PointClaim)
                .where(PointClaim.notice_id == notice.id, PointClaim.status == ClaimState.IN_NOTICE)
                .order_by(PointClaim.created_at)
                .with_for_update()
            )
        ).scalars()
    )
    if not claims:
        refuse(_("这份公示的积分已经入账"))
    try:
        await notices.close_notice(db, actor, council, notice, now)
    except TransitionRefused as refused:
        reasons = "；".join(refused.reasons or (refused.message,))
        refuse(_("积分须公示期满、异议均已答复后才能入账：%(r)s", r=reasons))
    activities_by_id = {
        a.id: a
        for a in (
            await db.execute(
                sa.select(PointActivity).where(
                    PointActivity.id.in_({c.activity_id for c in claims})
                )
            )
        ).scalars()
    }
    entries = []
    for claim in claims:
        activity = activities_by_id[claim.activity_id]
        entries.append(
            await append(
                db,
                council,
                claim.person_id,
                claim.points,
                EntryKind.AWARD,
                now,
                actor=actor,
                reason=activity.name,
                claim_id=claim.id,
            )
        )
        claim.status = ClaimState.CREDITED
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.credited",
        ("notice", notice.id),
        now,
        claims=len(claims),
        points=sum(c.points for c in claims),
    )
    return entries


# --- the ledger ---------------------------------------------------------------------------------


async def _locked_balance(db: AsyncSession, council_id: UUID, person_id: UUID) -> PointBalance:
    """The person's balance row, locked for this transaction; made on the first entry (two
    first entries racing both insert "if absent", then both lock the one row)."""
    stmt = (
        sa.select(PointBalance)
        .where(PointBalance.council_id == council_id, PointBalance.person_id == person_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = await db.scalar(stmt)
    if found is not None:
        return found
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    await db.execute(
        insert(PointBalance)
        .values(council_id=council_id, person_id=person_id, balance=0, seq=0)
        .on_conflict_do_nothing(index_elements=["council_id", "person_id"])
    )
    found = await db.scalar(stmt)
    assert found is not None  # noqa: S101 - inserted or already there
    return found


async def append(
    db: AsyncSession,
    council: Council,
    person_id: UUID,
    amount: int,
    kind: EntryKind,
    now: dt.datetime,
    *,
    actor: Actor,
    reason: str = "",
    claim_id: UUID | None = None,
    redemption_id: UUID | None = None,
    corrects_id: UUID | None = None,
) -> PointEntry:
    """The one way into the ledger: the next numbered entry and the balance after it."""
    balance = await _locked_balance(db, council.id, person_id)
    after = balance.balance + amount
    if after < 0:
        refuse(_("积分不足：余额 %(b)s 分，需要 %(n)s 分", b=balance.balance, n=-amount))
    entry = PointEntry(
        council_id=council.id,
        person_id=person_id,
        seq=balance.seq + 1,
        kind=kind,
        amount=amount,
        balance_after=after,
        reason=reason,
        claim_id=claim_id,
        redemption_id=redemption_id,
        corrects_id=corrects_id,
        created_by_id=actor.person_id,
        occurred_at=now,
    )
    db.add(entry)
    balance.balance = after
    balance.seq = entry.seq
    await db.flush()
    return entry


async def balance_of(db: AsyncSession, council: Council, person_id: UUID | None) -> int:
    if person_id is None:
        return 0
    value = await db.scalar(
        sa.select(PointBalance.balance).where(
            PointBalance.council_id == council.id, PointBalance.person_id == person_id
        )
    )
    return int(value or 0)


async def ledger_of(db: AsyncSession, council: Council, person_id: UUID) -> list[PointEntry]:
    rows = await db.execute(
        sa.select(PointEntry)
        .where(PointEntry.council_id == council.id, PointEntry.person_id == person_id)
        .order_by(PointEntry.seq.desc())
    )
    return list(rows.scalars())


async def correct(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    entry_id: UUID | str,
    form: CorrectionForm,
    now: dt.datetime,
) -> PointEntry:
    """A wrong entry is corrected by a new one pointing at it, with a reason; together the
    corrections never undo more than the entry did."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以更正积分"))
    entry = await scoped(db, PointEntry, council.id, entry_id)
    values = {"amount": form.amount, "reason": form.reason}
    earlier = int(
        await db.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PointEntry.amount), 0)).where(
                PointEntry.corrects_id == entry.id
            )
        )
        or 0
    )
    room = -(entry.amount + earlier)  # what is left to undo, with the sign that undoes it
    if form.amount == 0 or (form.amount > 0) != (room > 0) or abs(form.amount) > abs(room):
        message = _("更正只能冲抵原记录：本条最多还能更正 %(n)s 分", n=room)
        raise FormInvalid({"amount": message}, values)
    try:
        fixed = await append(
            db,
            council,
            entry.person_id,
            form.amount,
            EntryKind.CORRECTION,
            now,
            actor=actor,
            reason=form.reason,
            corrects_id=entry.id,
        )
    except FormInvalid as exc:
        raise FormInvalid({"amount": next(iter(exc.errors.values()))}, values) from exc
    await record(
        db,
        actor,
        council,
        "points.corrected",
        ("point_entry", fixed.id),
        now,
        corrects=entry.id.hex,
        amount=form.amount,
        reason=form.reason,
    )
    return fixed


# --- offers and redemptions -----------------------------------------------------------------


async def create_offer(
    db: AsyncSession, actor: Actor, council: Council, form: OfferForm, now: dt.datetime
) -> ShopOffer:
    """A shop offers a service for points; its own representative or the facilitator."""
    values = {"shop_number": form.shop_number, "title": form.title, "points": form.points}
    try:
        shop = await shop_by_number(db, council.id, form.shop_number)
    except NotFound as exc:
        raise FormInvalid({"shop_number": _("本议事会没有这个编号的店铺")}, values) from exc
    own = can_act_for_shop(actor, council.id, shop.id, await owned_shop_ids(db, actor, council.id))
    if not own and not can(actor, Action.MANAGE_PROGRAMMES, council.id):
        check(actor, council, Action.VIEW_COUNCIL)
        forbid(_("只能为自己经营的店铺设置兑换项目"), "shop_number", values)
    offer = ShopOffer(
        council_id=council.id,
        shop_id=shop.id,
        title=form.title,
        points=form.points,
        created_by_id=actor.person_id,
    )
    db.add(offer)
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.offer_created",
        ("shop_offer", offer.id),
        now,
        shop=shop.number,
        title=offer.title,
        points=offer.points,
    )
    return offer


@dataclass(frozen=True)
class OfferRow:
    offer: ShopOffer
    shop: Shop


async def offers(db: AsyncSession, council: Council, shop_id: UUID | None = None) -> list[OfferRow]:
    stmt = (
        sa.select(ShopOffer, Shop)
        .join(Shop, Shop.id == ShopOffer.shop_id)
        .where(ShopOffer.council_id == council.id, ShopOffer.active.is_(True))
        .order_by(ShopOffer.points, ShopOffer.title)
    )
    if shop_id is not None:
        stmt = stmt.where(ShopOffer.shop_id == shop_id)
    return [OfferRow(o, s) for o, s in await db.execute(stmt)]


async def redeem(
    db: AsyncSession, actor: Actor, council: Council, offer_id: UUID | str, now: dt.datetime
) -> Redemption:
    """兑换: the points leave the balance at once (the shop confirms the service); more than
    the balance is refused, however many ask at the same moment."""
    check(actor, council, Action.REDEEM_POINTS, _("只有本议事会的居民、商户和成员可以兑换积分"))
    offer = await scoped(db, ShopOffer, council.id, offer_id)
    if not offer.active:
        refuse(_("这个兑换项目已下架"))
    if offer.shop_id in await owned_shop_ids(db, actor, council.id):
        forbid(_("不能在自己经营的店铺兑换积分"))
    assert actor.person_id is not None  # noqa: S101 - REDEEM_POINTS needs a signed-in person
    redemption = Redemption(
        council_id=council.id,
        offer_id=offer.id,
        shop_id=offer.shop_id,
        person_id=actor.person_id,
        points=offer.points,
        status=RedemptionState.REQUESTED,
        requested_at=now,
    )
    balance = await _locked_balance(db, council.id, actor.person_id)
    if balance.balance < offer.points:
        refuse(_("积分不足：余额 %(b)s 分，兑换需要 %(n)s 分", b=balance.balance, n=offer.points))
    db.add(redemption)
    await db.flush()
    entry = await append(
        db,
        council,
        actor.person_id,
        -offer.points,
        EntryKind.REDEMPTION,
        now,
        actor=actor,
        reason=offer.title,
        redemption_id=redemption.id,
    )
    await record(
        db,
        actor,
        council,
        "points.redeemed",
        ("redemption", redemption.id),
        now,
        offer=offer.title,
        points=offer.points,
        balance=entry.balance_after,
    )
    return redemption


async def decide_redemption(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    redemption_id: UUID | str,
    form: DecisionForm,
    now: dt.datetime,
) -> Redemption:
    """The shop confirms it gave the service, or declines and the points go back."""
    redemption = await scoped(db, Redemption, council.id, redemption_id)
    await db.refresh(redemption, with_for_update=True)
    represented = await owned_shop_ids(db, actor, council.id)
    if not can_act_for_shop(actor, council.id, redemption.shop_id, represented):
        check(actor, council, Action.VIEW_COUNCIL)
        forbid(_("只有提供这项服务的店铺可以确认兑换"))
    if redemption.status is not RedemptionState.REQUESTED:
        refuse(_("这笔兑换已经处理过"))
    redemption.decided_at = now
    redemption.decided_by_id = actor.person_id
    if form.decision == "confirm":
        redemption.status = RedemptionState.CONFIRMED
    else:
        redemption.status = RedemptionState.DECLINED
        await append(
            db,
            council,
            redemption.person_id,
            redemption.points,
            EntryKind.REFUND,
            now,
            actor=actor,
            reason=_("店铺未接受兑换"),
            redemption_id=redemption.id,
        )
    await db.flush()
    await record(
        db,
        actor,
        council,
        "points.redemption_decided",
        ("redemption", redemption.id),
        now,
        decision=form.decision,
        points=redemption.points,
    )
    return redemption


# --- what pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    claim: PointClaim
    person: Person
    activity: PointActivity


async def claims(
    db: AsyncSession,
    council: Council,
    *,
    states: tuple[ClaimState, ...] = (),
    person_id: UUID | None = None,
) -> list[ClaimRow]:
    stmt = (
        sa.select(PointClaim, Person, PointActivity)
        .join(Person, Person.id == PointClaim.person_id)
        .join(PointActivity, PointActivity.id == PointClaim.activity_id)
        .where(PointClaim.council_id == council.id)
        .order_by(PointClaim.created_at.desc())
    )
    if states:
        stmt = stmt.where(PointClaim.status.in_(states))
    if person_id is not None:
        stmt = stmt.where(PointClaim.person_id == person_id)
    return [ClaimRow(c, p, a) for c, p, a in await db.execute(stmt)]


@dataclass(frozen=True)
class AwardRow:
    """A credited award as the public sees it: the surname only."""

    name: str
    activity: str
    points: int
    credited_at: dt.datetime


async def public_awards(db: AsyncSession, council: Council, limit: int = 200) -> list[AwardRow]:
    rows = await db.execute(
        sa.select(
            Person.display_name, PointActivity.name, PointEntry.amount, PointEntry.occurred_at
        )
        .join(PointClaim, PointClaim.id == PointEntry.claim_id)
        .join(Person, Person.id == PointEntry.person_id)
        .join(PointActivity, PointActivity.id == PointClaim.activity_id)
        .where(PointEntry.council_id == council.id, PointEntry.kind == EntryKind.AWARD)
        .order_by(PointEntry.occurred_at.desc(), PointEntry.seq.desc())
        .limit(limit)
    )
    return [AwardRow(mask(name), activity, amount, at) for name, activity, amount, at in rows]


@dataclass(frozen=True)
class Totals:
    awarded: int
    redeemed: int
    people: int


async def totals(db: AsyncSession, council: Council) -> Totals:
    awarded = await db.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PointEntry.amount), 0)).where(
            PointEntry.council_id == council.id, PointEntry.kind == EntryKind.AWARD
        )
    )
    redeemed = await db.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Redemption.points), 0)).where(
            Redemption.council_id == council.id, Redemption.status == RedemptionState.CONFIRMED
        )
    )
    people = await db.scalar(
        sa.select(sa.func.count(sa.distinct(PointEntry.person_id))).where(
            PointEntry.council_id == council.id
        )
    )
    return Totals(int(awarded or 0), int(redeemed or 0), int(people or 0))


@dataclass(frozen=True)
class BalanceRow:
    person: Person
    balance: PointBalance


async def balances(db: AsyncSession, council: Council) -> list[BalanceRow]:
    rows = await db.execute(
        sa.select(Person, PointBalance)
        .join(PointBalance, PointBalance.person_id == Person.id)
        .where(PointBalance.council_id == council.id)
        .order_by(PointBalance.balance.desc(), Person.display_name)
    )
    return [BalanceRow(p, b) for p, b in rows]


@dataclass(frozen=True)
class RedemptionRow:
    redemption: Redemption
    offer: ShopOffer
    shop: Shop
    person: Person


async def redemptions(
    db: AsyncSession,
    council: Council,
    *,
    shop_ids: set[UUID] | None = None,
    person_id: UUID | None = None,
) -> list[RedemptionRow]:
    stmt = (
        sa.select(Redemption, ShopOffer, Shop, Person)
        .join(ShopOffer, ShopOffer.id == Redemption.offer_id)
        .join(Shop, Shop.id == Redemption.shop_id)
        .join(Person, Person.id == Redemption.person_id)
        .where(Redemption.council_id == council.id)
        .order_by(Redemption.requested_at.desc())
    )
    if shop_ids is not None:
        stmt = stmt.where(Redemption.shop_id.in_(shop_ids))
    if person_id is not None:
        stmt = stmt.where(Redemption.person_id == person_id)
    return [RedemptionRow(*row) for row in await db.execute(stmt)]


@dataclass(frozen=True)
class AwardNotice:
    notice: Notice
    activity: PointActivity
    claims: int
    days_left: int
    creditable: bool  # period over, every objection answered


async def award_notices(db: AsyncSession, council: Council, now: dt.datetime) -> list[AwardNotice]:
    """Award notices whose points wait to be credited."""
    rows = await db.execute(
        sa.select(Notice, PointActivity, sa.func.count(PointClaim.id))
        .join(PointClaim, PointClaim.notice_id == Notice.id)
        .join(PointActivity, PointActivity.id == PointClaim.activity_id)
        .where(Notice.council_id == council.id, PointClaim.status == ClaimState.IN_NOTICE)
        .group_by(Notice.id, PointActivity.id)
        .order_by(Notice.ends_at)
    )
    found = []
    for notice, activity, count in rows:
        state = await notices.state(db, council, notice, now)
        ready = state is not None and state.period_over and not state.unanswered
        found.append(AwardNotice(notice, activity, count, state.days_left if state else 0, ready))
    return found
