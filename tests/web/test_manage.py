"""The facilitator's work: shops, members, claims, settings; bad input changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.models import ClaimStatus, Council, Membership, Role, Shop, ShopRepresentative
from tests.support import Client, audit_actions, post_form, sign_in_directly, text_of


async def _shop_count(db: AsyncSession) -> int:
    await db.rollback()
    return int(await db.scalar(sa.select(sa.func.count(Shop.id))) or 0)


async def test_added_shop_appears_on_the_public_page_with_an_audit_entry(
    client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "zhuchi")
    response = await post_form(
        client,
        "/c/zhonglou/manage/shops",
        {
            "number": "41",
            "name": "钟楼糖水铺",
            "category": "甜品",
            "address": "钟楼烟火美食街 41 号",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/c/zhonglou/manage?notice=shop_added"
    public = text_of((await client.get("/c/zhonglou/shops")).text)
    assert "钟楼糖水铺" in public and "店铺（41 家）" in public
    entry = (await audit_actions(db, "shop.added"))[-1]
    assert '"name":"钟楼糖水铺"' in entry.summary and entry.actor_label == "刘敏"


async def test_duplicate_shop_number_is_a_clear_error_and_saves_nothing(
    client: Client, db: AsyncSession
) -> None:
    before = await _shop_count(db)
    await sign_in_directly(client, "zhuchi")
    response = await post_form(
        client, "/c/zhonglou/manage/shops", {"number": "12", "name": "冒名店"}
    )
    assert response.status_code == 422
    assert "本议事会已有编号为 12 的店铺" in response.text
    assert 'value="冒名店"' in response.text  # what the person typed is kept
    assert await _shop_count(db) == before


async def test_shop_number_is_unique_per_council_in_the_database(db: AsyncSession) -> None:
    council_id = await db.scalar(sa.select(Council.id).where(Council.slug == "zhonglou"))
    db.add(Shop(council_id=council_id, number="12", name="绕过检查"))
    try:
        await db.commit()
    except sa.exc.IntegrityError:
        await db.rollback()
    else:
        raise AssertionError("the unique constraint must refuse a duplicate shop number")


async def test_malformed_shop_form_shows_every_error(client: Client, db: AsyncSession) -> None:
    before = await _shop_count(db)
    await sign_in_directly(client, "zhuchi")
    response = await post_form(client, "/c/zhonglou/manage/shops", {"number": "12 号!", "name": ""})
    assert response.status_code == 422
    page = text_of(response.text)
    assert "门牌编号只能包含字母、数字和横线" in page and "此项必填" in page
    assert await _shop_count(db) == before


async def test_notice_period_below_seven_days_is_refused(client: Client, db: AsyncSession) -> None:
    await sign_in_directly(client, "zhuchi")
    response = await post_form(
        client, "/c/zhonglou/manage/settings", {"notice_period_days": "5", "meeting_place": "x"}
    )
    assert response.status_code == 422 and "公示期不得少于 7 天" in response.text
    await db.rollback()
    assert await db.scalar(sa.select(Council.notice_period_days)) == 7


async def test_claim_to_run_a_shop_is_pending_until_the_facilitator_verifies(
    client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "jumin12")
    response = await post_form(
        client,
        "/c/zhonglou/join",
        {"kind": "shop", "shop_number": "38", "note": "我是鲜榨果汁的合伙人"},
    )
    assert response.status_code == 303
    mine = text_of((await client.get("/me")).text)
    assert "38 号 鲜榨果汁" in mine and "待核实" in mine
    second = await post_form(client, "/c/zhonglou/join", {"kind": "shop", "shop_number": "38"})
    assert second.status_code == 409 and "已提交过这家店铺的申请" in second.text

    await post_form(client, "/signout")
    await sign_in_directly(client, "zhuchi")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert "我是鲜榨果汁的合伙人" in manage
    await db.rollback()
    claim = await db.scalar(
        sa.select(ShopRepresentative).where(ShopRepresentative.status == ClaimStatus.PENDING)
    )
    assert claim is not None
    claim_id, person_id = claim.id, claim.person_id
    no_reason = await post_form(
        client, f"/c/zhonglou/manage/claims/shop/{claim_id}", {"decision": "reject"}
    )
    assert no_reason.status_code == 422 and "驳回时请写明理由" in no_reason.text
    ok = await post_form(
        client, f"/c/zhonglou/manage/claims/shop/{claim_id}", {"decision": "verify"}
    )
    assert ok.status_code == 303
    await db.rollback()
    merchant = await db.scalar(
        sa.select(Membership).where(
            Membership.person_id == person_id, Membership.role == Role.MERCHANT
        )
    )
    assert merchant is not None and merchant.status is ClaimStatus.VERIFIED
    again = await post_form(
        client, f"/c/zhonglou/manage/claims/shop/{claim_id}", {"decision": "verify"}
    )
    assert again.status_code == 409
    assert [e.action for e in await audit_actions(db)][-2:] == ["claim.submitted", "claim.verified"]


async def test_member_needs_a_constituency_and_facilitators_come_from_the_admin(
    client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "zhuchi")
    no_seat = await post_form(
        client, "/c/zhonglou/manage/members", {"login": "jumin12", "role": "member"}
    )
    assert no_seat.status_code == 422 and "议事会成员须选择界别" in no_seat.text
    not_here = await post_form(
        client, "/c/zhonglou/manage/members", {"login": "jumin12", "role": "facilitator"}
    )
    assert not_here.status_code == 422
    unknown = await post_form(
        client, "/c/zhonglou/manage/members", {"login": "nobody", "role": "resident"}
    )
    assert unknown.status_code == 422 and "找不到这个账号" in unknown.text


async def test_admin_creates_a_council_and_appoints_its_facilitator(
    client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "admin")
    created = await post_form(
        client,
        "/admin/councils",
        {
            "name": "永安里商居议事会",
            "slug": "yonganli",
            "district": "黄石港区",
            "notice_period_days": "10",
        },
    )
    assert created.status_code == 303 and created.headers["location"].startswith("/c/yonganli")
    taken = await post_form(client, "/admin/councils", {"name": "重复", "slug": "yonganli"})
    assert taken.status_code == 422 and "这个网址名已被使用" in taken.text
    appointed = await post_form(
        client, "/admin/councils/yonganli/facilitators", {"login": "jumin12"}
    )
    assert appointed.status_code == 303
    page = text_of((await client.get("/c/yonganli")).text)
    assert "永安里商居议事会" in page and "公示期 10 天" in page
    actions = [e.action for e in await audit_actions(db)]
    assert "council.created" in actions and "membership.granted" in actions
