"""A two-round consultation in a real browser, from scheduling to "1 / 3 已核验" in public.

The console must update live (htmx polling, no reload) as members sign in on their phones
and ask to speak."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from council.demo.data import DEMO_PASSWORD
from tests.browser.conftest import screenshot_async
from tests.images import jpeg_with_gps

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


async def choose(form: Locator, name: str, text: str) -> None:
    """Select the option of ``name`` whose visible text contains ``text``."""
    value = await form.locator(f"[name={name}] option", has_text=text).get_attribute("value")
    assert value is not None
    await form.locator(f"[name={name}]").select_option(value)


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


async def schedule(page: Page, title: str, date: str) -> str:
    await page.goto("/c/zhonglou/meetings/")
    form = page.locator("form[action='/c/zhonglou/meetings/']")
    await form.locator("[name=title]").fill(title)
    await form.locator("[name=date]").fill(date)
    await form.locator("[name=time]").fill("19:30")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#messages")).to_contain_text("会议已安排")
    meeting = page.url.split("?")[0]
    for constituency in ("商户代表", "居民代表"):
        invite = page.locator("form[action$='/invitations']")
        await invite.locator("[name=constituency_id]").select_option(label=constituency)
        await invite.locator("button[type=submit]").click()
        await expect(page.locator("#messages")).to_contain_text("已发出邀请")
    return meeting


async def record(page: Page, side: str, speaker: str, text: str) -> None:
    form = page.locator("#record-entry form")
    await form.locator("[name=kind]").select_option("statement")
    await form.locator("[name=side]").select_option(side)
    await form.locator("[name=speaker]").fill(speaker)
    await form.locator("[name=text]").fill(text)
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#messages")).to_contain_text("已记录")


async def test_two_round_consultation_to_a_verified_item(
    async_browser: Browser, live_server: str
) -> None:
    browser = async_browser
    zhuchi = await open_as(browser, live_server, "zhuchi", DESK)
    first = await schedule(zhuchi, "第一次协商会", "2026-11-25")
    await schedule(zhuchi, "第二次协商会", "2026-12-02")

    await zhuchi.goto("/c/zhonglou/matters")
    await zhuchi.fill("form[action='/c/zhonglou/matters'] [name=title]", "夜市烧烤油烟")
    await zhuchi.click("form[action='/c/zhonglou/matters'] button[type=submit]")
    await expect(zhuchi.locator("#messages")).to_contain_text("议题已立项")
    matter = zhuchi.url.split("?")[0]
    opener = zhuchi.locator("form[action$='/rounds']")
    await choose(opener, "meeting_id", "第一次协商会")
    await opener.locator("button[type=submit]").click()
    await expect(zhuchi.locator("h1")).to_contain_text("第 1 轮协商")
    round_one = zhuchi.url.split("?")[0]

    console = await open_as(browser, live_server, "zhuchi", DESK)
    await console.goto(f"{first}/console")
    await console.click("#console-live button:has-text('开始会议')")
    await expect(console.locator(".badge-meeting-live")).to_be_visible()
    code = (await console.locator("#signin-code").inner_text()).strip()
    await console.evaluate("window.__sameDocument = true")
    await expect(console.locator("#quorum-present")).to_have_text("0")

    phones = {}
    for count, login in enumerate(("shop01", "jumin01", "jumin02"), start=1):
        phone = await open_as(browser, live_server, login, PHONE)
        await phone.goto(f"{first}/phone")
        await phone.fill("#signin-form [name=code]", code)
        await phone.click("#signin-form button[type=submit]")
        # The answer first: on a refusal its message is what the failure shows.
        await expect(phone.locator("main")).to_contain_text("签到成功")
        await expect(phone.locator("#phone-live")).to_contain_text("您已签到")
        # The console was not reloaded: polling swapped the fragment in place.
        await expect(console.locator("#quorum-present")).to_have_text(str(count), timeout=10_000)
        phones[login] = phone
    await expect(console.locator("#quorum")).to_contain_text("实到 3 人 / 应到 14 人")
    await screenshot_async(phones["jumin01"], "phone-signed-in")

    for login in ("shop01", "jumin01"):
        await phones[login].click("#phone-live button:has-text('申请发言')")
        await expect(phones[login].locator("#phone-live")).to_contain_text("您已申请发言")
    await expect(console.locator(".queue-name")).to_have_text(["王建国", "赵淑珍"], timeout=10_000)
    assert await console.evaluate("window.__sameDocument") is True
    await screenshot_async(console, "console-live")
    await screenshot_async(phones["shop01"], "phone-queued")

    await zhuchi.goto(round_one)
    await record(zhuchi, "resident", "居民代表 赵淑珍", "晚上油烟大，不敢开窗。")
    await record(zhuchi, "merchant", "商户代表 王建国", "愿意装净化器，费用要商量。")
    close = zhuchi.locator("#close-round form")
    await close.locator("[name=outcome]").select_option("partial")
    await close.locator("[name=open_questions]").fill("净化器费用由谁承担？")
    await choose(close, "next_meeting_id", "第二次协商会")
    await close.locator("button[type=submit]").click()
    await expect(zhuchi.locator("#messages")).to_contain_text("本轮协商已结束")
    await screenshot_async(zhuchi, "matter-after-round-1")

    await zhuchi.click("#round-2 a:has-text('本轮完整记录')")
    await expect(zhuchi.locator(".carried")).to_contain_text("净化器费用由谁承担？")
    round_two = zhuchi.url.split("?")[0]
    await record(zhuchi, "merchant", "商户联合会 王建国", "商户出资，居民监督。")
    close = zhuchi.locator("#close-round form")
    await close.locator("[name=outcome]").select_option("consensus")
    await close.locator("[name=summary]").fill("商户出资治理、居民参与监督")
    await close.locator("button[type=submit]").click()
    await expect(zhuchi.locator(".badge-consensus")).to_have_text("已达成共识")

    await zhuchi.goto(round_two)
    plan = zhuchi.locator("#new-plan form")
    await plan.locator("[name=title]").fill("三家烧烤店加装净化器")
    await plan.locator("[name=agreed_text]").fill("商户出资治理、居民参与监督")
    await plan.locator("[name=merchants_pay]").check()
    await plan.locator("[name=shops]").fill("1-3")
    await plan.locator("[name=obligation]").fill("加装油烟净化器")
    await plan.locator("[name=deadline]").fill("2026-12-31")
    await plan.locator("[name=supervision_group]").fill("网格员、物业、居民代表")
    await plan.locator("[name=inspection_frequency]").fill("每周两次")
    await plan.locator("[name=acceptance_method]").fill("第三方检测")
    await plan.locator("button[type=submit]").click()
    await expect(zhuchi.locator("#progress")).to_contain_text("0 / 3 已核验")
    plan_url = zhuchi.url.split("?")[0]

    merchant = phones["shop01"]
    await merchant.goto(plan_url)
    await merchant.click(".mine a")
    await merchant.fill("[name=note]", "已安装净化器，附安装照片")
    await merchant.set_input_files(
        "[name=photos]",
        files=[{"name": "purifier.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}],
    )
    await merchant.click("form[action$='/evidence'] button[type=submit]")
    await expect(merchant.locator("#messages")).to_contain_text("等待监督员核验")
    await expect(merchant.locator(".photos img")).to_have_count(1)
    await screenshot_async(merchant, "item-evidence")
    item_url = merchant.url.split("?")[0]

    supervisor = await open_as(browser, live_server, "jiandu", DESK)
    await supervisor.goto(item_url)
    await supervisor.click("button[value=passed]")
    await expect(supervisor.locator(".badge-item-verified")).to_be_visible()

    public = await open_as(browser, live_server, None, PHONE)
    await public.goto(plan_url)
    await expect(public.locator("#progress")).to_contain_text("1 / 3 已核验")
    await screenshot_async(public, "plan-public")
    await public.goto(matter)
    await expect(public.locator(".plan-summary")).to_contain_text("1 / 3 已核验")
