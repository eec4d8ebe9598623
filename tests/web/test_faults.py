"""Faults: a database that cannot be reached gives a clear 503, not a stack trace (S37)."""

from __future__ import annotations

from pathlib import Path

from council.app import create_app
from tests.databases import make_settings
from tests.support import client_for


async def test_S37_unreachable_database_is_a_clear_503(tmp_path: Path) -> None:
    # A PostgreSQL address where nothing listens.
    settings = make_settings("postgresql://council@127.0.0.1:9/council", tmp_path)
    async with client_for(create_app(settings)) as client:
        response = await client.get("/c/zhonglou")
        fragment = await client.get("/c/zhonglou", headers={"HX-Request": "true"})
    assert response.status_code == 503
    assert "服务暂时不可用" in response.text and "请稍后重试" in response.text
    assert fragment.status_code == 503 and "<html" not in fragment.text
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_S37_healthz_does_not_touch_the_database(tmp_path: Path) -> None:
    settings = make_settings("postgresql://council@127.0.0.1:9/council", tmp_path)
    async with client_for(create_app(settings)) as client:
        assert (await client.get("/healthz")).status_code == 200
