"""Helpers for convention tests: a facilitator drafting over HTTP, and reading the rows back."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.conventions.models import Convention, ConventionArticle, ConventionVersion
from tests.support import Client, post_form, signed_in

SLUG = "zhonglou"
BASE = f"/c/{SLUG}/conventions"
ARTICLES = (
    ("外摆经营", "外摆桌椅不得超出门前一米，每晚 23:00 前收回。"),
    ("噪音", "22:00 以后不得使用音响招揽顾客。"),
)


def local(moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def editor_form(
    title: str, articles: Sequence[tuple[str, str, str]], **extra: Any
) -> dict[str, Any]:
    """(key, heading, body) rows as the draft editor posts them."""
    form: dict[str, Any] = {"title": title, "count": str(len(articles)), **extra}
    for i, (key, heading, body) in enumerate(articles, start=1):
        form.update({f"key_{i}": key, f"heading_{i}": heading, f"body_{i}": body})
    return form


def convention_id_from(location: str) -> UUID:
    return UUID(location.split("/conventions/")[1].split("/")[0].split("?")[0])


async def create(client: Client, title: str = "测试商户公约", articles: Any = ARTICLES) -> UUID:
    """A new convention drafted by the signed-in facilitator; its id."""
    rows = [("", heading, body) for heading, body in articles]
    response = await post_form(client, f"{BASE}/new", editor_form(title, rows))
    assert response.status_code == 303, response.text
    return convention_id_from(response.headers["location"])


async def step(client: Client, cid: UUID, number: int, action: str, **form: Any) -> Any:
    return await post_form(client, f"{BASE}/{cid}/v/{number}/{action}", form)


@contextlib.asynccontextmanager
async def as_facilitator(app: Litestar) -> AsyncIterator[Client]:
    """A client signed in as the demo facilitator, inside the app's lifespan."""
    async with signed_in(app, "zhuchi") as client:
        yield client


async def version(db: AsyncSession, cid: UUID, number: int) -> ConventionVersion:
    db.expire_all()
    row = await db.scalar(
        sa.select(ConventionVersion).where(
            ConventionVersion.convention_id == cid, ConventionVersion.number == number
        )
    )
    assert row is not None
    await db.commit()  # end the read: on SQLite an open one would hold the app back
    return row


async def articles(db: AsyncSession, cid: UUID, number: int) -> list[tuple[str, str]]:
    v = await version(db, cid, number)
    rows = await db.execute(
        sa.select(ConventionArticle.heading, ConventionArticle.body)
        .where(ConventionArticle.version_id == v.id)
        .order_by(ConventionArticle.position)
    )
    found = [(h, b) for h, b in rows]
    await db.commit()
    return found


async def demo_convention(db: AsyncSession) -> UUID:
    cid = await db.scalar(sa.select(Convention.id).where(Convention.number == 1))
    assert cid is not None
    await db.commit()
    return cid


async def open_for_comment(
    app: Litestar,
    db: AsyncSession,
    now: dt.datetime,
    title: str = "测试商户公约",
    articles: Any = ARTICLES,
) -> tuple[UUID, UUID]:
    """A new convention drafted by the facilitator and put out for a week of comments: its id
    and the id of its first article."""
    async with as_facilitator(app) as facilitator:
        cid = await create(facilitator, title, articles)
        closes = local(now + dt.timedelta(days=7))
        assert (await step(facilitator, cid, 1, "open-comments", closes_at=closes)).is_redirect
    first = await db.scalar(
        sa.select(ConventionArticle.id)
        .where(ConventionArticle.version_id == (await version(db, cid, 1)).id)
        .order_by(ConventionArticle.position)
    )
    await db.commit()
    assert first is not None
    return cid, first
