"""Consensus → action plan: items per shop, evidence by owners, verification by supervisors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit import service as audit
from council.consultations.common import local_date, parse_date, scoped
from council.consultations.models import (
    ActionItem,
    ActionPlan,
    Evidence,
    Inspection,
    Matter,
    Round,
    Verdict,
    Verification,
)
from council.consultations.schemas import EvidenceForm, InspectionForm, PlanForm, VerifyForm
from council.consultations.workflow import (
    ITEM,
    ItemFacts,
    ItemStatus,
    Outcome,
    PlanFacts,
    RoundStatus,
    plan_problems,
)
from council.councils.models import ClaimStatus, Council, Shop, ShopRepresentative
from council.councils.permissions import STAFF_ROLES, Action, Actor, Visibility, can
from council.councils.service import check
from council.errors import Conflict, FormInvalid, NotFound, TransitionRefused
from council.files import service as files
from council.files.images import ImageRejected
from council.files.models import StoredFile
from council.files.storage import Storage
from council.i18n import _

MAX_SHOPS_PER_PLAN = 500
EVIDENCE_FILES = "action_evidence"


def shop_numbers(text: str) -> list[str]:
    """ "1-3, 7，9" → ["1", "2", "3", "7", "9"]; ranges only between plain integers."""
    numbers: list[str] = []
    for part in re.split(r"[,，\s]+", text.strip()):
        if not part:
            continue
        if re.fullmatch(r"\d+-\d+", part):
            lo, hi = (int(n) for n in part.split("-"))
            if hi < lo or hi - lo >= MAX_SHOPS_PER_PLAN:
                raise FormInvalid({"shops": _("店铺编号范围不正确：%(part)s", part=part)})
            numbers.extend(str(n) for n in range(lo, hi + 1))
        else:
            numbers.append(part)
    return list(dict.fromkeys(numbers))


# --- reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item: ActionItem
    shop: Shop
    overdue: bool


@dataclass(frozen=True)
class Progress:
    plan: ActionPlan
    rows: list[ItemRow]
    inspections: list[tuple[Inspection, str, Shop | None]]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def verified(self) -> int:
        return sum(1 for r in self.rows if r.item.status is ItemStatus.VERIFIED)

    @property
    def overdue(self) -> list[ItemRow]:
        return [r for r in self.rows if r.overdue]

    def count(self, status: ItemStatus) -> int:
        return sum(1 for r in self.rows if r.item.status is status)


OWED = frozenset({ItemStatus.OPEN, ItemStatus.RETURNED})


def is_overdue(item: ActionItem, today: dt.date) -> bool:
    """Past the deadline with no evidence awaiting a check: the owner, not the supervisor,
    is late. Evidence submitted in time and still being verified is not overdue."""
    return item.status in OWED and item.deadline < today


async def get_plan(db: AsyncSession, council: Council, plan_id: UUID | str) -> ActionPlan:
    return await scoped(db, ActionPlan, council.id, plan_id)


async def progress(
    db: AsyncSession, council: Council, plan: ActionPlan, now: dt.datetime
) -> Progress:
    return (await progress_of(db, council, [plan], now))[0]


async def progress_of(
    db: AsyncSession, council: Council, plans: Sequence[ActionPlan], now: dt.datetime
) -> list[Progress]:
    """Each plan's items and inspections, in two statements whatever the number of plans."""
    if not plans:
        return []
    today = local_date(now, council.timezone)
    ids = [plan.id for plan in plans]
    rows = await db.execute(
        sa.select(ActionItem, Shop)
        .join(Shop, Shop.id == ActionItem.shop_id)
        .where(ActionItem.plan_id.in_(ids), ActionItem.council_id == council.id)
    )
    items: dict[UUID, list[ItemRow]] = {}
    for i, s in rows:
        items.setdefault(i.plan_id, []).append(ItemRow(i, s, is_overdue(i, today)))
    for found in items.values():
        found.sort(key=lambda r: (len(r.shop.number), r.shop.number))
    inspections = await db.execute(
        sa.select(Inspection, Person.display_name, Shop)
        .join(Person, Person.id == Inspection.inspector_id)
        .outerjoin(ActionItem, ActionItem.id == Inspection.item_id)
        .outerjoin(Shop, Shop.id == ActionItem.shop_id)
        .where(Inspection.plan_id.in_(ids), Inspection.council_id == council.id)
        .order_by(Inspection.inspected_on.desc(), Inspection.created_at.desc())
    )
    seen: dict[UUID, list[tuple[Inspection, str, Shop | None]]] = {}
    for i, n, s in inspections:
        seen.setdefault(i.plan_id, []).append((i, n, s))
    return [Progress(p, items.get(p.id, []), seen.get(p.id, [])) for p in plans]


async def owned_shop_ids(db: AsyncSession, actor: Actor, council_id: UUID) -> set[UUID]:
    if not actor.signed_in:
        return set()
    rows = await db.execute(
        sa.select(ShopRepresentative.shop_id).where(
            ShopRepresentative.council_id == council_id,
            ShopRepresentative.person_id == actor.person_id,
            ShopRepresentative.status == ClaimStatus.VERIFIED,
        )
    )
    return set(rows.scalars())


async def _owns(db: AsyncSession, actor: Actor, item: ActionItem) -> bool:
    return item.shop_id in await owned_shop_ids(db, actor, item.council_id)


@dataclass(frozen=True)
class ItemDetail:
    item: ActionItem
    plan: ActionPlan
    shop: Shop
    evidence: list[tuple[Evidence, str]]
    files: dict[UUID, list[StoredFile]]
    verifications: list[tuple[Verification, str]]
    owner: bool
    overdue: bool


async def item_detail(
    db: AsyncSession, actor: Actor, council: Council, item_id: UUID | str, now: dt.datetime
) -> ItemDetail:
    """The item with its evidence, for its owner and for staff; anyone else sees 404."""
    item = await scoped(db, ActionItem, council.id, item_id)
    owner = await _owns(db, actor, item)
    staff = actor.is_admin or bool(actor.roles_in(council.id) & STAFF_ROLES)
    if not (owner or staff):
        raise NotFound(_("找不到这个页面"))
    plan = await db.get(ActionPlan, item.plan_id)
    shop = await db.get(Shop, item.shop_id)
    assert plan is not None and shop is not None  # noqa: S101 - foreign keys
    evidence = await db.execute(
        sa.select(Evidence, Person.display_name)
        .join(Person, Person.id == Evidence.uploaded_by_id)
        .where(Evidence.item_id == item.id)
        .order_by(Evidence.created_at)
    )
    verifications = await db.execute(
        sa.select(Verification, Person.display_name)
        .join(Person, Person.id == Verification.verifier_id)
        .where(Verification.item_id == item.id)
        .order_by(Verification.created_at)
    )
    evidence_rows = [(e, n) for e, n in evidence]
    return ItemDetail(
        item,
        plan,
        shop,
        evidence_rows,
        await files.for_parents(db, EVIDENCE_FILES, [e.id for e, _n in evidence_rows]),
        [(v, n) for v, n in verifications],
        owner,
        is_overdue(item, local_date(now, council.timezone)),
    )


async def my_items(db: AsyncSession, actor: Actor, plan: ActionPlan) -> list[ActionItem]:
    shops = await owned_shop_ids(db, actor, plan.council_id)
    if not shops:
        return []
    stmt = sa.select(ActionItem).where(ActionItem.plan_id == plan.id, ActionItem.shop_id.in_(shops))
    return list((await db.execute(stmt)).scalars())


# --- changes --------------------------------------------------------------------------------


async def create_plan(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    round_id: UUID,
    form: PlanForm,
    now: dt.datetime,
) -> ActionPlan:
    """Turn a round's consensus into a plan with one item per shop (rule 25)."""
    check(actor, council, Action.MANAGE_CONSULTATIONS, _("只有主持人可以制定行动计划"))
    round_ = await scoped(db, Round, council.id, round_id)
    if round_.status is not RoundStatus.CLOSED or round_.outcome is not Outcome.CONSENSUS:
        raise TransitionRefused(_("只有达成共识的协商轮次可以转为行动计划"))
    values = {
        name: getattr(form, name)
        for name in form.__struct_fields__
        if isinstance(getattr(form, name), str)
    }
    numbers = shop_numbers(form.shops)
    found = {
        s.number: s
        for s in (
            await db.execute(
                sa.select(Shop).where(Shop.council_id == council.id, Shop.number.in_(numbers))
            )
        ).scalars()
    }
    unknown = [n for n in numbers if n not in found]
    if unknown:
        message = _("本议事会没有这些编号的店铺：%(list)s", list="、".join(unknown[:10]))
        raise FormInvalid({"shops": message}, values)
    deadline = parse_date(form.deadline)
    facts = PlanFacts(
        merchants_pay=form.merchants_pay,
        agreed_text=form.agreed_text,
        owners=len(numbers),
        has_deadline=deadline is not None,
        deadline_passed=deadline is not None and deadline < local_date(now, council.timezone),
        supervision_group=form.supervision_group,
        inspection_frequency=form.inspection_frequency,
        acceptance_method=form.acceptance_method,
    )
    if problems := plan_problems(facts):
        raise FormInvalid(problems, values)
    assert deadline is not None  # noqa: S101 - plan_problems checks it
    plan = ActionPlan(
        council_id=council.id,
        matter_id=round_.matter_id,
        round_id=round_.id,
        title=form.title,
        agreed_text=form.agreed_text,
        merchants_pay=form.merchants_pay,
        deadline=deadline,
        supervision_group=form.supervision_group,
        inspection_frequency=form.inspection_frequency,
        acceptance_method=form.acceptance_method,
        created_by_id=actor.person_id,
    )
    db.add(plan)
    await db.flush()
    for number in numbers:
        db.add(
            ActionItem(
                council_id=council.id,
                plan_id=plan.id,
                shop_id=found[number].id,
                obligation=form.obligation,
                payer=form.payer,
                deadline=deadline,
            )
        )
    await db.flush()
    matter = await db.get(Matter, round_.matter_id)
    await audit.record_by(
        db,
        actor,
        council.id,
        "plan.created",
        ("action_plan", plan.id),
        {
            "matter": matter.title if matter else "",
            "round": round_.number,
            "shops": numbers,
            "deadline": deadline.isoformat(),
            "merchants_pay": form.merchants_pay,
        },
        at=now,
    )
    return plan


async def submit_evidence(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    item_id: UUID,
    form: EvidenceForm,
    now: dt.datetime,
    *,
    uploads: Sequence[UploadFile] = (),
    storage: Storage | None = None,
    uploads_per_hour: int = 20,
) -> Evidence:
    """Only a verified representative of the item's shop; to anyone else the item is missing.

    Photos go through the shared uploads module (checked, re-encoded, visible to the
    uploader and the council's staff only), and only after the ownership check."""
    item = await scoped(db, ActionItem, council.id, item_id)
    if not can(actor, Action.SUBMIT_EVIDENCE, council.id) or not await _owns(db, actor, item):
        raise NotFound(_("找不到这个页面"))
    if item.status is ItemStatus.VERIFIED:
        raise Conflict(_("这一项已核验通过，不需要再提交材料"))
    assert actor.person_id is not None  # noqa: S101 - owners are signed in
    try:
        images = await files.clean_uploads(uploads)
    except ImageRejected as exc:
        raise FormInvalid({"photos": str(exc)}, {"note": form.note}) from exc
    await files.check_quota(db, actor.person_id, len(images), uploads_per_hour, now)
    evidence = Evidence(
        council_id=council.id,
        item_id=item.id,
        uploaded_by_id=actor.person_id,
        note=form.note,
    )
    db.add(evidence)
    await db.flush()
    stored = []
    if images:
        assert storage is not None  # noqa: S101 - the controller passes the app's storage
        stored = await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, EVIDENCE_FILES, evidence.id),
            owner_id=actor.person_id,
            visibility=Visibility.OWNER,
            now=now,
        )
    if item.status is not ItemStatus.SUBMITTED:
        item.status = ITEM.advance(item.status, ItemStatus.SUBMITTED, ItemFacts(has_evidence=True))
    await audit.record_by(
        db,
        actor,
        council.id,
        "item.evidence_submitted",
        ("action_item", item.id),
        {"evidence": evidence.id.hex, "files": [f.name for f in stored]},
        at=now,
    )
    return evidence


async def verify_item(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    item_id: UUID,
    form: VerifyForm,
    now: dt.datetime,
) -> Verification:
    """通过 or 退回 the latest evidence; never one's own item or evidence (rule 12)."""
    check(actor, council, Action.VERIFY_ACTION_ITEMS, _("只有监督员可以核验"))
    item = await scoped(db, ActionItem, council.id, item_id)
    latest = await db.scalar(
        sa.select(Evidence)
        .where(Evidence.item_id == item.id)
        .order_by(Evidence.created_at.desc())
        .limit(1)
    )
    facts = ItemFacts(
        has_evidence=latest is not None,
        actor_owns_item=await _owns(db, actor, item),
        actor_uploaded_evidence=latest is not None and latest.uploaded_by_id == actor.person_id,
        reason=form.reason,
    )
    target = ItemStatus.VERIFIED if form.verdict is Verdict.PASSED else ItemStatus.RETURNED
    item.status = ITEM.advance(item.status, target, facts)
    assert latest is not None and actor.person_id is not None  # noqa: S101 - gate checked
    if target is ItemStatus.VERIFIED:
        item.verified_at = now
    verification = Verification(
        council_id=council.id,
        item_id=item.id,
        evidence_id=latest.id,
        verifier_id=actor.person_id,
        verdict=form.verdict,
        reason=form.reason,
    )
    db.add(verification)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "item.verified" if target is ItemStatus.VERIFIED else "item.returned",
        ("action_item", item.id),
        {"evidence": latest.id.hex, "reason": form.reason},
        at=now,
    )
    return verification


async def record_inspection(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    plan_id: UUID,
    form: InspectionForm,
    now: dt.datetime,
) -> Inspection:
    check(actor, council, Action.RECORD_INSPECTIONS, _("只有监督小组可以记录巡查"))
    plan = await get_plan(db, council, plan_id)
    day = parse_date(form.date)
    if day is None:
        raise FormInvalid({"date": _("请填写有效的日期")}, {"note": form.note})
    if day > local_date(now, council.timezone):
        # A record of what was seen: a day still to come has not been inspected.
        raise FormInvalid(
            {"date": _("巡查日期不能晚于今天")}, {"note": form.note, "date": form.date}
        )
    item_id = None
    if form.shop_number:
        item_id = await db.scalar(
            sa.select(ActionItem.id)
            .join(Shop, Shop.id == ActionItem.shop_id)
            .where(ActionItem.plan_id == plan.id, Shop.number == form.shop_number)
        )
        if item_id is None:
            raise FormInvalid(
                {"shop_number": _("这个店铺不在本行动计划中")},
                {"note": form.note, "date": form.date},
            )
    assert actor.person_id is not None  # noqa: S101 - the action needs a signed-in person
    inspection = Inspection(
        council_id=council.id,
        plan_id=plan.id,
        item_id=item_id,
        inspector_id=actor.person_id,
        inspected_on=day,
        note=form.note,
    )
    db.add(inspection)
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "inspection.recorded",
        ("action_plan", plan.id),
        {"date": day.isoformat(), "shop": form.shop_number, "note": form.note[:200]},
        at=now,
    )
    return inspection
