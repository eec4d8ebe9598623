"""A call for suggestions in a real browser: opened, answered online and offline, summed up."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in

DESKTOP = {"width": 1280, "height": 900}


def test_call_opened_answered_online_and_offline(
    browser: Browser, page: Page, live_server: str, engine_name: str
) -> None:
    base, shots = live_server, screenshots_wanted(engine_name)
    staff_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    staff = staff_context.new_page()
    sign_in(staff, base, "zhuchi")
    staff.goto(f"{base}/c/zhonglou/calls/new")
    staff.get_by_label("主题").fill("外摆时间意见征集")
    staff.get_by_label("截止时间").fill("2099-12-31T18:00")
    staff.get_by_label("问题（每行一个）").fill("外摆最晚到几点 | 21:00 | 22:00\n其他建议")
    if shots:
        screenshot(staff, "call-new-phone")
    staff.locator("main").get_by_role("button", name="发起征集").click()
    expect(staff.get_by_text("征集已发起")).to_be_visible()
    call_url = staff.url.split("?")[0]

    sign_in(page, base, "jumin11")
    page.goto(call_url)
    page.get_by_label("22:00").check()
    page.get_by_label("2. 其他建议").fill("22:00 以后请把音乐关掉")
    if shots:
        screenshot(page, "call-detail-phone")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_text("感谢参与，您的意见已提交")).to_be_visible()

    staff.goto(call_url)
    offline = staff.locator("form[action$='/offline']")
    offline.get_by_label("来源").fill("商户恳谈会")
    offline.get_by_label("21:00").check()
    offline.get_by_role("button", name="录入").click()
    expect(staff.get_by_text("线下意见已录入")).to_be_visible()
    staff.goto(f"{call_url}/summary")
    expect(staff.locator("#total-responses")).to_have_text("共 2 份意见")
    expect(staff.locator("tr[data-choice='22:00']")).to_contain_text("1")
    if shots:
        screenshot(staff, "call-summary-phone")
        staff.set_viewport_size(DESKTOP)
        staff.goto(f"{base}/c/zhonglou/calls")
        staff.get_by_role("link", name="美食街油烟治理方案意见征集").click()
        screenshot(staff, "call-closed-desktop")
        staff.get_by_role("link", name="查看汇总").click()
        expect(staff.locator("#total-responses")).to_have_text("共 11 份意见")
        screenshot(staff, "call-summary-desktop")
        staff.goto(f"{base}/c/zhonglou/issues")
        staff.get_by_role("link", name="人行道被外摆桌椅占满，轮椅和童车过不去").click()
        screenshot(staff, "issue-referred-desktop")
        staff.goto(f"{base}/c/zhonglou/issues/queue")
        staff.get_by_role("link", name="夜里 11 点后外摆音响噪音").click()
        screenshot(staff, "issue-triage-folded-desktop")
        staff.set_viewport_size({"width": 390, "height": 844})
        screenshot(staff, "issue-triage-folded-phone")
        staff.goto(f"{base}/c/zhonglou/issues/stats")
        screenshot(staff, "issue-stats-demo-phone")
        staff.goto(f"{base}/c/zhonglou/issues/queue")
        screenshot(staff, "issue-queue-demo-phone")
    staff_context.close()
