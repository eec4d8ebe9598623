"""CSRF: every unsafe request needs the token, for plain forms and htmx alike (S25)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.models import Shop
from tests.support import Client, csrf_token, sign_in

NEW_SHOP = {"number": "88", "name": "新开张烧烤"}


async def _shop_exists(db: AsyncSession) -> bool:
    await db.rollback()  # end the read snapshot to see what the app wrote
    return bool(await db.scalar(sa.select(Shop.id).where(Shop.number == "88")))


async def test_S25_form_post_without_token_is_refused_and_changes_nothing(
    client: Client, db: AsyncSession
) -> None:
    await sign_in(client, "zhuchi")
    response = await client.post("/c/zhonglou/manage/shops", data=NEW_SHOP)
    assert response.status_code == 403
    assert "安全校验失败" in response.text
    assert not await _shop_exists(db)


async def test_S25_form_post_with_a_forged_token_is_refused(
    client: Client, db: AsyncSession
) -> None:
    await sign_in(client, "zhuchi")
    forged = {**NEW_SHOP, "_csrf_token": "0" * 128}
    response = await client.post("/c/zhonglou/manage/shops", data=forged)
    assert response.status_code == 403
    assert not await _shop_exists(db)


async def test_S25_htmx_post_without_header_is_refused(client: Client, db: AsyncSession) -> None:
    await sign_in(client, "zhuchi")
    response = await client.post(
        "/c/zhonglou/manage/shops", data=NEW_SHOP, headers={"HX-Request": "true"}
    )
    assert response.status_code == 403
    assert 'id="error-403"' in response.text  # an error fragment, not a whole page
    assert "<html" not in response.text
    assert not await _shop_exists(db)


async def test_htmx_post_with_header_token_is_accepted(client: Client, db: AsyncSession) -> None:
    await sign_in(client, "zhuchi")
    token = await csrf_token(client)
    response = await client.post(
        "/c/zhonglou/manage/shops",
        data=NEW_SHOP,
        headers={"HX-Request": "true", "x-csrftoken": token},
    )
    assert response.status_code == 303
    assert await _shop_exists(db)


async def test_S25_get_to_a_post_route_is_405(client: Client) -> None:
    response = await client.get("/signout")
    assert response.status_code == 405
    assert "不支持这种请求方式" in response.text
