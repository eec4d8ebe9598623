"""我的待办 on a phone: a member sees a meeting invitation, an open ballot and minutes to
confirm; acting on each takes it off the list and the header count follows. The
facilitator's side is arranged over HTTP with his own session."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in

QUESTION = "是否同意周末夜市延长到二十二点"
MEETING = "十二月商户协商会"


def _as(browser: Browser, base: str, login: str) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, base, login)
    return page


def _post(staff: Page, base: str, path: str, form: dict[str, str] | None = None) -> str:
    """A form the facilitator sends, with his session and CSRF token; the redirect target."""
    token = staff.locator("input[name=_csrf_token]").first.get_attribute("value")
    assert token
    response = staff.request.post(
        f"{base}{path}", form={"_csrf_token": token, **(form or {})}, max_redirects=0
    )
    assert response.status == 303, response.text()
    return response.headers["location"]


def _open_ballot(staff: Page, base: str) -> str:
    """A ballot of all members on QUESTION, opened by the facilitator; its address."""
    ballot = _post(
        staff,
        base,
        "/c/zhonglou/ballots/",
        {"question": QUESTION, "pass_rule": "1/2>", "pass_base": "cast"},
    ).split("?")[0]
    _post(staff, base, f"{ballot}/open")
    return ballot


def _header_count(page: Page) -> int:
    badge = page.locator("#todo-count")
    expect(badge).to_have_count(1)
    text = re.sub(r"\D", "", badge.inner_text())
    return int(text or 0)


def _todo(page: Page, base: str) -> int:
    page.goto(f"{base}/me/todo")
    expect(page.locator("#todo-count.count")).to_have_count(1)  # swapped in after load
    total = _header_count(page)
    expect(page.locator(".todo-total")).to_have_text(str(total))
    return total


def test_member_acts_on_invitation_ballot_and_minutes_from_the_todo_page(
    browser: Browser, live_server: str, engine_name: str
) -> None:
    base = live_server
    staff = _as(browser, base, "zhuchi")
    member = _as(browser, base, "shop01")
    start = _todo(member, base)

    # The facilitator schedules a meeting with shop01 invited and an item on its agenda, and
    # opens a ballot of all members.
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    meeting = _post(
        staff,
        base,
        "/c/zhonglou/meetings/",
        {"title": MEETING, "date": day, "time": "19:00", "place": "商居议事室"},
    ).split("?")[0]
    _post(staff, base, f"{meeting}/invitations", {"login": "shop01"})
    matter = _post(
        staff,
        base,
        "/c/zhonglou/matters",
        {"title": "夜市时段", "merchant_side": "夜市商户", "resident_side": "钟楼小区居民"},
    ).split("?")[0]
    _post(staff, base, f"{matter}/rounds", {"meeting_id": meeting.rsplit("/", 1)[1]})
    _open_ballot(staff, base)

    assert _todo(member, base) == start + 2
    items = member.locator(".todo-item")
    expect(items.filter(has_text=MEETING)).to_contain_text("应邀参会")
    expect(items.filter(has_text=QUESTION)).to_contain_text("投票")
    if screenshots_wanted(engine_name):
        screenshot(member, "todo-phone")

    # The ballot: from the list to the vote, asked back, cast; gone from the list.
    member.get_by_role("link", name=QUESTION).click()
    member.locator(".vote-panel").get_by_role("button", name="同意").click()
    expect(member.locator(".vote-panel")).to_contain_text("确认投 同意？")
    if screenshots_wanted(engine_name):
        screenshot(member, "vote-confirm-phone")
    member.locator(".vote-panel").get_by_role("button", name="确认投票").click()
    expect(member.get_by_text("投票成功")).to_be_visible()
    assert _todo(member, base) == start + 1
    expect(member.locator(".todo-item").filter(has_text=QUESTION)).to_have_count(0)

    # The invitation: the meeting starts, the member signs in with the code from the list.
    _post(staff, base, f"{meeting}/start")
    staff.goto(f"{base}{meeting}/console")
    code = staff.locator("#signin-code").inner_text().strip()
    member.goto(f"{base}/me/todo")
    entry = member.locator(".todo-item").filter(has_text=MEETING)
    expect(entry).to_contain_text("会议进行中，请签到")
    entry.get_by_role("link", name=MEETING).click()
    member.fill("#signin-form [name=code]", code)
    member.click("#signin-form button[type=submit]")
    expect(member.get_by_text("签到成功")).to_be_visible()
    assert _todo(member, base) == start
    expect(member.locator(".todo-item").filter(has_text=MEETING)).to_have_count(0)

    # The minutes: drafted by the facilitator, confirmed by the member from the list.
    staff.goto(f"{base}{meeting}")
    agenda = staff.locator("form[action$='/minutes']").first.get_attribute("action")
    assert agenda
    _post(staff, base, agenda, {"text": "夜市延长至二十二点，商户负责收摊清扫"})
    assert _todo(member, base) == start + 1
    entry = member.locator(".todo-item").filter(has_text="确认纪要")
    expect(entry).to_contain_text(MEETING)
    entry.get_by_role("link", name=MEETING).click()
    member.locator("form[action$='/confirm']").get_by_role("button").click()
    expect(member.get_by_text("您已确认纪要")).to_be_visible()
    assert _todo(member, base) == start
    expect(member.locator(".todo-item").filter(has_text="确认纪要")).to_have_count(0)
    if screenshots_wanted(engine_name):
        screenshot(member, "todo-phone-done")


def test_ballot_form_preset_fills_the_rules_and_they_stay_editable(
    page: Page, live_server: str, engine_name: str
) -> None:
    sign_in(page, live_server, "zhuchi")
    page.goto(f"{live_server}/c/zhonglou/ballots/new")
    page.get_by_label("表决事项").fill("是否通过《外摆公约》第二版")
    page.get_by_role("button", name="公约表决 · 一店一票 · 全体商户过半数").click()
    expect(page.get_by_label("表决事项")).to_have_value("是否通过《外摆公约》第二版")
    expect(page.get_by_label("投票人")).to_have_value("shops")
    expect(page.get_by_label("通过规则的基数")).to_have_value("eligible")
    # Checkboxes sit beside their labels, one row each. Both boxes are measured in one frame,
    # once the stylesheet has loaded: two separate measurements can straddle a scroll.
    page.wait_for_load_state("load")
    box, label = page.locator("#f-multiple").evaluate(
        """box => [box, box.labels[0]].map(e => {
            const r = e.getBoundingClientRect();
            return {x: r.left, middle: r.top + r.height / 2};
        })"""
    )
    assert abs(box["middle"] - label["middle"]) < 10 and box["x"] < label["x"]
    if screenshots_wanted(engine_name):
        screenshot(page, "ballot-form-preset-phone")
    page.get_by_label("通过规则的基数").select_option("cast")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("表决草稿已保存")).to_be_visible()
    expect(page.locator("dl.rules")).to_contain_text("投票数（含弃权）")


def test_member_chooses_notification_channels_on_a_phone(
    page: Page, live_server: str, engine_name: str
) -> None:
    sign_in(page, live_server, "jumin01")
    page.goto(f"{live_server}/me/notifications")
    page.get_by_role("link", name="通知方式").click()
    page.get_by_label("发到企业微信群").check()
    page.get_by_label("机器人的 Webhook 地址").fill("http://10.0.0.5/x")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#e-webhook_address")).to_contain_text(
        "请填写企业微信群机器人的 Webhook 地址"
    )
    expect(page.get_by_label("机器人的 Webhook 地址")).to_have_value("http://10.0.0.5/x")
    if screenshots_wanted(engine_name):
        screenshot(page, "notification-settings-phone")
    page.get_by_label("机器人的 Webhook 地址").fill(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("设置已保存")).to_be_visible()
    expect(page.get_by_label("发到企业微信群")).to_be_checked()


def test_header_counts_arriving_after_the_page_do_not_move_it_on_a_phone(
    browser: Browser, live_server: str
) -> None:
    """Rule: the header's counts come after the page (/me/todo/count, swapped in on load). On
    a phone they must not push the page down under a finger about to tap it: a tap meant for
    同意 would land on whatever slid into its place."""
    base = live_server
    staff = _as(browser, base, "zhuchi")
    ballot = _open_ballot(staff, base)
    panel_top = "e => e.getBoundingClientRect().top + window.scrollY"

    for width in (360, 390):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 844})
        member = context.new_page()
        sign_in(member, base, "shop01")
        # First without the counts, as the page stands before they arrive.
        member.route("**/me/todo/count", lambda route: route.abort())
        member.goto(f"{base}{ballot}")
        panel = member.locator(".vote-panel")
        expect(panel.get_by_role("button", name="同意")).to_be_visible()
        before = panel.evaluate(panel_top)
        member.unroute("**/me/todo/count")
        # Then as it ends up: a ballot to vote on and unread notifications, both counted.
        member.goto(f"{base}{ballot}")
        expect(member.locator("#todo-count.has")).to_be_visible()
        expect(member.locator("#unread-count.has")).to_be_visible()
        assert panel.evaluate(panel_top) == before, f"{width} px"
        context.close()
