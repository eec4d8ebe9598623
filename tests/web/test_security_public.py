"""What the public sees, against SECURITY S12 (every vote's receipt is on the public result,
once) and S18 (public lists and search never show unpublished or hidden records)."""

from __future__ import annotations

import re
from collections import Counter

from litestar import Litestar

from council.voting.service import format_receipt
from tests.support import client_for, text_of
from tests.voting_support import BASE, close, opened, vote_as

# --- S12: receipts --------------------------------------------------------------------------

NAMED_VOTES = [
    ("jumin01", "赵淑珍", "yes"),
    ("jumin02", "孙志明", "no"),
    ("jumin03", "钱玉梅", "yes"),
    ("shop05", "李秀兰", "abstain"),
    ("jumin01", "赵淑珍", "no"),  # a change: it replaces the first vote and its receipt
]
SECRET_VOTES = [("jumin01", "yes"), ("jumin02", "no"), ("jumin03", "yes"), ("shop05", "abstain")]


def _receipts_section(html: str) -> str:
    """The public result's receipt list: from its heading to the end of the result."""
    start = html.index("回执列表")
    return html[start : html.index("</section>", start)]


def _named_rows(html: str) -> list[tuple[str, str]]:
    """(voter, receipt) per row of the named receipt table."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", _receipts_section(html), flags=re.S):
        cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if cells:
            rows.append((cells[0], cells[-1]))
    return rows


def _listed_receipts(html: str) -> list[str]:
    return re.findall(r"\b[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}\b", text_of(html))


async def test_S12_named_ballot_lists_each_voter_with_their_receipt_once(app: Litestar) -> None:
    """Named ballot: every vote answers with a receipt; the signed-out result lists the latest
    receipt of each voter next to their name, once, and nothing else."""
    ballot = await opened(app, allow_change="true")
    latest: dict[str, str] = {}
    returned = []
    for login, name, choice in NAMED_VOTES:
        response = await vote_as(app, login, ballot, choice)
        assert response.status_code == 303, response.text
        receipt = format_receipt(response.headers["x-vote-receipt"])
        returned.append(receipt)
        latest[name] = receipt
    assert len(set(returned)) == len(returned)  # every vote got its own receipt
    assert (await close(app, ballot)).status_code == 303

    async with client_for(app) as public:
        html = (await public.get(f"{BASE}/{ballot}")).text
    rows = _named_rows(html)
    assert sorted(rows) == sorted(latest.items())
    assert f"回执列表（{len(latest)}）" in text_of(html)
    assert "投票率 4 / 20" in text_of(html)
    listed = _listed_receipts(_receipts_section(html))
    assert sorted(listed) == sorted(latest.values())  # no duplicates, no replaced receipts
    assert returned[0] not in text_of(html)  # the changed vote's first receipt is gone


async def test_S12_secret_ballot_lists_the_receipt_set_without_names(app: Litestar) -> None:
    """Secret ballot: the signed-out result lists each receipt once, sorted, with no names."""
    ballot = await opened(app, method="secret")
    returned = []
    for login, choice in SECRET_VOTES:
        response = await vote_as(app, login, ballot, choice)
        assert response.status_code == 200, response.text
        receipt = format_receipt(response.headers["x-vote-receipt"])
        assert receipt in text_of(response.text)  # shown once, on the receipt page
        returned.append(receipt)
    assert (await close(app, ballot)).status_code == 303

    async with client_for(app) as public:
        html = (await public.get(f"{BASE}/{ballot}")).text
    section = _receipts_section(html)
    listed = _listed_receipts(section)
    assert Counter(listed) == Counter(returned)
    assert len(listed) == len(set(listed)) == len(SECRET_VOTES)
    assert listed == sorted(listed)  # receipt order, never the order people voted in
    assert f"回执列表（{len(SECRET_VOTES)}）" in text_of(html)
    for name in ("赵淑珍", "孙志明", "钱玉梅", "李秀兰"):
        assert name not in text_of(html)
