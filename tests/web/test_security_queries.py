"""Sort, filter and search parameters against SECURITY S24: hostile values are ignored (the
default list comes back) or refused with a zh-CN 400/422; never a 5xx, never SQL, never
hidden or another council's records. Search treats ``%`` and ``_`` as the characters they
are."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from httpx import Response
from litestar import Litestar

from tests.intake import BASE, move, submit_as
from tests.support import Client, client_for, sign_in_directly, text_of

HOSTILE = [
    "id;DROP TABLE person",
    "__class__",
    "desc) --",
    "%' OR 1=1 --",
    "' OR ''='",
    "bogus",
    "submitted",  # a real status, but not a public one
    "withdrawn",
    "-1",
    "99999999999999999999999999",
    "x" * 5000,
]
HIDDEN_TITLE = "未受理的隐藏诉求ZX1"
PUBLIC_TITLE = "已立项的公开诉求ZX2"


def numbers(html: str) -> list[int]:
    """The issue numbers a list shows, in the order shown."""
    return [int(n) for n in re.findall(r"#(\d+)\b", text_of(html))]


def refused_or_ignored(response: Response, default: list[int] | None = None) -> None:
    """200 with the default list, or a clear zh-CN refusal; a 5xx is always a failure."""
    if response.status_code in (400, 422):
        assert "请求有误" in text_of(response.text) or "提交的内容有误" in text_of(response.text)
        return
    assert response.status_code == 200, response.text[:300]
    if default is not None:
        assert numbers(response.text) == default


async def _hidden_and_public(client: Client) -> tuple[UUID, UUID]:
    """One issue left pending (hidden) and one accepted (public)."""
    hidden = await submit_as(client, "jumin11", HIDDEN_TITLE)
    public = await submit_as(client, "jumin12", PUBLIC_TITLE)
    assert (await move(client, "zhuchi", public, "triage")).status_code == 303
    assert (await move(client, "zhuchi", public, "accepted", reason="列入议题")).status_code == 303
    client.cookies.clear()
    return hidden, public


@pytest.mark.parametrize("param", ["status", "category", "sort", "order", "kind", "page"])
async def test_S24_public_issue_list_ignores_hostile_filters_and_sorts(
    client: Client, param: str
) -> None:
    """Every hostile value of a filter or sort on the public list → the default list."""
    await _hidden_and_public(client)
    default = await client.get(f"{BASE}/")
    expected = numbers(default.text)
    assert PUBLIC_TITLE in default.text and HIDDEN_TITLE not in default.text
    assert len(expected) > 1
    for value in HOSTILE:
        for headers in ({}, {"HX-Request": "true"}):
            response = await client.get(f"{BASE}/", params={param: value}, headers=headers)
            refused_or_ignored(response, expected)
            assert HIDDEN_TITLE not in response.text
    repeated = await client.get(f"{BASE}/?{param}=bogus&{param}=submitted&{param}=accepted")
    assert repeated.status_code in (200, 400)
    assert HIDDEN_TITLE not in repeated.text


async def test_S24_search_is_literal_text_never_sql(client: Client) -> None:
    """``q`` matches the words typed: quotes, ``%`` and ``_`` are characters, not syntax."""
    await _hidden_and_public(client)
    for title in ("油烟达标率 100% 了吗", "a_b 路段占道"):
        issue = await submit_as(client, "jumin13", title)
        assert (await move(client, "zhuchi", issue, "triage")).status_code == 303
        assert (await move(client, "zhuchi", issue, "accepted", reason="列入")).status_code == 303
    client.cookies.clear()

    async def found(q: str) -> str:
        response = await client.get(f"{BASE}/", params={"q": q})
        assert response.status_code == 200
        fragment = await client.get(f"{BASE}/", params={"q": q}, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert text_of(fragment.text) in text_of(response.text)
        return text_of(fragment.text)

    percent = await found("%")
    assert "共 1 个诉求" in percent and "100%" in percent
    underscore = await found("_")
    assert "共 1 个诉求" in underscore and "a_b" in underscore
    assert "共 1 个诉求" in await found("0%")
    for hostile in ("%' OR 1=1 --", "' OR ''='", "%%", "a%b", "\\", "\\%", "_%_%_"):
        page = await found(hostile)
        assert "共 0 个诉求" in page, hostile
    assert "共 1 个诉求" in await found("ZX2")  # a plain word still finds its issue
    assert "共 0 个诉求" in await found("ZX1")  # the pending one is never found
    long = await found("%" * 5000)
    assert "共 0 个诉求" in long


async def test_S24_stats_ignore_query_parameters(client: Client) -> None:
    await _hidden_and_public(client)
    default = text_of((await client.get(f"{BASE}/stats")).text)
    for value in HOSTILE:
        response = await client.get(
            f"{BASE}/stats", params={"status": value, "sort": value, "month": value}
        )
        assert response.status_code == 200
        assert text_of(response.text) == default


async def test_S24_facilitator_queue_ignores_hostile_sort_and_filters(app: Litestar) -> None:
    """The queue's sort, status, kind and category come from allowlists: the default order."""
    async with client_for(app) as client:
        await _hidden_and_public(client)
        await sign_in_directly(client, "zhuchi")
        default = await client.get(f"{BASE}/queue")
        expected = numbers(default.text)
        assert HIDDEN_TITLE in default.text and len(expected) > 1
        for param in ("sort", "status", "kind", "category", "order"):
            for value in HOSTILE:
                if param == "status" and value in ("submitted", "withdrawn"):
                    continue  # real statuses: the queue may filter by them
                response = await client.get(f"{BASE}/queue", params={param: value})
                refused_or_ignored(response, expected)
        for sort in ("oldest", "newest"):  # the allowlisted sorts do sort
            assert sorted(numbers((await client.get(f"{BASE}/queue?sort={sort}")).text)) == sorted(
                expected
            )


@pytest.mark.parametrize(
    "value", ["1;DROP TABLE audit_entry", "abc", "-5", "0", "99999999999999999999999999", "1e9"]
)
async def test_S24_audit_page_cursor_is_checked(client: Client, value: str) -> None:
    """``before`` is an entry number: anything else is a zh-CN 422 (S24), a huge one is
    harmless."""
    response = await client.get("/c/zhonglou/audit", params={"before": value})
    assert response.status_code in (200, 422), response.text[:300]
    if response.status_code == 422:
        assert "格式不正确或超出范围" in text_of(response.text)


@pytest.mark.parametrize(
    "query",
    [
        "from=abc&to=2",
        "from=-1&to=2",
        "from=1&to=99999999999999999999999999",
        "from=1;DROP TABLE person&to=2",
        "from=1&from=2&to=2",
        "to=__class__",
    ],
)
async def test_S24_convention_diff_versions_are_checked(client: Client, query: str) -> None:
    from tests.conventions_support import BASE as CONVENTIONS

    index = await client.get(f"{CONVENTIONS}/")
    found = re.search(r"/conventions/([0-9a-f-]{32,36})", index.text)
    assert found, "the demo has a public convention"
    response = await client.get(f"{CONVENTIONS}/{found.group(1)}/diff?{query}")
    assert response.status_code in (200, 404, 422), response.text[:300]
    if response.status_code != 200:
        assert "格式不正确或超出范围" in text_of(response.text) or "找不到" in text_of(
            response.text
        )
