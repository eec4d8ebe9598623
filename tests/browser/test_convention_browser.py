"""Done-when of the conventions room in a real browser (issue 6): a convention goes draft →
comments → version 2 with its diff → adopted by shop vote → published on the public page."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TITLE = "钟楼夜市外摆公约"


def _context(browser: Browser, viewport: dict[str, int] = PHONE) -> BrowserContext:
    return browser.new_context(locale="zh-CN", viewport=viewport)


def _comment(browser: Browser, base: str, url: str, login: str, article: int, text: str) -> None:
    context = _context(browser)
    phone = context.new_page()
    sign_in(phone, base, login)
    phone.goto(url)
    phone.get_by_text(f"对第 {article} 条提意见").click()
    phone.get_by_label(f"您对第 {article} 条的意见").fill(text)
    phone.locator(f"#article-{article}").get_by_role("button", name="提交意见").click()
    expect(phone.get_by_text("意见已提交")).to_be_visible()
    expect(phone.locator(f"#article-{article} .comments")).to_contain_text(text)
    context.close()


def _vote(browser: Browser, base: str, ballot_url: str, login: str, choice: str) -> None:
    context = _context(browser)
    phone = context.new_page()
    sign_in(phone, base, login)
    phone.goto(ballot_url)
    phone.locator(".vote-panel").get_by_role("button", name=choice).click()
    # The choice is asked back before it counts: one more tap.
    expect(phone.locator(".vote-panel")).to_contain_text(f"确认投 {choice}？")
    phone.locator(".vote-panel").get_by_role("button", name="确认投票").click()
    expect(phone.get_by_text("投票成功")).to_be_visible()
    context.close()


def test_convention_draft_comments_revision_diff_shop_vote_published(
    browser: Browser, page: Page, live_server: str, engine_name: str
) -> None:
    base = live_server
    shots = screenshots_wanted(engine_name)
    staff_context = _context(browser, DESKTOP)
    staff = staff_context.new_page()

    # The facilitator drafts the convention, article by article.
    sign_in(staff, base, "zhuchi")
    staff.goto(f"{base}/c/zhonglou")
    staff.get_by_role("link", name="公约", exact=True).click()
    staff.get_by_role("link", name="起草新公约").click()
    staff.get_by_label("公约名称").fill(TITLE)
    staff.get_by_label("约束对象").fill("夜市全体摊位和沿街商户")
    staff.get_by_label("第 1 行 · 条款标题（可不填）").fill("外摆范围")
    staff.get_by_label("第 1 行 · 条款内容").fill("外摆不得超出门前一米，每晚 23:00 前收回。")
    staff.get_by_label("第 2 行 · 条款标题（可不填）").fill("卫生")
    staff.get_by_label("第 2 行 · 条款内容").fill("收摊后清扫门前，垃圾分类投放。")
    staff.get_by_role("button", name="保存草稿").click()
    expect(staff.get_by_text("公约草案已保存")).to_be_visible()
    expect(staff.locator(".page-head .badge")).to_have_text("草稿")
    version_1 = staff.url.split("?")[0]

    # Published for comment: the text is frozen and public (公示).
    staff.get_by_role("button", name="公布征求意见").click()
    expect(staff.locator(".page-head .badge")).to_have_text("征求意见")
    _comment(browser, base, version_1, "jumin11", 1, "一米太宽，建议 22:30 前收回。")
    _comment(browser, base, version_1, "shop12", 2, "同意，商户可以轮流值日。")
    staff.reload()
    expect(staff.locator("#article-1 .comments")).to_contain_text("居民 何*")
    expect(staff.locator("#article-2 .comments")).to_contain_text("商户 · 12 号 西塞山烧烤")

    # The comments are in; version 2 answers them.
    staff.get_by_text("提前结束征求意见").click()
    staff.get_by_label("公开理由").fill("意见已收齐，进入修订")
    staff.get_by_role("button", name="结束征求意见").click()
    expect(staff.get_by_text("征求意见已结束")).to_be_visible()
    staff.get_by_role("button", name="以此版为基础起草新版本").click()
    expect(staff.get_by_role("heading", name="修改第 2 版草稿")).to_be_visible()
    staff.get_by_label("第 1 行 · 条款内容").fill("外摆不得超出门前一米，每晚 22:30 前收回。")
    staff.get_by_label("修订说明：根据意见改了什么").fill("按居民意见，收回时间提前到 22:30。")
    staff.get_by_role("button", name="保存草稿").click()
    expect(staff.get_by_text("草案已保存")).to_be_visible()
    version_2 = staff.url.split("?")[0]

    # The diff, article by article: the change is marked in text, not by colour alone.
    staff.get_by_role("link", name="与第 1 版对照").first.click()
    expect(staff.get_by_role("heading", name="第 1 版 → 第 2 版 修订对照")).to_be_visible()
    article = staff.locator(".diff-list .article").first
    # Screen readers hear the change named; sighted readers see it struck or underlined.
    expect(article.locator("del")).to_have_text("［删除：23:00］")
    expect(article.locator("ins")).to_have_text("［新增：22:30］")
    expect(article.locator(".change-tag")).to_have_text("已修改")
    diff_url = staff.url
    if shots:
        screenshot(staff, "convention-diff-desktop")
        phone_context = _context(browser)
        phone = phone_context.new_page()
        sign_in(phone, base, "zhuchi")
        phone.goto(diff_url)
        screenshot(phone, "convention-diff-phone")
        phone_context.close()

    # Legality review, then the shops vote on version 2 (one vote per shop).
    staff.goto(version_2)
    staff.get_by_label("审核单位").fill("钟楼街道司法所")
    staff.get_by_label("审核意见").fill("符合法律法规，未设定罚款，同意提交表决。")
    staff.get_by_role("button", name="登记审核意见").click()
    expect(staff.get_by_text("合法性审核意见已登记")).to_be_visible()
    staff.get_by_label("表决范围").select_option("shops")
    staff.get_by_label("计算基数").select_option("cast")
    staff.get_by_role("button", name="提交表决并开始投票").click()
    expect(staff.locator(".page-head .badge")).to_have_text("表决中")
    ballot_url = staff.get_by_role("link", name="查看表决页").get_attribute("href")
    assert ballot_url
    for login, choice in (("shop01", "同意"), ("shop05", "同意"), ("shop09", "同意")):
        _vote(browser, base, f"{base}{ballot_url}", login, choice)
    _vote(browser, base, f"{base}{ballot_url}", "shop14", "反对")

    staff.reload()
    staff.get_by_role("button", name="结束表决并计票").click()
    staff.get_by_role("button", name="认证结果并登记").click()
    expect(staff.get_by_text("表决结果已认证并登记")).to_be_visible()
    expect(staff.locator(".page-head .badge")).to_have_text("已生效")

    # The public page: the adopted text, its history, and the vote that adopted it.
    public_context = _context(browser, DESKTOP)
    public = public_context.new_page()
    public.goto(f"{base}/c/zhonglou/conventions")
    public.get_by_role("link", name=TITLE).click()
    expect(public.locator(".adopted-line")).to_contain_text("现行第 2 版")
    expect(public.locator(".articles")).to_contain_text("22:30 前收回")
    result = public.locator(".result")
    expect(result).to_contain_text("表决通过")
    expect(result).to_contain_text("4 / 40（已投票 / 应到）")
    expect(result).to_contain_text("同意 3 · 反对 1 · 弃权 0")
    expect(public.locator(".versions")).to_contain_text("已被取代")
    convention_url = public.url
    if shots:
        screenshot(public, "convention-public-desktop")
    public_context.close()
    page.goto(convention_url)
    expect(page.locator(".adopted-line")).to_contain_text("现行第 2 版")
    if shots:
        screenshot(page, "convention-public-phone")
    page.get_by_role("link", name="查看表决页").click()
    expect(page.locator(".verdict-line")).to_contain_text("通过")
    staff_context.close()
