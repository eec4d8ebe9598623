"""Who signs off, who may vote, whose name is shown: supervisors come from the administrator
and never double as the facilitator; invisible characters never reach a name; a ballot whose
base or quorum is 实到 is cast by those present at its opening alone (rule 14); receipts
list shops in street order; the call CSV carries one byte-order mark and one charset."""

from __future__ import annotations

import json
import re
from uuid import UUID

import pytest
import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit.models import AuditEntry
from council.consultations.models import RoundEntry
from council.councils.models import ClaimStatus, Membership, Role
from council.voting.models import Ballot, BallotElector, Vote
from tests.consultation_flow import consultation, signed_in
from tests.support import Client, audit_actions, post_form, sign_in, text_of
from tests.voting_support import BASE, close, draft, vote_as

MEMBERS = "/c/zhonglou/manage/members"


async def _audit_count(db: AsyncSession) -> int:
    await db.rollback()  # end the read snapshot to see what the app wrote
    return int(await db.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0)


async def _roles(db: AsyncSession, login: str) -> set[Role]:
    await db.rollback()
    rows = await db.execute(
        sa.select(Membership.role)
        .join(Person, Person.id == Membership.person_id)
        .where(Person.login == login, Membership.status == ClaimStatus.VERIFIED)
    )
    return set(rows.scalars())


# --- 6: supervisors are appointed by the administrator, never the facilitator ----------------


async def test_probe_6_facilitator_cannot_appoint_himself_supervisor(
    client: Client, db: AsyncSession
) -> None:
    before = await _audit_count(db)
    await sign_in(client, "zhuchi")
    response = await post_form(
        client, MEMBERS, {"login": "zhuchi", "role": "supervisor", "title": "兼任"}
    )
    assert response.status_code == 403
    page = text_of(response.text)
    assert "监督员由街道管理员任命，主持人不能任命" in page
    assert 'id="f-login"' in response.text and 'value="zhuchi"' in response.text  # in place
    assert await _roles(db, "zhuchi") == {Role.FACILITATOR}
    assert await _audit_count(db) == before


async def test_probe_6_facilitator_is_not_offered_the_supervisor_role_nor_may_grant_it(
    client: Client, db: AsyncSession
) -> None:
    await sign_in(client, "zhuchi")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert '<option value="observer"' in manage
    assert '<option value="supervisor"' not in manage
    before = await _audit_count(db)
    response = await post_form(client, MEMBERS, {"login": "jumin12", "role": "supervisor"})
    assert response.status_code == 403 and "监督员由街道管理员任命" in text_of(response.text)
    assert Role.SUPERVISOR not in await _roles(db, "jumin12")
    assert await _audit_count(db) == before


async def test_probe_6_facilitator_cannot_end_the_supervisor(
    client: Client, db: AsyncSession
) -> None:
    membership_id = await db.scalar(
        sa.select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(Person.login == "jiandu", Membership.role == Role.SUPERVISOR)
    )
    await sign_in(client, "zhuchi")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert f"/manage/members/{membership_id}/end" not in manage
    before = await _audit_count(db)
    response = await post_form(client, f"{MEMBERS}/{membership_id}/end")
    assert response.status_code == 403
    assert await _roles(db, "jiandu") == {Role.SUPERVISOR}
    assert await _audit_count(db) == before


async def test_probe_6_administrator_cannot_make_the_facilitator_supervisor(
    client: Client, db: AsyncSession
) -> None:
    before = await _audit_count(db)
    await sign_in(client, "admin")
    response = await post_form(client, MEMBERS, {"login": "zhuchi", "role": "supervisor"})
    assert response.status_code == 422
    assert "刘敏 是本议事会的主持人，不能同时担任监督员" in text_of(response.text)
    assert 'value="zhuchi"' in response.text
    assert await _roles(db, "zhuchi") == {Role.FACILITATOR}
    assert await _audit_count(db) == before


async def test_probe_6_administrator_cannot_make_the_supervisor_facilitator(
    client: Client, db: AsyncSession
) -> None:
    before = await _audit_count(db)
    await sign_in(client, "admin")
    response = await post_form(client, "/admin/councils/zhonglou/facilitators", {"login": "jiandu"})
    assert response.status_code == 422
    assert "陈国强 是本议事会的监督员，不能同时担任主持人" in text_of(response.text)
    assert await _roles(db, "jiandu") == {Role.SUPERVISOR}
    assert await _audit_count(db) == before


async def test_the_administrator_appoints_a_supervisor(client: Client, db: AsyncSession) -> None:
    await sign_in(client, "admin")
    manage = (await client.get("/c/zhonglou/manage")).text
    assert '<option value="supervisor"' in manage
    response = await post_form(
        client, MEMBERS, {"login": "jumin12", "role": "supervisor", "title": "居务监督委员"}
    )
    assert response.status_code == 303
    assert Role.SUPERVISOR in await _roles(db, "jumin12")
    granted = (await audit_actions(db, "membership.granted"))[-1]
    assert granted.actor_label == "街道管理员 何静" and '"role":"supervisor"' in granted.summary


async def test_probe_6_demo_supervisors_come_from_the_administrator_and_hold_no_other_staff_role(
    db: AsyncSession,
) -> None:
    rows = await db.execute(
        sa.select(Membership.council_id, Membership.person_id, Membership.role).where(
            Membership.status == ClaimStatus.VERIFIED
        )
    )
    held: dict[tuple[UUID, UUID], set[Role]] = {}
    for council_id, person_id, role in rows:
        held.setdefault((council_id, person_id), set()).add(role)
    assert any(Role.SUPERVISOR in roles for roles in held.values())
    assert not [k for k, roles in held.items() if {Role.FACILITATOR, Role.SUPERVISOR} <= roles]
    grants = [
        e
        for e in await audit_actions(db, "membership.granted")
        if json.loads(e.summary)["role"] in ("supervisor", "facilitator")
    ]
    assert grants and {e.actor_label for e in grants} == {"街道管理员 何静"}


# --- 11: names hold no invisible or direction-changing characters ----------------------------

HIDDEN = {
    "zero-width space": "刘\u200b敏",
    "right-to-left override": "\u202e敏刘",
    "right-to-left isolate": "刘\u2067敏\u2069",
    "left-to-right mark": "刘敏\u200e",
    "byte-order mark": "\ufeff刘敏",
    "hair space": "刘\u200a敏",
    "Hangul filler": "刘\u3164敏",
}


async def _sign_up(client: Client, login: str, name: str) -> Response:
    await client.get("/signup")
    passphrase = "蓝色钟楼的烟火2026"
    form = {"login": login, "display_name": name, "password": passphrase}
    return await post_form(client, "/signup", {**form, "password_again": passphrase})


@pytest.mark.parametrize("name", list(HIDDEN.values()), ids=list(HIDDEN))
async def test_probe_11_signup_refuses_invisible_and_bidi_characters_in_the_name(
    client: Client, db: AsyncSession, name: str
) -> None:
    before = await _audit_count(db)
    response = await _sign_up(client, "liumin2", name)
    assert response.status_code == 422
    assert "姓名中不能包含不可见字符或方向控制字符" in response.text
    assert 'value="liumin2"' in response.text  # the form again, with what was typed
    await db.rollback()
    assert await db.scalar(sa.select(Person.id).where(Person.login == "liumin2")) is None
    assert await _audit_count(db) == before


async def test_names_keep_ordinary_and_full_width_spaces(client: Client, db: AsyncSession) -> None:
    response = await _sign_up(client, "ouyang", "欧阳\u3000晓 Lin")
    assert response.status_code == 303, response.text
    await db.rollback()
    name = await db.scalar(sa.select(Person.display_name).where(Person.login == "ouyang"))
    assert name == "欧阳\u3000晓 Lin"


async def test_probe_11_round_speaker_refuses_invisible_characters(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        before = await _audit_count(db)
        response = await post_form(
            zhuchi,
            f"/c/zhonglou/rounds/{setup.round_id}/entries",
            {"kind": "statement", "side": "resident", "speaker": "赵\u202e珍淑", "text": "支持"},
        )
    assert response.status_code == 422
    assert "姓名中不能包含不可见字符或方向控制字符" in response.text
    await db.rollback()
    stored = await db.scalar(
        sa.select(sa.func.count(RoundEntry.id)).where(RoundEntry.round_id == UUID(setup.round_id))
    )
    assert stored == 0
    assert await _audit_count(db) == before


# --- 12: a 实到 ballot is cast by those present at its opening alone -------------------------

# Eleven listed members (DOMAIN §3, worked example 3); the first eight are ticked present.
ELEVEN = (
    "shop01",
    "shop05",
    "shop09",
    "shop14",
    "shop20",
    "shop27",
    "jumin01",
    "jumin05",
    "jumin02",
    "jumin03",
    "jumin04",
)
PRESENT, ABSENT = ELEVEN[:8], ELEVEN[8:]


async def _voter_keys(db: AsyncSession, logins: tuple[str, ...]) -> list[str]:
    ids = await db.execute(sa.select(Person.id).where(Person.login.in_(logins)))
    return [f"p:{person_id.hex}" for person_id in ids.scalars()]


async def _present_ballot(app: Litestar, db: AsyncSession) -> UUID:
    """The party review: 11 listed, 过半数 of those present, quorum 2/3 present, 8 ticked."""
    async with signed_in(app, "zhuchi") as zhuchi:
        ballot = await draft(
            zhuchi,
            question="审议：美食街油烟治理方案",
            electorate="listed",
            listed="\n".join(ELEVEN),
            pass_base="present",
            quorum_rule="2/3>=",
            quorum_measure="present",
        )
        opened = await post_form(
            zhuchi,
            f"{BASE}/{ballot}/open",
            {"present_list": "1", "present": await _voter_keys(db, PRESENT)},
        )
        assert opened.status_code == 303, opened.text
    return ballot


async def _stored_votes(db: AsyncSession, ballot: UUID) -> int:
    await db.rollback()
    return int(
        await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) or 0
    )


async def test_probe_12_absent_member_sees_no_vote_buttons_and_cannot_vote(
    app: Litestar, db: AsyncSession
) -> None:
    ballot = await _present_ballot(app, db)
    async with signed_in(app, ABSENT[0]) as absent:
        page = await absent.get(f"{BASE}/{ballot}")
        assert page.status_code == 200
        assert 'name="choice"' not in page.text
        assert "表决开启时您尚未签到，不能参加本次表决" in text_of(page.text)
    async with signed_in(app, PRESENT[0]) as present:
        assert 'name="choice"' in (await present.get(f"{BASE}/{ballot}")).text
    before = await _audit_count(db)
    refused = await vote_as(app, ABSENT[0], ballot, "yes")
    assert refused.status_code == 403
    assert "表决开启时您尚未签到，不能参加本次表决" in text_of(refused.text)
    assert await _stored_votes(db, ballot) == 0
    assert await _audit_count(db) == before


async def test_probe_12_present_ballot_counts_no_more_votes_than_were_present(
    app: Litestar, db: AsyncSession
) -> None:
    """The reported case: 8 present, 11 listed; every listed member tries to vote."""
    ballot = await _present_ballot(app, db)
    choices = ["yes"] * 6 + ["no", "abstain"] + ["yes"] * 3
    statuses = [
        (await vote_as(app, login, ballot, choice)).status_code
        for login, choice in zip(ELEVEN, choices, strict=True)
    ]
    assert statuses == [303] * 8 + [403] * 3
    assert (await close(app, ballot)).status_code == 303
    await db.rollback()
    closed = await db.get(Ballot, ballot)
    assert closed is not None
    result = json.loads(closed.result or "{}")
    assert (result["cast"], result["base_kind"], result["base"]) == (8, "present", 8)
    assert result["counts"] == {"yes": 6, "no": 1, "abstain": 1}
    assert result["passed"]  # 6·2 > 8 present, quorum 8·3 ≥ 11·2
    async with signed_in(app, "jumin11") as visitor:
        page = text_of((await visitor.get(f"{BASE}/{ballot}")).text)
    assert "8 / 11（已投票 / 应到） · 实到 8" in page
    assert "实到人数（开启时签到者） = 8" in page


async def test_R20_the_closing_hash_covers_who_was_present(app: Litestar, db: AsyncSession) -> None:
    """Marking an absent member present after the close is named by the verifier."""
    ballot = await _present_ballot(app, db)
    for login in PRESENT[:3]:
        assert (await vote_as(app, login, ballot, "yes")).status_code == 303
    assert (await close(app, ballot)).status_code == 303
    await db.rollback()
    [absent_key] = await _voter_keys(db, ABSENT[:1])
    await db.execute(
        sa.update(BallotElector)
        .where(BallotElector.ballot_id == ballot, BallotElector.voter_key == absent_key)
        .values(present=True)
    )
    await db.commit()
    async with signed_in(app, "jumin11") as visitor:
        page = text_of((await visitor.get(f"{BASE}/{ballot}")).text)
    assert "核验失败" in page and f"elector {absent_key}: altered" in page


# --- receipts in street order; one BOM and one charset on the call CSV -----------------------


async def test_probe_receipts_list_shops_in_number_order(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        ballot = await draft(zhuchi, question="是否同意统一更换店招", electorate="shops")
        assert (await post_form(zhuchi, f"{BASE}/{ballot}/open")).status_code == 303
    for number in (2, 11, 1, 10, 3, 12):
        assert (await vote_as(app, f"shop{number:02d}", ballot, "yes")).status_code == 303
    await close(app, ballot)
    async with signed_in(app, "jumin11") as visitor:
        html = (await visitor.get(f"{BASE}/{ballot}")).text
    voters = re.findall(r'<td data-label="投票人">(\d+) 号', html)
    assert voters == ["1", "2", "3", "10", "11", "12"]


async def test_probe_call_csv_has_one_bom_and_one_charset(client: Client) -> None:
    await sign_in(client, "zhuchi")
    opened = await post_form(
        client,
        "/c/zhonglou/calls/new",
        {
            "title": "夜市收摊时间征集",
            "deadline": "2026-12-31T20:00",
            "questions": "外摆时间应到几点 | 21:00 | 22:00",
        },
    )
    assert opened.status_code == 303, opened.text
    call = opened.headers["location"].split("?")[0]
    exported = await client.get(f"{call}/summary.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    body = exported.content
    assert body.startswith(b"\xef\xbb\xbf") and not body[3:].startswith(b"\xef\xbb\xbf")
    assert body.count("\ufeff".encode()) == 1
    assert body[3:].decode("utf-8").startswith("问题序号,问题")
