"""A vote in a live meeting: opened on the current item from the console, quorum from those
signed in at that moment (rule 14), cast from the phone view, closed and certified from the
console, and the result shown with turnout and base (issue 6, "in meetings")."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.voting.models import Ballot, BallotElector, Vote
from tests.consultation_flow import BASE, consultation, meeting_code, signed_in
from tests.support import Client, audit_actions, csrf_token, post_form, text_of

SIGNED_IN = ("shop01", "jumin01", "jumin02")
HTMX = {"HX-Request": "true"}


@dataclass
class Live:
    meeting: str  # the meeting's URL
    matter_id: str


async def live_meeting(
    app: Litestar, db: AsyncSession, zhuchi: Client, signers: tuple[str, ...] = SIGNED_IN
) -> Live:
    """Merchants' and residents' seats invited, with 林涛 of 市监 as an observer (列席); the
    meeting started with round 1 as the current item, and ``signers`` signed in."""
    setup = await consultation(db, zhuchi, invite=("商户代表", "居民代表"))
    meeting = f"{BASE}/meetings/{setup.meeting_id}"
    invited = await post_form(zhuchi, f"{meeting}/invitations", {"login": "shijian"})
    assert invited.status_code == 303, invited.text
    assert (await post_form(zhuchi, f"{meeting}/start")).status_code == 303
    code = await meeting_code(db, setup.meeting_id)
    for login in signers:
        async with signed_in(app, login) as member:
            response = await post_form(member, f"{meeting}/signin", {"code": code})
            assert response.status_code == 303, response.text
    return Live(meeting, setup.matter_id)


async def vote_form(zhuchi: Client, live: Live) -> dict[str, str]:
    page = await zhuchi.get(f"{live.meeting}/votes/new")
    assert page.status_code == 200, page.text
    item = re.search(r'name="agenda_item_id" value="([0-9a-f]+)"', page.text)
    question = re.search(r'id="f-question" name="question" type="text" value="([^"]*)"', page.text)
    assert item and question
    return {
        "agenda_item_id": item.group(1),
        "question": question.group(1),
        "pass_rule": "1/2>",
        "pass_base": "present",
        "quorum_rule": "",
    }


async def open_vote(zhuchi: Client, live: Live, **changes: str) -> UUID:
    form = {**await vote_form(zhuchi, live), **changes}
    response = await post_form(zhuchi, f"{live.meeting}/votes/", form)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"{live.meeting}/console")
    return await only_ballot_id(zhuchi, live)


async def only_ballot_id(zhuchi: Client, live: Live) -> UUID:
    console = await zhuchi.get(f"{live.meeting}/console", headers=HTMX)
    found = re.search(r"/votes/([0-9a-f\-]{36})/(close|certify)", console.text)
    assert found, console.text
    return UUID(found.group(1))


async def phone_vote(app: Litestar, live: Live, login: str, ballot: UUID, choice: str) -> object:
    async with signed_in(app, login) as member:
        headers = {**HTMX, "x-csrftoken": await csrf_token(member)}
        return await member.post(
            f"{live.meeting}/votes/{ballot}", data={"choice": choice}, headers=headers
        )


async def ballot_count(db: AsyncSession, meeting: str) -> int:
    """Ballots of the meeting at URL ``meeting`` (the demo holds meeting votes of its own)."""
    await db.rollback()
    stmt = sa.select(sa.func.count(Ballot.id)).where(Ballot.meeting_id == UUID(meeting[-36:]))
    return int(await db.scalar(stmt) or 0)


# --- opening ------------------------------------------------------------------------------


async def test_R14_vote_opened_on_current_item_takes_quorum_from_those_signed_in(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        form = await vote_form(zhuchi, live)
        assert form["question"] == "第 1 轮协商：餐饮油烟扰民"  # prefilled from the current item
        ballot_id = await open_vote(zhuchi, live, question="是否同意各店加装油烟净化器")
        # A member who signs in after the vote opened does not change its 实到.
        code = await meeting_code(db, live.meeting.rsplit("/", 1)[1])
        async with signed_in(app, "jumin03") as late:
            await post_form(late, f"{live.meeting}/signin", {"code": code})
    await db.rollback()
    ballot = await db.get(Ballot, ballot_id)
    assert ballot is not None
    assert ballot.status.value == "open" and ballot.meeting_id == UUID(live.meeting[-36:])
    assert ballot.agenda_item_id is not None
    assert ballot.question == "是否同意各店加装油烟净化器"
    assert (ballot.eligible_count, ballot.present_count) == (20, 3)
    assert ballot.pass_base.value == "present"
    present = (
        await db.execute(
            sa.select(Person.login)
            .join(BallotElector, BallotElector.person_id == Person.id)
            .where(BallotElector.ballot_id == ballot_id, BallotElector.present.is_(True))
        )
    ).scalars()
    assert sorted(present) == sorted(SIGNED_IN)
    actions = [e.action for e in await audit_actions(db) if e.object_id == ballot_id.hex]
    assert actions[:2] == ["ballot.created", "ballot.opened"]
    opened = await audit_actions(db, "meeting.vote_opened")
    assert opened and json.loads(opened[-1].summary)["present"] == 3


async def test_console_shows_open_vote_form_prefilled_from_current_item(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        console = await zhuchi.get(f"{live.meeting}/console")
        assert "对当前议程发起表决" in text_of(console.text)
        page = await zhuchi.get(f"{live.meeting}/votes/new")
    text = text_of(page.text)
    assert "实到：开启表决那一刻已签到的成员，现在 3 人" in text
    assert 'value="present" selected' in page.text  # the base defaults to those present


# --- casting from the phone ---------------------------------------------------------------


async def test_member_votes_from_phone_view_gets_receipt_and_cannot_vote_twice(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
    async with signed_in(app, "jumin01") as member:
        phone = await member.get(f"{live.meeting}/phone")
        assert 'class="vote-button vote-yes"' in phone.text
        assert "同意" in text_of(phone.text) and "弃权" in text_of(phone.text)
    response = await phone_vote(app, live, "jumin01", ballot, "yes")
    assert response.status_code == 200, response.text
    assert response.text.lstrip().startswith('<div id="phone-live"')
    receipt = response.headers["x-vote-receipt"]
    assert "您已投票：同意" in text_of(response.text)
    assert f"{receipt[:4]}-{receipt[4:8]}" in response.text
    again = await phone_vote(app, live, "jumin01", ballot, "no")
    assert again.status_code == 409 and "已投票" in text_of(again.text)
    await db.rollback()
    votes = (await db.execute(sa.select(Vote).where(Vote.ballot_id == ballot))).scalars().all()
    assert [v.choices for v in votes] == ["yes"]


async def test_R14_member_not_signed_in_when_vote_opened_cannot_vote(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
    async with signed_in(app, "jumin03") as late:
        phone = await late.get(f"{live.meeting}/phone")
        assert "表决开启时您尚未签到" in text_of(phone.text)
        assert "vote-button" not in phone.text
    refused = await phone_vote(app, live, "jumin03", ballot, "yes")
    assert refused.status_code == 403 and "表决开启时您尚未签到" in text_of(refused.text)
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) == 0


async def test_R19_observer_sees_the_vote_but_cannot_vote(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi, (*SIGNED_IN, "shijian"))
        ballot = await open_vote(zhuchi, live, question="是否同意加装净化器")
    async with signed_in(app, "shijian") as observer:
        phone = await observer.get(f"{live.meeting}/phone")
        text = text_of(phone.text)
        assert "是否同意加装净化器" in text and "列席人员可以旁听表决，但不参加投票" in text
        assert "vote-button" not in phone.text
    refused = await phone_vote(app, live, "shijian", ballot, "yes")
    assert refused.status_code == 403
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) == 0


async def test_bad_choice_from_phone_is_422_and_nothing_stored(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
    response = await phone_vote(app, live, "jumin01", ballot, "maybe")
    assert response.status_code == 422
    await db.rollback()
    assert await db.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.ballot_id == ballot)) == 0


# --- the console: tally, close, certify ---------------------------------------------------


async def test_console_tally_fragment_counts_votes_live(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
        for login, choice in (("shop01", "yes"), ("jumin01", "yes"), ("jumin02", "abstain")):
            assert (await phone_vote(app, live, login, ballot, choice)).status_code == 200
        fragment = await zhuchi.get(f"{live.meeting}/console", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="console-live"')
    assert '<strong data-code="yes">2</strong>' in fragment.text
    assert '<strong data-code="no">0</strong>' in fragment.text
    assert '<strong data-code="abstain">1</strong>' in fragment.text
    assert "已投票 3 / 实到 3" in text_of(fragment.text)
    async with signed_in(app, "jumin01") as member:  # members never see the running count
        phone = await member.get(f"{live.meeting}/phone", headers=HTMX)
        assert 'data-code="yes"' not in phone.text


async def test_close_and_certify_from_console_then_public_pages_show_turnout_and_base(
    app: Litestar, db: AsyncSession, client: Client
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live, quorum_rule="1/2>")
        for login, choice in (("shop01", "yes"), ("jumin01", "yes"), ("jumin02", "no")):
            await phone_vote(app, live, login, ballot, choice)
        token = await csrf_token(zhuchi)
        headers = {**HTMX, "x-csrftoken": token}
        closed = await zhuchi.post(f"{live.meeting}/votes/{ballot}/close", headers=headers)
        assert closed.status_code == 200 and "认证结果" in text_of(closed.text)
        certified = await zhuchi.post(f"{live.meeting}/votes/{ballot}/certify", headers=headers)
        assert certified.status_code == 200
        text = text_of(certified.text)
        assert "已认证" in text and "对当前议程发起表决" in text
        record = text_of((await zhuchi.get(live.meeting)).text)
        assert "会上表决" in record and "已投票 3 / 应到 20" in record
    await db.rollback()
    row = await db.get(Ballot, ballot)
    assert row is not None and row.status.value == "certified"
    actions = [e.action for e in await audit_actions(db) if e.object_id == ballot.hex]
    assert actions == [
        "ballot.created",
        "ballot.opened",
        "vote.cast",
        "vote.cast",
        "vote.cast",
        "ballot.closed",
        "ballot.certified",
    ]
    public = text_of((await client.get(f"{BASE}/ballots/{ballot}")).text)
    assert "已投票 / 应到" in public and "3 / 20" in public
    assert "实到人数（开启时签到者） = 3" in public
    assert "第一次协商会" in public  # where the vote happened
    # 2 of 3 present passed, but quorum (more than half of 20 present) was not met.
    assert "未通过" in public
    matter = text_of((await client.get(f"{BASE}/matters/{live.matter_id}")).text)
    assert "会上表决" in matter and "已投票 3 / 应到 20" in matter
    assert "实到人数（开启时签到者） = 3" in matter


# --- refusals -----------------------------------------------------------------------------


async def test_only_the_facilitator_opens_a_vote(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        form = await vote_form(zhuchi, live)
    async with signed_in(app, "jumin01") as member:
        refused = await post_form(member, f"{live.meeting}/votes/", form)
        assert refused.status_code == 403
        assert "只有主持人" in text_of(refused.text)
        assert (await member.get(f"{live.meeting}/votes/new")).status_code == 404
    async with signed_in(app, "jumin11") as resident:  # not on the council's seats
        assert (await post_form(resident, f"{live.meeting}/votes/", form)).status_code in (403, 404)
    assert await ballot_count(db, live.meeting) == 0


async def test_no_vote_before_the_meeting_is_live(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        meeting = f"{BASE}/meetings/{setup.meeting_id}"
        page = await zhuchi.get(f"{meeting}/votes/new")
        item = re.search(r'name="agenda_item_id" value="([0-9a-f]*)"', page.text)
        assert item is not None
        await db.rollback()
        from council.consultations.models import AgendaItem

        item_id = await db.scalar(
            sa.select(AgendaItem.id).where(AgendaItem.meeting_id == UUID(setup.meeting_id))
        )
        assert item_id is not None
        refused = await post_form(
            zhuchi,
            f"{meeting}/votes/",
            {"agenda_item_id": item_id.hex, "question": "是否同意", "pass_base": "present"},
        )
    assert refused.status_code == 409
    assert "会议不在进行中，不能开启表决" in text_of(refused.text)
    assert await ballot_count(db, meeting) == 0


async def test_vote_only_on_the_current_item(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        meeting = f"{BASE}/meetings/{setup.meeting_id}"
        added = await post_form(zhuchi, f"{meeting}/agenda", {"title": "其他事项"})
        assert added.status_code == 303
        await post_form(zhuchi, f"{meeting}/start")
        code = await meeting_code(db, setup.meeting_id)
        async with signed_in(app, "shop01") as member:
            await post_form(member, f"{meeting}/signin", {"code": code})
        form = await vote_form(zhuchi, Live(meeting, setup.matter_id))
        # The facilitator moves on to item 2 while the form for item 1 is still open.
        assert (await post_form(zhuchi, f"{meeting}/current/2")).status_code == 303
        refused = await post_form(zhuchi, f"{meeting}/votes/", form)
        assert refused.status_code == 409
        assert "只能对当前议程开启表决" in text_of(refused.text)
        foreign = await post_form(zhuchi, f"{meeting}/votes/", {**form, "agenda_item_id": "0" * 32})
        assert foreign.status_code == 422 and "请选择本次会议的议程" in text_of(foreign.text)
    assert await ballot_count(db, meeting) == 0


async def test_second_vote_while_one_is_open_is_refused(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        await open_vote(zhuchi, live)
        form = await vote_form(zhuchi, live)
        refused = await post_form(zhuchi, f"{live.meeting}/votes/", form)
    assert refused.status_code == 409
    assert "本次会议已有一项表决正在进行" in text_of(refused.text)
    assert await ballot_count(db, live.meeting) == 1


async def test_bad_form_input_is_422_with_a_message_and_nothing_changes(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        form = await vote_form(zhuchi, live)
        for field, value in (("question", ""), ("pass_base", "everyone"), ("pass_rule", "9/1>")):
            response = await post_form(zhuchi, f"{live.meeting}/votes/", {**form, field: value})
            assert response.status_code == 422, (field, response.text)
            assert "表单有误" in text_of(response.text)
    assert await ballot_count(db, live.meeting) == 0


async def test_nobody_signed_in_means_no_vote(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi, signers=())
        form = await vote_form(zhuchi, live)
        refused = await post_form(zhuchi, f"{live.meeting}/votes/", form)
    assert refused.status_code == 409
    assert "还没有有表决权的成员签到" in text_of(refused.text)
    assert await ballot_count(db, live.meeting) == 0


async def test_close_from_another_meeting_is_404(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
        meetings = await zhuchi.get(f"{BASE}/meetings/")
        other = next(
            m
            for m in re.findall(r"/meetings/([0-9a-f\-]{36})", meetings.text)
            if m not in live.meeting
        )
        response = await post_form(zhuchi, f"{BASE}/meetings/{other}/votes/{ballot}/close")
    assert response.status_code == 404
    await db.rollback()
    row = await db.get(Ballot, ballot)
    assert row is not None and row.status.value == "open"


# --- the demo -----------------------------------------------------------------------------


async def test_demo_consensus_resolution_passed_in_the_fifth_meeting(
    client: Client, db: AsyncSession
) -> None:
    from council.audit.service import verify_chain
    from council.consultations.models import Matter, Meeting
    from council.voting.service import verify

    ballot = (
        await db.execute(sa.select(Ballot).where(Ballot.meeting_id.is_not(None)))
    ).scalar_one()
    meeting = await db.get(Meeting, ballot.meeting_id)
    assert meeting is not None and meeting.title == "油烟问题第五次商居协商会"
    assert ballot.status.value == "certified" and "商户出资治理、居民参与监督" in ballot.question
    assert (ballot.eligible_count, ballot.present_count) == (20, 19)
    result = json.loads(ballot.result or "{}")
    assert result["counts"] == {"abstain": 2, "no": 1, "yes": 16} and result["passed"]
    assert (await verify(db, ballot)).ok
    assert (await verify_chain(db, ballot.council_id)).ok
    matter = await db.scalar(sa.select(Matter.id).where(Matter.title == "美食街餐饮油烟扰民"))
    page = text_of((await client.get(f"{BASE}/matters/{matter}")).text)
    assert "会上表决" in page and "在“油烟问题第五次商居协商会”上表决" in page
    assert "已投票 19 / 应到 20" in page and "实到人数（开启时签到者） = 19" in page


async def test_meeting_cannot_close_while_its_vote_is_open(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
        refused = await post_form(zhuchi, f"{live.meeting}/close")
        assert refused.status_code == 409
        assert "会上还有表决没有结束" in text_of(refused.text)
        assert (await post_form(zhuchi, f"{live.meeting}/votes/{ballot}/close")).status_code == 303
        assert (await post_form(zhuchi, f"{live.meeting}/close")).status_code == 303


async def test_secret_meeting_vote_shows_the_receipt_once(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live, method="secret")
        console = await zhuchi.get(f"{live.meeting}/console", headers=HTMX)
        assert "无记名表决：结束前只显示投票人数" in text_of(console.text)
    response = await phone_vote(app, live, "jumin01", ballot, "no")
    assert response.status_code == 200
    receipt = response.headers["x-vote-receipt"]
    assert f"{receipt[:4]}-{receipt[4:8]}" in response.text
    assert "回执只显示这一次" in text_of(response.text)
    async with signed_in(app, "jumin01") as member:
        later = await member.get(f"{live.meeting}/phone", headers=HTMX)
    assert "您已投票" in text_of(later.text) and receipt[:4] not in later.text


async def test_vote_without_javascript_redirects_to_the_phone_view(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        live = await live_meeting(app, db, zhuchi)
        ballot = await open_vote(zhuchi, live)
    async with signed_in(app, "shop01") as member:
        response = await post_form(member, f"{live.meeting}/votes/{ballot}", {"choice": "yes"})
        assert response.status_code == 303
        assert response.headers["location"] == f"{live.meeting}/phone?notice=voted"
        page = await member.get(response.headers["location"])
    text = text_of(page.text)
    assert "投票成功，请保存您的回执" in text and "您已投票：同意" in text
