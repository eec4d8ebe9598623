"""Issues: submit, co-sign, comment, triage, merge, refer; the reads their pages need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.names import mask
from council.audit import service as audit
from council.councils.models import (
    ClaimStatus,
    Constituency,
    ConstituencyKind,
    Council,
    Membership,
    Role,
    Shop,
    ShopRepresentative,
)
from council.councils.permissions import Action, Actor, Visibility, can, can_see
from council.errors import Conflict, FormInvalid, NotAllowed, NotFound
from council.files import service as files
from council.files.images import CleanImage
from council.files.storage import Storage
from council.i18n import _
from council.issues import workflow
from council.issues.models import (
    IntakeSettings,
    Issue,
    IssueComment,
    IssueCosign,
    IssueEvent,
)
from council.issues.schemas import (
    CommentForm,
    IntakeSettingsForm,
    IssueForm,
    SnapForm,
    TransitionForm,
)
from council.issues.snap import suggest_category
from council.issues.workflow import IssueKind, IssueStatus
from council.notifications import service as notifications
from council.paging import page_of

FILE_PARENT = "issue"
ROLE_PREFIX = {Role.RESIDENT: "居民", Role.MERCHANT: "商户", Role.MEMBER: "议事会成员"}


def visibility_of(issue: Issue) -> Visibility:
    """Waiting issues stay inside the council; decided ones are public; withdrawn, private."""
    if issue.status in workflow.PUBLIC:
        return Visibility.PUBLIC
    if issue.status is IssueStatus.WITHDRAWN:
        return Visibility.OWNER
    return Visibility.COUNCIL


def link(council: Council, issue: Issue) -> str:
    return f"/c/{council.slug}/issues/{issue.id}"


# --- settings -------------------------------------------------------------------------------


async def intake_settings(
    db: AsyncSession, council_id: UUID, *, lock: bool = False
) -> IntakeSettings:
    """This council's settings row, created with defaults on first use.

    ``lock`` takes it FOR UPDATE: numbering a new issue queues on this row.
    """
    stmt = sa.select(IntakeSettings).where(IntakeSettings.council_id == council_id)
    if lock:
        stmt = stmt.with_for_update()
    row = await db.scalar(stmt)
    if row is None:
        row = IntakeSettings(council_id=council_id)
        try:
            async with db.begin_nested():
                db.add(row)
                await db.flush()
        except IntegrityError:
            row = (await db.execute(stmt)).scalar_one()
    return row


async def update_settings(
    db: AsyncSession, actor: Actor, council: Council, form: IntakeSettingsForm, now: dt.datetime
) -> None:
    if not can(actor, Action.EDIT_SETTINGS, council.id):
        raise NotAllowed(_("只有主持人可以修改诉求设置"))
    categories = [c.strip()[:60] for c in form.categories.splitlines() if c.strip()]
    if not categories:
        raise FormInvalid({"categories": _("至少填写一个类别")}, {"categories": form.categories})
    row = await intake_settings(db, council.id, lock=True)
    row.cosign_threshold = form.cosign_threshold
    row.cosign_days = form.cosign_days
    row.categories = "\n".join(dict.fromkeys(categories))
    await audit.record(
        db,
        council_id=council.id,
        actor_id=actor.person_id,
        actor_label=actor.display_name,
        action="issue.settings_changed",
        object_type="council",
        object_id=council.id,
        summary={
            "cosign_threshold": row.cosign_threshold,
            "cosign_days": row.cosign_days,
            "categories": categories,
        },
        at=now,
    )


# --- reads ----------------------------------------------------------------------------------


async def get_visible(
    db: AsyncSession, actor: Actor, council: Council, issue_id: UUID, *, lock: bool = False
) -> Issue:
    """The issue if this person may see it; a forbidden one is reported missing (404)."""
    stmt = sa.select(Issue).where(Issue.id == issue_id, Issue.council_id == council.id)
    if lock:
        stmt = stmt.with_for_update()
    issue = await db.scalar(stmt)
    if issue is None or not can_see(
        actor, visibility_of(issue), council.id, owner_id=issue.submitter_id
    ):
        raise NotFound(_("找不到这个诉求"))
    return issue


async def cosign_counts(db: AsyncSession, issue_ids: Iterable[UUID]) -> dict[UUID, int]:
    ids = list(issue_ids)
    if not ids:
        return {}
    rows = await db.execute(
        sa.select(IssueCosign.issue_id, sa.func.count(IssueCosign.id))
        .where(IssueCosign.issue_id.in_(ids))
        .group_by(IssueCosign.issue_id)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({issue_id: int(n) for issue_id, n in rows})
    return counts


def _cosign_count_column() -> Any:
    return (
        sa.select(sa.func.count(IssueCosign.id))
        .where(IssueCosign.issue_id == Issue.id)
        .correlate(Issue)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class IssueRow:
    issue: Issue
    cosigns: int
    submitter: str  # as the public may see it


async def _submitter_labels(db: AsyncSession, issues: Sequence[Issue]) -> dict[UUID, str]:
    people = (
        {
            p.id: p
            for p in (
                await db.execute(
                    sa.select(Person).where(Person.id.in_({i.submitter_id for i in issues}))
                )
            ).scalars()
        }
        if issues
        else {}
    )
    shop_ids = {i.shop_id for i in issues if i.shop_id}
    shops = (
        {
            s.id: s
            for s in (await db.execute(sa.select(Shop).where(Shop.id.in_(shop_ids)))).scalars()
        }
        if shop_ids
        else {}
    )
    labels = {}
    for issue in issues:
        person = people.get(issue.submitter_id)
        labels[issue.id] = public_label(issue, person, shops.get(issue.shop_id))  # type: ignore[arg-type]
    return labels


def public_label(issue: Issue, person: Person | None, shop: Shop | None) -> str:
    """居民 张** or 商户 1 号 老王烧烤: the only way a submitter appears in public."""
    if issue.kind is IssueKind.PROPOSAL and shop is not None:
        return _("商户 %(number)s 号 %(name)s", number=shop.number, name=shop.name)
    name = person.display_name if person else _("（已注销）")
    if issue.party:
        return _("社区党组织 %(name)s", name=name)
    prefix = _(ROLE_PREFIX.get(issue.submitter_role, "居民"))
    return f"{prefix} {mask(name) if issue.masked else name}"


async def _rows(db: AsyncSession, stmt: Any) -> list[IssueRow]:
    return await _issue_rows(db, (await db.execute(stmt)).all())


async def _issue_rows(db: AsyncSession, results: Sequence[Any]) -> list[IssueRow]:
    """(issue, cosign count) rows with the submitter as the public may see them."""
    issues = [r[0] for r in results]
    labels = await _submitter_labels(db, issues)
    return [IssueRow(r[0], int(r[1]), labels[r[0].id]) for r in results]


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class IssuePage:
    rows: list[IssueRow]
    next: UUID | None  # the issue to continue after


def _public_issues(
    council: Council, status: IssueStatus | None, category: str, q: str
) -> sa.Select[Any]:
    """Decided issues only: pending and withdrawn ones never reach a public list (S18)."""
    stmt = sa.select(Issue, _cosign_count_column()).where(
        Issue.council_id == council.id, Issue.status.in_(workflow.PUBLIC)
    )
    if status is not None:
        stmt = stmt.where(Issue.status == status)
    if category:
        stmt = stmt.where(Issue.category == category)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            sa.or_(Issue.title.ilike(pattern, escape="\\"), Issue.body.ilike(pattern, escape="\\"))
        )
    return stmt


async def public_list(
    db: AsyncSession,
    council: Council,
    *,
    status: IssueStatus | None = None,
    category: str = "",
    q: str = "",
    limit: int = 200,
) -> list[IssueRow]:
    """The public issues, the latest first, at most ``limit`` of them."""
    stmt = _public_issues(council, status, category, q)
    return await _rows(db, stmt.order_by(Issue.submitted_at.desc()).limit(limit))


async def public_page(
    db: AsyncSession,
    council: Council,
    *,
    status: IssueStatus | None = None,
    category: str = "",
    q: str = "",
    after: UUID | None = None,
) -> IssuePage:
    """The public issues, the latest first, a page at a time after the issue ``after``."""
    stmt = _public_issues(council, status, category, q)
    found = await page_of(db, stmt, order=[Issue.number], ident=Issue.id, after=after)
    return IssuePage(await _issue_rows(db, found.rows), found.next)


def cosign_ends(issue: Issue, days: int) -> dt.datetime:
    return issue.submitted_at + dt.timedelta(days=days)


@dataclass(frozen=True)
class Waiting:
    """An issue in its co-sign period (待附议), as the council's people see it."""

    row: IssueRow
    threshold: int
    days_left: int  # whole days, counting a part day as one


async def waiting_for_cosigns(
    db: AsyncSession, council: Council, now: dt.datetime
) -> list[Waiting]:
    """Pending issues still taking co-signs, the soonest to close first. Council-only: the
    caller shows them only to the council's verified people (never the public, S18)."""
    settings = await intake_settings(db, council.id)
    since = now - dt.timedelta(days=settings.cosign_days)
    stmt = (
        sa.select(Issue, _cosign_count_column())
        .where(
            Issue.council_id == council.id,
            Issue.status.in_(workflow.OPEN),
            Issue.kind != IssueKind.SNAP,
            Issue.submitted_at > since,
        )
        .order_by(Issue.submitted_at)
    )
    waiting = []
    for row in await _rows(db, stmt):
        left = cosign_ends(row.issue, settings.cosign_days) - now
        days_left = left.days + (1 if left.seconds or left.microseconds else 0)
        waiting.append(Waiting(row, settings.cosign_threshold, max(days_left, 1)))
    return waiting


QUEUE_SORTS = {
    "cosigns": "附议多的在前",
    "oldest": "等待最久的在前",
    "newest": "最新提交的在前",
}
QUEUE_STATUSES = (IssueStatus.SUBMITTED, IssueStatus.TRIAGE, IssueStatus.REFERRED)


async def queue(
    db: AsyncSession,
    council: Council,
    *,
    statuses: Sequence[IssueStatus] = QUEUE_STATUSES,
    category: str = "",
    kind: IssueKind | None = None,
    sort: str = "cosigns",
) -> list[IssueRow]:
    """The facilitator's work list. ``sort`` must be a key of QUEUE_SORTS (checked here too)."""
    count = _cosign_count_column()
    order = {
        "cosigns": (count.desc(), Issue.submitted_at.asc()),
        "oldest": (Issue.submitted_at.asc(),),
        "newest": (Issue.submitted_at.desc(),),
    }[sort if sort in QUEUE_SORTS else "cosigns"]
    stmt = (
        sa.select(Issue, count)
        .where(Issue.council_id == council.id, Issue.status.in_(list(statuses)))
        .order_by(*order)
    )
    if category:
        stmt = stmt.where(Issue.category == category)
    if kind is not None:
        stmt = stmt.where(Issue.kind == kind)
    return await _rows(db, stmt)


async def timeline(db: AsyncSession, issue: Issue) -> list[tuple[IssueEvent, Issue | None]]:
    events = (
        await db.execute(
            sa.select(IssueEvent)
            .where(IssueEvent.issue_id == issue.id)
            .order_by(IssueEvent.at, IssueEvent.created_at)
        )
    ).scalars()
    events = list(events)
    others = {e.other_issue_id for e in events if e.other_issue_id}
    by_id = (
        {
            i.id: i
            for i in (await db.execute(sa.select(Issue).where(Issue.id.in_(others)))).scalars()
        }
        if others
        else {}
    )
    return [(e, by_id.get(e.other_issue_id)) for e in events]  # type: ignore[arg-type]


@dataclass(frozen=True)
class CommentRow:
    comment: IssueComment
    author: str
    replies: list[tuple[IssueComment, str]]


async def comments(db: AsyncSession, issue: Issue) -> list[CommentRow]:
    rows = (
        await db.execute(
            sa.select(IssueComment, Person.display_name)
            .join(Person, Person.id == IssueComment.author_id)
            .where(IssueComment.issue_id == issue.id)
            .order_by(IssueComment.created_at)
        )
    ).all()
    replies: dict[UUID, list[tuple[IssueComment, str]]] = {}
    for c, name in rows:
        if c.parent_id:
            replies.setdefault(c.parent_id, []).append((c, name))
    return [CommentRow(c, name, replies.get(c.id, [])) for c, name in rows if not c.parent_id]


async def has_cosigned(db: AsyncSession, issue: Issue, person_id: UUID | None) -> bool:
    if person_id is None:
        return False
    found = await db.scalar(
        sa.select(IssueCosign.id).where(
            IssueCosign.issue_id == issue.id, IssueCosign.person_id == person_id
        )
    )
    return found is not None


PARTY = "party"  # the shop field's value for a 提议 in the community party organisation's name


async def holds_party_seat(db: AsyncSession, council_id: UUID, person_id: UUID | None) -> bool:
    """A verified member seated for the community party organisation (社区党组织): who may
    make a 提议 in its name (四议: 提议)."""
    if person_id is None:
        return False
    return bool(
        await db.scalar(
            sa.select(Membership.id)
            .join(Constituency, Constituency.id == Membership.constituency_id)
            .where(
                Membership.council_id == council_id,
                Membership.person_id == person_id,
                Membership.role == Role.MEMBER,
                Membership.status == ClaimStatus.VERIFIED,
                Constituency.kind == ConstituencyKind.PARTY,
            )
            .limit(1)
        )
    )


async def my_shops(db: AsyncSession, council_id: UUID, person_id: UUID | None) -> list[Shop]:
    if person_id is None:
        return []
    return list(
        (
            await db.execute(
                sa.select(Shop)
                .join(ShopRepresentative, ShopRepresentative.shop_id == Shop.id)
                .where(
                    Shop.council_id == council_id,
                    ShopRepresentative.person_id == person_id,
                    ShopRepresentative.status == ClaimStatus.VERIFIED,
                )
                .order_by(Shop.number)
            )
        ).scalars()
    )


# --- changes --------------------------------------------------------------------------------


async def _event(
    db: AsyncSession,
    issue: Issue,
    kind: str,
    actor_id: UUID | None,
    actor_label: str,
    now: dt.datetime,
    *,
    from_status: IssueStatus | None = None,
    note: str = "",
    other: Issue | None = None,
) -> IssueEvent:
    event = IssueEvent(
        council_id=issue.council_id,
        issue_id=issue.id,
        kind=kind,
        actor_id=actor_id,
        actor_label=actor_label,
        at=now,
        from_status=from_status,
        to_status=issue.status,
        note=note,
        other_issue_id=other.id if other else None,
    )
    db.add(event)
    return event


async def _audit(
    db: AsyncSession,
    issue: Issue,
    action: str,
    actor_id: UUID | None,
    actor_label: str,
    now: dt.datetime,
    **summary: Any,
) -> None:
    await audit.record(
        db,
        council_id=issue.council_id,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type="issue",
        object_id=issue.id,
        summary={"number": issue.number, "status": issue.status.value, **summary},
        at=now,
    )


async def _notify(
    db: AsyncSession,
    council: Council,
    issue: Issue,
    text: str,
    now: dt.datetime,
    *,
    skip: UUID | None,
) -> None:
    """Tell the submitter and every co-signer (not the person who made the change)."""
    cosigners = (
        await db.execute(sa.select(IssueCosign.person_id).where(IssueCosign.issue_id == issue.id))
    ).scalars()
    people = [issue.submitter_id, *cosigners]
    await notifications.notify(db, council.id, people, text, link(council, issue), now, skip=skip)


def _submitter_role(actor: Actor, council_id: UUID, kind: IssueKind, party: bool) -> Role:
    roles = actor.roles_in(council_id)
    if party:
        return Role.MEMBER
    if kind is IssueKind.PROPOSAL:
        return Role.MERCHANT
    for role in (Role.RESIDENT, Role.MERCHANT, Role.MEMBER):
        if role in roles:
            return role
    return Role.RESIDENT


async def submit(
    db: AsyncSession,
    storage: Storage,
    actor: Actor,
    council: Council,
    form: IssueForm,
    images: Sequence[CleanImage],
    *,
    upload_limit: int,
    now: dt.datetime,
) -> Issue:
    if not can(actor, Action.SUBMIT_ISSUE, council.id) or actor.person_id is None:
        raise NotAllowed(_("只有本议事会已核实的居民、商户和成员可以提交诉求"))
    settings = await intake_settings(db, council.id, lock=True)
    values = {
        "title": form.title,
        "body": form.body,
        "category": form.category,
        "place": form.place,
        "kind": form.kind.value,
        "shop_number": form.shop_number,
        "masked": form.masked,
    }
    errors = {}
    if form.category not in settings.category_list:
        errors["category"] = _("请从列表中选择类别")
    shop = None
    party = form.kind is IssueKind.PROPOSAL and form.shop_number == PARTY
    if party:
        if not await holds_party_seat(db, council.id, actor.person_id):
            errors["shop_number"] = _("只有社区党组织的代表可以以党组织名义提议")
    elif form.kind is IssueKind.PROPOSAL:
        shops = {s.number: s for s in await my_shops(db, council.id, actor.person_id)}
        shop = shops.get(form.shop_number)
        if shop is None:
            errors["shop_number"] = _("提议须以您已核实代表的店铺名义提交")
    if errors:
        raise FormInvalid(errors, values)
    await files.check_quota(db, actor.person_id, len(images), upload_limit, now)
    settings.last_number += 1
    issue = Issue(
        council_id=council.id,
        number=settings.last_number,
        kind=form.kind,
        status=IssueStatus.SUBMITTED,
        title=form.title,
        body=form.body,
        category=form.category,
        place=form.place,
        submitter_id=actor.person_id,
        submitter_role=_submitter_role(actor, council.id, form.kind, party),
        # A proposal is made in the shop's or the party organisation's name (DOMAIN rule
        # 21): never masked.
        masked=bool(form.masked) and form.kind is IssueKind.ISSUE,
        shop_id=shop.id if shop else None,
        party=party,
        submitted_at=now,
    )
    db.add(issue)
    await db.flush()
    if images:
        await files.attach(
            db,
            storage,
            images,
            parent=files.Parent(council.id, FILE_PARENT, issue.id),
            owner_id=actor.person_id,
            visibility=visibility_of(issue),
            now=now,
        )
    label = public_label(issue, await db.get(Person, actor.person_id), shop)
    await _event(db, issue, "submitted", actor.person_id, label, now)
    await _audit(
        db,
        issue,
        "issue.submitted",
        actor.person_id,
        label,
        now,
        kind=issue.kind.value,
        photos=len(images),
    )
    return issue


async def submit_snap(
    db: AsyncSession,
    storage: Storage,
    actor: Actor,
    council: Council,
    form: SnapForm,
    images: Sequence[CleanImage],
    *,
    upload_limit: int,
    now: dt.datetime,
) -> Issue:
    """随手拍: a photo, the place and one line; the category is the one chosen, or suggested."""
    categories = (await intake_settings(db, council.id)).category_list
    category = form.category if form.category in categories else ""
    if not images:
        values = {"line": form.line, "place": form.place, "category": category}
        raise FormInvalid({"photos": _("随手拍须附一张现场照片")}, values)
    issue_form = IssueForm(
        title=form.line,
        body=form.line,
        category=category or suggest_category(form.line, categories),
        kind=IssueKind.SNAP,
        place=form.place,
    )
    return await submit(
        db, storage, actor, council, issue_form, images, upload_limit=upload_limit, now=now
    )


async def cosign(
    db: AsyncSession, actor: Actor, council: Council, issue_id: UUID, now: dt.datetime
) -> int:
    """附议 once per person; returns the new count. The unique constraint has the last word."""
    issue = await get_visible(db, actor, council, issue_id, lock=True)
    if not can(actor, Action.COSIGN_ISSUE, council.id) or actor.person_id is None:
        raise NotAllowed(_("只有本议事会已核实的居民、商户和成员可以附议"))
    if issue.status not in workflow.OPEN:
        raise Conflict(_("这个诉求当前为“%(s)s”，不再接受附议", s=workflow.label(issue.status)))
    if issue.submitter_id == actor.person_id:
        raise Conflict(_("不能附议自己提交的诉求"))
    days = (await intake_settings(db, council.id)).cosign_days
    if now >= cosign_ends(issue, days):
        raise Conflict(_("附议期已过：诉求提交后 %(n)s 天内可以附议", n=days))
    already = Conflict(_("您已附议过这个诉求，每人只能附议一次"))
    if await has_cosigned(db, issue, actor.person_id):
        raise already
    try:
        async with db.begin_nested():
            db.add(IssueCosign(council_id=council.id, issue_id=issue.id, person_id=actor.person_id))
            await db.flush()
    except IntegrityError as exc:
        raise already from exc
    count = (await cosign_counts(db, [issue.id]))[issue.id]
    label = mask(actor.display_name)
    await _audit(db, issue, "issue.cosigned", actor.person_id, label, now, cosigns=count)
    threshold = (await intake_settings(db, council.id)).cosign_threshold
    if count >= threshold and issue.flagged_at is None:
        issue.flagged_at = now
        note = _("附议达到 %(n)s 人，提请主持人关注", n=threshold)
        await _event(db, issue, "flagged", None, _("系统"), now, note=note)
        await _audit(db, issue, "issue.flagged", None, _("系统"), now, cosigns=count)
    return count


async def withdraw_cosign(
    db: AsyncSession, actor: Actor, council: Council, issue_id: UUID, now: dt.datetime
) -> None:
    issue = await get_visible(db, actor, council, issue_id, lock=True)
    if issue.status not in workflow.OPEN:
        raise Conflict(_("这个诉求当前为“%(s)s”，附议不能再撤回", s=workflow.label(issue.status)))
    result = await db.execute(
        sa.delete(IssueCosign).where(
            IssueCosign.issue_id == issue.id, IssueCosign.person_id == actor.person_id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Conflict(_("您没有附议过这个诉求"))
    await _audit(
        db, issue, "issue.cosign_withdrawn", actor.person_id, mask(actor.display_name), now
    )


async def withdraw(
    db: AsyncSession, actor: Actor, council: Council, issue_id: UUID, now: dt.datetime
) -> Issue:
    issue = await get_visible(db, actor, council, issue_id, lock=True)
    if issue.submitter_id != actor.person_id:
        raise NotAllowed(_("只有提交人可以撤回诉求"))
    before = issue.status
    issue.status = workflow.advance(
        workflow.Facts(status=before, kind=issue.kind), IssueStatus.WITHDRAWN
    )
    issue.closed_at = now
    await files.set_visibility(db, FILE_PARENT, [issue.id], visibility_of(issue))
    label = public_label(issue, await db.get(Person, actor.person_id), None)
    await _event(db, issue, "withdrawn", actor.person_id, label, now, from_status=before)
    await _audit(db, issue, "issue.withdrawn", actor.person_id, label, now)
    return issue


async def _merge_target(db: AsyncSession, council: Council, value: str) -> Issue | None:
    digits = value.strip().lstrip("#＃").strip()
    if not digits.isdigit() or not 0 < int(digits) < 10**9:
        return None
    number = int(digits)
    stmt = (
        sa.select(Issue)
        .where(Issue.council_id == council.id, Issue.number == number)
        .with_for_update()
    )
    return await db.scalar(stmt)


async def _carry_cosigns(db: AsyncSession, source: Issue, target: Issue) -> int:
    """Co-signers (and the submitter) of ``source`` support ``target``: each person once."""
    supporters = set(
        (
            await db.execute(
                sa.select(IssueCosign.person_id).where(IssueCosign.issue_id == source.id)
            )
        ).scalars()
    )
    supporters.add(source.submitter_id)
    present = set(
        (
            await db.execute(
                sa.select(IssueCosign.person_id).where(IssueCosign.issue_id == target.id)
            )
        ).scalars()
    )
    new = supporters - present - {target.submitter_id}
    for person_id in sorted(new):
        db.add(
            IssueCosign(
                council_id=target.council_id,
                issue_id=target.id,
                person_id=person_id,
                carried_from_id=source.id,
            )
        )
    await db.flush()
    return len(new)


EVENT_OF = {
    IssueStatus.TRIAGE: "triaged",
    IssueStatus.ACCEPTED: "accepted",
    IssueStatus.MERGED: "merged",
    IssueStatus.REFERRED: "referred",
    IssueStatus.VERIFIED: "verified",
    IssueStatus.REJECTED: "rejected",
    IssueStatus.CLOSED: "closed",
}


async def transition(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    issue_id: UUID,
    form: TransitionForm,
    now: dt.datetime,
) -> Issue:
    """A facilitator's triage decision, through the state machine; refused moves change nothing.

    Referral and what follows it (核实, 办结) are made by the work orders (``follow_orders``)."""
    issue = await get_visible(db, actor, council, issue_id, lock=True)
    if not can(actor, Action.TRIAGE_ISSUES, council.id):
        raise NotAllowed(_("只有主持人可以受理和处理诉求"))
    if form.to is IssueStatus.WITHDRAWN:
        raise NotAllowed(_("只有提交人可以撤回诉求"))
    target = None
    if form.to is IssueStatus.MERGED:
        target = await _merge_target(db, council, form.target_number)
    reason = form.reason.strip()
    facts = workflow.Facts(
        status=issue.status,
        kind=issue.kind,
        reason=reason,
        merge_target_found=target is not None,
        merge_target_is_self=target is not None and target.id == issue.id,
        merge_target_status=target.status if target is not None else None,
    )
    summary: dict[str, Any] = {}
    if form.to is IssueStatus.MERGED and target is not None:
        workflow.advance(facts, form.to)
        summary.update(into=target.number, carried=await _carry_cosigns(db, issue, target))
        issue.merged_into_id = target.id
        await _event(
            db,
            target,
            "merged_from",
            actor.person_id,
            actor.display_name,
            now,
            note=reason,
            other=issue,
        )
    return await _move(
        db, actor, council, issue, form.to, facts, now, note=reason, other=target, **summary
    )


async def _move(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    issue: Issue,
    to: IssueStatus,
    facts: workflow.Facts,
    now: dt.datetime,
    *,
    note: str = "",
    other: Issue | None = None,
    **summary: Any,
) -> Issue:
    """One move through the state machine: status, dates, file visibility, timeline, audit
    entry and notifications, or TransitionRefused with nothing changed."""
    before = issue.status
    issue.status = workflow.advance(facts, to)
    if to in (IssueStatus.ACCEPTED, IssueStatus.REJECTED):
        issue.public_reason = note
    if to in (IssueStatus.ACCEPTED, IssueStatus.REJECTED, IssueStatus.MERGED, IssueStatus.REFERRED):
        issue.decided_at = now
    elif to is IssueStatus.CLOSED:
        issue.closed_at = now
    await files.set_visibility(db, FILE_PARENT, [issue.id], visibility_of(issue))
    await _event(
        db,
        issue,
        EVENT_OF[to],
        actor.person_id,
        actor.display_name,
        now,
        from_status=before,
        note=note,
        other=other,
    )
    if note:
        summary["reason"] = note
    await _audit(
        db,
        issue,
        f"issue.{EVENT_OF[to]}",
        actor.person_id,
        actor.display_name,
        now,
        **{"from": before.value, **summary},
    )
    text = _(
        "诉求 #%(n)s「%(t)s」状态更新为：%(s)s",
        n=issue.number,
        t=issue.title,
        s=workflow.label(issue.status),
    )
    await _notify(db, council, issue, text, now, skip=actor.person_id)
    return issue


async def follow_orders(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    issue: Issue,
    to: IssueStatus,
    now: dt.datetime,
    *,
    note: str,
    department_chosen: bool = False,
    orders_verified: bool = False,
    orders_closed: bool = False,
    **summary: Any,
) -> Issue:
    """The move a work order makes of its issue: referred, verified, closed (rule 22)."""
    facts = workflow.Facts(
        status=issue.status,
        kind=issue.kind,
        reason=note,
        department_chosen=department_chosen,
        orders_verified=orders_verified,
        orders_closed=orders_closed,
    )
    return await _move(db, actor, council, issue, to, facts, now, note=note, **summary)


BULK_LIMIT = 50


async def bulk_triage(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    issue_ids: Sequence[UUID],
    now: dt.datetime,
) -> int:
    """受理 several submitted issues at once: the one bulk move that needs no judgement.

    All or nothing: one issue that may not move refuses the whole batch.
    """
    if not can(actor, Action.TRIAGE_ISSUES, council.id):
        raise NotAllowed(_("只有主持人可以受理和处理诉求"))
    ids = list(dict.fromkeys(issue_ids))
    if not ids:
        raise FormInvalid({"issue_ids": _("请先勾选要受理的诉求")})
    if len(ids) > BULK_LIMIT:
        raise FormInvalid({"issue_ids": _("一次最多受理 %(n)s 个诉求", n=BULK_LIMIT)})
    for issue_id in ids:
        await transition(db, actor, council, issue_id, TransitionForm(to=IssueStatus.TRIAGE), now)
    return len(ids)


async def comment(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    issue_id: UUID,
    form: CommentForm,
    now: dt.datetime,
) -> IssueComment:
    issue = await get_visible(db, actor, council, issue_id)
    if not can(actor, Action.COMMENT_ISSUE, council.id) or actor.person_id is None:
        raise NotAllowed(_("只有本议事会已核实的成员可以评论"))
    if issue.status is IssueStatus.WITHDRAWN:
        raise Conflict(_("诉求已撤回，不能再评论"))
    parent_id = None
    if form.parent_id:
        try:
            wanted = UUID(form.parent_id)
        except ValueError:
            wanted = None
        parent = (
            await db.scalar(
                sa.select(IssueComment).where(
                    IssueComment.id == wanted, IssueComment.issue_id == issue.id
                )
            )
            if wanted
            else None
        )
        if parent is None:
            raise NotFound(_("找不到要回复的评论"))
        parent_id = parent.parent_id or parent.id  # replies stay one level deep
    row = IssueComment(
        council_id=council.id,
        issue_id=issue.id,
        author_id=actor.person_id,
        parent_id=parent_id,
        body=form.body,
    )
    db.add(row)
    await db.flush()
    return row


# --- statistics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthStats:
    month: str
    by_status: dict[IssueStatus, int]
    by_category: dict[str, int]
    total: int


async def monthly_stats(db: AsyncSession, council: Council) -> list[MonthStats]:
    """Public issues counted per month of submission (council time), by status and category."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(council.timezone)
    rows = await db.execute(
        sa.select(Issue.submitted_at, Issue.status, Issue.category).where(
            Issue.council_id == council.id, Issue.status.in_(workflow.PUBLIC)
        )
    )
    months: dict[str, tuple[dict[IssueStatus, int], dict[str, int]]] = {}
    for submitted_at, status, category in rows:
        key = submitted_at.astimezone(zone).strftime("%Y-%m")
        by_status, by_category = months.setdefault(key, ({}, {}))
        by_status[status] = by_status.get(status, 0) + 1
        by_category[category] = by_category.get(category, 0) + 1
    return [
        MonthStats(m, s, c, sum(s.values())) for m, (s, c) in sorted(months.items(), reverse=True)
    ]
