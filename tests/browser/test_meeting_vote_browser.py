"""A vote in a live meeting, in a real browser (issue 6, done-when): the facilitator opens a
vote on the current item from the console, three members vote from their phones (390×844),
the console tally updates without a reload, the facilitator closes and certifies, and the
public page shows the result with turnout and the base used. An observer (列席) sees the vote
but has no buttons. Screenshots go to test-artifacts/ (see conftest.screenshot)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from council.demo.data import DEMO_PASSWORD
from tests.browser.conftest import screenshot_async as screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
QUESTION = "是否同意：三家烧烤店一个月内自费加装油烟净化器"


async def open_as(browser: Browser, base: str, login: str | None, size: dict) -> Page:
    context = await browser.new_context(viewport=size, base_url=base, locale="zh-CN")
    page = await context.new_page()
    if login:
        await page.goto("/signin")
        await page.fill("#f-login", login)
        await page.fill("#f-password", DEMO_PASSWORD)
        await page.click("main form button[type=submit]")
        await expect(page.locator("#messages")).to_contain_text("已登录")
    return page


async def prepare_meeting(page: Page) -> tuple[str, str]:
    """A meeting with merchants' and residents' seats and one observer invited, and round 1
    of a new matter as its agenda item. Returns the meeting's and the matter's URLs."""
    await page.goto("/c/zhonglou/meetings/")
    form = page.locator("form[action='/c/zhonglou/meetings/']")
    await form.locator("[name=title]").fill("油烟治理表决会")
    await form.locator("[name=date]").fill("2026-11-25")
    await form.locator("[name=time]").fill("19:30")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#messages")).to_contain_text("会议已安排")
    meeting = page.url.split("?")[0]
    invite = page.locator("form[action$='/invitations']")
    for constituency in ("商户代表", "居民代表"):
        await invite.locator("[name=constituency_id]").select_option(label=constituency)
        await invite.locator("button[type=submit]").click()
        await expect(page.locator("#messages")).to_contain_text("已发出邀请")
    await invite.locator("[name=constituency_id]").select_option(value="")
    await invite.locator("[name=login]").fill("shijian")
    await invite.locator("button[type=submit]").click()
    await expect(page.locator("#messages")).to_contain_text("已发出邀请")

    await page.goto("/c/zhonglou/matters")
    await page.fill("form[action='/c/zhonglou/matters'] [name=title]", "烧烤店油烟")
    await page.click("form[action='/c/zhonglou/matters'] button[type=submit]")
    await expect(page.locator("#messages")).to_contain_text("议题已立项")
    matter = page.url.split("?")[0]
    opener = page.locator("form[action$='/rounds']")
    value = await opener.locator(
        "[name=meeting_id] option", has_text="油烟治理表决会"
    ).get_attribute("value")
    assert value is not None
    await opener.locator("[name=meeting_id]").select_option(value)
    await opener.locator("button[type=submit]").click()
    await expect(page.locator("h1")).to_contain_text("第 1 轮协商")
    return meeting, matter


async def test_facilitator_runs_a_vote_in_a_live_meeting(
    async_browser: Browser, live_server: str
) -> None:
    browser = async_browser
    console = await open_as(browser, live_server, "zhuchi", DESK)
    meeting, matter = await prepare_meeting(console)
    await console.goto(f"{meeting}/console")
    await console.click("#console-live button:has-text('开始会议')")
    await expect(console.locator(".badge-meeting-live")).to_be_visible()
    code = (await console.locator("#signin-code").inner_text()).strip()

    phones: dict[str, Page] = {}
    for login in ("shop01", "jumin01", "jumin02", "shijian"):
        phone = await open_as(browser, live_server, login, PHONE)
        await phone.goto(f"{meeting}/phone")
        await phone.fill("#signin-form [name=code]", code)
        await phone.click("#signin-form button[type=submit]")
        # The answer first: on a refusal its message is what the failure shows.
        await expect(phone.locator("main")).to_contain_text("签到成功")
        await expect(phone.locator("#phone-live")).to_contain_text("您已签到")
        phones[login] = phone
    await expect(console.locator("#quorum-present")).to_have_text("3", timeout=10_000)

    # Open the vote on the current item: the question comes from the item, 实到 is frozen.
    await console.click("#console-vote a:has-text('对当前议程发起表决')")
    await expect(console.locator("#f-question")).to_have_value("第 1 轮协商：烧烤店油烟")
    await expect(console.locator("main")).to_contain_text("现在 3 人")
    await console.fill("#f-question", QUESTION)
    await console.select_option("#f-quorum_rule", "")
    await screenshot(console, "meeting-vote-form")
    await console.click("#meeting-vote-form button[type=submit]")
    await expect(console.locator("#messages")).to_contain_text("表决已开启")
    await expect(console.locator("#console-vote")).to_contain_text("应到 20 · 实到 3")
    await console.evaluate("window.__sameDocument = true")

    # The phones pick the vote up by polling; the observer sees it without buttons.
    member = phones["jumin01"]
    await expect(member.locator("#vote-slot .vote-button")).to_have_count(3, timeout=10_000)
    await expect(member.locator("#vote-slot")).to_contain_text(QUESTION)
    await screenshot(member, "meeting-vote-phone")
    observer = phones["shijian"]
    await expect(observer.locator("#vote-slot")).to_contain_text(QUESTION, timeout=10_000)
    await expect(observer.locator("#vote-slot")).to_contain_text("列席人员可以旁听表决")
    await expect(observer.locator("#vote-slot .vote-button")).to_have_count(0)

    expected = {"yes": 0, "no": 0, "abstain": 0}
    for login, choice, label in (
        ("shop01", "yes", "同意"),
        ("jumin01", "yes", "同意"),
        ("jumin02", "no", "反对"),
    ):
        phone = phones[login]
        await expect(phone.locator("#vote-slot .vote-button")).to_have_count(3, timeout=10_000)
        await phone.click(f"#vote-slot button.vote-{choice}")
        # Asked back, naming the choice; the 2-second poll keeps the question up.
        await expect(phone.locator("#vote-slot")).to_contain_text(f"确认投 {label}？")
        if login == "shop01":
            await screenshot(phone, "meeting-vote-phone-confirm")
        await phone.click("#vote-slot button:has-text('确认投票')")
        await expect(phone.locator("#vote-slot")).to_contain_text(f"您已投票：{label}")
        await expect(phone.locator("#vote-slot .receipt-code")).to_be_visible()
        await expect(phone.locator("#vote-slot .vote-button")).to_have_count(0)
        expected[choice] += 1
        # The console was not reloaded: its polled fragment shows the new count.
        for code_, n in expected.items():
            await expect(console.locator(f"#live-tally [data-code={code_}]")).to_have_text(
                str(n), timeout=10_000
            )
    await expect(console.locator("#vote-turnout")).to_contain_text("已投票 3 / 实到 3")
    assert await console.evaluate("window.__sameDocument") is True
    await screenshot(console, "meeting-vote-console-tally")
    await screenshot(phones["jumin02"], "meeting-vote-phone-voted")

    await console.click("#console-vote button:has-text('结束表决并计票')")
    await expect(console.locator("#console-vote")).to_contain_text("通过")
    await console.click("#console-vote button:has-text('认证结果')")
    await expect(console.locator("#console-vote .tag")).to_have_text("已认证")
    result_link = await console.locator("#console-vote a:has-text('表决结果与回执')").get_attribute(
        "href"
    )
    assert result_link is not None
    await expect(phones["shop01"].locator("#vote-slot .tag")).to_have_text("已认证", timeout=10_000)
    await expect(phones["shop01"].locator("#vote-slot")).to_contain_text("已投票 3 / 应到 20")
    await screenshot(phones["shop01"], "meeting-vote-phone-result")

    public = await open_as(browser, live_server, None, PHONE)
    await public.goto(result_link)
    result = public.locator(".result")
    await expect(result).to_contain_text("通过")
    await expect(result).to_contain_text("3 / 20（已投票 / 应到）")
    await expect(result).to_contain_text("实到人数（开启时签到者） = 3")
    await expect(public.locator("main")).to_contain_text("会上表决：油烟治理表决会")
    await screenshot(public, "meeting-vote-public-result")
    await public.goto(matter)
    await expect(public.locator("#meeting-votes")).to_contain_text(QUESTION)
    await expect(public.locator("#meeting-votes")).to_contain_text("已投票 3 / 应到 20")
    await screenshot(public, "meeting-vote-matter")
