"""Conventions (公约): who sees which version, reads for the pages, and the facts the workflow
gates look at. No HTTP here; changes are in ``drafting.py`` and ``adoption.py``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.service import record_by
from council.conventions import workflow
from council.conventions.diff import ArticleDiff, ArticleText, compare
from council.conventions.models import (
    ArticleComment,
    Convention,
    ConventionArticle,
    ConventionVersion,
)
from council.conventions.workflow import VersionStatus
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import NotAllowed, NotFound
from council.i18n import _

log = logging.getLogger("council.conventions")


def link(council: Council, convention: Convention, number: int | None = None) -> str:
    base = f"/c/{council.slug}/conventions/{convention.id}"
    return base if number is None else f"{base}/v/{number}"


async def voted_by(
    db: AsyncSession, ballot_id: UUID
) -> tuple[Convention, ConventionVersion] | None:
    """The convention version a ballot decides on, when it is an adoption vote."""
    stmt = (
        sa.select(Convention, ConventionVersion)
        .join(ConventionVersion, ConventionVersion.convention_id == Convention.id)
        .where(ConventionVersion.ballot_id == ballot_id)
    )
    row = (await db.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


def require_manage(actor: Actor, council: Council) -> None:
    if not can(actor, Action.MANAGE_CONVENTIONS, council.id):
        raise NotAllowed(_("只有主持人可以起草和管理公约"))


async def audit_version(
    db: AsyncSession,
    actor: Actor,
    version: ConventionVersion,
    action: str,
    summary: dict[str, Any],
    now: dt.datetime,
) -> None:
    await record_by(
        db,
        actor,
        version.council_id,
        action,
        ("convention_version", version.id),
        {"convention": version.convention_id.hex, "version": version.number, **summary},
        now,
    )


# --- reads ----------------------------------------------------------------------------------


def version_visible(actor: Actor, version: ConventionVersion) -> bool:
    """Published versions are public (公示); drafts only to the facilitator and supervisors."""
    if version.status in workflow.PUBLIC:
        return True
    return can(actor, Action.VIEW_CONVENTION_DRAFTS, version.council_id)


async def versions(db: AsyncSession, convention: Convention) -> list[ConventionVersion]:
    stmt = (
        sa.select(ConventionVersion)
        .where(
            ConventionVersion.convention_id == convention.id,
            ConventionVersion.council_id == convention.council_id,
        )
        .order_by(ConventionVersion.number)
    )
    return list((await db.execute(stmt)).scalars())


async def siblings(db: AsyncSession, version: ConventionVersion) -> list[ConventionVersion]:
    """Every version of the convention this version belongs to, itself included."""
    stmt = (
        sa.select(ConventionVersion)
        .where(
            ConventionVersion.convention_id == version.convention_id,
            ConventionVersion.council_id == version.council_id,
        )
        .order_by(ConventionVersion.number)
    )
    return list((await db.execute(stmt)).scalars())


async def visible_versions(
    db: AsyncSession, actor: Actor, convention: Convention
) -> list[ConventionVersion]:
    return [v for v in await versions(db, convention) if version_visible(actor, v)]


async def get(db: AsyncSession, actor: Actor, council: Council, convention_id: UUID) -> Convention:
    """The convention if this person may see at least one of its versions (404 otherwise)."""
    convention = await db.scalar(
        sa.select(Convention).where(
            Convention.id == convention_id, Convention.council_id == council.id
        )
    )
    if convention is None or not await visible_versions(db, actor, convention):
        raise NotFound(_("找不到这个公约"))
    return convention


async def get_version(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    *,
    lock: bool = False,
) -> tuple[Convention, ConventionVersion]:
    convention = await get(db, actor, council, convention_id)
    stmt = sa.select(ConventionVersion).where(
        ConventionVersion.convention_id == convention.id,
        ConventionVersion.council_id == council.id,
        ConventionVersion.number == number,
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    version = await db.scalar(stmt)
    if version is None or not version_visible(actor, version):
        raise NotFound(_("找不到这一版本"))
    return convention, version


async def articles(db: AsyncSession, version: ConventionVersion) -> list[ConventionArticle]:
    stmt = (
        sa.select(ConventionArticle)
        .where(ConventionArticle.version_id == version.id)
        .order_by(ConventionArticle.position)
    )
    return list((await db.execute(stmt)).scalars())


async def comments_by_article(
    db: AsyncSession, version: ConventionVersion
) -> dict[UUID, list[ArticleComment]]:
    stmt = (
        sa.select(ArticleComment)
        .where(ArticleComment.version_id == version.id)
        .order_by(ArticleComment.created_at)
    )
    found: dict[UUID, list[ArticleComment]] = {}
    for row in (await db.execute(stmt)).scalars():
        found.setdefault(row.article_id, []).append(row)
    return found


async def comment_counts(
    db: AsyncSession, all_versions: Sequence[ConventionVersion]
) -> dict[UUID, int]:
    rows = await db.execute(
        sa.select(ArticleComment.version_id, sa.func.count(ArticleComment.id))
        .where(ArticleComment.version_id.in_([v.id for v in all_versions]))
        .group_by(ArticleComment.version_id)
    )
    return {version_id: int(n) for version_id, n in rows}


def adopted_of(all_versions: Sequence[ConventionVersion]) -> ConventionVersion | None:
    return next((v for v in all_versions if v.status is VersionStatus.ADOPTED), None)


@dataclass(frozen=True)
class ConventionRow:
    convention: Convention
    adopted: ConventionVersion | None
    latest: ConventionVersion  # the newest version this person may see


async def list_conventions(db: AsyncSession, actor: Actor, council: Council) -> list[ConventionRow]:
    stmt = (
        sa.select(Convention).where(Convention.council_id == council.id).order_by(Convention.number)
    )
    rows = []
    for convention in (await db.execute(stmt)).scalars():
        seen = await visible_versions(db, actor, convention)
        if seen:
            rows.append(ConventionRow(convention, adopted_of(seen), seen[-1]))
    return rows


async def compare_versions(
    db: AsyncSession, old: ConventionVersion, new: ConventionVersion
) -> list[ArticleDiff]:
    def texts(rows: Sequence[ConventionArticle]) -> list[ArticleText]:
        return [ArticleText(a.key, a.position, a.heading, a.body) for a in rows]

    return compare(texts(await articles(db, old)), texts(await articles(db, new)))


# --- facts for the workflow -----------------------------------------------------------------


async def facts_for(
    db: AsyncSession, version: ConventionVersion, now: dt.datetime, **extra: Any
) -> workflow.Facts:
    rows = await articles(db, version)
    texts = [version.title, version.preamble, *(a.heading for a in rows), *(a.body for a in rows)]
    return workflow.Facts(
        status=version.status,
        now=now,
        articles=len(rows),
        empty_articles=tuple(a.position for a in rows if not a.body.strip()),
        coercive_terms=workflow.coercive_terms(texts),
        comment_opens_at=version.comment_opens_at,
        comment_closes_at=version.comment_closes_at,
        comment_period_held=await _comment_period_held(db, version, now),
        legality_reviewed=version.legality_reviewed_at is not None,
        **extra,
    )


async def _comment_period_held(
    db: AsyncSession, version: ConventionVersion, now: dt.datetime
) -> bool:
    """A comment period has run to its end since the last adoption, on this version or an
    earlier one (a revision made in answer to the comments may then go to the vote)."""
    earlier = [v for v in await siblings(db, version) if v.number <= version.number]
    last_adopted = max((v.number for v in earlier if v.adopted_at is not None), default=0)
    return any(
        v.number > last_adopted
        and v.comment_opens_at is not None
        and v.comment_closes_at is not None
        and v.comment_closes_at <= now
        for v in earlier
    )


async def lock_convention(db: AsyncSession, convention: Convention) -> None:
    """Moves that touch several versions of one convention queue behind each other."""
    await db.execute(
        sa.select(Convention.id).where(Convention.id == convention.id).with_for_update()
    )
