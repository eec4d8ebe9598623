"""The Atom feed of a council (RFC 4287): its notices, ballot results and published minutes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.models import Council
from council.i18n import _
from council.opendata import datasets

FEED_SIZE = 50


@dataclass(frozen=True)
class Entry:
    id: str  # urn:uuid of the record: stable whatever the site's address becomes
    title: str
    url: str  # path on this site
    updated: dt.datetime
    category: str
    summary: str


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def entries(db: AsyncSession, council: Council, now: dt.datetime) -> list[Entry]:
    """The newest FEED_SIZE public notices, counted results and published minutes."""
    found: list[Entry] = []
    for n in await datasets.notice_rows(db, council, now):
        if n.published_at is not None:
            period = _("公示期 %(a)s 至 %(b)s", a=n.first_day, b=n.last_day)
            found.append(
                Entry(
                    f"urn:uuid:{n.id}",
                    f"{n.kind_label}：{n.title}",
                    n.url,
                    n.published_at,
                    _("公示"),
                    f"{period}。{n.body}",
                )
            )
    for b in await datasets.ballot_rows(db, council, now):
        decided = b.certified_at or b.closed_at
        if decided is not None and b.counts is not None:
            verdict = _("通过") if b.passed else _("未通过")
            counts = "，".join(f"{k}：{v}" for k, v in b.counts.items())
            found.append(
                Entry(
                    f"urn:uuid:{b.id}",
                    _("表决结果：%(q)s（%(v)s）", q=b.question, v=verdict),
                    b.url,
                    decided,
                    _("表决结果"),
                    _(
                        "%(s)s。投票 %(c)s / 应投 %(e)s。%(n)s",
                        s=b.status_label,
                        c=b.cast,
                        e=b.eligible,
                        n=counts,
                    ),
                )
            )
    for m in await datasets.minutes_rows(db, council, now):
        if m.published_at is not None:
            found.append(
                Entry(
                    f"urn:uuid:{m.id}",
                    _("会议纪要：%(m)s · %(i)s", m=m.meeting_title, i=m.item),
                    m.url,
                    m.published_at,
                    _("会议纪要"),
                    m.text,
                )
            )
    found.sort(key=lambda e: (e.updated, e.id), reverse=True)
    return found[:FEED_SIZE]
