"""Street programmes in a real browser, phones at 390 px: a rating round scored by the three
groups, its results put in notice and the 流动红旗 on the winner's public page; a resident's
points through 申请 → 审核 → 公示, and a redemption the shop confirms, in balance and ledger.

The live server keeps the real clock, so the award's 3-day notice cannot run out here: its
crediting is covered with a FixedClock in tests/integration/test_programmes.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in
from tests.images import jpeg_with_gps

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCAL = "%Y-%m-%d %H:%M"


def _context(browser: Browser, viewport: dict[str, int] = PHONE) -> BrowserContext:
    return browser.new_context(locale="zh-CN", viewport=viewport)


def _both(browser: Browser, base: str, url: str, name: str, login: str | None = None) -> None:
    """Screenshots of ``url`` at 390 and 1280 px."""
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = _context(browser, viewport)
        page = context.new_page()
        if login:
            sign_in(page, base, login)
        page.goto(url)
        screenshot(page, f"{name}-{label}")
        context.close()


def _score(browser: Browser, base: str, round_url: str, login: str, scores: dict[str, int]) -> None:
    """A scorer on a phone scores each shop in ``scores`` (door number → score on every line)."""
    context = _context(browser)
    phone = context.new_page()
    sign_in(phone, base, login)
    phone.goto(round_url)
    listed = phone.locator(".score-list")
    for number, value in scores.items():
        listed.get_by_role("link", name=f"{number} 号").click()
        # ``all()`` does not wait: the shop's own page first, then its lines.
        expect(phone.get_by_role("heading", level=1)).to_contain_text(f"{number} 号")
        for field in phone.locator(".score-form input[type=number]").all():
            field.fill(str(value))
        phone.get_by_role("button", name="提交评分").click()
        expect(phone.get_by_text("评分已提交")).to_be_visible()
        phone.goto(round_url)
    expect(listed).to_contain_text("已评")
    context.close()


def test_rating_round_scored_on_phones_puts_the_flag_on_the_winners_page(
    browser: Browser, page: Page, live_server: str, engine_name: str
) -> None:
    base = live_server
    shots = screenshots_wanted(engine_name)
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    staff_context = _context(browser, DESKTOP)
    staff = staff_context.new_page()
    sign_in(staff, base, "zhuchi")
    staff.goto(f"{base}/c/zhonglou/ratings")
    form = staff.locator("#new-round")
    form.get_by_label("名称（如 2026年第四季度）").fill("冬季专项评比")
    form.get_by_label("参评店铺编号").fill("9, 12")
    form.get_by_label("评分开始（本地时间）").fill((now - dt.timedelta(hours=1)).strftime(LOCAL))
    form.get_by_label("评分截止").fill((now + dt.timedelta(days=14)).strftime(LOCAL))
    form.get_by_label("评分人").fill("商会：shop01 shop09\n社区：dangwei\n居民代表：jumin02")
    form.get_by_role("button", name="发起评比").click()
    expect(staff.get_by_text("评比已发起")).to_be_visible()
    round_url = staff.url.split("?")[0]

    # Each group scores on a phone; shop 9's own representative is never offered shop 9.
    context = _context(browser)
    phone = context.new_page()
    sign_in(phone, base, "shop09")
    phone.goto(round_url)
    expect(phone.locator(".score-list")).not_to_contain_text("9 号 张记火锅")
    phone.locator(".score-list").get_by_role("link", name="12 号").click()
    if shots:
        screenshot(phone, "rating-score-phone")
    context.close()
    _score(browser, base, round_url, "shop09", {"12": 9})
    _score(browser, base, round_url, "shop01", {"9": 7, "12": 9})
    _score(browser, base, round_url, "dangwei", {"9": 8, "12": 9})
    _score(browser, base, round_url, "jumin02", {"9": 7, "12": 8})

    # The supervisor watches the round; the facilitator computes and puts it in notice.
    staff.reload()
    expect(staff.locator("#progress")).to_contain_text("1 / 1")
    staff.get_by_role("button", name="计算结果").click()
    expect(staff.get_by_text("评比结果已算出")).to_be_visible()
    results = staff.locator("#results")
    expect(results).to_contain_text("尚未公示")
    staff.get_by_role("button", name="公示结果，颁发流动红旗").click()
    expect(staff.get_by_text("评比结果已公示，流动红旗已颁发")).to_be_visible()
    # 商会 (9 + 9) / 2 → 90; 社区 90; 居民代表 80: 0.4·90 + 0.3·90 + 0.3·80 = 87.0.
    expect(results.locator("tr.flag-row")).to_contain_text("12 号 西塞山烧烤")
    expect(results.locator("tr.flag-row")).to_contain_text("87.0")

    # Anyone, on a phone: the notice, and the 流动红旗 on shop 12's page and the front page.
    visitor_context = _context(browser)
    visitor = visitor_context.new_page()
    visitor.goto(f"{base}/c/zhonglou/notices")
    expect(visitor.locator("main")).to_contain_text("冬季专项评比文明诚信商户评比结果")
    visitor.goto(f"{base}/c/zhonglou/shops/12")
    expect(visitor.locator(".flag-banner")).to_contain_text(
        "冬季专项评比文明诚信商户第一名 · 87.0 分"
    )
    visitor.goto(f"{base}/c/zhonglou")
    expect(visitor.locator("#street")).to_contain_text("12 号 西塞山烧烤")
    visitor_context.close()
    staff_context.close()
    if shots:
        _both(browser, base, round_url, "rating-round")
        _both(browser, base, f"{base}/c/zhonglou/ratings", "ratings")
        _both(browser, base, f"{base}/c/zhonglou/shops/12", "shop-page")
        _both(browser, base, f"{base}/c/zhonglou", "council-front")
        _both(browser, base, round_url, "rating-round-staff", login="jiandu")


def test_points_earned_through_review_and_notice_and_redeemed_at_a_shop(
    browser: Browser, page: Page, live_server: str, engine_name: str
) -> None:
    base = live_server
    shots = screenshots_wanted(engine_name)
    staff_context = _context(browser, DESKTOP)
    staff = staff_context.new_page()
    sign_in(staff, base, "zhuchi")
    staff.goto(f"{base}/c/zhonglou/points/manage")
    new = staff.locator("#new-activity")
    new.get_by_label("活动名称").fill("清洁家园日（加场）")
    new.get_by_label("类别").select_option("cleanup")
    new.get_by_label("积分").fill("4")
    new.get_by_role("button", name="保存").click()
    expect(staff.get_by_text("积分活动已设置")).to_be_visible()

    # 申请: 何平 applies on his phone with a photo.
    sign_in(page, base, "jumin11")
    page.goto(f"{base}/c/zhonglou/points")
    before = int(page.locator("#my-balance").inner_text())
    card = page.locator(".card", has_text="清洁家园日（加场）")
    card.get_by_text("申请积分").click()
    card.get_by_label("说明（做了什么）").fill("清扫了 8 号楼下的人行道")
    card.get_by_label("照片").set_input_files(
        files=[{"name": "IMG_2001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    card.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("积分申请已提交，等待审核")).to_be_visible()
    expect(page.locator("#mine")).to_contain_text("清洁家园日（加场） · 4 分 · 待审核")

    # 审核 and 公示: the facilitator approves, and the award goes into a 3-day notice.
    staff.reload()
    claim = staff.locator(".claim", has_text="何平")
    claim = claim.filter(has_text="清洁家园日（加场）")
    expect(claim.locator("img")).to_be_visible()  # the photo, re-encoded
    claim.get_by_role("button", name="审核通过").click()
    expect(staff.get_by_text("审核结果已登记")).to_be_visible()
    staff.locator("#to-notice").get_by_role("button", name="公示").click()
    expect(staff.get_by_text("积分已公示，公示期满无异议后入账")).to_be_visible()
    expect(staff.locator("#to-notice")).to_contain_text("公示中，还剩 3 天")
    page.goto(f"{base}/c/zhonglou/notices")
    expect(page.locator("main")).to_contain_text("“清洁家园日（加场）”积分公示")
    page.goto(f"{base}/c/zhonglou/points")
    expect(page.locator("#mine")).to_contain_text("清洁家园日（加场） · 4 分 · 公示中")

    # He redeems a bowl of 热干面 at shop 20, which confirms on its phone.
    offer = page.locator(".card", has_text="热干面一碗")
    offer.get_by_role("button", name="用 10 分兑换").click()
    expect(page.get_by_text("兑换已提交")).to_be_visible()
    expect(page.locator("#my-balance")).to_have_text(str(before - 10))
    shop_context = _context(browser)
    shop = shop_context.new_page()
    sign_in(shop, base, "shop20")
    shop.goto(f"{base}/c/zhonglou/points")
    waiting = shop.locator("#shop-redemptions .claim", has_text="何平")
    waiting.get_by_role("button", name="确认已提供服务").click()
    expect(shop.get_by_text("兑换已处理")).to_be_visible()
    shop_context.close()
    page.reload()
    expect(page.locator("#my-balance")).to_have_text(str(before - 10))
    ledger = page.locator("table.ledger tbody tr").first
    expect(ledger).to_contain_text("兑换 · 热干面一碗")
    expect(ledger).to_contain_text("-10")
    expect(ledger).to_contain_text(str(before - 10))
    expect(page.locator("#mine")).to_contain_text("热干面一碗 · 10 分 · 店铺已确认")
    if shots:
        screenshot(page, "points-resident-phone")
        _both(browser, base, f"{base}/c/zhonglou/points", "points", login="jumin11")
        _both(browser, base, f"{base}/c/zhonglou/points/manage", "points-manage", login="zhuchi")
        _both(browser, base, f"{base}/c/zhonglou/rota", "rota", login="shop02")
        _both(browser, base, f"{base}/c/zhonglou/inspections", "inspections")
        _both(browser, base, f"{base}/c/zhonglou/street", "street")
    staff_context.close()
