"""Every refused case of issue 5: refused with a clear message, nothing changed, and every
decision that did happen is in the audit chain. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit.models import AuditEntry
from council.audit.service import verify_chain
from council.consultations.models import ActionItem, Attendance, Minutes, Round
from council.consultations.workflow import ItemStatus, MinutesStatus, RoundStatus
from council.councils.models import ClaimStatus, Council, Membership, Role, Shop, ShopRepresentative
from tests.consultation_flow import (
    BASE,
    agreed_plan,
    consultation,
    item_of,
    meeting_code,
    signed_in,
    start_meeting,
)
from tests.support import audit_actions, post_form, text_of


async def entries(db: AsyncSession, action: str, object_id: str) -> list[AuditEntry]:
    """This test's audit entries of ``action`` on one record (the demo has its own)."""
    wanted = UUID(object_id).hex
    return [e for e in await audit_actions(db, action) if e.object_id == wanted]


async def _signed_in_rows(db: AsyncSession, meeting_id: str) -> int:
    await db.rollback()
    return int(
        await db.scalar(
            sa.select(sa.func.count(Attendance.id)).where(Attendance.meeting_id == UUID(meeting_id))
        )
        or 0
    )


async def test_signing_in_twice_is_refused(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await start_meeting(zhuchi, setup.meeting_id)
    code = await meeting_code(db, setup.meeting_id)
    async with signed_in(app, "shop05") as member:
        url = f"{BASE}/meetings/{setup.meeting_id}/signin"
        assert (await post_form(member, url, {"code": code})).status_code == 303
        again = await post_form(member, url, {"code": code})
    assert again.status_code == 409
    assert "已经签到过了" in text_of(again.text)
    assert await _signed_in_rows(db, setup.meeting_id) == 1
    assert len(await entries(db, "meeting.signed_in", setup.meeting_id)) == 1


async def test_facilitator_marking_someone_twice_is_refused(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        person = await db.scalar(sa.select(Person.id).where(Person.login == "shop09"))
        url = f"{BASE}/meetings/{setup.meeting_id}/attendance/{person}"
        assert (await post_form(zhuchi, url)).status_code == 303
        assert (await post_form(zhuchi, url)).status_code == 409
    assert await _signed_in_rows(db, setup.meeting_id) == 1


async def test_signing_in_to_a_meeting_one_is_not_invited_to_is_refused(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await start_meeting(zhuchi, setup.meeting_id)
    code = await meeting_code(db, setup.meeting_id)
    async with signed_in(app, "jumin01") as resident_rep:  # a member, but not invited
        response = await post_form(
            resident_rep, f"{BASE}/meetings/{setup.meeting_id}/signin", {"code": code}
        )
        phone = await resident_rep.get(f"{BASE}/meetings/{setup.meeting_id}/phone")
    assert response.status_code == 403
    assert "不在本次会议的邀请名单中" in text_of(response.text)
    assert phone.status_code == 404
    assert await _signed_in_rows(db, setup.meeting_id) == 0
    assert await entries(db, "meeting.signed_in", setup.meeting_id) == []


async def test_wrong_code_is_refused(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        await start_meeting(zhuchi, setup.meeting_id)
    code = await meeting_code(db, setup.meeting_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    async with signed_in(app, "shop05") as member:
        response = await post_form(
            member, f"{BASE}/meetings/{setup.meeting_id}/signin", {"code": wrong}
        )
    assert response.status_code == 422
    assert "签到码不对" in text_of(response.text)
    assert await _signed_in_rows(db, setup.meeting_id) == 0


async def test_R23_closing_a_round_without_an_outcome_is_refused(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        url = f"{BASE}/rounds/{setup.round_id}/close"
        bare = await post_form(zhuchi, url, {"summary": "没谈拢", "open_questions": "谁出钱"})
        none = await post_form(zhuchi, url, {"outcome": "none"})
    assert bare.status_code == 409
    assert "结束本轮前须记录结果" in text_of(bare.text)
    assert none.status_code == 409
    assert "须安排下一轮协商或写明暂缓理由" in text_of(none.text)
    await db.rollback()
    round_ = await db.get(Round, UUID(setup.round_id))
    assert round_ is not None and round_.status is RoundStatus.OPEN and round_.outcome is None
    assert await entries(db, "round.closed", setup.round_id) == []


async def test_R23_no_consensus_with_a_deferral_closes(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        response = await post_form(
            zhuchi,
            f"{BASE}/rounds/{setup.round_id}/close",
            {"outcome": "none", "deferral_note": "等环保部门的检测结果"},
        )
    assert response.status_code == 303
    [entry] = await entries(db, "round.closed", setup.round_id)
    assert '"outcome":"none"' in entry.summary


async def test_evidence_by_someone_who_is_not_the_owner_is_404(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        plan_id = await agreed_plan(zhuchi, setup, "1-3")
    item = await item_of(db, plan_id, "1")
    missing = "0" * 32
    for login in ("shop02", "jiandu", "jumin01"):
        async with signed_in(app, login) as other:
            refused = await post_form(other, f"{BASE}/items/{item}/evidence", {"note": "冒名提交"})
            absent = await post_form(other, f"{BASE}/items/{missing}/evidence", {"note": "x"})
        assert refused.status_code == absent.status_code == 404, login
        assert text_of(refused.text) == text_of(absent.text)
    async with signed_in(app, "shop02") as other:
        assert (await other.get(f"{BASE}/items/{item}")).status_code == 404
    await db.rollback()
    row = await db.get(ActionItem, UUID(item))
    assert row is not None and row.status is ItemStatus.OPEN
    assert await entries(db, "item.evidence_submitted", item) == []


async def _make_supervisor_own_shop(db: AsyncSession, number: str) -> None:
    """jiandu (a supervisor) also runs shop ``number``: the rule-12 conflict."""
    await db.rollback()  # a fresh transaction: the app has written since our last read
    council = await db.scalar(sa.select(Council).where(Council.slug == "zhonglou"))
    person = await db.scalar(sa.select(Person).where(Person.login == "jiandu"))
    shop = await db.scalar(
        sa.select(Shop).where(Shop.council_id == council.id, Shop.number == number)
    )
    assert council and person and shop
    db.add(
        ShopRepresentative(
            council_id=council.id,
            shop_id=shop.id,
            person_id=person.id,
            status=ClaimStatus.VERIFIED,
        )
    )
    db.add(
        Membership(
            council_id=council.id,
            person_id=person.id,
            role=Role.MERCHANT,
            status=ClaimStatus.VERIFIED,
        )
    )
    await db.commit()


async def test_R12_verifying_ones_own_evidence_is_refused(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        plan_id = await agreed_plan(zhuchi, setup, "1-3")
    await _make_supervisor_own_shop(db, "3")
    item = await item_of(db, plan_id, "3")
    async with signed_in(app, "jiandu") as supervisor:
        submitted = await post_form(
            supervisor, f"{BASE}/items/{item}/evidence", {"note": "我店已安装"}
        )
        assert submitted.status_code == 303, submitted.text
        refused = await post_form(supervisor, f"{BASE}/items/{item}/verify", {"verdict": "passed"})
        returned = await post_form(
            supervisor, f"{BASE}/items/{item}/verify", {"verdict": "returned", "reason": "x"}
        )
    assert refused.status_code == returned.status_code == 409
    assert "监督员不能核验自己负责的整改项" in text_of(refused.text)
    await db.rollback()
    row = await db.get(ActionItem, UUID(item))
    assert row is not None and row.status is ItemStatus.SUBMITTED
    assert await entries(db, "item.verified", item) == []
    assert len(await entries(db, "item.evidence_submitted", item)) == 1


async def test_returning_evidence_needs_a_reason_and_is_audited(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        plan_id = await agreed_plan(zhuchi, setup, "1-3")
    item = await item_of(db, plan_id, "1")
    async with signed_in(app, "shop01") as owner:
        await post_form(owner, f"{BASE}/items/{item}/evidence", {"note": "已安装"})
    async with signed_in(app, "jiandu") as supervisor:
        bare = await post_form(supervisor, f"{BASE}/items/{item}/verify", {"verdict": "returned"})
        back = await post_form(
            supervisor,
            f"{BASE}/items/{item}/verify",
            {"verdict": "returned", "reason": "照片看不清型号"},
        )
    assert bare.status_code == 409 and "请写明理由" in text_of(bare.text)
    assert back.status_code == 303
    [entry] = await entries(db, "item.returned", item)
    assert "照片看不清型号" in entry.summary


async def test_R9_confirmed_minutes_cannot_be_edited_and_a_correction_links_back(
    app: Litestar, db: AsyncSession
) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        person = await db.scalar(sa.select(Person.id).where(Person.login == "shop01"))
        meeting = f"{BASE}/meetings/{setup.meeting_id}"
        await post_form(zhuchi, f"{meeting}/attendance/{person}")
        page = await zhuchi.get(meeting)
        agenda = next(p for p in page.text.split('"') if "/agenda/" in p and p.endswith("/minutes"))
        assert (await post_form(zhuchi, agenda, {"text": "商户同意先做排查"})).status_code == 303
        await db.rollback()
        minutes = await db.scalar(
            sa.select(Minutes).where(Minutes.meeting_id == UUID(setup.meeting_id))
        )
        assert minutes is not None
        too_early = await post_form(zhuchi, f"{meeting}/minutes/{minutes.id}/finalize")
        assert too_early.status_code == 409  # nobody who attended has confirmed yet
        async with signed_in(app, "shop01") as attendee:
            ok = await post_form(attendee, f"{meeting}/minutes/{minutes.id}/confirm")
            assert ok.status_code == 303
        assert (
            await post_form(zhuchi, f"{meeting}/minutes/{minutes.id}/finalize")
        ).status_code == 303
        edit = await post_form(zhuchi, f"{meeting}/minutes/{minutes.id}/edit", {"text": "改了"})
        redraft = await post_form(zhuchi, agenda, {"text": "改了"})
        correction = await post_form(
            zhuchi, f"{meeting}/minutes/{minutes.id}/correct", {"text": "商户同意先做管道排查"}
        )
    assert edit.status_code == redraft.status_code == 409
    assert "纪要已确认，不能修改" in text_of(edit.text)
    assert correction.status_code == 303
    await db.rollback()
    ours = sa.select(Minutes).where(Minutes.meeting_id == UUID(setup.meeting_id))
    rows = list((await db.execute(ours.order_by(Minutes.created_at))).scalars())
    assert [m.text for m in rows] == ["商户同意先做排查", "商户同意先做管道排查"]
    assert rows[0].status is MinutesStatus.CONFIRMED
    assert rows[1].corrects_id == rows[0].id
    actions = [e.action for e in await audit_actions(db)]
    for expected in (
        "minutes.drafted",
        "minutes.confirmed_by",
        "minutes.confirmed",
        "minutes.corrected",
    ):
        assert expected in actions
    council = await db.scalar(sa.select(Council.id).where(Council.slug == "zhonglou"))
    assert (await verify_chain(db, council)).ok


async def test_published_minutes_leave_out_names(app: Litestar, db: AsyncSession) -> None:
    async with signed_in(app, "zhuchi") as zhuchi:
        setup = await consultation(db, zhuchi, invite=("商户代表",))
        meeting = f"{BASE}/meetings/{setup.meeting_id}"
        person = await db.scalar(sa.select(Person.id).where(Person.login == "shop01"))
        await post_form(zhuchi, f"{meeting}/attendance/{person}")
        page = await zhuchi.get(meeting)
        agenda = next(p for p in page.text.split('"') if "/agenda/" in p and p.endswith("/minutes"))
        await post_form(zhuchi, agenda, {"text": "王建国（13907141001）同意先排查"})
        await db.rollback()
        minutes = await db.scalar(
            sa.select(Minutes).where(Minutes.meeting_id == UUID(setup.meeting_id))
        )
        async with signed_in(app, "shop01") as attendee:
            await post_form(attendee, f"{meeting}/minutes/{minutes.id}/confirm")
        await post_form(zhuchi, f"{meeting}/minutes/{minutes.id}/finalize")
        response = await post_form(
            zhuchi, f"{meeting}/minutes/{minutes.id}/publish", {"public_text": "商户代表同意先排查"}
        )
        assert response.status_code == 303
    async with signed_in(app, "jumin11") as resident:
        public = text_of((await resident.get(f"{meeting}/minutes")).text)
        assert (await resident.get(meeting)).status_code == 404  # the full record is not public
    assert "商户代表同意先排查" in public
    assert "王建国" not in public and "13907141001" not in public
    assert "应到 7 人，实到 1 人" in public
