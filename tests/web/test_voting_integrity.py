"""Ballot integrity over HTTP (issue 6 "Bad input", SECURITY S1, S4, S5, S11; rules 9, 16,
18): refusals with a clear zh-CN message and the right status, nothing stored, a log line;
scheduled windows; secret ballots whose tables cannot link a person to a choice; corrections
as new ballots pointing at the certified one."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from uuid import UUID

import pytest
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.clock import FixedClock
from council.voting.models import (
    Ballot,
    BallotElector,
    BallotOption,
    BallotParticipation,
    SecretChoice,
    Vote,
)
from tests.support import (
    Client,
    audit_actions,
    client_for,
    csrf_token,
    post_form,
    sign_in_directly,
    text_of,
)
from tests.voting_support import BASE, close, draft, opened, vote_as


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def voting_log() -> Iterator[Lines]:
    """What the voting service logs (attached to its logger: the app configures the root)."""
    handler = Lines()
    logger = logging.getLogger("council.voting")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def _votes(db: AsyncSession, ballot: UUID) -> int:
    await db.rollback()
    named = await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot))
    secret = await db.scalar(
        sa.select(sa.func.count(BallotParticipation.id)).where(
            BallotParticipation.ballot_id == ballot
        )
    )
    return int(named or 0) + int(secret or 0)


# --- S1 over HTTP ---------------------------------------------------------------------------


async def test_S1_50_parallel_posts_by_one_member_count_once(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    """S1: one signed-in member sends 50 votes at once → one 303, 49 × 409 "已投票", no 5xx."""
    ballot = await opened(app)
    await sign_in_directly(client, "jumin01")
    token = await csrf_token(client)
    responses = await asyncio.gather(
        *(
            client.post(f"{BASE}/{ballot}/vote", data={"_csrf_token": token, "choice": choice})
            for choice in ["yes", "no", "abstain"] * 16 + ["yes", "no"]
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [409] * 49
    assert all("已投票" in text_of(r.text) for r in responses if r.status_code == 409)
    assert await _votes(db, ballot) == 1


# --- S4: draft, not yet open, closed ----------------------------------------------------------


async def test_S4_vote_on_a_draft_is_refused_and_logged(
    app: Litestar, db: AsyncSession, voting_log: Lines
) -> None:
    async with client_for(app) as facilitator:
        await sign_in_directly(facilitator, "zhuchi")
        ballot = await draft(facilitator)
    response = await vote_as(app, "jumin01", ballot, "yes")
    assert response.status_code == 404  # a draft is not visible to members at all
    assert await _votes(db, ballot) == 0
    assert any(f"vote refused on unseen ballot {ballot}" in line for line in voting_log.lines)


@pytest.mark.parametrize("state", ["closed", "certified"])
async def test_S4_vote_on_a_closed_ballot_is_refused_and_logged(
    app: Litestar, db: AsyncSession, voting_log: Lines, state: str
) -> None:
    ballot = await opened(app)
    await close(app, ballot)
    if state == "certified":
        await close(app, ballot, "certify")
    response = await vote_as(app, "jumin01", ballot, "yes")
    assert response.status_code == 409
    assert "表决已结束" in text_of(response.text)
    assert await _votes(db, ballot) == 0
    assert any(f"vote refused on {state} ballot {ballot}" in line for line in voting_log.lines)


# --- scheduled windows (rule 16) ------------------------------------------------------------


async def test_R16_votes_only_inside_the_scheduled_window(
    app: Litestar, db: AsyncSession, clock: FixedClock, voting_log: Lines
) -> None:
    """opens_at/closes_at in the council's time (Asia/Shanghai; the clock says 10:00 there):
    before the window → "表决尚未开始", at or after its end → "表决已结束", nothing stored."""
    ballot = await opened(app, opens_at="2026-11-23T11:00", closes_at="2026-11-23T12:00")
    early = await vote_as(app, "jumin01", ballot, "yes")
    assert early.status_code == 409 and "表决尚未开始" in text_of(early.text)
    assert await _votes(db, ballot) == 0
    assert any(f"vote refused on open ballot {ballot}" in line for line in voting_log.lines)

    clock.advance(hours=1)  # 11:00, the window opens
    assert (await vote_as(app, "jumin01", ballot, "yes")).status_code == 303
    clock.advance(minutes=59)  # 11:59, still inside
    assert (await vote_as(app, "jumin02", ballot, "no")).status_code == 303
    clock.advance(minutes=1)  # 12:00, the window has closed
    late = await vote_as(app, "jumin03", ballot, "yes")
    assert late.status_code == 409 and "表决已结束" in text_of(late.text)
    assert await _votes(db, ballot) == 2

    assert (await close(app, ballot)).status_code == 303
    await db.rollback()
    result = json.loads((await db.get_one(Ballot, ballot)).result or "{}")
    assert (result["cast"], result["counts"]["yes"], result["counts"]["no"]) == (2, 1, 1)


async def test_R16_a_window_already_over_cannot_be_opened(app: Litestar, client: Client) -> None:
    await sign_in_directly(client, "zhuchi")
    ballot = await draft(client, closes_at="2026-11-23T09:00")  # an hour ago, local time
    response = await post_form(client, f"{BASE}/{ballot}/open")
    assert response.status_code == 409 and "截止时间已过" in text_of(response.text)


# --- outside the electorate -----------------------------------------------------------------


async def test_R19_member_not_on_a_listed_ballot_is_403(
    app: Litestar, db: AsyncSession, voting_log: Lines
) -> None:
    ballot = await opened(app, electorate="listed", listed="jumin01\njumin02")
    response = await vote_as(app, "jumin03", ballot, "yes")
    assert response.status_code == 403
    assert "您不在本次表决的投票人名单中" in text_of(response.text)
    assert await _votes(db, ballot) == 0
    assert any("outside the electorate" in line for line in voting_log.lines)
    assert (await vote_as(app, "jumin02", ballot, "yes")).status_code == 303


# --- S5: rules, choices and electorate are frozen once open ---------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"question": "是否同意外摆区域限定在门前两米内"},
        {"kind": "options", "options": "甲方案\n乙方案"},
        {"pass_rule": "2/3>=", "pass_base": "eligible"},
        {"electorate": "listed", "listed": "jumin01"},
        {"method": "secret"},
        {"allow_change": "true"},
    ],
    ids=["question", "choices", "rules", "electorate", "method", "change-rule"],
)
async def test_S5_an_opened_ballot_cannot_be_edited(
    app: Litestar, client: Client, db: AsyncSession, voting_log: Lines, change: dict[str, str]
) -> None:
    ballot = await opened(app)
    assert (await vote_as(app, "jumin01", ballot, "yes")).status_code == 303
    await sign_in_directly(client, "zhuchi")
    form = {
        "question": "是否同意外摆区域限定在门前一米内",
        "pass_rule": "1/2>",
        "pass_base": "cast",
        **change,
    }
    response = await post_form(client, f"{BASE}/{ballot}/edit", form)
    assert response.status_code == 409
    assert "表决已开启，问题、选项、规则和投票人名单都不能再修改" in text_of(response.text)
    await db.rollback()
    row = await db.get_one(Ballot, ballot)
    assert (row.question, row.pass_num, row.pass_den, row.method.value) == (
        "是否同意外摆区域限定在门前一米内",
        1,
        2,
        "named",
    )
    assert (row.electorate.value, row.allow_change, row.eligible_count) == ("members", False, 20)
    codes = await db.scalars(sa.select(BallotOption.code).where(BallotOption.ballot_id == ballot))
    assert sorted(codes) == ["abstain", "no", "yes"]
    assert "ballot.edited" not in [e.action for e in await audit_actions(db)]
    assert any(f"refused change to opened ballot {ballot}" in line for line in voting_log.lines)


async def test_S5_opening_twice_does_not_refreeze_the_electorate(
    app: Litestar, client: Client
) -> None:
    ballot = await opened(app)
    await sign_in_directly(client, "zhuchi")
    again = await post_form(client, f"{BASE}/{ballot}/open")
    assert again.status_code == 409 and "不能进行此操作" in text_of(again.text)


async def test_S5_a_reset_is_its_own_audited_action(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    """Before anyone has voted, the facilitator may take an opened ballot back to draft, with a
    reason that goes into the audit chain; it can then be corrected and opened again."""
    ballot = await opened(app)
    await sign_in_directly(client, "zhuchi")
    page = await client.get(f"{BASE}/{ballot}")
    assert "撤回至草稿（尚无人投票）" in text_of(page.text)
    reset = await post_form(client, f"{BASE}/{ballot}/reset", {"reason": "问题表述有误"})
    assert reset.status_code == 303
    await db.rollback()
    row = await db.get_one(Ballot, ballot)
    assert (row.status.value, row.opened_at, row.eligible_count) == ("draft", None, None)
    electors = await db.scalar(
        sa.select(sa.func.count(BallotElector.id)).where(BallotElector.ballot_id == ballot)
    )
    assert electors == 0
    entry = (await audit_actions(db, "ballot.reset"))[-1]
    assert json.loads(entry.summary) == {"eligible": 20, "present": None, "reason": "问题表述有误"}
    # Now a draft again: the question can be put right, and the ballot opened and voted on.
    form = {"question": "外摆是否限定在门前半米内", "pass_rule": "1/2>", "pass_base": "cast"}
    assert (await post_form(client, f"{BASE}/{ballot}/edit", form)).status_code == 303
    assert (await post_form(client, f"{BASE}/{ballot}/open")).status_code == 303
    assert (await vote_as(app, "jumin01", ballot, "yes")).status_code == 303
    assert await _votes(db, ballot) == 1


async def test_S5_no_reset_after_the_first_vote(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    ballot = await opened(app)
    assert (await vote_as(app, "jumin01", ballot, "yes")).status_code == 303
    await sign_in_directly(client, "zhuchi")
    assert "撤回至草稿" not in text_of((await client.get(f"{BASE}/{ballot}")).text)
    refused = await post_form(client, f"{BASE}/{ballot}/reset", {"reason": "想改规则"})
    assert refused.status_code == 409
    assert "已有人投票，不能撤回" in text_of(refused.text)
    await db.rollback()
    assert (await db.get_one(Ballot, ballot)).status.value == "open"
    assert await _votes(db, ballot) == 1
    assert await audit_actions(db, "ballot.reset") == []


@pytest.mark.parametrize(("login", "status"), [("zhuchi", 422), ("jumin01", 403)])
async def test_S5_a_reset_needs_a_reason_and_a_facilitator(
    app: Litestar, client: Client, db: AsyncSession, login: str, status: int
) -> None:
    ballot = await opened(app)
    await sign_in_directly(client, login)
    reason = "" if login == "zhuchi" else "我想重来"
    refused = await post_form(client, f"{BASE}/{ballot}/reset", {"reason": reason})
    assert refused.status_code == status
    await db.rollback()
    assert (await db.get_one(Ballot, ballot)).status.value == "open"
    assert await audit_actions(db, "ballot.reset") == []


# --- rule 9: a certified result is never edited; a correction is a new ballot ----------------


async def test_R9_certified_result_is_corrected_by_a_new_ballot(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    ballot = await opened(app)
    assert (await vote_as(app, "jumin01", ballot, "yes")).status_code == 303
    await close(app, ballot)
    refused = await close(app, ballot, "correct")
    assert refused.status_code == 409 and "只有已认证的结果" in text_of(refused.text)
    await close(app, ballot, "certify")
    await db.rollback()
    before = await db.get_one(Ballot, ballot)
    sealed = (before.result, before.closing_hash, before.counted_record, before.certified_at)

    await sign_in_directly(client, "zhuchi")
    assert (await post_form(client, f"{BASE}/{ballot}/certify")).status_code == 409
    edit = await post_form(client, f"{BASE}/{ballot}/edit", {"question": "改", "pass_rule": "1/2>"})
    assert edit.status_code == 409
    assert (await post_form(client, f"{BASE}/{ballot}/close")).status_code == 303  # idempotent
    response = await post_form(client, f"{BASE}/{ballot}/correct")
    assert response.status_code == 303
    correction = UUID(response.headers["location"].split("/ballots/")[1].split("/")[0])

    await db.rollback()
    after = await db.get_one(Ballot, ballot, populate_existing=True)
    assert (after.result, after.closing_hash, after.counted_record, after.certified_at) == sealed
    new = await db.get_one(Ballot, correction)
    assert new.corrects_id == ballot and new.status.value == "draft"
    assert (new.question, new.pass_num, new.pass_den) == (after.question, 1, 2)
    created = [
        e for e in await audit_actions(db, "ballot.created") if e.object_id == correction.hex
    ]
    assert len(created) == 1 and ballot.hex in created[0].summary

    old_page = text_of((await client.get(f"{BASE}/{ballot}")).text)
    assert "已被更正" in old_page
    new_page = text_of((await client.get(f"{BASE}/{correction}")).text)
    assert "本表决更正" in new_page


# --- S11: a secret ballot's tables cannot link a person to a choice -------------------------


SECRET_VOTERS = {"jumin01": "yes", "jumin02": "no", "jumin03": "yes", "shop05": "abstain"}


async def test_S11_secret_ballot_tables_do_not_link_people_to_choices(
    app: Litestar, client: Client, db: AsyncSession, engine_name: str, voting_log: Lines
) -> None:
    ballot = await opened(app, method="secret")
    receipts = []
    for login, choice in SECRET_VOTERS.items():
        response = await vote_as(app, login, ballot, choice)
        assert response.status_code == 200, response.text
        receipts.append(response.headers["x-vote-receipt"])
    assert (await close(app, ballot)).status_code == 303
    await db.rollback()

    # Participation and choices are separate tables sharing nothing but the ballot.
    def columns(table: str) -> set[str]:
        # sa_orm_sentinel: advanced-alchemy's insert sentinel, always NULL.
        names = {c.name for c in SecretChoice.metadata.tables[table].c}
        return names - {"sa_orm_sentinel"}

    choice_columns = columns("secret_choice")
    assert choice_columns == {"id", "council_id", "ballot_id", "choices", "receipt"}
    assert choice_columns & columns("ballot_participation") == {"id", "council_id", "ballot_id"}
    choice_fks = {fk.column.table.name for fk in SecretChoice.__table__.foreign_keys}
    assert choice_fks == {"council", "ballot"}

    participation = (
        (
            await db.execute(
                sa.select(BallotParticipation).where(BallotParticipation.ballot_id == ballot)
            )
        )
        .scalars()
        .all()
    )
    choices = (
        (await db.execute(sa.select(SecretChoice).where(SecretChoice.ballot_id == ballot)))
        .scalars()
        .all()
    )
    assert len(participation) == len(choices) == 4
    assert sorted(c.receipt for c in choices) == sorted(receipts)
    # Ids are random (version 4), never shared, so they cannot be lined up either.
    assert {c.id.version for c in choices} == {4}
    assert not {c.id for c in choices} & {p.id for p in participation}
    # Storage order is receipt order (rewritten at close), not the order people voted in.
    if engine_name == "sqlite":
        stored = await db.scalars(
            sa.select(SecretChoice.receipt)
            .where(SecretChoice.ballot_id == ballot)
            .order_by(sa.literal_column("rowid"))
        )
        assert list(stored) == sorted(receipts)
    else:
        # One rewriting transaction wrote every choice row: xmin links none to a voter's.
        xmins = await db.scalars(
            sa.text("SELECT DISTINCT xmin::text FROM secret_choice WHERE ballot_id = :b"),
            {"b": ballot},
        )
        assert len(list(xmins)) == 1

    # Neither the audit chain nor the log holds a receipt or a choice of this ballot.
    entries = [e for e in await audit_actions(db) if e.object_id == ballot.hex]
    casts = [e for e in entries if e.action == "vote.cast"]
    assert len(casts) == 4
    for entry in casts:
        assert json.loads(entry.summary).keys() == {"voter", "secret"}
    for text in [e.summary for e in entries] + voting_log.lines:
        assert not any(r in text for r in receipts)

    # The public result lists receipts only, with no voter next to them.
    page = text_of((await client.get(f"{BASE}/{ballot}")).text)
    assert all(f"{r[:4]}-{r[4:8]}" in page for r in receipts)
    names = await db.scalars(
        sa.select(Person.display_name).where(Person.login.in_(list(SECRET_VOTERS)))
    )
    assert not [n for n in names if n in page]
    assert "2 / 20" not in page and "4 / 20" in page  # turnout


# --- the public result: turnout, quorum, verdict and base -----------------------------------


async def test_R13_public_result_shows_turnout_quorum_verdict_and_base(
    app: Litestar, client: Client
) -> None:
    """Anyone, signed in or not, reads the closed result with the base it was counted on."""
    ballot = await opened(
        app, pass_rule="2/3>=", pass_base="cast", quorum_rule="1/2>", quorum_measure="cast"
    )
    for login, choice in [("jumin01", "yes"), ("jumin02", "yes"), ("jumin03", "no")]:
        assert (await vote_as(app, login, ballot, choice)).status_code == 303
    await close(app, ballot)
    page = text_of((await client.get(f"{BASE}/{ballot}")).text)
    assert "投票率 3 / 20（已投票 / 应到）" in page
    assert "计算基数 投票数（含弃权） = 3" in page and "至少需要 2 票" in page
    assert "法定人数 未达到（3 / 20，至少 11）" in page
    assert "未通过" in page  # 2 of 3 meets ⅔, but the quorum is not met
