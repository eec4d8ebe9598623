"""The demo council carries the intake story: the fume complaints became the matter."""

from __future__ import annotations

from tests.support import Client, sign_in_directly, text_of


async def test_demo_fume_complaint_is_the_accepted_matter_with_cosigns(client: Client) -> None:
    page = text_of((await client.get("/c/zhonglou/issues", params={"q": "油烟直排"})).text)
    assert "美食街烧烤油烟直排，楼上住户常年不敢开窗" in page
    assert "已立项" in page
    # 8 co-signers, plus the merged duplicate's submitter; its co-signers were already there
    assert "附议 9 人" in page


async def test_demo_has_referred_rejected_and_a_closed_call(client: Client) -> None:
    listing = text_of((await client.get("/c/zhonglou/issues")).text)
    for title in ("人行道被外摆桌椅占满", "隔油池满溢", "要求取消美食街夜市"):
        assert title in listing
    assert "夜里 11 点后外摆音响噪音" not in listing  # still pending: council only
    calls = text_of((await client.get("/c/zhonglou/calls")).text)
    assert "美食街油烟治理方案意见征集" in calls and "已收到 11 份意见" in calls
    await sign_in_directly(client, "zhuchi")
    queue = text_of((await client.get("/c/zhonglou/issues/queue")).text)
    assert "夜里 11 点后外摆音响噪音" in queue and "隔油池满溢" in queue
