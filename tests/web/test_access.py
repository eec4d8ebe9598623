"""Every foundation route × every role (S13), and hidden records as 404 by any URL (S14)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit.models import AuditEntry
from council.councils.models import ClaimStatus, Membership, Role
from tests.support import Client, post_form, sign_in_directly

# who → demo login (None: a visitor without an account)
WHO = {
    "public": None,
    "resident": "jumin11",
    "merchant": "shop02",
    "member": "jumin01",
    "observer": "shijian",
    "supervisor": "jiandu",
    "facilitator": "zhuchi",
    "admin": "admin",
}
STAFF = {"supervisor", "facilitator", "admin"}

# (method, path, form, who may) → allowed get 200/303; others get 404 (hidden) or 303 to sign in
ROUTES = [
    ("GET", "/", None, set(WHO)),
    ("GET", "/c/zhonglou", None, set(WHO)),
    ("GET", "/c/zhonglou/members", None, set(WHO)),
    ("GET", "/c/zhonglou/shops", None, set(WHO)),
    ("GET", "/c/zhonglou/audit", None, set(WHO)),
    ("GET", "/me", None, set(WHO) - {"public"}),
    ("GET", "/c/zhonglou/join", None, set(WHO) - {"public"}),
    ("GET", "/c/zhonglou/manage", None, STAFF),
    ("GET", "/admin", None, {"admin"}),
    (
        "POST",
        "/c/zhonglou/manage/shops",
        {"number": "77", "name": "新店"},
        {"facilitator", "admin"},
    ),
    (
        "POST",
        "/c/zhonglou/manage/settings",
        {"notice_period_days": "10", "meeting_place": "议事室", "description": ""},
        {"facilitator", "admin"},
    ),
    ("POST", "/admin/councils", {"name": "新议事会", "slug": "xin"}, {"admin"}),
    ("POST", "/admin/councils/zhonglou/facilitators", {"login": "jumin13"}, {"admin"}),
    (
        "POST",
        "/c/zhonglou/manage/members",
        {"login": "jumin02", "role": "observer", "title": "列席"},
        {"facilitator", "admin"},
    ),
    (
        "POST",
        "/c/zhonglou/join",
        {"kind": "shop", "shop_number": "40", "note": "合伙人"},
        set(WHO) - {"public"},
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "form", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, *_ in ROUTES]
)
@pytest.mark.parametrize("who", list(WHO))
async def test_S13_route_by_role(
    client: Client,
    db: AsyncSession,
    who: str,
    method: str,
    path: str,
    form: dict | None,
    allowed: set[str],
) -> None:
    login = WHO[who]
    if login:
        await sign_in_directly(client, login)
    before = await db.scalar(sa.select(sa.func.count(AuditEntry.id)))
    if method == "GET":
        response = await client.get(path)
    else:
        response = await post_form(client, path, form)
    await db.rollback()  # end the read snapshot to see what the app wrote
    after = await db.scalar(sa.select(sa.func.count(AuditEntry.id)))
    if who in allowed:
        assert response.status_code in (200, 303), response.text[:300]
        if method == "POST":
            assert after == before + 1  # the change is in the audit chain
    else:
        if login is None:
            # A visitor is asked to sign in (pages) or refused (posts); nothing changes.
            assert response.status_code in (303, 401, 404)
        else:
            assert response.status_code in (403, 404)
        assert after == before


async def _other_council_facilitator(client: Client, db: AsyncSession) -> None:
    """A second council with its own facilitator: 'staff', but of another council."""
    await sign_in_directly(client, "admin")
    response = await post_form(
        client, "/admin/councils", {"name": "永安里商居议事会", "slug": "yonganli"}
    )
    assert response.status_code == 303
    response = await post_form(
        client, "/admin/councils/yonganli/facilitators", {"login": "jumin12"}
    )
    assert response.status_code == 303
    await post_form(client, "/signout")
    await sign_in_directly(client, "jumin12")


async def _pending_claim(db: AsyncSession) -> Membership:
    person_id = await db.scalar(sa.select(Person.id).where(Person.login == "jumin13"))
    council_id = await db.scalar(
        sa.select(Membership.council_id).where(Membership.role == Role.FACILITATOR)
    )
    claim = Membership(
        council_id=council_id,
        person_id=person_id,
        role=Role.MEMBER,
        status=ClaimStatus.PENDING,
        claim_note="住 9 栋，电话 13800000000",
    )
    db.add(claim)
    await db.commit()
    return claim


@pytest.mark.parametrize("who", ["public", "resident", "member", "other_council_facilitator"])
async def test_S14_pending_claims_are_404_to_outsiders(
    client: Client, db: AsyncSession, who: str
) -> None:
    claim = await _pending_claim(db)
    if who == "other_council_facilitator":
        await _other_council_facilitator(client, db)
    elif WHO.get(who):
        await sign_in_directly(client, str(WHO[who]))
    missing = await client.get(
        "/c/zhonglou/manage/claims/membership/00000000-0000-0000-0000-000000000000"
    )
    page = await client.get("/c/zhonglou/manage")
    fragment = await client.get("/c/zhonglou/manage", headers={"HX-Request": "true"})
    decide = await post_form(
        client, f"/c/zhonglou/manage/claims/membership/{claim.id}", {"decision": "verify"}
    )
    for response in (page, fragment):
        assert response.status_code in (303, 404)
        assert "住 9 栋" not in response.text
    assert decide.status_code in (401, 403, 404)
    assert missing.status_code in (303, 404, 405)
    await db.rollback()  # end the read snapshot to see what the app wrote
    assert (await db.get(Membership, claim.id)).status is ClaimStatus.PENDING  # type: ignore[union-attr]


async def test_S14_missing_and_forbidden_look_the_same(client: Client) -> None:
    await sign_in_directly(client, "jumin01")
    forbidden = await client.get("/c/zhonglou/manage")
    missing = await client.get("/c/no-such-council/manage")
    assert forbidden.status_code == missing.status_code == 404
    assert "找不到这个页面" in forbidden.text


async def test_R28_contact_details_never_on_public_pages(client: Client) -> None:
    """DOMAIN rule 28: phone numbers are for staff only."""
    for url in ("/c/zhonglou", "/c/zhonglou/members", "/c/zhonglou/shops"):
        assert "13907141001" not in (await client.get(url)).text
    await sign_in_directly(client, "zhuchi")
    staff = await client.get("/c/zhonglou/manage")
    assert "13907141001" in staff.text
