"""Street programmes over HTTP on the demo: the public pages carry the 流动红旗, 今日值日 and
compliance; refused forms answer in place (the form, its input and the zh-CN message, the
right status, text/html) and change nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.councils.models import Shop
from council.notices.models import Notice
from council.programmes.models import (
    PointEntry,
    RatingScore,
    Redemption,
    RotaDuty,
    RotaSwap,
    ShopOffer,
)
from tests.programmes_support import open_round_over_http
from tests.support import Client, client_for, post_form, sign_in, text_of

BASE = "/c/zhonglou"
HTML = "text/html; charset=utf-8"


async def _counts(db: AsyncSession) -> tuple[int, ...]:
    await db.rollback()  # end the read snapshot to see what the app wrote
    models = (AuditEntry, RatingScore, PointEntry, Redemption, RotaSwap, Notice)
    return tuple([await db.scalar(sa.select(sa.func.count(m.id))) or 0 for m in models])


async def test_public_pages_show_the_flag_todays_duty_and_compliance(client: Client) -> None:
    front = text_of((await client.get(BASE)).text)
    assert "流动红旗 14 号 港口海鲜大排档" in front
    assert "今日值日 4 号 阿强烤鱼" in front
    assert "外摆合规率 98%" in front
    shop = await client.get(f"{BASE}/shops/14")
    assert shop.status_code == 200 and shop.headers["content-type"] == HTML
    assert "2026年第三季度文明诚信商户第一名 · 94.2 分" in text_of(shop.text)
    for path in ("/street", "/ratings", "/points", "/rota", "/inspections", "/shops/12"):
        response = await client.get(f"{BASE}{path}")
        assert response.status_code == 200, path
        assert response.headers["content-type"] == HTML, path
    ratings = text_of((await client.get(f"{BASE}/ratings")).text)
    for title in ("2025年第四季度", "2026年第一季度", "2026年第二季度", "2026年第三季度"):
        assert title in ratings
    compliance = text_of((await client.get(f"{BASE}/inspections")).text)
    assert "2025-12 20 13 65%" in compliance and "2026-11 40 39 98%" in compliance


async def _shop_id(db: AsyncSession, number: str) -> str:
    found = await db.scalar(sa.select(Shop.id).where(Shop.number == number))
    assert found is not None
    return found.hex


async def test_rating_scoring_ones_own_shop_answers_in_place_and_changes_nothing(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    url = await open_round_over_http(
        app, db, "商会：shop09\n社区：dangwei\n居民代表：jumin02", "9, 12"
    )
    await sign_in(client, "shop09")
    own = f"{url}/shops/{await _shop_id(db, '9')}"
    form = await client.get(own)
    assert "不能给自己评分" in text_of(form.text)
    before = await _counts(db)
    dims = re.findall(
        r'name="(score_[0-9a-f]{32})"',
        (await client.get(f"{url}/shops/{await _shop_id(db, '12')}")).text,
    )
    assert len(dims) == 6
    response = await post_form(client, own, dict.fromkeys(dims, "10"))
    assert response.status_code == 403
    assert response.headers["content-type"] == HTML
    assert "不能给自己经营的店铺评分" in text_of(response.text)
    assert 'value="10"' in response.text  # the input is kept
    assert await _counts(db) == before


async def test_points_redeeming_more_than_the_balance_answers_in_place(
    client: Client, db: AsyncSession
) -> None:
    """孙志明 (jumin02) has 4 points in the demo; 烧烤代金券 needs 30."""
    offer = await db.scalar(sa.select(ShopOffer.id).where(ShopOffer.title == "烧烤代金券 30 元"))
    await sign_in(client, "jumin02")
    before = await _counts(db)
    response = await post_form(client, f"{BASE}/points/offers/{offer}/redeem")
    assert response.status_code == 409
    assert response.headers["content-type"] == HTML
    assert "积分不足：余额 4 分，兑换需要 30 分" in text_of(response.text)
    assert "我的积分" in text_of(response.text)  # the points page, not a bare error
    assert await _counts(db) == before


async def test_points_crediting_before_the_notice_ends_answers_in_place(
    client: Client, db: AsyncSession
) -> None:
    """This month's 清洁家园日 awards went into notice yesterday: 3 days, not over yet."""
    notice = await db.scalar(
        sa.select(Notice.id).where(Notice.kind == "award", Notice.status == "published")
    )
    assert notice is not None
    await sign_in(client, "zhuchi")
    before = await _counts(db)
    response = await post_form(client, f"{BASE}/points/notices/{notice}/credit")
    assert response.status_code == 409
    assert response.headers["content-type"] == HTML
    text = text_of(response.text)
    assert "积分须公示期满、异议均已答复后才能入账" in text and "还剩" in text
    assert "积分审核与入账" in text
    assert await _counts(db) == before


async def test_points_a_ledger_entry_has_no_way_to_be_edited(
    client: Client, db: AsyncSession
) -> None:
    entry = await db.scalar(sa.select(PointEntry).where(PointEntry.kind == "award").limit(1))
    assert entry is not None
    entry_id, person_id, amount = entry.id, entry.person_id, entry.amount
    await sign_in(client, "zhuchi")
    before = await _counts(db)
    for method in ("put", "patch", "delete", "post"):
        response = await getattr(client, method)(f"{BASE}/points/entries/{entry_id}")
        assert response.status_code in (403, 404, 405), method
    # The correction form adds an entry; a "correction" that would not undo it is refused.
    url = f"{BASE}/points/people/{person_id}/entries/{entry_id}/correct"
    response = await post_form(client, url, {"amount": str(amount), "reason": "改成双倍"})
    assert response.status_code == 422
    assert "更正只能冲抵原记录" in text_of(response.text)
    assert await _counts(db) == before


async def test_rota_a_swap_the_other_shop_did_not_agree_to_is_refused(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    rows = (
        await db.execute(
            sa.select(RotaDuty, Shop.number)
            .join(Shop, Shop.id == RotaDuty.shop_id)
            .where(RotaDuty.done_at.is_(None))
            .order_by(RotaDuty.day.desc())
            .limit(2)
        )
    ).all()
    (later, later_shop), (earlier, earlier_shop) = rows
    later_id, earlier_id, later_owner = later.id, earlier.id, later.shop_id
    mine = f"shop{int(earlier_shop):02d}"
    async with client_for(app) as asking:
        await sign_in(asking, mine)
        response = await post_form(
            asking, f"{BASE}/rota/duties/{earlier_id}/swap", {"other_duty_id": later_id.hex}
        )
        assert response.status_code == 303, text_of(response.text)[:300]
        await db.rollback()  # a fresh snapshot: see the swap the app made
        swap = await db.scalar(sa.select(RotaSwap.id).order_by(RotaSwap.created_at.desc()))
        assert swap is not None
        before = await _counts(db)
        refused = await post_form(asking, f"{BASE}/rota/swaps/{swap}", {"decision": "accept"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == HTML
    assert "调换须由对方店铺同意" in text_of(refused.text)
    assert await _counts(db) == before
    await sign_in(client, f"shop{int(later_shop):02d}")
    agreed = await post_form(client, f"{BASE}/rota/swaps/{swap}", {"decision": "accept"})
    assert agreed.status_code == 303
    await db.rollback()
    moved = await db.get(RotaDuty, earlier_id)
    assert moved is not None and moved.shop_id == later_owner
