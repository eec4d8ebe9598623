"""Sign-in as a browser shows it (probe finding 1): a wrong password comes back as the form with
its message, not as markup source; a person with the second factor on gets through the code
page."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in


def test_probe_1_wrong_password_shows_the_form_with_its_message(
    page: Page, live_server: str, engine_name: str
) -> None:
    page.goto(f"{live_server}/signin")
    page.get_by_label("账号").fill("jumin01")
    page.get_by_label("密码").fill("not the password")
    with page.expect_response(f"{live_server}/signin") as answer:
        page.locator("main").get_by_role("button", name="登录").click()
    assert answer.value.status == 422
    assert answer.value.headers["content-type"] == "text/html; charset=utf-8"
    # At the top of the page and beside the password.
    expect(page.locator("#refusal")).to_contain_text("账号或密码不正确")
    expect(page.locator("#e-password")).to_have_text("账号或密码不正确")
    expect(page.get_by_label("账号")).to_have_value("jumin01")  # what was typed stays
    expect(page.locator("body")).not_to_contain_text("<!doctype")
    if screenshots_wanted(engine_name):
        screenshot(page, "signin-wrong-password-phone")


def _code(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + steps_ahead)


def test_probe_1_a_person_with_the_second_factor_signs_in_through_the_code_page(
    page: Page, live_server: str, engine_name: str
) -> None:
    sign_in(page, live_server, "zhuchi")
    page.goto(f"{live_server}/me/two-factor")
    page.get_by_role("button", name="开始设置").click()
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("验证码").fill(_code(secret))
    page.get_by_role("button", name="确认开启").click()
    expect(page.get_by_text("两步验证已开启")).to_be_visible()
    page.get_by_role("button", name="退出").click()

    page.goto(f"{live_server}/signin")
    page.get_by_label("账号").fill("zhuchi")
    page.get_by_label("密码").fill("zhonglou-demo-2026")
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    code_box = page.get_by_label("验证码")
    expect(code_box).to_be_visible()
    code_box.fill("000000")
    page.get_by_role("button", name="验证并登录").click()
    expect(page.locator("#refusal")).to_contain_text("验证码不正确")
    expect(page.locator("#e-code")).to_contain_text("验证码不正确")
    if screenshots_wanted(engine_name):
        screenshot(page, "signin-code-phone")
    # The step after the one used at enrolment: a code is accepted once only.
    page.get_by_label("验证码").fill(_code(secret, steps_ahead=1))
    page.get_by_role("button", name="验证并登录").click()
    # Signed in: the start page is 我的待办.
    expect(page.locator("#todo-title")).to_contain_text("我的待办")
