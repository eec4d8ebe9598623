"""Feeds and open data: the Atom feed is valid Atom, each export carries what the public
pages show, every path of the served OpenAPI document answers, and a record the public may
not see answers the same 404 on every API path and is in no feed or export (S14, S18)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any
from uuid import UUID, uuid4

import feedparser
import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Minutes, MinutesStatus
from council.issues.models import Issue
from council.issues.workflow import IssueStatus
from tests.conventions_support import create as draft_convention
from tests.support import Client, post_form, signed_in
from tests.voting_support import draft as draft_ballot

C = "/c/zhonglou"
ATOM = "{http://www.w3.org/2005/Atom}"
LISTS = ("notices", "ballots", "minutes", "conventions", "issues")
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def _json(client: Client, url: str) -> Any:
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    # application/json, or the OpenAPI document's own application/vnd.oai.openapi+json
    assert re.match(r"application/([\w.]+\+)?json", response.headers["content-type"]), url
    return response.json()


async def _csv(client: Client, url: str) -> list[dict[str, str]]:
    response = await client.get(url)
    assert response.status_code == 200, url
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))


# --- the feed -------------------------------------------------------------------------------


async def test_feed_is_valid_atom_with_notices_results_and_minutes(client: Client) -> None:
    response = await client.get(f"{C}/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    # RFC 4287 §4.1.1: a feed has id, title, updated, and an author (here the feed's own).
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    assert root.find(f"{ATOM}author/{ATOM}name").text == "钟楼烟火商居议事会"  # type: ignore[union-attr]
    entries = root.findall(f"{ATOM}entry")
    assert entries
    ids = set()
    for entry in entries:
        # §4.1.2: every entry has id, title, updated, and an alternate link (no content).
        for required in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href", "").startswith("http")
        ids.add(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(entries), "entry ids are unique"
    categories = {e.tags[0].term for e in parsed.entries}
    assert categories == {"公示", "表决结果", "会议纪要"}
    notices = await _json(client, f"{C}/data/notices.json")
    published = {f"urn:uuid:{n['id']}" for n in notices["items"] if n["published_at"]}
    assert published & ids


# --- exports match the pages ---------------------------------------------------------------


def _linked_ids(html: str, kind: str) -> set[str]:
    return set(re.findall(rf'href="{C}/{kind}/({UUID_RE})"', html))


@pytest.mark.parametrize("name", LISTS)
async def test_exports_carry_what_the_public_page_shows(client: Client, name: str) -> None:
    data = await _json(client, f"{C}/data/{name}.json")
    rows = await _csv(client, f"{C}/data/{name}.csv")
    items = data["items"]
    assert items, "the demo has public records of every list"
    # The two formats carry the same rows, in the same order, with the same fields.
    assert [r["id"] for r in rows] == [i["id"] for i in items]
    assert list(rows[0]) == list(items[0])
    title = {"ballots": "question", "minutes": "text", "issues": "title"}.get(name, "title")
    assert [r[title] for r in rows] == [i[title] for i in items]
    if name == "minutes":
        for meeting in {i["meeting_id"] for i in items}:
            page = (await client.get(f"{C}/meetings/{meeting}/minutes")).text
            for item in (i for i in items if i["meeting_id"] == meeting):
                assert item["item"] in page and item["text"] in page
        return
    page = (await client.get(f"{C}/{name}")).text
    assert {i["id"] for i in items} == _linked_ids(page, name)
    for item in items:
        assert item[title] in page


# --- the API --------------------------------------------------------------------------------


async def test_openapi_document_is_served_and_every_path_answers_200(client: Client) -> None:
    schema = await _json(client, "/schema/openapi.json")
    assert schema == await _json(client, "/schema")
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert len(paths) == 2 + 2 * len(LISTS)
    assert all(p.startswith("/api/") for p in paths), "the pages are not part of the API"
    firsts = {}
    for name in LISTS:
        first = (await _json(client, f"/api/councils/zhonglou/{name}"))["items"][0]
        firsts[f"/api/councils/{{slug}}/{name}/{{record_id}}"] = first
    for path, operations in paths.items():
        assert list(operations) == ["get"], "read-only"
        url = path.replace("{slug}", "zhonglou")
        if "{record_id}" in url:
            url = url.replace("{record_id}", firsts[path]["id"])
        body = await _json(client, url)
        if path in firsts:
            assert body == firsts[path]
        # What the document promises: the named schema's required fields are all there.
        ref = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        shape = _resolve(schema, ref)
        sample = body[0] if isinstance(body, list) else body
        assert set(shape.get("required", [])) <= set(sample), path


def _resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    if ref.get("type") == "array":
        ref = ref["items"]
    name = ref["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


@pytest.mark.parametrize("name", ["issues", "ballots"])
async def test_api_pages_by_key_through_the_whole_list(client: Client, name: str) -> None:
    everything = (await _json(client, f"{C}/data/{name}.json"))["items"]
    assert len(everything) > 2
    seen: list[dict[str, Any]] = []
    url: str | None = f"/api/councils/zhonglou/{name}?limit=2"
    while url:
        page = await _json(client, url)
        assert len(page["items"]) <= 2
        seen += page["items"]
        url = page["next"]
    assert seen == everything


async def test_api_refuses_a_page_size_out_of_range(client: Client) -> None:
    response = await client.get("/api/councils/zhonglou/notices?limit=100000")
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/json")


# --- S14: a record the public may not see --------------------------------------------------


async def _draft_notice(app: Litestar, db: AsyncSession) -> UUID:
    async with signed_in(app, "zhuchi") as facilitator:
        notice = {"title": "未发布的公示", "body": "草稿正文", "kind": "general"}
        response = await post_form(facilitator, f"{C}/notices/new", notice)
        assert response.status_code == 303, response.text
        return UUID(response.headers["location"].split("/notices/")[1].split("?")[0])


async def _draft_ballot(app: Litestar, db: AsyncSession) -> UUID:
    async with signed_in(app, "zhuchi") as facilitator:
        return await draft_ballot(facilitator, question="草稿中的表决")


async def _draft_convention(app: Litestar, db: AsyncSession) -> UUID:
    async with signed_in(app, "zhuchi") as facilitator:
        return await draft_convention(facilitator, "草拟中的公约")


async def _unpublished_minutes(app: Litestar, db: AsyncSession) -> UUID:
    """A meeting's minutes confirmed but not yet published (arranged in the database)."""
    minutes = await db.scalar(
        sa.select(Minutes).where(Minutes.status == MinutesStatus.PUBLISHED).limit(1)
    )
    assert minutes is not None
    await db.execute(
        sa.update(Minutes)
        .where(Minutes.meeting_id == minutes.meeting_id)
        .values(status=MinutesStatus.CONFIRMED)
    )
    await db.commit()
    return minutes.id


async def _pending_issue(app: Litestar, db: AsyncSession) -> UUID:
    issue = await db.scalar(sa.select(Issue.id).where(Issue.status == IssueStatus.SUBMITTED))
    assert issue is not None, "the demo has an issue waiting for triage"
    return issue


HIDDEN = {
    "notices": _draft_notice,
    "ballots": _draft_ballot,
    "minutes": _unpublished_minutes,
    "conventions": _draft_convention,
    "issues": _pending_issue,
}


@pytest.mark.parametrize("name", LISTS)
async def test_S14_a_non_public_record_is_the_same_404_on_every_api_path_feed_and_export(
    app: Litestar, client: Client, db: AsyncSession, name: str
) -> None:
    hidden = await HIDDEN[name](app, db)
    base = f"/api/councils/zhonglou/{name}"
    missing = await client.get(f"{base}/{uuid4()}")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    for url in (f"{base}/{hidden}", f"{base}?after={hidden}"):
        response = await client.get(url)
        assert (response.status_code, response.json()) == (404, missing.json()), url
    assert (await client.get(f"{base}?after={uuid4()}")).json() == missing.json()
    # Listed nowhere: the API's list, the exports, the feed.
    text = str(hidden)
    assert text not in (await client.get(f"{base}?limit=200")).text
    assert text not in (await client.get(f"{C}/data/{name}.json")).text
    assert text not in (await client.get(f"{C}/data/{name}.csv")).text
    assert text not in (await client.get(f"{C}/feed.atom")).text
    # The staff who can see the draft get the same answers: open data is public data only.
    async with signed_in(app, "zhuchi") as facilitator:
        response = await facilitator.get(f"{base}/{hidden}")
        assert (response.status_code, response.json()) == (404, missing.json())
        assert text not in (await facilitator.get(f"{C}/data/{name}.json")).text


async def test_unknown_council_or_list_is_a_404(client: Client) -> None:
    for url in ("/api/councils/nowhere", "/api/councils/nowhere/notices"):
        response = await client.get(url)
        assert response.status_code == 404
        assert response.json()["title"] == "找不到这个页面" or response.json()["detail"]
    for url in (f"{C}/data/secrets.csv", f"{C}/data/notices.xml", "/c/nowhere/feed.atom"):
        response = await client.get(url)
        assert response.status_code == 404
        assert "找不到" in response.text
