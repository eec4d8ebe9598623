"""Councils, their members and shops: reads for pages and the facilitator's changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from council.accounts.models import Person
from council.accounts.names import mask
from council.audit import service as audit
from council.councils.models import (
    ClaimStatus,
    Constituency,
    Council,
    Membership,
    Role,
    Shop,
    ShopRepresentative,
)
from council.councils.permissions import (
    Action,
    Actor,
    appointing_action,
    can,
    conflicting_role,
)
from council.councils.schemas import (
    DEFAULT_CONSTITUENCIES,
    AppointForm,
    ClaimForm,
    CouncilForm,
    DecisionForm,
    MemberForm,
    SettingsForm,
    ShopForm,
)
from council.errors import Conflict, FormInvalid, FormRefused, NotAllowed, NotFound
from council.i18n import N_, _
from council.paging import page_of

ROLE_LABELS = {
    Role.RESIDENT: N_("居民"),
    Role.MERCHANT: N_("商户"),
    Role.MEMBER: N_("议事会成员"),
    Role.OBSERVER: N_("列席"),
    Role.SUPERVISOR: N_("监督员"),
    Role.FACILITATOR: N_("主持人"),
}


STATUS_LABELS = {
    ClaimStatus.PENDING: N_("待核实"),
    ClaimStatus.VERIFIED: N_("已核实"),
    ClaimStatus.REJECTED: N_("未通过"),
    ClaimStatus.ENDED: N_("已结束"),
}


def role_label(role: Role) -> str:
    return _(ROLE_LABELS[role])


def status_label(status: ClaimStatus) -> str:
    return _(STATUS_LABELS[status])


# --- reads ----------------------------------------------------------------------------------


def _councils_with_counts() -> sa.Select[Any]:
    """Councils with their count of shops and verified members."""
    shops = sa.select(sa.func.count(Shop.id)).where(Shop.council_id == Council.id).scalar_subquery()
    members = (
        sa.select(sa.func.count(Membership.id))
        .where(
            Membership.council_id == Council.id,
            Membership.role == Role.MEMBER,
            Membership.status == ClaimStatus.VERIFIED,
        )
        .scalar_subquery()
    )
    return sa.select(Council, shops, members)


async def list_councils(db: AsyncSession) -> list[tuple[Council, int, int]]:
    """Every council with its count of shops and verified members, the oldest first."""
    rows = await db.execute(_councils_with_counts().order_by(Council.created_at, Council.id))
    return [(c, int(s), int(m)) for c, s, m in rows]


async def council_page(
    db: AsyncSession, *, after: UUID | None = None
) -> tuple[list[tuple[Council, int, int]], UUID | None]:
    """The home page's councils, as ``list_councils``, a page at a time; and the council to
    continue after."""
    found = await page_of(
        db,
        _councils_with_counts(),
        order=[Council.created_at],
        ident=Council.id,
        after=after,
        newest_first=False,
    )
    return [(row[0], int(row[1]), int(row[2])) for row in found.rows], found.next


async def get_by_slug(db: AsyncSession, slug: str) -> Council:
    council = await db.scalar(sa.select(Council).where(Council.slug == slug))
    if council is None:
        raise NotFound(_("找不到这个议事会"))
    return council


def check(actor: Actor, council: Council, action: Action, message: str | None = None) -> None:
    """The one refusal rule: 404 to whoever may not see (like a wrong address), 403 with the
    reason to the council's own people who see the page but may not do this."""
    if can(actor, action, council.id):
        return
    if action.value.startswith("view_") or not actor.roles_in(council.id):
        raise NotFound(_("找不到这个页面"))
    raise NotAllowed(message or _("您在这个议事会没有此项权限"))


async def require(db: AsyncSession, actor: Actor, slug: str, action: Action) -> Council:
    """The council at ``slug``, if the actor may do ``action`` there (see ``check``)."""
    council = await get_by_slug(db, slug)
    check(actor, council, action)
    return council


async def constituencies(db: AsyncSession, council_id: UUID) -> list[Constituency]:
    stmt = (
        sa.select(Constituency)
        .where(Constituency.council_id == council_id)
        .order_by(Constituency.position)
    )
    return list((await db.execute(stmt)).scalars())


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    person: Person
    constituency: Constituency | None


async def members(
    db: AsyncSession,
    council_id: UUID,
    *,
    status: ClaimStatus = ClaimStatus.VERIFIED,
    roles: Sequence[Role] | None = None,
) -> list[MemberRow]:
    found = await members_of(db, [council_id], status=status, roles=roles)
    return found.get(council_id, [])


async def members_of(
    db: AsyncSession,
    council_ids: Sequence[UUID],
    *,
    status: ClaimStatus = ClaimStatus.VERIFIED,
    roles: Sequence[Role] | None = None,
) -> dict[UUID, list[MemberRow]]:
    """The members of several councils in one query, by council."""
    stmt = (
        sa.select(Membership, Person, Constituency)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(Constituency, Constituency.id == Membership.constituency_id)
        .where(Membership.council_id.in_(council_ids), Membership.status == status)
        .order_by(Constituency.position.nulls_last(), Membership.role, Person.display_name)
        # Lists show names and contacts; secrets stay unread (and unreadable from here).
        .options(
            defer(Person.password_hash, raiseload=True), defer(Person.totp_secret, raiseload=True)
        )
    )
    if roles:
        stmt = stmt.where(Membership.role.in_(roles))
    found: dict[UUID, list[MemberRow]] = {}
    for m, p, c in await db.execute(stmt):
        found.setdefault(m.council_id, []).append(MemberRow(m, p, c))
    return found


def street_order(number: str) -> tuple[int, str]:
    """Sort key of a shop number, a text ("2", "12", "12A"): 2 comes before 10, not after."""
    return (len(number), number)


async def shops(db: AsyncSession, council_id: UUID) -> list[tuple[Shop, list[str]]]:
    """Shops in number order with their verified representatives' names."""
    shop_rows = (await db.execute(sa.select(Shop).where(Shop.council_id == council_id))).scalars()
    reps = await db.execute(
        sa.select(ShopRepresentative.shop_id, Person.display_name)
        .join(Person, Person.id == ShopRepresentative.person_id)
        .where(
            ShopRepresentative.council_id == council_id,
            ShopRepresentative.status == ClaimStatus.VERIFIED,
        )
    )
    names: dict[UUID, list[str]] = {}
    for shop_id, name in reps:
        names.setdefault(shop_id, []).append(name)
    ordered = sorted(shop_rows, key=lambda s: street_order(s.number))
    return [(s, names.get(s.id, [])) for s in ordered]


async def shop_count(db: AsyncSession, council_id: UUID) -> int:
    return int(
        await db.scalar(sa.select(sa.func.count(Shop.id)).where(Shop.council_id == council_id)) or 0
    )


@dataclass(frozen=True)
class PendingClaims:
    memberships: list[tuple[Membership, Person]]
    shops: list[tuple[ShopRepresentative, Person, Shop]]

    def __len__(self) -> int:
        return len(self.memberships) + len(self.shops)


async def pending_claims(db: AsyncSession, council_id: UUID) -> PendingClaims:
    memberships = await db.execute(
        sa.select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.council_id == council_id, Membership.status == ClaimStatus.PENDING)
        .order_by(Membership.created_at)
    )
    reps = await db.execute(
        sa.select(ShopRepresentative, Person, Shop)
        .join(Person, Person.id == ShopRepresentative.person_id)
        .join(Shop, Shop.id == ShopRepresentative.shop_id)
        .where(
            ShopRepresentative.council_id == council_id,
            ShopRepresentative.status == ClaimStatus.PENDING,
        )
        .order_by(ShopRepresentative.created_at)
    )
    return PendingClaims([(m, p) for m, p in memberships], [(r, p, s) for r, p, s in reps])


@dataclass(frozen=True)
class MyCouncil:
    council: Council
    roles: list[Membership]
    shops: list[tuple[ShopRepresentative, Shop]]


async def my_councils(db: AsyncSession, person_id: UUID) -> list[MyCouncil]:
    memberships = (
        await db.execute(
            sa.select(Membership)
            .where(Membership.person_id == person_id, Membership.status != ClaimStatus.ENDED)
            .order_by(Membership.created_at)
        )
    ).scalars()
    reps = await db.execute(
        sa.select(ShopRepresentative, Shop)
        .join(Shop, Shop.id == ShopRepresentative.shop_id)
        .where(ShopRepresentative.person_id == person_id)
    )
    by_council: dict[UUID, MyCouncil] = {}
    council_ids = set()
    roles: dict[UUID, list[Membership]] = {}
    shop_claims: dict[UUID, list[tuple[ShopRepresentative, Shop]]] = {}
    for m in memberships:
        council_ids.add(m.council_id)
        roles.setdefault(m.council_id, []).append(m)
    for r, s in reps:
        council_ids.add(r.council_id)
        shop_claims.setdefault(r.council_id, []).append((r, s))
    if council_ids:
        councils = (
            await db.execute(sa.select(Council).where(Council.id.in_(council_ids)))
        ).scalars()
        for c in councils:
            by_council[c.id] = MyCouncil(c, roles.get(c.id, []), shop_claims.get(c.id, []))
    return sorted(by_council.values(), key=lambda mc: mc.council.name)


async def _person_by_login(db: AsyncSession, login: str, field: str = "login") -> Person:
    person = await db.scalar(sa.select(Person).where(Person.login == login.strip().lower()))
    if person is None:
        raise FormInvalid({field: _("找不到这个账号，请先请对方注册")}, {field: login})
    return person


# --- changes --------------------------------------------------------------------------------


async def create_council(
    db: AsyncSession, actor: Actor, form: CouncilForm, now: dt.datetime
) -> Council:
    if not can(actor, Action.CREATE_COUNCIL):
        raise NotAllowed(_("只有管理员可以创建议事会"))
    if await db.scalar(sa.select(Council.id).where(Council.slug == form.slug)):
        raise FormInvalid({"slug": _("这个网址名已被使用")}, {"slug": form.slug})
    council = Council(
        slug=form.slug,
        name=form.name,
        street=form.street,
        district=form.district,
        meeting_place=form.meeting_place,
        description=form.description,
        notice_period_days=form.notice_period_days,
    )
    db.add(council)
    await db.flush()
    for position, (kind, name, seats) in enumerate(DEFAULT_CONSTITUENCIES):
        db.add(
            Constituency(
                council_id=council.id, kind=kind, name=name, seats=seats, position=position
            )
        )
    await audit.record_by(
        db,
        actor,
        council.id,
        "council.created",
        ("council", council.id),
        {"name": council.name, "notice_period_days": council.notice_period_days},
        at=now,
    )
    return council


async def update_settings(
    db: AsyncSession, actor: Actor, council: Council, form: SettingsForm, now: dt.datetime
) -> None:
    if not can(actor, Action.EDIT_SETTINGS, council.id):
        raise NotAllowed(_("只有主持人可以修改议事会设置"))
    before = {
        "notice_period_days": council.notice_period_days,
        "objection_answer_days": council.objection_answer_days,
        "meeting_place": council.meeting_place,
    }
    council.description = form.description
    council.meeting_place = form.meeting_place
    council.notice_period_days = form.notice_period_days
    council.objection_answer_days = form.objection_answer_days
    after = {
        "notice_period_days": form.notice_period_days,
        "objection_answer_days": form.objection_answer_days,
        "meeting_place": form.meeting_place,
    }
    await audit.record_by(
        db,
        actor,
        council.id,
        "council.settings_changed",
        ("council", council.id),
        {"before": before, "after": after},
        at=now,
    )


async def grant(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    person: Person,
    role: Role,
    now: dt.datetime,
    *,
    constituency_id: UUID | None = None,
    title: str = "",
    values: Mapping[str, object] | None = None,
) -> Membership:
    """Give a verified role, or verify/renew an existing pending or ended one; ``values`` is
    the form to show again when the person may not hold this role beside one they have."""
    held = (
        await db.execute(
            sa.select(Membership.role).where(
                Membership.council_id == council.id,
                Membership.person_id == person.id,
                Membership.status == ClaimStatus.VERIFIED,
            )
        )
    ).scalars()
    other = conflicting_role(set(held), role)
    if other is not None:
        message = _(
            "%(name)s 是本议事会的%(held)s，不能同时担任%(role)s",
            name=person.display_name,
            held=role_label(other),
            role=role_label(role),
        )
        raise FormInvalid({"login": message}, values)
    membership = await db.scalar(
        sa.select(Membership).where(
            Membership.council_id == council.id,
            Membership.person_id == person.id,
            Membership.role == role,
        )
    )
    if membership is not None and membership.status == ClaimStatus.VERIFIED:
        raise Conflict(
            _("%(name)s 已是本议事会的%(role)s", name=person.display_name, role=role_label(role))
        )
    if membership is None:
        membership = Membership(council_id=council.id, person_id=person.id, role=role)
        db.add(membership)
    membership.status = ClaimStatus.VERIFIED
    membership.constituency_id = constituency_id
    membership.title = title
    membership.decided_by_id = actor.person_id
    membership.decided_at = now
    await db.flush()
    await audit.record_by(
        db,
        actor,
        council.id,
        "membership.granted",
        ("membership", membership.id),
        {"person": person.display_name, "role": role.value, "title": title},
        at=now,
    )
    return membership


async def appoint_facilitator(
    db: AsyncSession, actor: Actor, council: Council, form: AppointForm, now: dt.datetime
) -> Membership:
    if not can(actor, Action.APPOINT_FACILITATOR, council.id):
        raise NotAllowed(_("只有管理员可以任命主持人"))
    person = await _person_by_login(db, form.login)
    return await grant(
        db, actor, council, person, Role.FACILITATOR, now, values={"login": form.login}
    )


async def add_member(
    db: AsyncSession, actor: Actor, council: Council, form: MemberForm, now: dt.datetime
) -> Membership:
    if not can(actor, Action.MANAGE_MEMBERS, council.id):
        raise NotAllowed(_("只有主持人可以添加成员"))
    values = {
        "login": form.login,
        "role": form.role.value,
        "constituency_id": form.constituency_id,
        "title": form.title,
    }
    if form.role is Role.FACILITATOR:
        raise FormInvalid({"role": _("主持人由管理员任命")}, values)
    if not can(actor, appointing_action(form.role), council.id):
        message = _("%(role)s由街道管理员任命，主持人不能任命", role=role_label(form.role))
        raise FormRefused({"role": message}, values)
    person = await _person_by_login(db, form.login)
    constituency_id = None
    if form.role is Role.MEMBER:
        constituency = await _constituency_by_hex(db, council, form.constituency_id)
        if constituency is None:
            raise FormInvalid({"constituency_id": _("议事会成员须选择界别")}, values)
        constituency_id = constituency.id
    return await grant(
        db,
        actor,
        council,
        person,
        form.role,
        now,
        constituency_id=constituency_id,
        title=form.title,
        values=values,
    )


async def _constituency_by_hex(
    db: AsyncSession, council: Council, value: str
) -> Constituency | None:
    try:
        wanted = UUID(value)
    except ValueError:
        return None
    return await db.scalar(
        sa.select(Constituency).where(
            Constituency.council_id == council.id, Constituency.id == wanted
        )
    )


async def end_membership(
    db: AsyncSession, actor: Actor, council: Council, membership_id: UUID, now: dt.datetime
) -> None:
    membership = await db.scalar(
        sa.select(Membership).where(
            Membership.id == membership_id, Membership.council_id == council.id
        )
    )
    if membership is None:
        raise NotFound(_("找不到这条成员记录"))
    if not can(actor, appointing_action(membership.role), council.id):
        raise NotAllowed(_("您没有权限移除这位成员"))
    if membership.status is ClaimStatus.ENDED:
        raise Conflict(_("这条成员记录已经结束"))
    membership.status = ClaimStatus.ENDED
    membership.decided_by_id = actor.person_id
    membership.decided_at = now
    await audit.record_by(
        db,
        actor,
        council.id,
        "membership.ended",
        ("membership", membership.id),
        {"role": membership.role.value},
        at=now,
    )


async def add_shop(
    db: AsyncSession, actor: Actor, council: Council, form: ShopForm, now: dt.datetime
) -> Shop:
    if not can(actor, Action.MANAGE_SHOPS, council.id):
        raise NotAllowed(_("只有主持人可以添加店铺"))
    duplicate = _("本议事会已有编号为 %(number)s 的店铺", number=form.number)
    values = {"number": form.number, "name": form.name, "address": form.address}
    if await db.scalar(
        sa.select(Shop.id).where(Shop.council_id == council.id, Shop.number == form.number)
    ):
        raise FormInvalid({"number": duplicate}, values)
    shop = Shop(
        council_id=council.id,
        number=form.number,
        name=form.name,
        address=form.address,
        category=form.category,
    )
    db.add(shop)
    try:
        # The unique constraint decides when two facilitators add the same number at once.
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        raise FormInvalid({"number": duplicate}, values) from exc
    await audit.record_by(
        db,
        actor,
        council.id,
        "shop.added",
        ("shop", shop.id),
        {"number": shop.number, "name": shop.name},
        at=now,
    )
    return shop


async def claim(
    db: AsyncSession,
    actor: Actor,
    person: Person,
    council: Council,
    form: ClaimForm,
    now: dt.datetime,
) -> Membership | ShopRepresentative:
    """A person says "I live here" or "I run shop No. 12"; a facilitator decides later."""
    if not can(actor, Action.CLAIM_MEMBERSHIP, council.id):
        raise NotAllowed(_("请先登录"))
    if form.kind == "resident":
        existing = await db.scalar(
            sa.select(Membership).where(
                Membership.council_id == council.id,
                Membership.person_id == person.id,
                Membership.role == Role.RESIDENT,
            )
        )
        if existing is not None and existing.status in (ClaimStatus.PENDING, ClaimStatus.VERIFIED):
            raise Conflict(_("您已提交过居民身份申请"))
        if existing is None:
            existing = Membership(council_id=council.id, person_id=person.id, role=Role.RESIDENT)
            db.add(existing)
        existing.status = ClaimStatus.PENDING
        existing.claim_note = form.note
        await db.flush()
        record: Membership | ShopRepresentative = existing
    else:
        shop = await db.scalar(
            sa.select(Shop).where(Shop.council_id == council.id, Shop.number == form.shop_number)
        )
        if shop is None:
            raise FormInvalid({"shop_number": _("本议事会没有这个编号的店铺")}, {"note": form.note})
        rep = await db.scalar(
            sa.select(ShopRepresentative).where(
                ShopRepresentative.shop_id == shop.id, ShopRepresentative.person_id == person.id
            )
        )
        if rep is not None and rep.status in (ClaimStatus.PENDING, ClaimStatus.VERIFIED):
            raise Conflict(_("您已提交过这家店铺的申请"))
        if rep is None:
            rep = ShopRepresentative(council_id=council.id, shop_id=shop.id, person_id=person.id)
            db.add(rep)
        rep.status = ClaimStatus.PENDING
        rep.claim_note = form.note
        await db.flush()
        record = rep
    await audit.record(
        db,
        council_id=council.id,
        actor_id=person.id,
        # The public log shows a pending claimant by surname only: the claim is not public.
        actor_label=mask(person.display_name),
        action="claim.submitted",
        object_type="membership" if isinstance(record, Membership) else "shop_representative",
        object_id=record.id,
        summary={"kind": form.kind, "shop_number": form.shop_number},
        at=now,
    )
    return record


async def decide_claim(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    kind: str,
    claim_id: UUID,
    form: DecisionForm,
    now: dt.datetime,
) -> None:
    if not can(actor, Action.VERIFY_CLAIMS, council.id):
        raise NotAllowed(_("只有主持人可以审核身份申请"))
    model = ShopRepresentative if kind == "shop" else Membership
    record = await db.scalar(
        sa.select(model).where(model.id == claim_id, model.council_id == council.id)
    )
    if record is None:
        raise NotFound(_("找不到这条申请"))
    if record.status is not ClaimStatus.PENDING:
        raise Conflict(_("这条申请已经处理过了"))
    if form.decision == "reject" and not form.reason:
        raise FormInvalid({"reason": _("驳回时请写明理由")})
    verified = form.decision == "verify"
    record.status = ClaimStatus.VERIFIED if verified else ClaimStatus.REJECTED
    record.decided_by_id = actor.person_id
    record.decided_at = now
    if isinstance(record, Membership):
        record.decision_reason = form.reason
    elif verified:
        await ensure_merchant_role(db, actor, council, record.person_id, now)
    await audit.record_by(
        db,
        actor,
        council.id,
        "claim.verified" if verified else "claim.rejected",
        ("shop_representative" if kind == "shop" else "membership", record.id),
        {"reason": form.reason},
        at=now,
    )


async def ensure_merchant_role(
    db: AsyncSession, actor: Actor, council: Council, person_id: UUID, now: dt.datetime
) -> None:
    """A verified shop representative holds the merchant role in that council."""
    membership = await db.scalar(
        sa.select(Membership).where(
            Membership.council_id == council.id,
            Membership.person_id == person_id,
            Membership.role == Role.MERCHANT,
        )
    )
    if membership is None:
        membership = Membership(council_id=council.id, person_id=person_id, role=Role.MERCHANT)
        db.add(membership)
    membership.status = ClaimStatus.VERIFIED
    membership.decided_by_id = actor.person_id
    membership.decided_at = now
    await db.flush()
