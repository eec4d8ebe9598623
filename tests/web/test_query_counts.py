"""Each page type runs a fixed number of statements, whatever the number of rows it shows:
no statement per row (N+1). Counted on the app's engine for a page made afresh (anonymous
pages are then served from the cache without any)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from council.consultations.models import Meeting
from council.councils.models import Council
from council.issues.models import Issue
from council.issues.workflow import PUBLIC
from council.notices.models import Notice, Objection
from council.notices.periods import NoticeKind, NoticeStatus
from council.voting.models import Ballot
from council.voting.workflow import Status
from council.web.pagecache import PAGE_SECONDS
from tests.support import Client, csrf_token, sign_in, sign_in_directly, statements
from tests.voting_support import BASE as BALLOTS
from tests.voting_support import opened, vote_as

# Page → most statements it may run (the session lookup and anonymous counting included).
CEILINGS = {
    "/": 4,
    # The noticeboard: each of its sections in a fixed number of statements.
    "/c/zhonglou": 22,
    "/c/zhonglou/issues": 6,
    "/c/zhonglou/meetings": 4,
    "/c/zhonglou/ballots": 4,
    "/c/zhonglou/audit": 8,
    "issue": 15,
    "ballot": 18,
    "meeting": 14,
}
# A signed-in person's issue list adds what they may do with each kind of issue.
SIGNED_IN = {"/c/zhonglou/issues": 9}
TOUCH = 1


async def _examples(db: AsyncSession) -> dict[str, str]:
    """A public issue, a closed ballot and a meeting of the demo council."""
    council = sa.select(Council.id).where(Council.slug == "zhonglou").scalar_subquery()
    issue = await db.scalar(
        sa.select(Issue.id).where(Issue.council_id == council, Issue.status.in_(PUBLIC)).limit(1)
    )
    ballot = await db.scalar(
        sa.select(Ballot.id)
        .where(Ballot.council_id == council, Ballot.status.in_((Status.CLOSED, Status.CERTIFIED)))
        .limit(1)
    )
    meeting = await db.scalar(sa.select(Meeting.id).where(Meeting.council_id == council).limit(1))
    return {
        "issue": f"/c/zhonglou/issues/{issue}",
        "ballot": f"/c/zhonglou/ballots/{ballot}",
        "meeting": f"/c/zhonglou/meetings/{meeting}",
    }


async def _count(app: Litestar, client: Client, path: str) -> int:
    with statements(app) as seen:
        response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    # The anonymous count's own statement (PostgreSQL) is the limiter's, not the page's.
    return len([s for s in seen if "rate_counter" not in s])


@pytest.mark.parametrize("who", ["anonymous", "zhuchi"])
async def test_each_page_type_stays_under_its_statement_ceiling(
    app: Litestar, client: Client, db: AsyncSession, who: str
) -> None:
    if who != "anonymous":
        await sign_in(client, who)
    paths = {**{p: p for p in CEILINGS if p.startswith("/")}, **await _examples(db)}
    if who == "anonymous":
        del paths["meeting"]  # for members only
    counts = {name: await _count(app, client, path) for name, path in paths.items()}
    ceilings = {**CEILINGS, **SIGNED_IN} if who != "anonymous" else CEILINGS
    if who != "anonymous":
        # The session's idle clock, touched at most once a minute, may fall in any request.
        ceilings = {name: n + TOUCH for name, n in ceilings.items()}
    over = {name: n for name, n in counts.items() if n > ceilings[name]}
    assert not over, repr(counts)


async def _add_notices(db: AsyncSession, now: dt.datetime, running: int, ended: int) -> None:
    """Published notices of the demo council, in their period or past it, each with an
    answered and an unanswered objection."""
    council = await db.scalar(sa.select(Council).where(Council.slug == "zhonglou"))
    assert council is not None
    for i in range(running + ended):
        days = 7 if i < running else -3
        notice = Notice(
            council_id=council.id,
            kind=NoticeKind.GENERAL,
            status=NoticeStatus.PUBLISHED,
            title=f"公示 {i}",
            body="内容",
            period_days=7,
            published_at=now - dt.timedelta(days=1 if i < running else 12),
            ends_at=now + dt.timedelta(days=days),
        )
        db.add(notice)
        await db.flush()
        for answered in (True, False):
            db.add(
                Objection(
                    council_id=council.id,
                    notice_id=notice.id,
                    name="王先生",
                    contact="13800000000",
                    body="异议",
                    lodged_at=now - dt.timedelta(hours=1),
                    due_at=now + dt.timedelta(days=5),
                    answer="答复" if answered else "",
                    answered_at=now if answered else None,
                )
            )
    await db.commit()


async def _reads(app: Litestar, client: Client, clock: FixedClock, path: str) -> int:
    """The reads of the page made afresh (the session's idle clock may write in any request):
    past PAGE_SECONDS, nothing cached for its council is served."""
    clock.advance(seconds=PAGE_SECONDS.total_seconds())
    with statements(app) as seen:
        response = await client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len([s for s in seen if s.startswith("SELECT") and "rate_counter" not in s])


async def test_the_noticeboard_reads_no_more_for_more_notices(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    await sign_in(client, "zhuchi")
    await client.get("/c/zhonglou")  # what the first request after signing in reads once
    before = await _reads(app, client, clock, "/c/zhonglou")
    await _add_notices(db, clock.now(), running=4, ended=6)
    after = await _reads(app, client, clock, "/c/zhonglou")
    page = (await client.get("/c/zhonglou")).text
    assert "公示 0" in page and "异议 2 条，已答复 1 条" in page
    assert after == before <= CEILINGS["/c/zhonglou"], (before, after)


# A vote: the session check, the council and the electorate, read by the request (the ballot
# and its options come from the process's open ballots once a vote on it was checked); then
# the writer's batch: the ballot (locked), the hourly quota (read and counted), the vote, the
# audit chain's head (read, entries, update) and the page versions, one statement each
# however many votes the batch holds.
VOTE_CEILING = 11


async def test_a_vote_stays_under_its_statement_ceiling(app: Litestar, client: Client) -> None:
    ballot = await opened(app)
    assert (await vote_as(app, "jumin02", ballot, "no")).status_code == 303
    await sign_in_directly(client, "jumin01")
    token = await csrf_token(client)
    with statements(app) as seen:
        response = await client.post(
            f"{BALLOTS}/{ballot}/vote", data={"_csrf_token": token, "choice": "yes"}
        )
    assert response.status_code == 303, response.text
    assert len(seen) <= VOTE_CEILING, "\n".join(s[:120] for s in seen)
