"""A new resident on a phone, without an account, reads the 钟楼烟火 story from the council's
front page; the notice printed for the street's paper board holds a QR code that opens it
online and Chinese text a PDF reader can extract.

The demo was loaded at the test clock's time, so its notice is still running on the clocked
server whatever day the suite runs."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from council.clock import FixedClock
from tests.browser.conftest import ARTIFACTS, screenshot, screenshots_wanted

pytestmark = pytest.mark.browser

SUBSIDY_NOTICE = "决议公示：油烟净化器安装补贴（以奖代补）"
RESOLUTION = "决议：通过第五轮协商共识“商户出资治理、居民参与监督”"
CONVENTION = "钟楼烟火美食街商户公约"


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_visitor_on_a_phone_reads_the_zhonglou_story_from_the_front_page(
    page: Page, clocked_server: tuple[str, FixedClock], engine_name: str
) -> None:
    base, _clock = clocked_server
    page.goto(f"{base}/c/zhonglou")
    if screenshots_wanted(engine_name):
        page.screenshot(path=str(ARTIFACTS / "front-phone-first-screen.png"))
        screenshot(page, "front-phone")
    # Nothing wider than the phone: the page reads top to bottom without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A notice in its period, with the days left, first on the page.
    running = page.locator("#running")
    notice = running.locator(".notice-card", has_text=SUBSIDY_NOTICE)
    expect(notice.locator(".days-left")).to_have_text(re.compile(r"还剩 \d+ 天"))
    # The resolution with its vote.
    resolution = page.locator("#resolutions .resolution", has_text=RESOLUTION)
    expect(resolution).to_contain_text("通过 · 同意 16 · 反对 1 · 弃权 2")
    expect(resolution).to_contain_text("投票率 19 / 20")
    # What is being done: every one of the 37 shops verified, shop by shop.
    plan = page.locator("#matters .plan-line", has_text="37 家商户加装油烟净化器")
    expect(plan.locator(".progress-figure")).to_have_text("37 / 37 已核验")
    expect(plan.locator(".chip.item-verified")).to_have_count(37)
    # The convention in force and its adoption vote.
    convention = page.locator("#conventions .card", has_text=CONVENTION)
    expect(convention).to_contain_text("表决通过 · 同意 34 · 反对 2 · 弃权 1")
    expect(convention).to_contain_text("全体已核实店铺（一店一票） · 投票率 37 / 40")
    expect(page.get_by_role("link", name="提交诉求")).to_be_visible()

    # Each line opens its record.
    resolution.get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("结果哈希")
    page.go_back()
    notice.get_by_role("link").click()
    expect(page.get_by_role("link", name="打印张贴版（A4，带二维码）")).to_be_visible()


def test_a_printed_notice_holds_a_qr_code_that_opens_it_and_extractable_chinese_text(
    page: Page, clocked_server: tuple[str, FixedClock], engine_name: str
) -> None:
    base, _clock = clocked_server
    page.goto(f"{base}/c/zhonglou")
    page.locator("#running .notice-card", has_text=SUBSIDY_NOTICE).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SUBSIDY_NOTICE)
    notice_url = page.url
    page.get_by_role("link", name="打印张贴版（A4，带二维码）").click()
    expect(page.locator("img.qr")).to_be_visible()
    pdf = page.pdf(format="A4", print_background=True)

    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1  # one sheet for the board
    sheet = document[0]
    text = _flat(sheet.get_textpage().get_text_range())
    for expected in (SUBSIDY_NOTICE, "钟楼烟火商居议事会", "（盖章）", "打印时操作记录链头"):
        assert _flat(expected) in text, expected
    image = sheet.render(scale=200 / 72).to_pil()
    if screenshots_wanted(engine_name):
        ARTIFACTS.mkdir(exist_ok=True)
        image.save(ARTIFACTS / "printed-notice.png")
    decoded = [code.text for code in zxingcpp.read_barcodes(image)]
    assert decoded == [notice_url]
