"""The public pages answer, with the demo council on them."""

from __future__ import annotations

from tests.support import Client, text_of


async def test_home_lists_the_demo_council(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "钟楼烟火商居议事会" in text_of(response.text)


async def test_public_roster_and_shop_pages_show_constituencies_and_shops(client: Client) -> None:
    roster = await client.get("/c/zhonglou/members")
    assert roster.status_code == 200
    for label in ("商户代表", "居民代表", "社区党组织", "物业", "职能部门", "专家/律师"):
        assert label in text_of(roster.text)
    shops = await client.get("/c/zhonglou/shops")
    assert shops.status_code == 200
    assert "店铺（40 家）" in text_of(shops.text)
    assert "老王烧烤" in text_of(shops.text)


async def test_healthz_answers_without_templates(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"
