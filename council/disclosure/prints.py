"""A4 sheets for the street's paper noticeboard: a notice, a vote's result, an adopted
convention. Each carries a QR code to its online record, the council's name and seal line, and
the audit chain's head at printing time, so that a later change of the record shows up (S8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.conventions import adoption
from council.conventions import service as conventions
from council.councils.models import Council
from council.councils.permissions import Actor
from council.disclosure.board import resolution
from council.errors import NotFound
from council.i18n import _
from council.notices import service as notices
from council.notices.periods import kind_label
from council.voting import service as voting
from council.voting.workflow import Status


@dataclass(frozen=True)
class Sheet:
    """What every printed sheet shows around its own body (``body`` and ``facts``)."""

    kind: str  # the heading: 决议公示, 表决结果公告, 公约 …
    title: str
    path: str  # the online record, e.g. /c/zhonglou/notices/<id>
    dated: dt.datetime | None  # the day above the seal
    body: str  # the template that prints the record itself
    facts: dict[str, Any]


@dataclass(frozen=True)
class Printed:
    sheet: Sheet
    url: str  # what the QR code opens
    head_seq: int
    head_hash: str
    printed_at: dt.datetime


async def notice_sheet(
    db: AsyncSession, actor: Actor, council: Council, record_id: Any, now: dt.datetime
) -> Sheet:
    notice = await notices.get(db, actor, council, record_id)
    view = await notices.view(db, actor, council, notice, now)
    return Sheet(
        kind=kind_label(notice.kind),
        title=notice.title,
        path=f"/c/{council.slug}/notices/{notice.id}",
        dated=notice.published_at,
        body="disclosure/_print_notice.html",
        facts={"view": view},
    )


async def ballot_sheet(
    db: AsyncSession, actor: Actor, council: Council, record_id: Any, now: dt.datetime
) -> Sheet:
    """A result only: an open or draft ballot has nothing to print."""
    ballot = await voting.get(db, actor, council, record_id)
    if ballot.status not in (Status.CLOSED, Status.CERTIFIED):
        raise NotFound(_("找不到这个表决"))
    return Sheet(
        kind=_("表决结果公告"),
        title=ballot.question,
        path=f"/c/{council.slug}/ballots/{ballot.id}",
        dated=ballot.certified_at or ballot.closed_at,
        body="disclosure/_print_ballot.html",
        facts={"r": await resolution(db, ballot)},
    )


async def convention_sheet(
    db: AsyncSession, actor: Actor, council: Council, record_id: Any, now: dt.datetime
) -> Sheet:
    """The adopted text in force; a convention not yet adopted has nothing to print."""
    convention = await conventions.get(db, actor, council, record_id)
    adopted = conventions.adopted_of(await conventions.visible_versions(db, actor, convention))
    if adopted is None:
        raise NotFound(_("找不到这个页面"))
    return Sheet(
        kind=_("公约"),
        title=adopted.title,
        path=conventions.link(council, convention),
        dated=adopted.adopted_at,
        body="disclosure/_print_convention.html",
        facts={
            "convention": convention,
            "version": adopted,
            "articles": await conventions.articles(db, adopted),
            "record": await adoption.vote_of(db, adopted),
        },
    )


async def printed(
    db: AsyncSession, council: Council, sheet: Sheet, base_url: str, now: dt.datetime
) -> Printed:
    head = await audit.head_of(db, audit.chain_for(council.id))
    return Printed(sheet, base_url + sheet.path, int(head["seq"]), str(head["hash"]), now)
