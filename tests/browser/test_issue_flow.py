"""Done-when of the intake room in a real browser (issue 4): a resident submits an issue with
a photo, two others co-sign, the facilitator accepts it as a matter; the public list shows it
with 2 co-signs and its timeline; the photo served back has no EXIF."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot, screenshots_wanted, sign_in
from tests.images import exif_of, jpeg_with_gps

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TITLE = "钟楼小区 3 栋楼下烧烤油烟直排"


def _context(browser: Browser, viewport: dict[str, int] = PHONE) -> BrowserContext:
    return browser.new_context(locale="zh-CN", viewport=viewport)


def test_issue_with_photo_cosigned_accepted_and_public(
    browser: Browser, page: Page, live_server: str, engine_name: str
) -> None:
    base = live_server
    shots = screenshots_wanted(engine_name)

    # A resident submits an issue with a photo that carries GPS coordinates.
    sign_in(page, base, "jumin11")
    page.goto(f"{base}/c/zhonglou/issues/new")
    if shots:
        screenshot(page, "issue-new-phone")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("类别").select_option("油烟")
    page.get_by_label("地点").fill("美食街 8 号")
    page.get_by_label("具体情况和建议").fill("每天傍晚油烟顺着楼道往上走，家里窗户不敢开。")
    page.get_by_label("照片（可选）").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    page.locator("main").get_by_role("button", name="提交").click()
    expect(page.get_by_text("诉求已提交")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("已提交")
    issue_url = page.url.split("?")[0]

    # Two other residents co-sign; htmx swaps the co-sign box in place.
    for n, login in enumerate(("jumin12", "jumin13"), start=1):
        context = _context(browser)
        other = context.new_page()
        sign_in(other, base, login)
        other.goto(issue_url)
        other.get_by_role("button", name="我也遇到这个问题，附议").click()
        expect(other.locator("#cosign h2")).to_have_text(f"附议 {n} 人")
        expect(other.locator("#cosign")).to_contain_text("您已附议")
        context.close()

    # The facilitator takes it up and accepts it as a matter for consultation.
    staff_context = _context(browser, DESKTOP)
    staff = staff_context.new_page()
    sign_in(staff, base, "zhuchi")
    staff.goto(f"{base}/c/zhonglou/issues/queue")
    expect(staff.locator("table.queue")).to_contain_text(TITLE)
    if shots:
        screenshot(staff, "issue-queue-desktop")
    staff.goto(issue_url)
    staff.locator(".triage").get_by_role("button", name="受理").click()
    expect(staff.locator(".page-head .badge")).to_have_text("受理中")
    if shots:
        screenshot(staff, "issue-triage-desktop")
    staff.get_by_label("说明（公开）").first.fill("油烟扰民反映集中，列为协商议题")
    staff.locator(".triage").get_by_role("button", name="立项").click()
    expect(staff.locator(".page-head .badge")).to_have_text("已立项")

    # The public sees it in the list with 2 co-signs, and its timeline.
    public_context = _context(browser)
    public = public_context.new_page()
    public.goto(f"{base}/c/zhonglou/issues")
    card = public.locator(".issue-card", has_text=TITLE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("附议 2 人")
    expect(card).to_contain_text("已立项")
    if shots:
        screenshot(public, "issue-list-phone")
    card.get_by_role("link").click()
    timeline = public.locator(".timeline")
    for step in ("提交", "受理", "立项", "刘敏", "油烟扰民反映集中"):
        expect(timeline).to_contain_text(step)
    assert "13807142011" not in public.content()  # contact details never public
    if shots:
        screenshot(public, "issue-detail-phone")

    # The photo served back has no EXIF (and so no GPS).
    src = public.locator(".photos img").first.get_attribute("src")
    assert src and src.startswith("/files/")
    photo = public_context.request.get(base + src)
    assert photo.status == 200
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["content-type"] == "image/jpeg"
    assert exif_of(photo.body()) == {}

    if shots:
        for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
            public.set_viewport_size(viewport)
            for path, name in (
                ("/c/zhonglou/issues", "issue-list"),
                (issue_url.replace(base, ""), "issue-detail"),
                ("/c/zhonglou/issues/stats", "issue-stats"),
                ("/c/zhonglou/calls", "calls-list"),
            ):
                public.goto(base + path)
                screenshot(public, f"{name}-{suffix}")
        page.goto(f"{base}/me/notifications")
        screenshot(page, "notifications-phone")
        staff.set_viewport_size(PHONE)
        staff.goto(f"{base}/c/zhonglou/issues/queue")
        screenshot(staff, "issue-queue-phone")
    public_context.close()
    staff_context.close()
