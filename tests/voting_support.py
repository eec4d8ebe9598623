"""Helpers for voting tests: a facilitator drafting and opening ballots over HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Litestar

from tests.support import Client, client_for, post_form, sign_in_directly

SLUG = "zhonglou"
BASE = f"/c/{SLUG}/ballots"


def ballot_id_from(location: str) -> UUID:
    return UUID(location.split("/ballots/")[1].split("?")[0].split("/")[0])


async def draft(client: Client, **fields: Any) -> UUID:
    form = {
        "question": "是否同意外摆区域限定在门前一米内",
        "pass_rule": "1/2>",
        "pass_base": "cast",
    }
    form.update({k: v for k, v in fields.items() if v is not None})
    response = await post_form(client, f"{BASE}/", form)
    assert response.status_code == 303, response.text
    return ballot_id_from(response.headers["location"])


async def opened(app: Litestar, **fields: Any) -> UUID:
    """A ballot drafted and opened by the facilitator zhuchi."""
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        ballot = await draft(facilitator, **fields)
        response = await post_form(facilitator, f"{BASE}/{ballot}/open")
        assert response.status_code == 303, response.text
    return ballot


async def vote_as(app: Litestar, login: str, ballot: UUID, choice: Any, **extra: Any) -> Any:
    async with client_for(app) as voter:
        await sign_in_directly(voter, login)
        return await post_form(voter, f"{BASE}/{ballot}/vote", {"choice": choice, **extra})


async def close(app: Litestar, ballot: UUID, action: str = "close") -> Any:
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        return await post_form(facilitator, f"{BASE}/{ballot}/{action}")
