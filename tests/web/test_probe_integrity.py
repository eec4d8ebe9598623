"""Who signs off, who may vote, whose name is shown: supervisors come from the administrator
and never double as the facilitator; invisible characters never reach a name; a ballot whose
base or quorum is 实到 is cast by those present at its opening alone (rule 14); receipts
list shops in street order; the call CSV carries one byte-order mark and one charset."""

from __future__ import annotations

import json
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit.models import AuditEntry
from council.councils.models import ClaimStatus, Membership, Role
from tests.support import Client, audit_actions, post_form, sign_in, text_of

MEMBERS = "/c/zhonglou/manage/members"


async def _audit_count(db: AsyncSession) -> int:
    await db.rollback()  # end the read snapshot to see what the app wrote
    return int(await db.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0)


async def _roles(db: AsyncSession, login: str) -> set[Role]:
    await db.rollback()
    rows = await db.execute(
        sa.select(Membership.role)
        .join(Person, Person.id == Membership.person_id)
        .where(Person.login == login, Membership.status == ClaimStatus.VERIFIED)
    )
    return set(rows.scalars())


# --- 6: supervisors are appointed by the administrator, never the facilitator ----------------


async def test_probe_6_facilitator_cannot_appoint_himself_supervisor(
    client: Client, db: AsyncSession
) -> None:
    before = await _audit_count(db)
    await sign_in(client, "zhuchi")
    response = await post_form(
        client, MEMBERS, {"login": "zhuchi", "role": "supervisor", "title": "兼任"}
    )
    assert response.status_code == 403
    page = text_of(response.text)
    assert "监督员由街道管理员任命，主持人不能任命" in page
    assert 'id="f-login"' in response.text and 'value="zhuchi"' in response.text  # in place
    assert await _roles(db, "zhuchi") == {Role.FACILITATOR}
    assert await _audit_count(db) == before


async def test_probe_6_facilitator_is_not_offered_the_supervisor_role_nor_may_grant_it(
    client: Client, db: AsyncSession
) -> None:
    await sign_in(client, "zhuchi")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert '<option value="observer"' in manage
    assert '<option value="supervisor"' not in manage
    before = await _audit_count(db)
    response = await post_form(client, MEMBERS, {"login": "jumin12", "role": "supervisor"})
    assert response.status_code == 403 and "监督员由街道管理员任命" in text_of(response.text)
    assert Role.SUPERVISOR not in await _roles(db, "jumin12")
    assert await _audit_count(db) == before


async def test_probe_6_facilitator_cannot_end_the_supervisor(
    client: Client, db: AsyncSession
) -> None:
    membership_id = await db.scalar(
        sa.select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(Person.login == "jiandu", Membership.role == Role.SUPERVISOR)
    )
    await sign_in(client, "zhuchi")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert f"/manage/members/{membership_id}/end" not in manage
    before = await _audit_count(db)
    response = await post_form(client, f"{MEMBERS}/{membership_id}/end")
    assert response.status_code == 403
    assert await _roles(db, "jiandu") == {Role.SUPERVISOR}
    assert await _audit_count(db) == before


async def test_probe_6_administrator_cannot_make_the_facilitator_supervisor(
    client: Client, db: AsyncSession
) -> None:
    before = await _audit_count(db)
    await sign_in(client, "admin")
    response = await post_form(client, MEMBERS, {"login": "zhuchi", "role": "supervisor"})
    assert response.status_code == 422
    assert "刘敏 是本议事会的主持人，不能同时担任监督员" in text_of(response.text)
    assert 'value="zhuchi"' in response.text
    assert await _roles(db, "zhuchi") == {Role.FACILITATOR}
    assert await _audit_count(db) == before


async def test_probe_6_administrator_cannot_make_the_supervisor_facilitator(
    client: Client, db: AsyncSession
) -> None:
    before = await _audit_count(db)
    await sign_in(client, "admin")
    response = await post_form(client, "/admin/councils/zhonglou/facilitators", {"login": "jiandu"})
    assert response.status_code == 422
    assert "陈国强 是本议事会的监督员，不能同时担任主持人" in text_of(response.text)
    assert await _roles(db, "jiandu") == {Role.SUPERVISOR}
    assert await _audit_count(db) == before


async def test_the_administrator_appoints_a_supervisor(client: Client, db: AsyncSession) -> None:
    await sign_in(client, "admin")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert '<option value="supervisor"' in manage
    response = await post_form(
        client, MEMBERS, {"login": "jumin12", "role": "supervisor", "title": "居务监督委员"}
    )
    assert response.status_code == 303
    assert Role.SUPERVISOR in await _roles(db, "jumin12")
    granted = (await audit_actions(db, "membership.granted"))[-1]
    assert granted.actor_label == "街道管理员 何静" and '"role":"supervisor"' in granted.summary


async def test_probe_6_demo_supervisors_come_from_the_administrator_and_hold_no_other_staff_role(
    db: AsyncSession,
) -> None:
    rows = await db.execute(
        sa.select(Membership.council_id, Membership.person_id, Membership.role).where(
            Membership.status == ClaimStatus.VERIFIED
        )
    )
    held: dict[tuple[UUID, UUID], set[Role]] = {}
    for council_id, person_id, role in rows:
        held.setdefault((council_id, person_id), set()).add(role)
    assert any(Role.SUPERVISOR in roles for roles in held.values())
    assert not [k for k, roles in held.items() if {Role.FACILITATOR, Role.SUPERVISOR} <= roles]
    grants = [
        e
        for e in await audit_actions(db, "membership.granted")
        if json.loads(e.summary)["role"] in ("supervisor", "facilitator")
    ]
    assert grants and {e.actor_label for e in grants} == {"街道管理员 何静"}
