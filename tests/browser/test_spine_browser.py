"""A major matter through all seven stages of 四议两公开一监督 in a real browser, with the
clock moved by the test: the facilitator's moves and refusals in place, the party review, a
supervisor's opinion and sign-off, an anonymous visitor's objection on a phone and its public
answer, and the timeline at 390 px and 1280 px.

What other rooms record (the party's 提议, the deliberation meeting and its minutes, the
representatives' votes, the plan's evidence) is arranged through their services: their own
browser tests drive those pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from council.consultations.models import Matter, Round, Side
from council.consultations.schemas import PlanForm
from council.councils.models import Council
from council.demo.spine import Deliberation, Path
from council.settings import Settings
from tests.browser.conftest import screenshot_async
from tests.browser.test_consultation_browser import DESK, PHONE, open_as

pytestmark = pytest.mark.browser

TITLE = "夜市外摆收摊时间（22 点）"
TALK = Deliberation(
    meeting="外摆收摊时间联席会议",
    invite=("社区党组织", "商户代表", "居民代表"),
    statements=((Side.RESIDENT, "居民代表 赵淑珍", "22 点以后外摆桌椅要收回，楼上要睡觉。"),),
    summary="同意外摆最晚到 22 点，超时由商户联合会提醒。",
    minutes="联席会议商议外摆收摊时间：同意最晚 22 点。",
)


@pytest.fixture
async def arrange(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the served database for what other rooms record."""
    from council.db import alchemy_config, create_engine

    engine = create_engine(settings, pooled=False)
    async with alchemy_config(settings, engine).get_session() as session:
        yield session
    await engine.dispose()


async def _path(db: AsyncSession) -> tuple[Path, Matter]:
    council = (await db.execute(sa.select(Council).where(Council.slug == "zhonglou"))).scalar_one()
    matter = (await db.execute(sa.select(Matter).where(Matter.title == TITLE))).scalar_one()
    return Path(db, council, "zhuchi", "jiandu", "dangwei"), matter


async def _finish(page: Page, stage: str, following: str) -> None:
    await page.get_by_role("button", name=f"完成“{stage}”，进入“{following}”").click()
    await expect(page.locator("#messages")).to_contain_text("阶段已变更")
    await expect(page.locator("#current-title")).to_contain_text(following)


async def _review(page: Page, members: str, present: str, yes: str) -> None:
    form = page.locator("form.review-form")
    await form.locator("[name=held_on]").fill("2026-11-24")
    for name, value in (("members", members), ("present", present), ("yes", yes)):
        await form.locator(f"[name={name}]").fill(value)
    await form.get_by_role("button", name="登记审议记录").click()
    await expect(page.locator("#messages")).to_contain_text("审议记录已登记")


async def test_a_major_matter_through_all_seven_stages_with_the_clock_moved(
    async_browser: Browser,
    clocked_server: tuple[str, FixedClock],
    arrange: AsyncSession,
) -> None:
    base, clock = clocked_server
    db = arrange
    desk = await open_as(async_browser, base, "zhuchi", DESK)

    # 立项 and 重大事项: the matter goes on the gated path.
    await desk.goto("/c/zhonglou/matters")
    await desk.locator("form[action='/c/zhonglou/matters'] [name=title]").fill(TITLE)
    await desk.locator("form[action='/c/zhonglou/matters'] button[type=submit]").click()
    await expect(desk.locator("#messages")).to_contain_text("议题已立项")
    await desk.get_by_role("button", name="列为重大事项，按四议两公开一监督办理").click()
    await expect(desk.locator("#current-title")).to_contain_text("提议")
    timeline = desk.url.split("?")[0]

    # 提议: without the party organisation's proposal the stage does not finish.
    await desk.get_by_role("button", name="完成“提议”，进入“商议”").click()
    await expect(desk.locator("#e-stage")).to_contain_text("社区党组织的书面提议")
    path, matter = await _path(db)
    await path.propose(
        matter, "外摆最晚到 22 点", "建议外摆最晚到 22 点，超时收回。", "占道经营", clock.now()
    )
    await db.commit()
    clock.advance(days=1)
    await desk.goto(timeline)
    await _finish(desk, "提议", "商议")

    # 商议: a joint meeting with confirmed minutes.
    await path.deliberate(matter, TALK, clock.now())
    await db.commit()
    clock.advance(days=2)
    await desk.goto(timeline)
    await _finish(desk, "商议", "审议")

    # 审议: 7 of 11 present is short of two thirds; 8 present with 6 yes passes (rule 3).
    await _review(desk, "11", "7", "7")
    await desk.get_by_role("button", name="完成“审议”，进入“决议”").click()
    await expect(desk.locator("#e-stage")).to_contain_text(
        "到会 7 人，不足全体党员 11 人的三分之二"
    )
    await screenshot_async(desk, "spine-timeline-refused-1280")
    await _review(desk, "11", "8", "6")
    await _finish(desk, "审议", "决议")

    # 一监督 before the vote: the supervisor's public opinion.
    supervisor = await open_as(async_browser, base, "jiandu", DESK)
    await supervisor.goto(timeline)
    opinion = supervisor.locator("form[action$='/workflow/opinions']")
    await opinion.locator("[name=body]").fill("收摊时间应在公示中写明提醒和处理办法。")
    await opinion.locator("[name=public]").check()
    await opinion.get_by_role("button", name="提交监督意见").click()
    await expect(supervisor.locator("#messages")).to_contain_text("监督意见已登记")

    # 决议: the representatives' ballot, certified.
    members = ["jumin01", "jumin02", "jumin03", "jumin04", "jumin05", "jumin06", "jumin07"]
    members += ["shop01", "shop05", "shop09", "shop14", "shop20", "shop27", "shop33", "dangwei"]
    await path.resolve(matter, dict.fromkeys(members, "yes"), clock.now())
    await db.commit()
    clock.advance(days=2)
    await desk.goto(timeline)
    await _finish(desk, "决议", "决议公开")

    # 决议公开: the notice, published; a visitor on a phone objects without an account.
    await desk.get_by_role("button", name="起草决议公开公示").click()
    await expect(desk.locator("#messages")).to_contain_text("公示草稿已保存")
    await desk.get_by_role("button", name="发布公示（发布后不能修改）").click()
    await expect(desk.locator("#messages")).to_contain_text("公示已发布")
    notice = desk.url.split("?")[0]
    await expect(desk.locator(".days-left")).to_have_text("还剩 7 天")

    phone = await open_as(async_browser, base, None, PHONE)
    await phone.goto(notice)
    form = phone.locator("#object form")
    await form.locator("[name=name]").fill("钱师傅")
    await form.locator("[name=contact]").fill("13812340000")
    await form.locator("[name=body]").fill("夏天能不能放宽到 22 点半？")
    await form.get_by_role("button", name="提交异议").click()
    await expect(phone.locator("#messages")).to_contain_text("异议已提交")
    await expect(phone.locator(".objection")).to_contain_text("钱**")
    await expect(phone.locator("body")).not_to_contain_text("13812340000")
    await screenshot_async(phone, "spine-notice-objection-390")

    # The period is not over: 实施 cannot start, and the objection blocks it too (rules 6, 7).
    clock.advance(days=3)
    await desk.goto(timeline)
    await desk.get_by_role("button", name="完成“决议公开”，进入“实施”").click()
    await expect(desk.locator("#e-stage")).to_contain_text("公示期未满（还剩 4 天）")
    await expect(desk.locator("#e-stage")).to_contain_text("还有 1 条异议未答复")
    await desk.goto(notice)
    await desk.locator(".objection textarea[name=answer]").fill(
        "全年统一 22 点，夏季由商户联合会加强提醒。"
    )
    await desk.get_by_role("button", name="公开答复").click()
    await expect(desk.locator("#messages")).to_contain_text("答复已公开")
    await phone.goto(notice)
    await expect(phone.locator(".objection .answer")).to_contain_text("全年统一 22 点")
    clock.advance(days=4)
    await desk.goto(timeline)
    await _finish(desk, "决议公开", "实施")

    # 实施: the plan, verified shop by shop; then the supervisor signs off (rule 11).
    round_ = (await db.execute(sa.select(Round).where(Round.matter_id == matter.id))).scalar_one()
    deadline = (clock.now() + dt.timedelta(days=20)).date().isoformat()
    plan = PlanForm(
        title="外摆收摊时间执行",
        agreed_text="外摆最晚到 22 点。",
        shops="1-3",
        obligation="22 点前收回外摆桌椅",
        payer="无需出资",
        deadline=deadline,
    )
    await path.implement(await path.plan(round_, plan, clock.now()), ("已按时收摊。",), clock.now())
    await db.commit()
    clock.advance(days=5)
    await desk.goto(timeline)
    await desk.get_by_role("button", name="完成“实施”，进入“实施结果公开”").click()
    await expect(desk.locator("#e-stage")).to_contain_text("监督员签字确认（第 11 条）")
    await supervisor.goto(timeline)
    sign = supervisor.locator("form[action$='/workflow/signoff']")
    await sign.locator("[name=body]").fill("三家商户已核验，同意公开实施结果。")
    await sign.get_by_role("button", name="签字确认").click()
    await expect(supervisor.locator("#messages")).to_contain_text("已签字确认")
    await desk.goto(timeline)
    await _finish(desk, "实施", "实施结果公开")

    # 实施结果公开, then 完成 once its period is over.
    await desk.get_by_role("button", name="起草实施结果公开公示").click()
    await desk.get_by_role("button", name="发布公示（发布后不能修改）").click()
    await expect(desk.locator("#messages")).to_contain_text("公示已发布")
    clock.advance(days=7)
    await desk.goto(timeline)
    await desk.get_by_role("button", name="完成“实施结果公开”，进入“已完成”").click()
    await expect(desk.locator("#messages")).to_contain_text("阶段已变更")
    await expect(desk.locator(".page-head .badge")).to_have_text("已完成")

    # The public timeline: every stage done, the objection beside its answer, the opinions.
    await phone.goto(timeline)
    await expect(phone.locator(".stage-step.done")).to_have_count(7)
    body = phone.locator("body")
    for text in (
        "全年统一 22 点",
        "收摊时间应在公示中写明提醒和处理办法。",
        "监督员签字确认",
        "全体党员 11 人，到会 8 人",
    ):
        await expect(body).to_contain_text(text)
    await expect(body).not_to_contain_text("13812340000")
    await screenshot_async(phone, "spine-timeline-390")
    wide = await open_as(async_browser, base, None, DESK)
    await wide.goto(timeline)
    await screenshot_async(wide, "spine-timeline-1280")
