"""Done-when of the work-order room on a phone (390×844): a resident's 随手拍 becomes a work
order, the department's liaison handles it, the resident is not satisfied and it goes back,
it is handled again, verified, closed and rated; the department's scorecard figures move with
each step. The live server keeps the real clock: every step happens now, this month."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in
from tests.images import jpeg_with_gps

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LINE = "公交站前车辆违停，公交进不了站"
FIGURES = ("received", "on_time", "responded", "resolved", "rated", "satisfied")


def _phone(browser: Browser, login: str, base: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, base, login)
    return context, page


def _figures(page: Page, base: str, latest: bool = False) -> dict[str, int]:
    """The counts of 交警中队 in the council, summed over the months of its public page (the
    month an order falls in follows the server's clock, the demo's months the load date), or
    those of the ``latest`` month alone."""
    page.goto(f"{base}/c/zhonglou/departments")
    page.locator("tr[data-department='交警中队'] a").click()
    # ``all()`` and ``count()`` do not wait: the department's own page first.
    expect(page.get_by_role("heading", level=1)).to_contain_text("交警中队")
    counts = dict.fromkeys(FIGURES, 0)
    rows = page.locator("table.months tbody tr")
    for row in [rows.first] if latest else rows.all():
        for name in FIGURES:
            link = row.locator(f"a[href*='figure={name}']")
            counts[name] += int(link.inner_text()) if link.count() else 0
    return counts


def _moved(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in FIGURES if after[k] != before[k]}


def test_snap_to_work_order_sent_back_handled_again_closed_and_rated(
    browser: Browser, page: Page, live_server: str, engine_name: str
) -> None:
    base = live_server
    shots = screenshots_wanted(engine_name)
    public = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
    start = _figures(public, base)

    # A resident reports in three taps: photo, place, one line.
    sign_in(page, base, "jumin11")
    page.goto(f"{base}/c/zhonglou/snap")
    if shots:
        screenshot(page, "snap-phone")
    page.get_by_label("① 拍照").set_input_files(
        files=[{"name": "IMG_2001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    page.get_by_label("② 地点").fill("钟楼路公交站")
    page.get_by_label("③ 一句话说明").fill(LINE)
    page.get_by_role("button", name="提交随手拍").click()
    expect(page.get_by_text("随手拍已提交")).to_be_visible()
    expect(page.locator(".issue-head")).to_contain_text("随手拍")
    expect(page.locator(".issue-head")).to_contain_text("停车")  # the suggested category
    issue_url = page.url.split("?")[0]

    # The facilitator turns it into a work order at once: 交警中队 is proposed for 停车.
    staff_context, staff = _phone(browser, "zhuchi", base)
    staff.goto(issue_url)
    expect(staff.get_by_label("转办给")).to_have_value(re.compile(r"[0-9a-f]{32}"))
    expect(staff.get_by_label("转办给").locator("option:checked")).to_have_text("交警中队")
    staff.get_by_label("工单类型（决定办理期限）").select_option("complaint")
    staff.get_by_label("转办说明（公开）").fill("请尽快清理违停，恢复公交进站")
    if shots:
        screenshot(staff, "issue-refer-phone")
    staff.get_by_role("button", name="转办给职能部门").click()
    expect(staff.get_by_text("工单已派发给职能部门")).to_be_visible()
    order_url = staff.url.split("?")[0]
    assert _moved(start, _figures(public, base)) == {"received": 1}

    # The liaison finds it on his to-do, accepts it and reports the handling with a photo.
    liaison_context, liaison = _phone(browser, "jiaojing", base)
    liaison.goto(f"{base}/me/orders")
    item = liaison.locator("ul.todo li", has_text=LINE)
    expect(item).to_contain_text("签收")
    if shots:
        screenshot(liaison, "todo-liaison-phone")
    item.get_by_role("link").click()
    liaison.get_by_role("button", name="签收工单").click()
    expect(liaison.get_by_text("已签收工单")).to_be_visible()
    if shots:
        screenshot(liaison, "order-liaison-phone")
    liaison.get_by_label("办理情况（公开）").fill("已拖离违停车辆 3 辆，张贴禁停提示")
    liaison.get_by_label("处置照片（可选）").set_input_files(
        files=[{"name": "IMG_2002.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    liaison.get_by_role("button", name="提交反馈").click()
    expect(liaison.get_by_text("办理情况已反馈")).to_be_visible()
    expect(liaison.locator(".timeline .photos img")).to_have_count(1)
    assert _moved(start, _figures(public, base)) == {"received": 1, "responded": 1, "on_time": 1}

    # The resident is not satisfied: it goes back to the department.
    page.goto(f"{base}/me/orders")
    page.locator("ul.todo li", has_text=LINE).get_by_role("link").click()
    page.get_by_label("核查情况（必填，公开）").fill("晚上又停满了，公交还是进不了站")
    if shots:
        screenshot(page, "order-verify-phone")
    page.get_by_role("button", name="不满意，退回重办").click()
    expect(page.get_by_text("工单已退回重办")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("处置中")
    expect(page.locator(".page-head")).to_contain_text("退回重办 1 次")
    assert _moved(start, _figures(public, base)) == {"received": 1, "responded": 1}

    # Handled again, verified as satisfied, closed and rated.
    liaison.goto(order_url)
    liaison.get_by_label("办理情况（公开）").fill("已设置隔离桩，夜间增加巡查")
    liaison.get_by_role("button", name="提交反馈").click()
    expect(liaison.get_by_text("办理情况已反馈")).to_be_visible()
    page.goto(order_url)
    page.get_by_label("核查情况（必填，公开）").fill("连续三晚查看，没有违停了")
    page.get_by_role("button", name="满意，已解决").click()
    expect(page.locator(".page-head .badge")).to_have_text("已核查")
    assert _moved(start, _figures(public, base)) == {
        "received": 1,
        "responded": 1,
        "on_time": 1,
        "resolved": 1,
    }
    staff.goto(order_url)
    staff.get_by_role("button", name="结案").click()
    expect(staff.locator(".page-head .badge")).to_have_text("已结案")
    page.goto(order_url)
    page.get_by_label("满意", exact=True).check()
    if shots:
        screenshot(page, "order-rate-phone")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    expect(page.locator("#rating")).to_contain_text("满意")
    after = _figures(public, base)
    assert _moved(start, after) == {
        "received": 1,
        "responded": 1,
        "on_time": 1,
        "resolved": 1,
        "rated": 1,
        "satisfied": 1,
    }
    # The rates on the public scorecard follow the counts of this month, the order's.
    after = _figures(public, base, latest=True)
    public.goto(f"{base}/c/zhonglou/departments")
    row = public.locator("tr[data-department='交警中队']")
    expect(row.locator(".received")).to_have_text(str(after["received"]))
    expect(row.locator(".satisfaction")).to_have_text(_percent(after["satisfied"], after["rated"]))
    expect(row.locator(".resolution")).to_have_text(_percent(after["resolved"], after["received"]))
    # The issue followed its order: verified, then closed (rule 22).
    public.goto(issue_url)
    expect(public.locator(".page-head .badge")).to_have_text("已办结")
    assert "13807142011" not in public.content()  # the reporter's phone is never public
    if shots:
        screenshot(page, "order-rated-phone")
        _screens(browser, base, order_url)
    staff_context.close()
    liaison_context.close()


def _percent(part: int, whole: int) -> str:
    from fractions import Fraction

    from council.workorders.figures import percent

    return percent(Fraction(part, whole) if whole else None)


def _screens(browser: Browser, base: str, order_url: str) -> None:
    """Every new page type at 390 px and at 1280 px, for a person to look at."""
    pages = {
        "public": [
            ("/c/zhonglou/orders", "orders-queue"),
            ("/c/zhonglou/departments", "departments"),
            ("/c/zhonglou/whistles", "whistles"),
            (order_url.replace(base, ""), "order-closed"),
        ],
        "zhuchi": [("/c/zhonglou/whistles/new", "whistle-new"), ("/me/orders", "todo-facilitator")],
        "admin": [
            ("/admin/departments", "admin-departments"),
            ("/admin/calendar", "admin-calendar"),
        ],
    }
    for login, paths in pages.items():
        for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
            context = browser.new_context(locale="zh-CN", viewport=viewport)
            page = context.new_page()
            if login != "public":
                sign_in(page, base, login)
            for path, name in paths:
                page.goto(base + path)
                screenshot(page, f"{name}-{suffix}")
            if login == "public":
                page.goto(f"{base}/c/zhonglou/whistles")
                page.locator(".whistles a").first.click()
                screenshot(page, f"whistle-{suffix}")
                page.goto(f"{base}/c/zhonglou/departments")
                page.locator("tr[data-department='钟楼物业'] a").click()
                screenshot(page, f"department-{suffix}")
                page.locator("a[href*='figure=received']").first.click()
                screenshot(page, f"department-figure-{suffix}")
            context.close()
