"""Sessions and roles are cached per process and checked against the person's auth version:
a change made through one process is refused by another on its very next request (S17, S28).
Two apps on one database stand for two processes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.app import create_app
from council.clock import FixedClock
from council.councils.models import ClaimStatus, Membership, Role
from council.settings import Settings
from council.workorders.models import DepartmentCouncil, DepartmentLiaison
from tests.support import Client, client_for, on_app_loop, post_form, sign_in

COOKIE = "council_session"


@pytest.fixture
async def other_app(settings: Settings, clock: FixedClock) -> AsyncIterator[Litestar]:
    """A second process on the same database."""
    application = create_app(settings, clock=clock)
    yield application
    await application.state.alchemy.get_engine().dispose()


async def _facilitator_membership(db: AsyncSession) -> object:
    await db.rollback()
    return await db.scalar(
        sa.select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Person.login == "zhuchi",
            Membership.role == Role.FACILITATOR,
            Membership.status == ClaimStatus.VERIFIED,
        )
    )


async def test_S17_role_removed_in_one_process_is_refused_in_the_other(
    client: Client, other_app: Litestar, db: AsyncSession
) -> None:
    async with client_for(other_app) as facilitator:
        await sign_in(facilitator, "zhuchi")
        # Twice: the second answer comes from the other process's cache.
        for _ in range(2):
            assert (await facilitator.get("/c/zhonglou/manage")).status_code == 200
        await sign_in(client, "admin")
        membership_id = await _facilitator_membership(db)
        ended = await post_form(client, f"/c/zhonglou/manage/members/{membership_id}/end")
        assert ended.status_code == 303
        assert (await facilitator.get("/c/zhonglou/manage")).status_code == 404


async def test_S28_signed_out_in_one_process_is_signed_out_in_the_other(
    client: Client, other_app: Litestar
) -> None:
    await sign_in(client, "jumin01")
    async with client_for(other_app) as same_browser:
        same_browser.cookies.set(COOKIE, str(client.cookies.get(COOKIE)), domain="testserver.local")
        for _ in range(2):
            assert (await same_browser.get("/me")).status_code == 200
        assert (await post_form(client, "/signout")).status_code == 303
        response = await same_browser.get("/me")
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_S17_person_disabled_in_the_database_is_refused_from_the_cache(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    await sign_in(client, "jumin01")
    for _ in range(2):
        assert (await client.get("/me")).status_code == 200
    await db.execute(
        sa.update(Person).where(Person.login == "jumin01").values(disabled_at=clock.now())
    )
    await db.commit()
    assert (await client.get("/me")).status_code == 303


async def test_S30_batched_touches_keep_the_session_alive_in_the_other_process(
    app: Litestar, client: Client, other_app: Litestar, clock: FixedClock
) -> None:
    """Activity seen by one process, once its touches are written out, keeps the session
    alive in another process that has not seen the person for longer than the idle limit."""
    await sign_in(client, "jumin01")
    async with client_for(other_app) as same_browser:
        same_browser.cookies.set(COOKIE, str(client.cookies.get(COOKIE)), domain="testserver.local")
        assert (await same_browser.get("/me")).status_code == 200
        clock.advance(minutes=100)
        assert (await client.get("/me")).status_code == 200
        on_app_loop(app.state.sessions.flush)  # as the process does every 30 seconds
        clock.advance(minutes=100)
        assert (await same_browser.get("/me")).status_code == 200
        clock.advance(minutes=121)
        assert (await same_browser.get("/me")).status_code == 303


async def _auth_version(db: AsyncSession, login: str) -> int:
    await db.rollback()
    return int(await db.scalar(sa.select(Person.auth_version).where(Person.login == login)))


async def test_S17_a_liaisons_department_changes_refresh_his_cached_roles(
    db: AsyncSession, clock: FixedClock
) -> None:
    """A liaison's roles come from department_liaison and department_council: ending him, or
    his department no longer serving a council, raises his auth version like a membership."""
    liaison = await db.scalar(
        sa.select(DepartmentLiaison)
        .join(Person, Person.id == DepartmentLiaison.person_id)
        .where(Person.login == "jiaojing")
    )
    assert liaison is not None
    department_id = liaison.department_id
    before = await _auth_version(db, "jiaojing")
    await db.execute(
        sa.delete(DepartmentCouncil).where(DepartmentCouncil.department_id == department_id)
    )
    await db.commit()
    served_less = await _auth_version(db, "jiaojing")
    assert served_less > before
    await db.execute(
        sa.update(DepartmentLiaison)
        .where(DepartmentLiaison.department_id == department_id)
        .values(ended_at=clock.now())
    )
    await db.commit()
    assert await _auth_version(db, "jiaojing") > served_less
