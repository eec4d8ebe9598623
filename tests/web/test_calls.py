"""Calls for suggestions (征集): online and offline answers, deadline, summary and CSV."""

from __future__ import annotations

import csv
import io
import re
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from council.issues.models import CallResponse
from tests.intake import done
from tests.support import Client, csrf_token, sign_in_directly, text_of

CALLS = "/c/zhonglou/calls"
QUESTIONS = "\n".join(
    [
        "外摆最晚到几点 | 21:00 | 22:00 | 23:00",
        "是否支持统一安装油烟净化器 | 支持 | 不支持",
        "其他建议",
    ]
)


async def _as(client: Client, login: str) -> str:
    client.cookies.clear()
    await sign_in_directly(client, login)
    return await csrf_token(client)


async def _open_call(client: Client, **extra: str) -> UUID:
    token = await _as(client, "zhuchi")
    response = await client.post(
        f"{CALLS}/new",
        data={
            "_csrf_token": token,
            "title": "美食街改造前的意见征集",
            "deadline": "2026-11-30T18:00",
            "questions": QUESTIONS,
            **extra,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, text_of(response.text)[:400]
    return UUID(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


async def _answer(client: Client, login: str, call_id: UUID, **answers: str):
    token = await _as(client, login)
    return await client.post(
        f"{CALLS}/{call_id}/answers",
        data={"_csrf_token": token, **answers},
        follow_redirects=False,
    )


async def _offline(client: Client, call_id: UUID, source: str, **answers: str):
    token = await _as(client, "zhuchi")
    return await client.post(
        f"{CALLS}/{call_id}/offline",
        data={"_csrf_token": token, "source": source, **answers},
        follow_redirects=False,
    )


async def _responses(db: AsyncSession, call_id: UUID) -> int:
    db.expire_all()
    stmt = sa.select(sa.func.count(CallResponse.id)).where(CallResponse.call_id == call_id)
    n = int(await db.scalar(stmt) or 0)
    await done(db)
    return n


def _summary_counts(html: str) -> dict[str, tuple[int, int, int]]:
    rows = re.findall(
        r'<tr data-choice="([^"]+)"><th scope="row">[^<]*</th><td>(\d+)</td><td>(\d+)</td>'
        r"<td><strong>(\d+)</strong></td></tr>",
        html,
    )
    return {choice: (int(a), int(b), int(c)) for choice, a, b, c in rows}


async def test_call_with_online_and_offline_answers_exports_matching_csv(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    call_id = await _open_call(client)
    assert (await _answer(client, "jumin11", call_id, q1="22:00", q2="支持")).status_code == 303
    assert (
        await _answer(client, "shop05", call_id, q1="23:00", q2="支持", q3="=1+1")
    ).status_code == 303
    assert (
        await _answer(client, "jumin12", call_id, q1="22:00", q3="希望增加垃圾桶")
    ).status_code == 303
    offline = await _offline(client, call_id, "11 月 25 日商户恳谈会", q1="22:00", q2="不支持")
    assert offline.status_code == 303
    await _offline(client, call_id, "入户走访", q2="支持", q3="+晚上少放音乐")

    clock.advance(days=8)  # past the deadline: the summary becomes public
    client.cookies.clear()
    summary = await client.get(f"{CALLS}/{call_id}/summary")
    assert summary.status_code == 200
    page = text_of(summary.text)
    assert "共 5 份意见" in page and "线上 3 份" in page and "线下 2 份" in page
    counts = _summary_counts(summary.text)
    assert counts["22:00"] == (2, 1, 3)
    assert counts["23:00"] == (1, 0, 1)
    assert counts["支持"] == (2, 1, 3)
    assert counts["不支持"] == (0, 1, 1)

    await _as(client, "zhuchi")
    exported = await client.get(f"{CALLS}/{call_id}/summary.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("\ufeff"), "spreadsheet programs need the BOM for UTF-8"
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    by_choice = {r[2]: tuple(int(x) for x in r[3:6]) for r in rows[1:] if len(r) == 6 and r[0]}
    for choice, numbers in counts.items():
        assert by_choice[choice] == numbers
    assert by_choice["（文字意见）"] == (2, 1, 3)
    assert ["", "答卷总数", "", "3", "2", "5"] in rows
    texts = [r[2] for r in rows if len(r) == 4]
    assert "'=1+1" in texts and "'+晚上少放音乐" in texts  # no formula reaches a spreadsheet
    assert "=1+1" not in texts


async def test_answer_after_deadline_is_refused_with_the_deadline(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    call_id = await _open_call(client)
    clock.advance(days=8)
    before = await _responses(db, call_id)
    response = await _answer(client, "jumin11", call_id, q1="22:00")
    assert response.status_code == 409
    assert "已于 2026-11-30 18:00 截止" in text_of(response.text)
    offline = await _offline(client, call_id, "恳谈会", q1="22:00")
    assert offline.status_code == 409
    assert await _responses(db, call_id) == before


async def test_second_online_answer_and_bad_choice_are_refused(
    client: Client, db: AsyncSession
) -> None:
    call_id = await _open_call(client)
    assert (await _answer(client, "jumin11", call_id, q1="22:00")).status_code == 303
    again = await _answer(client, "jumin11", call_id, q1="23:00")
    assert again.status_code == 409 and "每人只能提交一次" in text_of(again.text)
    bad = await _answer(client, "jumin12", call_id, q1="凌晨三点")
    assert bad.status_code == 422 and "请从选项中选择" in text_of(bad.text)
    empty = await _answer(client, "jumin13", call_id)
    assert empty.status_code == 422 and "请至少回答一个问题" in text_of(empty.text)
    assert await _responses(db, call_id) == 1


async def test_summary_is_hidden_from_the_public_until_the_deadline(client: Client) -> None:
    call_id = await _open_call(client)
    client.cookies.clear()
    assert (await client.get(f"{CALLS}/{call_id}/summary")).status_code == 404
    assert (await client.get(f"{CALLS}/{call_id}/summary.csv")).status_code == 404
    assert (await client.get(f"{CALLS}/{call_id}")).status_code == 200
    await _as(client, "jiandu")
    assert (await client.get(f"{CALLS}/{call_id}/summary")).status_code == 200


async def test_only_the_facilitator_opens_calls_and_enters_offline_answers(
    client: Client, db: AsyncSession
) -> None:
    token = await _as(client, "jumin11")
    response = await client.post(
        f"{CALLS}/new",
        data={
            "_csrf_token": token,
            "title": "x征集",
            "deadline": "2026-12-01T10:00",
            "questions": "q",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    call_id = await _open_call(client)
    token = await _as(client, "jumin11")
    offline = await client.post(
        f"{CALLS}/{call_id}/offline",
        data={"_csrf_token": token, "source": "自己编的", "q1": "22:00"},
        follow_redirects=False,
    )
    assert offline.status_code == 403
    assert await _responses(db, call_id) == 0


async def test_call_form_errors_are_shown(client: Client) -> None:
    token = await _as(client, "zhuchi")
    response = await client.post(
        f"{CALLS}/new",
        data={
            "_csrf_token": token,
            "title": "改造征集",
            "deadline": "2026-11-01T10:00",
            "questions": "外摆时间 | 22:00",
        },
    )
    assert response.status_code == 422
    assert "截止时间须晚于现在" in text_of(response.text)
