"""值日 · 街区管家: the month's rota, closing days, the duty shop's checklist, swaps agreed by
both shops, and missed duties. No HTTP here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.models import Council, Shop
from council.councils.permissions import Action, Actor, can, can_act_for_shop
from council.councils.service import check
from council.errors import FormInvalid, NotFound
from council.i18n import _
from council.programmes import rota
from council.programmes.common import (
    forbid,
    local_today,
    owned_shop_ids,
    record,
    refuse,
    scoped,
    shop_by_number,
    shops_in_order,
)
from council.programmes.kinds import CheckPurpose, SwapState
from council.programmes.models import CheckItem, DutyCheck, RotaDuty, RotaSwap, ShopRota
from council.programmes.schemas import ClosingForm, ItemForm, MonthForm, SwapAnswerForm, SwapForm

# --- checklists (the duty's and the 外摆 rules an inspection checks) -------------------------


async def items(db: AsyncSession, council: Council, purpose: CheckPurpose) -> list[CheckItem]:
    rows = await db.execute(
        sa.select(CheckItem)
        .where(
            CheckItem.council_id == council.id,
            CheckItem.purpose == purpose,
            CheckItem.active.is_(True),
        )
        .order_by(CheckItem.position, CheckItem.created_at)
    )
    return list(rows.scalars())


async def add_item(
    db: AsyncSession, actor: Actor, council: Council, form: ItemForm, now: dt.datetime
) -> CheckItem:
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以修改检查项目"))
    position = len(await items(db, council, form.purpose))
    item = CheckItem(
        council_id=council.id,
        purpose=form.purpose,
        section=form.section,
        text=form.text,
        position=position,
    )
    db.add(item)
    await db.flush()
    await record(
        db,
        actor,
        council,
        "checklist.item_added",
        ("check_item", item.id),
        now,
        purpose=form.purpose.value,
        section=form.section,
        text=form.text,
    )
    return item


# --- closing days and the month's rota -------------------------------------------------------


async def closings(db: AsyncSession, council: Council) -> dict[UUID, ShopRota]:
    rows = await db.execute(sa.select(ShopRota).where(ShopRota.council_id == council.id))
    return {r.shop_id: r for r in rows.scalars()}


def weekdays_in(data: Mapping[str, Any]) -> list[int]:
    """The ticked closing weekdays of a form ("closed" sent once per ticked box)."""
    raw = data.get("closed") or []
    values = raw if isinstance(raw, list) else [raw]
    return sorted({int(v) for v in values if isinstance(v, str) and v in "0123456" and v})


async def set_closing(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: ClosingForm,
    weekdays: list[int],
    now: dt.datetime,
) -> ShopRota:
    """A shop's weekly closing days, and whether it takes turns at all."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以修改值日安排"))
    values = {"shop_number": form.shop_number, "in_rota": form.in_rota}
    try:
        shop = await shop_by_number(db, council.id, form.shop_number)
    except NotFound as exc:
        raise FormInvalid({"shop_number": _("本议事会没有这个编号的店铺")}, values) from exc
    current = (await closings(db, council)).get(shop.id)
    if current is None:
        current = ShopRota(council_id=council.id, shop_id=shop.id)
        db.add(current)
    current.closed_mask = rota.mask_from_weekdays(weekdays)
    current.in_rota = form.in_rota
    await db.flush()
    await record(
        db,
        actor,
        council,
        "rota.closing_set",
        ("shop", shop.id),
        now,
        shop=shop.number,
        closed=[_(rota.WEEKDAY_LABELS[d]) for d in weekdays],
        in_rota=form.in_rota,
    )
    return current


def month_of(value: str) -> tuple[int, int] | None:
    try:
        year, month = (int(p) for p in value.split("-"))
        dt.date(year, month, 1)
    except ValueError:
        return None
    return year, month


async def generate(
    db: AsyncSession, actor: Actor, council: Council, form: MonthForm, now: dt.datetime
) -> list[RotaDuty]:
    """The month's rota in street order, carrying on from the last duty before it."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以排值日表"))
    values = {"month": form.month}
    parsed = month_of(form.month)
    if parsed is None:
        raise FormInvalid({"month": _("请按“2026-12”填写月份")}, values)
    days = rota.month_days(*parsed)
    if days[-1] < local_today(now, council.timezone):
        raise FormInvalid({"month": _("不能为已经过去的月份排值日")}, values)
    existing = await db.scalar(
        sa.select(sa.func.count(RotaDuty.id)).where(
            RotaDuty.council_id == council.id, RotaDuty.day.between(days[0], days[-1])
        )
    )
    if existing:
        refuse(_("%(m)s 的值日表已经排好", m=form.month), "month", values)
    settings = await closings(db, council)
    shops = [
        s
        for s in await shops_in_order(db, council.id)
        if settings.get(s.id) is None or settings[s.id].in_rota
    ]
    if not shops:
        refuse(_("还没有参加值日的店铺"), "month", values)
    last = await db.scalar(
        sa.select(RotaDuty.shop_id)
        .where(RotaDuty.council_id == council.id, RotaDuty.day < days[0])
        .order_by(RotaDuty.day.desc())
        .limit(1)
    )
    closed = {
        s.id.hex: rota.weekdays_from_mask(settings[s.id].closed_mask)
        for s in shops
        if s.id in settings
    }
    plan = rota.generate([s.id.hex for s in shops], days, closed, last.hex if last else None)
    duties = [
        RotaDuty(council_id=council.id, day=day, shop_id=UUID(shop))
        for day, shop in plan
        if shop is not None
    ]
    db.add_all(duties)
    await db.flush()
    await record(
        db,
        actor,
        council,
        "rota.generated",
        ("council", council.id),
        now,
        month=form.month,
        duties=len(duties),
        shops=len(shops),
    )
    return duties


# --- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DutyRow:
    duty: RotaDuty
    shop: Shop
    missed: bool
    today: bool


async def month(
    db: AsyncSession, council: Council, year: int, month_number: int, now: dt.datetime
) -> list[DutyRow]:
    days = rota.month_days(year, month_number)
    today = local_today(now, council.timezone)
    rows = await db.execute(
        sa.select(RotaDuty, Shop)
        .join(Shop, Shop.id == RotaDuty.shop_id)
        .where(RotaDuty.council_id == council.id, RotaDuty.day.between(days[0], days[-1]))
        .order_by(RotaDuty.day)
    )
    return [
        DutyRow(d, s, rota.missed(d.day, d.done_at is not None, today), d.day == today)
        for d, s in rows
    ]


async def today(db: AsyncSession, council: Council, now: dt.datetime) -> DutyRow | None:
    """今日值日: the duty shop of the council's local today."""
    day = local_today(now, council.timezone)
    row = (
        await db.execute(
            sa.select(RotaDuty, Shop)
            .join(Shop, Shop.id == RotaDuty.shop_id)
            .where(RotaDuty.council_id == council.id, RotaDuty.day == day)
        )
    ).first()
    if row is None:
        return None
    duty, shop = row
    return DutyRow(duty, shop, False, True)


async def shop_duties(
    db: AsyncSession, council: Council, shop: Shop, now: dt.datetime, limit: int = 12
) -> list[DutyRow]:
    today_ = local_today(now, council.timezone)
    rows = await db.execute(
        sa.select(RotaDuty)
        .where(RotaDuty.council_id == council.id, RotaDuty.shop_id == shop.id)
        .order_by(RotaDuty.day.desc())
        .limit(limit)
    )
    return [
        DutyRow(d, shop, rota.missed(d.day, d.done_at is not None, today_), d.day == today_)
        for d in rows.scalars()
    ]


async def missed_count(db: AsyncSession, council: Council, now: dt.datetime) -> dict[UUID, int]:
    """Missed duties per shop, all time: flagged on the rota page."""
    rows = await db.execute(
        sa.select(RotaDuty.shop_id, sa.func.count(RotaDuty.id))
        .where(
            RotaDuty.council_id == council.id,
            RotaDuty.done_at.is_(None),
            RotaDuty.day < local_today(now, council.timezone),
        )
        .group_by(RotaDuty.shop_id)
    )
    return {shop_id: int(n) for shop_id, n in rows}


async def checks_of(db: AsyncSession, duty: RotaDuty) -> dict[UUID, bool]:
    rows = await db.execute(sa.select(DutyCheck).where(DutyCheck.duty_id == duty.id))
    return {c.item_id: c.ok for c in rows.scalars()}


# --- the duty shop ticks its checklist ---------------------------------------------------------


async def get_duty(
    db: AsyncSession, council: Council, duty_id: UUID | str, *, lock: bool = False
) -> RotaDuty:
    duty = await scoped(db, RotaDuty, council.id, duty_id)
    if lock:
        await db.refresh(duty, with_for_update=True)
    return duty


def ticked_in(data: Mapping[str, Any]) -> set[str]:
    raw = data.get("item") or []
    values = raw if isinstance(raw, list) else [raw]
    return {v for v in values if isinstance(v, str)}


async def tick(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    duty_id: UUID | str,
    ticked: set[str],
    note: str,
    now: dt.datetime,
) -> RotaDuty:
    """The duty shop ticks today's checklist on its phone; what is left unticked is a problem
    it found (reported as 随手拍 through the issue form)."""
    duty = await get_duty(db, council, duty_id, lock=True)
    values = {"note": note, "item": sorted(ticked)}
    if not can_act_for_shop(
        actor, council.id, duty.shop_id, await owned_shop_ids(db, actor, council.id)
    ):
        check(actor, council, Action.VIEW_COUNCIL)
        forbid(_("只有当天值日的店铺可以打卡"), values=values)
    if duty.day != local_today(now, council.timezone):
        refuse(_("只能在值日当天打卡（%(d)s）", d=duty.day.isoformat()), values=values)
    if duty.done_at is not None:
        refuse(_("今天的值日已经打卡"), values=values)
    checklist = await items(db, council, CheckPurpose.DUTY)
    for item in checklist:
        db.add(
            DutyCheck(
                council_id=council.id,
                duty_id=duty.id,
                item_id=item.id,
                ok=item.id.hex in ticked,
            )
        )
    duty.done_at = now
    duty.done_by_id = actor.person_id
    duty.note = note
    await db.flush()
    shop = await db.get(Shop, duty.shop_id)
    await record(
        db,
        actor,
        council,
        "rota.ticked",
        ("rota_duty", duty.id),
        now,
        day=duty.day.isoformat(),
        shop=shop.number if shop else None,
        problems=[i.text for i in checklist if i.id.hex not in ticked],
    )
    return duty


# --- swaps --------------------------------------------------------------------------------------


async def _turn(db: AsyncSession, duty: RotaDuty) -> rota.Turn:
    setting = await db.scalar(sa.select(ShopRota).where(ShopRota.shop_id == duty.shop_id))
    closed = rota.weekdays_from_mask(setting.closed_mask) if setting else frozenset()
    return rota.Turn(duty.day, duty.shop_id.hex, closed)


async def request_swap(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    duty_id: UUID | str,
    form: SwapForm,
    now: dt.datetime,
) -> RotaSwap:
    """A duty shop asks another to swap days; nothing moves until the other agrees."""
    duty = await get_duty(db, council, duty_id, lock=True)
    values = {"other_duty_id": form.other_duty_id}
    if not can_act_for_shop(
        actor, council.id, duty.shop_id, await owned_shop_ids(db, actor, council.id)
    ):
        check(actor, council, Action.VIEW_COUNCIL)
        forbid(_("只能为自己店铺的值日申请调换"), "other_duty_id", values)
    try:
        other = await get_duty(db, council, form.other_duty_id, lock=True)
    except NotFound as exc:
        raise FormInvalid({"other_duty_id": _("请选择要调换的日期")}, values) from exc
    today_ = local_today(now, council.timezone)
    if problem := rota.swap_refusal(await _turn(db, duty), await _turn(db, other), today_):
        refuse(problem, "other_duty_id", values)
    if await _pending_swap(db, {duty.id, other.id}):
        refuse(_("这两天中已有一项待对方答复的调换"), "other_duty_id", values)
    swap = RotaSwap(
        council_id=council.id,
        duty_id=duty.id,
        other_duty_id=other.id,
        status=SwapState.PENDING,
        requested_by_id=actor.person_id,
    )
    db.add(swap)
    await db.flush()
    await record(
        db,
        actor,
        council,
        "rota.swap_requested",
        ("rota_swap", swap.id),
        now,
        days=[duty.day.isoformat(), other.day.isoformat()],
    )
    return swap


async def _pending_swap(db: AsyncSession, duty_ids: set[UUID]) -> RotaSwap | None:
    return await db.scalar(
        sa.select(RotaSwap).where(
            RotaSwap.status == SwapState.PENDING,
            sa.or_(RotaSwap.duty_id.in_(duty_ids), RotaSwap.other_duty_id.in_(duty_ids)),
        )
    )


async def answer_swap(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    swap_id: UUID | str,
    form: SwapAnswerForm,
    now: dt.datetime,
) -> RotaSwap:
    """Only the other shop agrees or declines; on agreement the two days change hands."""
    swap = await scoped(db, RotaSwap, council.id, swap_id)
    await db.refresh(swap, with_for_update=True)
    duty = await get_duty(db, council, swap.duty_id, lock=True)
    other = await get_duty(db, council, swap.other_duty_id, lock=True)
    values = {"decision": form.decision}
    if not can_act_for_shop(
        actor, council.id, other.shop_id, await owned_shop_ids(db, actor, council.id)
    ):
        check(actor, council, Action.VIEW_COUNCIL)
        forbid(_("调换须由对方店铺同意"), "decision", values)
    if swap.status is not SwapState.PENDING:
        refuse(_("这项调换已经答复过"), "decision", values)
    accept = form.decision == "accept"
    if accept:
        today_ = local_today(now, council.timezone)
        if problem := rota.swap_refusal(await _turn(db, duty), await _turn(db, other), today_):
            refuse(problem, "decision", values)
        duty.shop_id, other.shop_id = other.shop_id, duty.shop_id
    swap.status = SwapState.ACCEPTED if accept else SwapState.DECLINED
    swap.decided_by_id = actor.person_id
    swap.decided_at = now
    await db.flush()
    await record(
        db,
        actor,
        council,
        "rota.swap_answered",
        ("rota_swap", swap.id),
        now,
        decision=form.decision,
        days=[duty.day.isoformat(), other.day.isoformat()],
    )
    return swap


@dataclass(frozen=True)
class SwapRow:
    swap: RotaSwap
    duty: RotaDuty
    other: RotaDuty
    shop: Shop
    other_shop: Shop
    mine_to_answer: bool


async def swaps(
    db: AsyncSession, actor: Actor, council: Council, pending_only: bool = True
) -> list[SwapRow]:
    own = await owned_shop_ids(db, actor, council.id)
    stmt = (
        sa.select(RotaSwap)
        .where(RotaSwap.council_id == council.id)
        .order_by(RotaSwap.created_at.desc())
    )
    if pending_only:
        stmt = stmt.where(RotaSwap.status == SwapState.PENDING)
    found = []
    for swap in (await db.execute(stmt)).scalars():
        duty = await db.get(RotaDuty, swap.duty_id)
        other = await db.get(RotaDuty, swap.other_duty_id)
        if duty is None or other is None:
            continue
        shop, other_shop = await db.get(Shop, duty.shop_id), await db.get(Shop, other.shop_id)
        assert shop is not None and other_shop is not None  # noqa: S101 - FKs
        mine = can_act_for_shop(actor, council.id, other.shop_id, own)
        found.append(SwapRow(swap, duty, other, shop, other_shop, mine))
    return found


async def my_duties(
    db: AsyncSession, actor: Actor, council: Council, now: dt.datetime
) -> list[DutyRow]:
    """Duties still to come of the shops this person represents."""
    own = await owned_shop_ids(db, actor, council.id)
    if not own or not can(actor, Action.ACT_FOR_SHOP, council.id):
        return []
    today_ = local_today(now, council.timezone)
    rows = await db.execute(
        sa.select(RotaDuty, Shop)
        .join(Shop, Shop.id == RotaDuty.shop_id)
        .where(RotaDuty.shop_id.in_(own), RotaDuty.day >= today_)
        .order_by(RotaDuty.day)
        .limit(10)
    )
    return [DutyRow(d, s, False, d.day == today_) for d, s in rows]


async def upcoming(
    db: AsyncSession, council: Council, now: dt.datetime, exclude: set[UUID]
) -> list[DutyRow]:
    """Duties still to come of other shops: what a swap may be asked for."""
    today_ = local_today(now, council.timezone)
    rows = await db.execute(
        sa.select(RotaDuty, Shop)
        .join(Shop, Shop.id == RotaDuty.shop_id)
        .where(
            RotaDuty.council_id == council.id,
            RotaDuty.day >= today_,
            RotaDuty.shop_id.not_in(exclude) if exclude else sa.true(),
        )
        .order_by(RotaDuty.day)
        .limit(40)
    )
    return [DutyRow(d, s, False, d.day == today_) for d, s in rows]
