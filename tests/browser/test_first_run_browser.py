"""Day one of a street office, in a browser, from an empty database and the real server: the
setup code from the server's output makes the administrator, who creates the council, imports
its shops and people from an Excel sheet and appoints a facilitator from them; no SQL, no
demo; the setup page is gone afterwards."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from council.settings import PROJECT_ROOT
from tests import databases as dbs
from tests.browser.conftest import _free_port, _wait_until_up, screenshot, screenshots_wanted
from tests.conftest import _require_postgres, migrate

CODE = re.compile(r"setup code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})")
PASSWORD = "street-office-2026"


@pytest.fixture
def empty_server(
    engine_name: str, postgres_admin_url: str | None, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """`python -m council.serve` (what `make run` starts) on a migrated, empty database with
    COUNCIL_DEMO=false; yields its address and its output."""
    if engine_name == "sqlite":
        url, drop = f"sqlite:///{tmp_path}/street.db", None
    else:
        admin = _require_postgres(postgres_admin_url)
        name = dbs.unique_name("council_street")
        url, drop = dbs.pg_create(admin, name), (admin, name)
    settings = dbs.make_settings(url, tmp_path / "data", demo=False)
    migrate(settings)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COUNCIL_DATABASE_URL": settings.database_url,
        "COUNCIL_DATA_DIR": str(tmp_path / "data"),
        "COUNCIL_SECRET_KEY": "first-run-secret-key-0123456789abcdef",
        "COUNCIL_ALLOWED_HOSTS": "127.0.0.1",
        "COUNCIL_BASE_URL": base,
        "COUNCIL_HOST": "127.0.0.1",
        "COUNCIL_PORT": str(port),
        "COUNCIL_WORKERS": "1",
        "COUNCIL_DEMO": "false",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "council.serve"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base, process, log_path)
            yield base, log_path
        finally:
            process.terminate()
            process.wait(timeout=10)
    if drop:
        dbs.pg_drop(*drop)


def _setup_code(log_path: Path) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if found := CODE.search(log_path.read_text()):
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(log_path.read_text())


def _sheet(path: Path) -> Path:
    """Twelve shops of the new street, two with their owners, and the future facilitator."""
    book = Workbook()
    sheet = book.active
    sheet.append(["店铺编号", "店铺名称", "地址", "经营类别", "账号", "姓名", "电话"])
    for n in range(1, 13):
        sheet.append([n, f"南门{n}号店", f"南门街 {n} 号", "餐饮", "", "", ""])
    sheet["E2"], sheet["F2"] = "nanmen01", "南门一号店主"
    sheet["E3"], sheet["F3"] = "nanmen02", "南门二号店主"
    sheet.append(["", "", "", "", "liuzhuchi", "刘主持", "13900000000"])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_first_run_from_an_empty_database_to_a_council_with_shops_and_a_facilitator(
    page: Page, empty_server: tuple[str, Path], engine_name: str, tmp_path: Path
) -> None:
    base, log_path = empty_server
    code = _setup_code(log_path)
    page.goto(f"{base}/setup")
    expect(page.get_by_role("heading", name="首次设置：创建管理员")).to_be_visible()
    page.get_by_label("设置码").fill(code)
    page.get_by_label("管理员账号").fill("jiedao")
    page.get_by_label("称呼").fill("街道办 王主任")
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    if screenshots_wanted(engine_name):
        screenshot(page, "first-run-setup-phone")
    page.get_by_role("button", name="创建管理员").click()
    expect(page.get_by_text("管理员账号已创建")).to_be_visible()
    expect(page.get_by_role("heading", name="平台管理")).to_be_visible()

    create = page.locator("form[action='/admin/councils']")
    create.get_by_label("名称").fill("南门街商居议事会")
    create.get_by_label("网址名").fill("nanmen")
    create.get_by_role("button", name="创建").click()
    expect(page.get_by_text("议事会已创建")).to_be_visible()

    page.goto(f"{base}/c/nanmen/manage")
    page.get_by_role("link", name="批量导入店铺和人员（Excel / CSV）").click()
    page.get_by_label("表格文件（.xlsx 或 .csv，不超过 1 MB）").set_input_files(
        str(_sheet(tmp_path / "nanmen.xlsx"))
    )
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_role("heading", name="预览：尚未保存")).to_be_visible()
    if screenshots_wanted(engine_name):
        screenshot(page, "import-preview-phone")
    page.get_by_role("button", name="确认导入 13 行").click()
    expect(page.get_by_text("已导入 12 家店铺；新建 3 个账号")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="liuzhuchi")
    initial = row.locator("code").inner_text()
    if screenshots_wanted(engine_name):
        screenshot(page, "import-done-phone")

    page.goto(f"{base}/admin")
    appoint = page.locator("form[action='/admin/councils/nanmen/facilitators']")
    appoint.get_by_label("任命主持人（账号）").fill("liuzhuchi")
    appoint.get_by_role("button", name="任命").click()
    expect(page.get_by_text("已任命主持人")).to_be_visible()

    page.goto(f"{base}/c/nanmen/shops")
    expect(page.get_by_text("南门12号店")).to_be_visible()
    # The setup page is gone once the instance has an administrator.
    page.goto(f"{base}/setup")
    expect(page.get_by_role("heading", name="找不到这个页面")).to_be_visible()

    # The facilitator signs in with the password printed for him, which the administrator saw:
    # he is asked to change it first, then goes on and manages his council.
    page.get_by_role("button", name="退出").click()
    page.goto(f"{base}/signin")
    page.get_by_label("账号").fill("liuzhuchi")
    page.get_by_label("密码").fill(initial)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.locator("#initial-password")).to_contain_text("初始密码")
    if screenshots_wanted(engine_name):
        screenshot(page, "initial-password-phone")
    page.get_by_label("初始密码").fill(initial)
    page.get_by_label(re.compile(r"^新密码")).fill("南门街议事2026")
    page.get_by_label("再次输入新密码").fill("南门街议事2026")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()
    expect(page.locator("#todo-title")).to_contain_text("我的待办")  # where sign-in was going
    page.goto(f"{base}/c/nanmen/manage")
    expect(page.get_by_role("heading", name="管理：南门街商居议事会")).to_be_visible()
