"""Drafting a convention: the first draft, revisions and amendments, the comment period,
the legality review, and comments on articles. No HTTP here.

A draft is the only text ever edited; publishing it for comment freezes it (rule 9), and a
change after that is a new version based on it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.names import mask
from council.conventions import workflow
from council.conventions.models import (
    ArticleComment,
    Convention,
    ConventionArticle,
    ConventionVersion,
)
from council.conventions.schemas import (
    ArticleInput,
    CommentForm,
    CommentPeriodForm,
    ConventionForm,
    EndCommentsForm,
    ReviewForm,
)
from council.conventions.service import (
    adopted_of,
    articles,
    audit_version,
    facts_for,
    get,
    get_version,
    lock_convention,
    log,
    require_manage,
    siblings,
    versions,
)
from council.conventions.workflow import VersionStatus
from council.councils.models import ClaimStatus, Council, Role, Shop, ShopRepresentative
from council.councils.permissions import Action, Actor, can
from council.errors import Conflict, FormInvalid, NotAllowed, NotFound, TransitionRefused
from council.i18n import _


def _local(value: str, council: Council) -> dt.datetime | None:
    if not value:
        return None
    naive = dt.datetime.fromisoformat(value)
    return naive.replace(tzinfo=ZoneInfo(council.timezone)).astimezone(dt.UTC)


# --- drafting -------------------------------------------------------------------------------


async def _next_number(db: AsyncSession, council: Council) -> int:
    current = await db.scalar(
        sa.select(sa.func.max(Convention.number)).where(Convention.council_id == council.id)
    )
    return int(current or 0) + 1


def _write_articles(
    db: AsyncSession,
    version: ConventionVersion,
    rows: Sequence[ArticleInput],
    known_keys: set[str],
) -> None:
    used: set[str] = set()
    for position, row in enumerate(rows, start=1):
        key = row.key if row.key in known_keys and row.key not in used else uuid.uuid4().hex
        used.add(key)
        db.add(
            ConventionArticle(
                council_id=version.council_id,
                version_id=version.id,
                position=position,
                key=key,
                heading=row.heading,
                body=row.body,
            )
        )


async def create(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: ConventionForm,
    rows: Sequence[ArticleInput],
    now: dt.datetime,
) -> tuple[Convention, ConventionVersion]:
    """A new convention with its first draft (拟定草案)."""
    require_manage(actor, council)
    convention = Convention(
        council_id=council.id,
        number=await _next_number(db, council),
        title=form.title,
        binds=form.binds,
        created_by_id=actor.person_id,
    )
    db.add(convention)
    await db.flush()
    version = ConventionVersion(
        council_id=council.id,
        convention_id=convention.id,
        number=1,
        status=VersionStatus.DRAFT,
        title=form.title,
        preamble=form.preamble,
        change_note=form.change_note,
        created_by_id=actor.person_id,
    )
    db.add(version)
    await db.flush()
    _write_articles(db, version, rows, set())
    await db.flush()
    await audit_version(
        db, actor, version, "convention.created", {"title": form.title, "articles": len(rows)}, now
    )
    return convention, version


async def save_draft(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: ConventionForm,
    rows: Sequence[ArticleInput],
    now: dt.datetime,
) -> ConventionVersion:
    """Replace a draft's text. A published version is never edited (rule 9)."""
    require_manage(actor, council)
    convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    if not workflow.editable(version.status):
        log.warning("refused edit of %s version %s by %s", version.status, version.id, actor)
        workflow.refuse_edit(version.status)
    known = {a.key for a in await articles(db, version)}
    await db.execute(sa.delete(ConventionArticle).where(ConventionArticle.version_id == version.id))
    await db.flush()
    version.title = form.title
    version.preamble = form.preamble
    version.change_note = form.change_note
    if version.number == 1:
        convention.title = form.title
    convention.binds = form.binds or convention.binds
    reviewed = version.legality_reviewed_at is not None
    # A legality review speaks for the text it read: a changed draft needs a new one.
    version.legality_reviewed_at = None
    version.legality_reviewer = version.legality_note = ""
    _write_articles(db, version, rows, known)
    await db.flush()
    await audit_version(
        db,
        actor,
        version,
        "convention.draft_saved",
        {"title": form.title, "articles": len(rows), "review_cleared": reviewed},
        now,
    )
    return version


async def revise(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    now: dt.datetime,
    *,
    base_number: int | None = None,
) -> ConventionVersion:
    """Start the next version (修订稿, or after adoption a 修正案) from a published text: the
    one named, else the adopted one, else the newest. The earlier versions stay as they are."""
    require_manage(actor, council)
    convention = await get(db, actor, council, convention_id)
    await lock_convention(db, convention)
    existing = await versions(db, convention)
    busy = [v for v in existing if v.status in workflow.IN_PROGRESS]
    if busy:
        v = busy[0]
        raise TransitionRefused(
            _(
                "第 %(n)s 版%(state)s，处理完之前不能起草新版本",
                n=v.number,
                state=workflow.label(v.status),
            )
        )
    if base_number is None:
        base = adopted_of(existing) or existing[-1]
    else:
        found = [v for v in existing if v.number == base_number]
        if not found:
            raise NotFound(_("找不到这一版本"))
        base = found[0]
    version = ConventionVersion(
        council_id=council.id,
        convention_id=convention.id,
        number=existing[-1].number + 1,
        based_on_id=base.id,
        status=VersionStatus.DRAFT,
        title=base.title,
        preamble=base.preamble,
        created_by_id=actor.person_id,
    )
    db.add(version)
    await db.flush()
    for a in await articles(db, base):
        db.add(
            ConventionArticle(
                council_id=council.id,
                version_id=version.id,
                position=a.position,
                key=a.key,
                heading=a.heading,
                body=a.body,
            )
        )
    await db.flush()
    await audit_version(
        db,
        actor,
        version,
        "convention.revision_started",
        {"based_on": base.number, "amendment": base.status is VersionStatus.ADOPTED},
        now,
    )
    return version


async def supersede_replaced(
    db: AsyncSession,
    actor: Actor,
    version: ConventionVersion,
    now: dt.datetime,
) -> None:
    """Earlier versions still open for comment or not adopted give way to this one."""
    for older in await siblings(db, version):
        if older.number >= version.number or older.status not in workflow.REPLACED_BY_REVISION:
            continue
        facts = workflow.Facts(status=older.status, now=now, newer_published=True)
        older.status = workflow.advance(facts, VersionStatus.SUPERSEDED)
        older.superseded_at = now
        if older.comment_closes_at is not None and older.comment_closes_at > now:
            # A period that had not begun yet never opens: it ends where it would have begun.
            older.comment_closes_at = max(now, older.comment_opens_at or now)
            if older.comment_opens_at is not None and older.comment_opens_at >= now:
                older.comment_opens_at = None
            older.comment_end_reason = _("已由第 %(n)s 版取代", n=version.number)
        await audit_version(db, actor, older, "convention.superseded", {"by": version.number}, now)


async def open_comments(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: CommentPeriodForm,
    now: dt.datetime,
) -> ConventionVersion:
    """Publish the draft for comment (征求意见, 公示): from here its text is frozen."""
    require_manage(actor, council)
    convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    await lock_convention(db, convention)
    opens_at = _local(form.opens_at, council) or now
    closes_at = _local(form.closes_at, council)
    facts = dataclasses.replace(
        await facts_for(db, version, now), comment_opens_at=opens_at, comment_closes_at=closes_at
    )
    version.status = workflow.advance(facts, VersionStatus.COMMENTING)
    version.comment_opens_at, version.comment_closes_at = opens_at, closes_at
    version.published_at = now
    await db.flush()
    await supersede_replaced(db, actor, version, now)
    await audit_version(
        db,
        actor,
        version,
        "convention.comment_opened",
        {"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat() if closes_at else ""},
        now,
    )
    return version


async def end_comments(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: EndCommentsForm,
    now: dt.datetime,
) -> ConventionVersion:
    """End a running comment period early, with a public reason."""
    require_manage(actor, council)
    _convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    reasons = workflow.end_early_blocking(await facts_for(db, version, now), form.reason)
    if reasons:
        raise TransitionRefused("；".join(reasons), reasons)
    version.comment_closes_at = now
    version.comment_end_reason = form.reason
    await db.flush()
    await audit_version(
        db, actor, version, "convention.comment_ended", {"reason": form.reason}, now
    )
    return version


async def record_review(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: ReviewForm,
    now: dt.datetime,
) -> ConventionVersion:
    """The street office's legality review of this text (提请审核), needed before the vote."""
    require_manage(actor, council)
    _convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.COMMENTING):
        raise TransitionRefused(
            _("“%(s)s”的版本不能再登记审核意见", s=workflow.label(version.status))
        )
    version.legality_reviewer = form.reviewer
    version.legality_note = form.note
    version.legality_reviewed_at = now
    await db.flush()
    await audit_version(
        db,
        actor,
        version,
        "convention.reviewed",
        {"reviewer": form.reviewer, "note": form.note},
        now,
    )
    return version


# --- comments -------------------------------------------------------------------------------


async def author_label(db: AsyncSession, actor: Actor, council: Council) -> str:
    """How a commenter appears in public: a shop by its name, a member by name, a resident
    with the name masked; never a contact detail (rule 28)."""
    shop = await db.scalar(
        sa.select(Shop)
        .join(ShopRepresentative, ShopRepresentative.shop_id == Shop.id)
        .where(
            ShopRepresentative.council_id == council.id,
            ShopRepresentative.person_id == actor.person_id,
            ShopRepresentative.status == ClaimStatus.VERIFIED,
        )
        .order_by(Shop.number)
        .limit(1)
    )
    if shop is not None:
        return _("商户 · %(number)s 号 %(name)s", number=shop.number, name=shop.name)
    roles = actor.roles_in(council.id)
    if Role.SUPERVISOR in roles:
        return _("监督员 %(name)s", name=actor.display_name)
    if Role.MEMBER in roles:
        return _("议事会成员 %(name)s", name=actor.display_name)
    return _("居民 %(name)s", name=mask(actor.display_name))


async def comment(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: CommentForm,
    now: dt.datetime,
) -> ArticleComment:
    _convention, version = await get_version(db, actor, council, convention_id, number)
    if actor.person_id is None or not can(actor, Action.COMMENT_CONVENTION, council.id):
        raise NotAllowed(_("只有本议事会已核实的成员、商户和居民可以对公约提意见"))
    refusal = workflow.accepts_comments(
        workflow.Facts(
            status=version.status,
            now=now,
            comment_opens_at=version.comment_opens_at,
            comment_closes_at=version.comment_closes_at,
        )
    )
    if refusal:
        raise Conflict(refusal)
    article = await db.scalar(
        sa.select(ConventionArticle).where(
            ConventionArticle.id == UUID(form.article),
            ConventionArticle.version_id == version.id,
        )
    )
    if article is None:
        raise FormInvalid({"article": _("请选择这一版本中的条款")})
    row = ArticleComment(
        council_id=council.id,
        version_id=version.id,
        article_id=article.id,
        author_id=actor.person_id,
        author_label=await author_label(db, actor, council),
        body=form.body,
        created_at=now,
    )
    db.add(row)
    await db.flush()
    return row
