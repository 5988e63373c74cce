"""A person at a real browser: headless Chromium against `btxh serve` on localhost."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import PASSWORD

CHROMIUM = os.environ.get("BTXH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    db = folder / "btxh.db"
    shutil.copy(demo_db_path, db)
    port = _free_port()
    env = dict(os.environ, BTXH_SECRET="browser-test-secret")
    proc = subprocess.Popen([sys.executable, "-m", "btxh.cli", "serve", str(db), "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=1)
            break
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode())
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("btxh serve did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `apt-get install chromium` (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_anonymous_sees_the_vietnamese_home_page_only(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    assert "bảo trợ xã hội" in page.content()
    response = page.goto(server + "/btxh/persons")
    assert response.status == 403
    assert "Không có quyền truy cập" in page.content()
    page.close()


def test_commune_officer_logs_in_and_filters_a_table(server, browser, tmp_path):
    page = browser.new_page()
    page.goto(server + "/")
    page.click("text=Đăng nhập dành cho cán bộ")
    page.fill("#username", "t_xa")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(server + "/")
    assert "Sổ đối tượng" in page.content()

    page.click("a[href='/btxh/memberships']")
    page.wait_for_selector("table.rows-and-columns")
    page.select_option("select[name=_filter_column]", "category")
    page.select_option("select[name=_filter_op]", "exact")
    page.fill("input[name=_filter_value]", "K6")
    page.click("form.filters input[type=submit]")
    page.wait_for_url("**category**")
    cells = page.locator("table.rows-and-columns td.col-category").all_inner_texts()
    assert cells and all("K6" in c for c in cells)
    page.screenshot(path=str(tmp_path / "filtered.png"), full_page=True)
    page.close()


def test_wrong_password_shows_a_vietnamese_message(server, browser):
    page = browser.new_page()
    page.goto(server + "/-/login")
    page.fill("#username", "t_xa")
    page.fill("#password", "sai-mat-khau")
    page.click("input[type=submit]")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.content()
    page.close()
