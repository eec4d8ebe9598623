"""Helpers for the intake room's tests: submit, act on and read issues over HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from httpx import Response
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.passwords import hash_password
from council.clock import FixedClock
from council.councils import service as councils
from council.councils.models import Council, Role
from council.councils.permissions import Actor
from council.councils.schemas import AppointForm, CouncilForm, MemberForm
from council.demo.data import DEMO_PASSWORD
from council.files.models import StoredFile
from council.issues.models import Issue, IssueCosign
from council.issues.workflow import IssueStatus
from tests.databases import PASSWORD_HASHING
from tests.support import Client, csrf_token, sign_in_directly

SLUG = "zhonglou"
BASE = f"/c/{SLUG}/issues"


async def submit(
    client: Client,
    title: str = "8 号楼下烧烤油烟直排",
    *,
    photos: list[tuple[str, bytes, str]] | None = None,
    **fields: Any,
) -> Response:
    data = {
        "_csrf_token": await csrf_token(client),
        "title": title,
        "body": "每天傍晚油烟从排风口直接排到楼道，窗户都不敢开。",
        "category": "油烟",
        "place": "美食街 8 号",
        **fields,
    }
    files = [("photos", p) for p in photos or []]
    return await client.post(f"{BASE}/new", data=data, files=files or None, follow_redirects=False)


def issue_id_from(response: Response) -> UUID:
    assert response.status_code == 303, response.text[:500]
    path = response.headers["location"].split("?")[0]
    return UUID(path.rsplit("/", 1)[1])


async def submit_as(client: Client, login: str, title: str, **kw: Any) -> UUID:
    client.cookies.clear()
    await sign_in_directly(client, login)
    return issue_id_from(await submit(client, title, **kw))


async def act(client: Client, login: str, issue_id: UUID, path: str, **data: Any) -> Response:
    client.cookies.clear()
    await sign_in_directly(client, login)
    return await client.post(
        f"{BASE}/{issue_id}/{path}",
        data={"_csrf_token": await csrf_token(client), **data},
        follow_redirects=False,
    )


async def move(client: Client, login: str, issue_id: UUID, to: str, **data: Any) -> Response:
    return await act(client, login, issue_id, "transition", to=to, **data)


async def done(db: AsyncSession) -> None:
    """End the test's read transaction: on SQLite an open one holds the write lock."""
    await db.commit()


async def issue(db: AsyncSession, issue_id: UUID) -> Issue:
    db.expire_all()
    found = await db.get(Issue, issue_id)
    await done(db)
    assert found is not None
    return found


async def status_of(db: AsyncSession, issue_id: UUID) -> IssueStatus:
    return (await issue(db, issue_id)).status


async def cosigners(db: AsyncSession, issue_id: UUID) -> list[UUID]:
    db.expire_all()
    rows = await db.execute(
        sa.select(IssueCosign.person_id).where(IssueCosign.issue_id == issue_id)
    )
    found = list(rows.scalars())
    await done(db)
    return found


async def photos_of(db: AsyncSession, issue_id: UUID) -> list[StoredFile]:
    db.expire_all()
    rows = await db.execute(sa.select(StoredFile).where(StoredFile.parent_id == issue_id))
    found = list(rows.scalars())
    await done(db)
    return found


async def other_council(db: AsyncSession) -> Council:
    """A second council with its own facilitator (waidi) and resident (waiju)."""
    admin = await db.scalar(sa.select(Person).where(Person.login == "admin"))
    assert admin is not None
    password = hash_password(DEMO_PASSWORD, PASSWORD_HASHING)
    for login, name in (("waidi", "外地主持人"), ("waiju", "外地居民")):
        db.add(Person(login=login, display_name=name, phone="13900000000", password_hash=password))
    await db.flush()
    actor = Actor(person_id=admin.id, display_name=admin.display_name, is_admin=True)
    now = FixedClock().now()
    form = CouncilForm(name="永安里商居议事会", slug="yonganli")
    council = await councils.create_council(db, actor, form, now)
    await councils.appoint_facilitator(db, actor, council, AppointForm(login="waidi"), now)
    facilitator = Actor(
        person_id=(await db.scalar(sa.select(Person.id).where(Person.login == "waidi"))),
        display_name="外地主持人",
        roles={council.id: frozenset({Role.FACILITATOR})},
    )
    await councils.add_member(
        db, facilitator, council, MemberForm(login="waiju", role=Role.RESIDENT), now
    )
    await db.commit()
    return council
