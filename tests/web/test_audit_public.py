"""The public audit log (DESIGN capability 6, SECURITY S6–S8): entries name and link their
records, filter by kind and date, and the JSON Lines export alone lets anyone recompute the
chain and a certified ballot's closing hash; tampering with a row shows the first break."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import verify_export
from council.audit.models import AuditEntry
from council.councils.models import Council
from council.issues.models import Issue
from council.issues.workflow import IssueStatus
from tests.support import Client, text_of

C = "/c/zhonglou"
FIELDS = ("chain", "seq", "occurred_at", "actor_id", "actor_label", "action")
FIELDS += ("object_type", "object_id", "summary", "prev_hash")


def _sha(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def _export(client: Client) -> list[dict[str, Any]]:
    response = await client.get(f"{C}/audit.jsonl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jsonl")
    return [json.loads(line) for line in response.text.splitlines()]


async def test_export_alone_recomputes_the_chain_and_a_certified_closing_hash(
    client: Client,
) -> None:
    lines = await _export(client)
    head, entries = lines[0], [x for x in lines if x["type"] == "entry"]
    records = {x["ballot"]: x for x in lines if x["type"] == "closing_record"}
    # The chain, recomputed here from the export and nothing else.
    previous = "0" * 64
    for n, entry in enumerate(entries, start=1):
        assert (entry["seq"], entry["prev_hash"]) == (n, previous)
        if not entry.get("withheld"):
            assert _sha({k: entry[k] for k in FIELDS}) == entry["hash"]
        previous = entry["hash"]
    assert (head["seq"], head["hash"]) == (len(entries), previous)
    published = {e["action"] for e in entries if not e.get("withheld")}
    assert {"ballot.closed", "ballot.certified", "notice.published", "issue.accepted"} <= published
    # A certified ballot: its counted record gives the closing hash that the chain's
    # certification published and that its public page shows.
    ballots = (await client.get(f"{C}/data/ballots.json")).json()["items"]
    certified = [b for b in ballots if b["status"] == "certified"]
    assert certified
    for ballot in certified:
        record = records[UUID(ballot["id"]).hex]
        closing = _sha(record["record"])
        assert closing == record["closing_hash"] == ballot["closing_hash"]
        sealed = [
            json.loads(e["summary"])["closing_hash"]
            for e in entries
            if e.get("action") == "ballot.certified" and e["object_id"] == UUID(ballot["id"]).hex
        ]
        assert sealed == [closing]
        assert closing in (await client.get(ballot["url"])).text
    # The checker offered to the public agrees.
    report = verify_export.check(json.dumps(x, ensure_ascii=False) for x in lines)
    assert report.ok and report.entries == len(entries)
    assert {UUID(b["id"]).hex for b in certified} <= set(report.ballots)
    script = await client.get("/audit/verify_export.py")
    assert script.status_code == 200 and "def check(" in script.text


async def test_R28_the_export_names_no_private_person_and_no_voters_receipt(
    client: Client,
) -> None:
    """Facts not written for the public stay out of the export, as they stay off the page: the
    grant that seated a resident names her, a cast vote carries its voter's key and receipt."""
    lines = await _export(client)
    text = json.dumps(lines, ensure_ascii=False)
    assert "施洋" not in text  # a resident of the demo, seated by a membership.granted entry
    withheld = {x["seq"] for x in lines if x["type"] == "entry" and x.get("withheld")}
    assert withheld
    assert not [x for x in lines if x.get("action") in ("vote.cast", "membership.granted")]


async def test_the_checker_names_a_tampered_export(client: Client) -> None:
    lines = await _export(client)

    def run(changed: list[dict[str, Any]]) -> verify_export.Report:
        return verify_export.check(json.dumps(x, ensure_ascii=False) for x in changed)

    altered = [dict(x) for x in lines]
    n = next(i for i, x in enumerate(lines) if x["type"] == "entry" and not x.get("withheld"))
    altered[n]["actor_label"] = "某人"
    assert run(altered).first_break == (altered[n]["seq"], "altered")
    dropped = lines[:20] + lines[21:]
    assert run(dropped).first_break == (lines[21]["seq"], "missing")
    truncated = [x for x in lines if x["type"] != "entry" or x["seq"] < lines[0]["seq"]]
    assert run(truncated).first_break == (lines[0]["seq"] - 1, "head")
    forged = [dict(x) for x in lines]
    record = next(x for x in forged if x["type"] == "closing_record")
    record["record"] = {**record["record"], "result": {"passed": False}}
    assert run(forged).ballot_problems


async def test_entries_name_and_link_their_records(client: Client, db: AsyncSession) -> None:
    html = (await client.get(f"{C}/audit?kind=ballot")).text
    assert re.search(rf'<a href="{C}/ballots/[0-9a-f-]{{36}}">表决「[^<]+」</a>', html)
    issues = (await client.get(f"{C}/audit?kind=issue")).text
    assert re.search(rf'<a href="{C}/issues/[0-9a-f-]{{36}}">诉求 #\d+「[^<]+」</a>', issues)
    # Full hashes, not cut.
    assert re.search(r"<code>[0-9a-f]{64}</code>", html)
    # An issue waiting for triage is not public: its entries say what kind of record, and
    # neither the page nor the export carries its title.
    pending = await db.scalar(sa.select(Issue).where(Issue.status == IssueStatus.SUBMITTED))
    assert pending is not None
    council = await db.scalar(sa.select(Council).where(Council.slug == "zhonglou"))
    assert council is not None and pending.council_id == council.id
    seq = await db.scalar(
        sa.select(AuditEntry.seq).where(
            AuditEntry.object_type == "issue", AuditEntry.object_id == pending.id.hex
        )
    )
    page = (await client.get(f"{C}/audit?before={seq + 1}")).text
    entry = re.search(rf'<li value="{seq}" id="e-{seq}">(.*?)</li>', page, flags=re.S)
    assert entry and "诉求（尚未公开）" in text_of(entry.group(1))
    assert pending.title not in page
    export = await client.get(f"{C}/audit.jsonl")
    assert pending.title not in export.text and pending.id.hex not in export.text


async def test_entries_filter_by_kind_and_date(client: Client) -> None:
    issue_actions = ("提交诉求", "受理诉求", "诉求立项", "诉求办结", "附议诉求", "转办诉求")
    ballots = (await client.get(f"{C}/audit?kind=ballot")).text
    issues = text_of((await client.get(f"{C}/audit?kind=issue")).text)
    assert "投票" in text_of(ballots) and not any(a in text_of(ballots) for a in issue_actions)
    assert "投票" not in issues and any(a in issues for a in issue_actions)
    # The kind is kept when paging back.
    assert re.search(r'href="\?kind=ballot&amp;before=\d+"', ballots)
    none = (await client.get(f"{C}/audit?since=2001-01-01&until=2001-01-31")).text
    assert "没有符合条件的记录" in none
    assert 'value="2001-01-01"' in none
    unknown = await client.get(f"{C}/audit?kind=secret")
    assert unknown.status_code == 200  # an unknown kind is ignored (S24)
    bad = await client.get(f"{C}/audit?since=yesterday")
    assert bad.status_code in (400, 422) and "格式不正确" in bad.text


# Columns a tamperer might change, and what each becomes.
TAMPER = {
    "actor_label": lambda e: "某人",
    "summary": lambda e: "{}",
    "action": lambda e: "vote.cast",
    "object_id": lambda e: "0" * 32,
    "prev_hash": lambda e: "f" * 64,
    "hash": lambda e: "e" * 64,
}


async def test_S6_tampering_with_any_row_shows_the_first_break_publicly(
    client: Client, db: AsyncSession
) -> None:
    """Rows across the whole chain, first and last included, each column in turn."""
    chain = (await db.scalar(sa.select(Council.id).where(Council.slug == "zhonglou"))).hex
    last = await db.scalar(sa.select(sa.func.max(AuditEntry.seq)).where(AuditEntry.chain == chain))
    assert last is not None
    seqs = sorted({1, 2, last, *range(37, last, last // 12)})
    for n, seq in enumerate(seqs):
        column = list(TAMPER)[n % len(TAMPER)]
        where = (AuditEntry.chain == chain, AuditEntry.seq == seq)
        original = await db.scalar(sa.select(getattr(AuditEntry, column)).where(*where))
        await db.execute(
            sa.update(AuditEntry).where(*where).values({column: TAMPER[column](original)})
        )
        await db.commit()
        html = (await client.get(f"{C}/audit")).text
        found = re.search(r"第一处断裂：第 (\d+) 条", html)
        assert found, (seq, column)
        assert int(found.group(1)) == seq, (seq, column)
        assert f'href="?before={seq + 1}#e-{seq}"' in html
        await db.execute(sa.update(AuditEntry).where(*where).values({column: original}))
        await db.commit()
    assert "校验通过" in (await client.get(f"{C}/audit")).text
