"""外摆 inspections: each shop's permitted area and hours, inspections with a photo and
pass/fail per rule, and the public monthly compliance rate. A failed inspection is a
violation for the rating (programmes.violations). No HTTP here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.councils.models import Council, Shop
from council.councils.permissions import Action, Actor, Visibility
from council.councils.service import check
from council.errors import FormInvalid, NotFound
from council.files import service as files
from council.files.images import CleanImage
from council.files.storage import Storage
from council.forms import first_value
from council.i18n import _
from council.programmes.common import record, shop_by_number
from council.programmes.kinds import CheckPurpose
from council.programmes.models import CheckItem, DisplayPermit, Inspection, InspectionCheck
from council.programmes.ratings import display
from council.programmes.schemas import InspectionForm, PermitForm
from council.programmes.service_rota import items

FILES = "inspection"
PASS, FAIL = "pass", "fail"


async def _shop(
    db: AsyncSession, council: Council, number: str, values: Mapping[str, object]
) -> Shop:
    try:
        return await shop_by_number(db, council.id, number)
    except NotFound as exc:
        raise FormInvalid({"shop_number": _("本议事会没有这个编号的店铺")}, values) from exc


async def permits(db: AsyncSession, council: Council) -> dict[UUID, DisplayPermit]:
    rows = await db.execute(sa.select(DisplayPermit).where(DisplayPermit.council_id == council.id))
    return {p.shop_id: p for p in rows.scalars()}


async def set_permit(
    db: AsyncSession, actor: Actor, council: Council, form: PermitForm, now: dt.datetime
) -> DisplayPermit:
    """A shop's permitted 外摆 area and hours (e.g. 门前 1 米以内, 17:00–22:00)."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以登记外摆许可"))
    values = {"shop_number": form.shop_number, "area": form.area, "hours": form.hours}
    shop = await _shop(db, council, form.shop_number, values)
    permit = (await permits(db, council)).get(shop.id)
    if permit is None:
        permit = DisplayPermit(council_id=council.id, shop_id=shop.id, area="", hours="")
        db.add(permit)
    permit.area, permit.hours, permit.updated_by_id = form.area, form.hours, actor.person_id
    await db.flush()
    await record(
        db,
        actor,
        council,
        "display.permit_set",
        ("shop", shop.id),
        now,
        shop=shop.number,
        area=form.area,
        hours=form.hours,
    )
    return permit


def rule_field(item: CheckItem) -> str:
    return f"rule_{item.id.hex}"


async def record_inspection(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: InspectionForm,
    data: Mapping[str, Any],
    now: dt.datetime,
    *,
    images: list[CleanImage] | tuple[()] = (),
    storage: Storage | None = None,
    upload_limit: int = 20,
) -> Inspection:
    """One inspection of one shop: pass or fail on every 外摆 rule, with a photo."""
    check(actor, council, Action.RECORD_INSPECTIONS, _("只有主持人、监督员或职能部门可以巡查"))
    rules = await items(db, council, CheckPurpose.DISPLAY)
    marks = {rule_field(r): str(first_value(data, rule_field(r)) or "") for r in rules}
    values: dict[str, object] = {"shop_number": form.shop_number, "note": form.note, **marks}
    shop = await _shop(db, council, form.shop_number, values)
    if not rules:
        raise FormInvalid({"_form": _("请先设置外摆规则")}, values)
    errors = {f: _("请选择合格或不合格") for f, v in marks.items() if v not in (PASS, FAIL)}
    if errors:
        raise FormInvalid(errors, values)
    if images and actor.person_id is not None:
        await files.check_quota(db, actor.person_id, len(images), upload_limit, now)
    passed = all(marks[rule_field(r)] == PASS for r in rules)
    inspection = Inspection(
        council_id=council.id,
        shop_id=shop.id,
        inspector_id=actor.person_id,
        inspected_at=now,
        passed=passed,
        note=form.note,
    )
    db.add(inspection)
    await db.flush()
    db.add_all(
        InspectionCheck(
            council_id=council.id,
            inspection_id=inspection.id,
            item_id=r.id,
            passed=marks[rule_field(r)] == PASS,
        )
        for r in rules
    )
    if images:
        assert storage is not None  # noqa: S101 - the controller passes the app's storage
        await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, FILES, inspection.id),
            owner_id=actor.person_id,
            visibility=Visibility.STAFF,
            now=now,
        )
    await db.flush()
    await record(
        db,
        actor,
        council,
        "display.inspected",
        ("inspection", inspection.id),
        now,
        shop=shop.number,
        passed=passed,
        failed=[r.text for r in rules if marks[rule_field(r)] == FAIL],
        photos=len(images),
    )
    return inspection


@dataclass(frozen=True)
class MonthRate:
    month: str  # "2026-11"
    inspected: int
    passed: int

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.passed * 100, self.inspected) if self.inspected else None

    @property
    def shown(self) -> str:
        """A whole percent, rounded half up for display."""
        return display(self.rate, places=0) if self.rate is not None else "—"


async def compliance(
    db: AsyncSession, council: Council, now: dt.datetime, months: int = 12
) -> list[MonthRate]:
    """Inspections passed / inspected per local month, the last ``months`` months, oldest
    first; months without inspections are left out."""
    zone = ZoneInfo(council.timezone)
    today = now.astimezone(zone).date()
    first = today.replace(day=1)
    for _i in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = dt.datetime.combine(first, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    rows = await db.execute(
        sa.select(Inspection.inspected_at, Inspection.passed).where(
            Inspection.council_id == council.id, Inspection.inspected_at >= since
        )
    )
    counts: dict[str, list[int]] = {}
    for at, passed in rows:
        key = at.astimezone(zone).strftime("%Y-%m")
        tally = counts.setdefault(key, [0, 0])
        tally[0] += 1
        tally[1] += int(passed)
    return [MonthRate(k, c[0], c[1]) for k, c in sorted(counts.items())]


@dataclass(frozen=True)
class InspectionRow:
    inspection: Inspection
    shop: Shop
    inspector: str
    failed: list[str]


async def recent(
    db: AsyncSession, council: Council, shop: Shop | None = None, limit: int = 30
) -> list[InspectionRow]:
    stmt = (
        sa.select(Inspection, Shop, Person.display_name)
        .join(Shop, Shop.id == Inspection.shop_id)
        .outerjoin(Person, Person.id == Inspection.inspector_id)
        .where(Inspection.council_id == council.id)
        .order_by(Inspection.inspected_at.desc())
        .limit(limit)
    )
    if shop is not None:
        stmt = stmt.where(Inspection.shop_id == shop.id)
    found = list(await db.execute(stmt))
    ids = [i.id for i, _s, _n in found]
    failed: dict[UUID, list[str]] = {}
    if ids:
        checks = await db.execute(
            sa.select(InspectionCheck.inspection_id, CheckItem.text)
            .join(CheckItem, CheckItem.id == InspectionCheck.item_id)
            .where(InspectionCheck.inspection_id.in_(ids), InspectionCheck.passed.is_(False))
        )
        for inspection_id, text in checks:
            failed.setdefault(inspection_id, []).append(text)
    return [InspectionRow(i, s, n or "", failed.get(i.id, [])) for i, s, n in found]
