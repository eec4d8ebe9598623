"""四议两公开一监督 over HTTP: anyone objects to a notice (CSRF and all) and sees the public
answer; refused forms answer in place with the message beside the field; objectors' contacts
never reach a public page (rule 28); the timeline is public and in the audit chain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Matter
from council.notices.models import Notice, Objection
from council.notices.periods import NoticeKind, NoticeStatus
from council.workflows.models import Workflow
from council.workflows.workflow import Stage
from tests.conventions_support import demo_convention
from tests.support import audit_actions, client_for, post_form, sign_in, text_of

HTML = "text/html; charset=utf-8"
SUBSIDY = "油烟净化器安装补贴（以奖代补）"
CONTACT = "13612345678"


@dataclass(frozen=True)
class Subsidy:
    """The demo's purifier subsidy in 决议公开, as ids (the session is rolled back often)."""

    matter: UUID
    notice: UUID
    title: str


async def _subsidy(db: AsyncSession) -> Subsidy:
    matter = await db.scalar(sa.select(Matter.id).where(Matter.title == SUBSIDY))
    notice = (
        await db.execute(
            sa.select(Notice.id, Notice.title).where(
                Notice.subject_id == matter, Notice.kind == NoticeKind.RESOLUTION
            )
        )
    ).one()
    await db.rollback()
    assert matter is not None
    return Subsidy(matter, notice.id, notice.title)


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'id="e-{name}">([^<]+)<', html)
    return found.group(1) if found else ""


async def test_R28_an_anonymous_visitor_objects_and_reads_the_public_answer(
    app: Litestar, db: AsyncSession
) -> None:
    subsidy = await _subsidy(db)
    url = f"/c/zhonglou/notices/{subsidy.notice}"
    async with client_for(app) as visitor:
        page = await visitor.get(url)
        assert page.status_code == 200 and page.headers["content-type"] == HTML
        assert "还剩 5 天" in text_of(page.text)
        lodged = await post_form(
            visitor,
            f"{url}/objections",
            {"name": "钱师傅", "contact": CONTACT, "body": "补贴名单漏了 22 号烤红薯坊。"},
        )
        assert lodged.status_code == 303, lodged.text
    on_notice = sa.select(Objection).where(Objection.notice_id == subsidy.notice)
    objection = (await db.execute(on_notice)).scalar_one()
    assert objection.person_id is None and objection.contact == CONTACT
    objection_id = objection.id
    await db.rollback()
    [entry] = [e for e in await audit_actions(db, "objection.lodged") if e.actor_label == "钱**"]
    assert CONTACT not in entry.summary

    async with client_for(app) as facilitator:
        await sign_in(facilitator, "zhuchi")
        staff_view = text_of((await facilitator.get(url)).text)
        assert CONTACT in staff_view and "钱师傅" in staff_view
        answered = await post_form(
            facilitator,
            f"{url}/objections/{objection_id}/answer",
            {"answer": "22 号未装明火灶具，不在补贴范围。"},
        )
        assert answered.status_code == 303, answered.text
    timeline = f"/c/zhonglou/matters/{subsidy.matter}/timeline"
    async with client_for(app) as public:
        for page_url in (url, timeline, "/c/zhonglou/audit", "/c/zhonglou", "/c/zhonglou/notices/"):
            shown = text_of((await public.get(page_url)).text)
            assert CONTACT not in shown and "钱师傅" not in shown, page_url
        notice_text = text_of((await public.get(url)).text)
        assert "钱** " in notice_text or "钱**" in notice_text
        assert "22 号未装明火灶具，不在补贴范围。" in notice_text
        assert "22 号未装明火灶具" in text_of((await public.get(timeline)).text)


async def test_a_refused_objection_answers_in_place_with_what_was_typed(
    app: Litestar, db: AsyncSession
) -> None:
    subsidy = await _subsidy(db)
    url = f"/c/zhonglou/notices/{subsidy.notice}"
    async with client_for(app) as visitor:
        response = await post_form(
            visitor,
            f"{url}/objections",
            {"name": "钱师傅", "contact": "", "body": "补贴名单有误。"},
        )
    assert response.status_code == 422 and response.headers["content-type"] == HTML
    assert _field_error(response.text, "contact") == "此项必填"
    assert 'value="钱师傅"' in response.text and "补贴名单有误。" in response.text
    on_notice = Objection.notice_id == subsidy.notice
    assert await db.scalar(sa.select(sa.func.count(Objection.id)).where(on_notice)) == 0


async def test_R6_implementation_before_the_period_ends_is_refused_in_place(
    app: Litestar, db: AsyncSession
) -> None:
    subsidy = await _subsidy(db)
    before = len(await audit_actions(db))
    async with client_for(app) as facilitator:
        await sign_in(facilitator, "zhuchi")
        response = await post_form(
            facilitator,
            f"/c/zhonglou/matters/{subsidy.matter}/workflow/move",
            {"to": Stage.IMPLEMENTATION.value},
        )
    assert response.status_code == 409 and response.headers["content-type"] == HTML
    assert "决议公示的公示期未满（还剩 5 天），不能进入“实施”（第 6 条）" in text_of(response.text)
    assert "当前阶段：决议公开" in text_of(response.text)  # the timeline itself, not an error page
    assert len(await audit_actions(db)) == before
    stage = await db.scalar(sa.select(Workflow.stage).where(Workflow.matter_id == subsidy.matter))
    assert stage is Stage.RESOLUTION_NOTICE


async def test_R6_ending_a_notice_early_and_R9_editing_it_are_refused_in_place(
    app: Litestar, db: AsyncSession
) -> None:
    subsidy = await _subsidy(db)
    url = f"/c/zhonglou/notices/{subsidy.notice}"
    before = len(await audit_actions(db))
    async with client_for(app) as facilitator:
        await sign_in(facilitator, "zhuchi")
        closed = await post_form(facilitator, f"{url}/close")
        edited = await post_form(
            facilitator, f"{url}/edit", {"title": "改过的标题", "body": "改过的正文"}
        )
    for response in (closed, edited):
        assert response.status_code == 409 and response.headers["content-type"] == HTML
    assert "公示期未满，不能提前结束（还剩 5 天）" in text_of(closed.text)
    assert "已发布的公示不能修改；如需更正，请发布更正公示" in text_of(edited.text)
    await db.rollback()
    row = await db.get(Notice, subsidy.notice)
    assert row is not None and row.status is NoticeStatus.PUBLISHED
    assert row.title == subsidy.title
    assert len(await audit_actions(db)) == before


async def test_R1_only_the_facilitator_moves_stages_and_only_supervisors_sign_off(
    app: Litestar, db: AsyncSession
) -> None:
    subsidy = await _subsidy(db)
    base = f"/c/zhonglou/matters/{subsidy.matter}"
    opinions = len(await audit_actions(db, "supervision.opinion"))
    async with client_for(app) as client:
        await sign_in(client, "jiandu")
        moved = await post_form(client, f"{base}/workflow/move", {"to": "implementation"})
        assert moved.status_code == 403
        opinion = await post_form(
            client, f"{base}/workflow/opinions", {"body": "请附检测报告编号。", "public": "true"}
        )
        assert opinion.status_code == 303
    async with client_for(app) as client:
        await sign_in(client, "zhuchi")
        signed = await post_form(client, f"{base}/workflow/signoff", {"body": "同意"})
        assert signed.status_code == 403
    async with client_for(app) as public:
        shown = text_of((await public.get(f"{base}/timeline")).text)
        assert "请附检测报告编号。" in shown
    assert len(await audit_actions(db, "supervision.opinion")) == opinions + 1


async def test_a_notice_discloses_a_convention_in_force_outside_the_workflow(
    app: Litestar, db: AsyncSession
) -> None:
    convention = await demo_convention(db)
    async with client_for(app) as facilitator:
        await sign_in(facilitator, "zhuchi")
        form = await facilitator.get(f"/c/zhonglou/notices/new?subject=convention:{convention}")
        assert f'value="convention:{convention}" selected' in form.text
        drafted = await post_form(
            facilitator,
            "/c/zhonglou/notices/new",
            {
                "kind": "convention",
                "subject": f"convention:{convention}",
                "title": "商户公约公示",
                "body": "公约已表决通过，现予公示。",
                "period_days": "10",
            },
        )
        assert drafted.status_code == 303, drafted.text
        notice = drafted.headers["location"].split("?")[0]
        assert (await post_form(facilitator, f"{notice}/publish")).status_code == 303
        short = await post_form(
            facilitator,
            "/c/zhonglou/notices/new",
            {"kind": "general", "title": "太短的公示", "body": "正文", "period_days": "5"},
        )
    assert short.status_code == 422
    assert _field_error(short.text, "period_days") == "公示期不得少于本议事会规定的 7 天"
    async with client_for(app) as public:
        shown = (await public.get(notice)).text
    assert f'href="/c/zhonglou/conventions/{convention}"' in shown
    assert "还剩 10 天" in text_of(shown)
