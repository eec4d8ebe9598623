"""A facilitator adds a shop from a phone and the public page shows it (issue: foundation)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in


def test_facilitator_adds_a_shop_and_the_public_page_shows_it(
    page: Page, live_server: str, engine_name: str
) -> None:
    sign_in(page, live_server, "zhuchi")
    expect(page.locator("#todo-title")).to_contain_text("我的待办")  # the start page
    page.goto(f"{live_server}/me")
    expect(page.get_by_role("heading", name="我的议事会")).to_be_visible()
    page.get_by_role("link", name="管理议事会").click()
    expect(page.get_by_role("heading", name="管理：钟楼烟火商居议事会")).to_be_visible()

    form = page.locator("form[action$='/manage/shops']")
    form.get_by_label("编号").fill("41")
    form.get_by_label("店名").fill("钟楼糖水铺")
    form.get_by_label("类别").fill("甜品")
    form.get_by_role("button", name="添加店铺").click()
    expect(page.get_by_text("店铺已添加")).to_be_visible()
    if screenshots_wanted(engine_name):
        screenshot(page, "manage-phone")
    # The notice is shown once: it leaves the address, so a reload does not repeat it.
    expect(page).not_to_have_url(re.compile(r"notice="))
    page.reload()
    expect(page.get_by_text("店铺已添加")).to_have_count(0)

    # A duplicate number gets a clear message next to the field, and nothing is saved.
    form = page.locator("form[action$='/manage/shops']")
    form.get_by_label("编号").fill("41")
    form.get_by_label("店名").fill("又一家")
    form.get_by_role("button", name="添加店铺").click()
    # Beside the field, and in the refusal at the top of the page.
    form = page.locator("form[action$='/manage/shops']")
    expect(form.get_by_text("本议事会已有编号为 41 的店铺")).to_be_visible()
    expect(page.locator("#refusal")).to_contain_text("本议事会已有编号为 41 的店铺")

    page.goto(f"{live_server}/c/zhonglou/shops")  # the public list of the council's shops
    expect(page.get_by_role("cell", name="钟楼糖水铺")).to_be_visible()
    expect(page.get_by_role("heading", name="店铺（41 家）")).to_be_visible()
    expect(page.get_by_text("又一家")).to_have_count(0)
    if screenshots_wanted(engine_name):
        screenshot(page, "council-phone")
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshot(page, "council-desktop")


def test_home_and_error_pages_render_in_chinese(page: Page, live_server: str) -> None:
    page.goto(live_server)
    expect(page.get_by_role("heading", name="商居议事会", exact=True)).to_be_visible()
    page.goto(f"{live_server}/c/nowhere")
    expect(page.get_by_role("heading", name="找不到这个页面")).to_be_visible()
    screenshot(page, "error-404")
