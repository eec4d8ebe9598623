"""A refused form answers in place on a phone (390 px): the same page, what was typed still in
the fields, the message at the top and beside the field; never a bare error page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in


def _answered_in_place(page: Page, message: str) -> None:
    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("没有保存")
    expect(refusal).to_contain_text(message)
    expect(page.locator(".error-page")).to_have_count(0)
    assert page.viewport_size == {"width": 390, "height": 844}


def test_refused_forms_answer_in_place_on_a_phone(
    page: Page, live_server: str, engine_name: str
) -> None:
    shoot = screenshots_wanted(engine_name)
    # 1. Someone signing up who typed the password differently the second time.
    page.goto(f"{live_server}/signup")
    signup = page.locator("form[action='/signup']")
    signup.get_by_label("账号").fill("xinjumin")
    signup.get_by_label("称呼").fill("新来的居民")
    signup.locator("#f-password").fill("a-long-enough-passphrase")
    signup.locator("#f-password_again").fill("another-long-passphrase")
    signup.get_by_role("button", name="注册").click()
    _answered_in_place(page, "两次输入的密码不一致")
    signup = page.locator("form[action='/signup']")
    expect(signup.get_by_label("账号")).to_have_value("xinjumin")
    expect(signup.get_by_label("称呼")).to_have_value("新来的居民")
    expect(signup.locator("#e-password_again")).to_contain_text("两次输入的密码不一致")
    if shoot:
        screenshot(page, "in-place-signup-phone")

    # 2. The facilitator adds a member whose account does not exist.
    sign_in(page, live_server, "zhuchi")
    page.goto(f"{live_server}/c/zhonglou/manage")
    member = page.locator("form[action$='/manage/members']")
    member.get_by_label("账号（对方需先注册）").fill("nobody-here")
    member.get_by_label("职务或说明").fill("3 栋楼长")
    member.get_by_role("button", name="添加成员").click()
    _answered_in_place(page, "找不到这个账号")
    member = page.locator("form[action$='/manage/members']")
    expect(member.get_by_label("账号（对方需先注册）")).to_have_value("nobody-here")
    expect(member.get_by_label("职务或说明")).to_have_value("3 栋楼长")
    expect(member.locator(".error")).to_contain_text("找不到这个账号")
    if shoot:
        screenshot(page, "in-place-member-phone")

    # 3. A constituency resized below the members who hold its seats.
    row = page.locator("#constituencies li").filter(has_text="商户代表").first
    row.get_by_text("修改名称或席位").click()
    row.get_by_label("席位").fill("1")
    row.get_by_role("button", name="保存").click()
    _answered_in_place(page, "席位不能少于")
    row = page.locator("#constituencies li").filter(has_text="商户代表").first
    expect(row.get_by_label("席位")).to_have_value("1")
    if shoot:
        screenshot(page, "in-place-constituency-phone")
