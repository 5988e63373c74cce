"""A person at a real browser: headless Chromium against `btxh serve` on localhost."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
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


class Served(str):
    """The server's URL (a str, so `server + "/"` works) and its database file."""

    def __new__(cls, url, db):
        self = super().__new__(cls, url)
        self.db = db
        return self


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
    yield Served(url, db)
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


def test_commune_officer_walks_a_case_from_application_to_payroll(server, browser):
    """Application (tờ khai) → public posting (niêm yết) → grant decision → next payroll run."""
    import sqlite3

    from btxh import store
    from btxh.payroll import run as payroll

    page = browser.new_page()
    page.goto(server + "/-/login")
    page.fill("#username", "t_xa")
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(server + "/")

    page.goto(server + "/-/btxh/ho-so/moi")
    page.select_option("#f-category", "K6")
    page.fill("#f-submitted_date", "05/09/2025")
    page.fill("#f-full_name", "Lò Văn Thử Nghiệm")
    page.check("input[name=sex][value=nam]")
    page.fill("#f-birth_date", "10/01/1970")
    page.fill("#f-cccd", "008070123456")
    village = page.locator("#f-village_id option").nth(1).get_attribute("value")
    page.select_option("#f-village_id", village)
    page.select_option("#f-disability_level", "NANG")
    page.fill("#f-disability_cert_date", "15/08/2025")
    page.click("input[type=submit]")
    page.wait_for_url("**/-/btxh/ho-so/*")
    application = int(page.url.rstrip("/").split("/")[-1])

    page.fill("#f-posting_from", "08/09/2025")
    page.fill("#f-posting_to", "10/09/2025")
    page.click("text=Ghi niêm yết")
    page.wait_for_selector("#f-number")
    assert "08/2025" in page.content()  # the proposed start month: the certificate's month
    page.fill("#f-number", "9901/QĐ-UBND-TN")
    page.fill("#f-signed_date", "12/09/2025")
    page.fill("#f-signer_name", "Đỗ Văn Dũng")
    page.fill("#f-signer_title", "Chủ tịch UBND xã")
    page.click("text=Ghi quyết định")
    page.wait_for_load_state()
    assert "/-/btxh/quyet-dinh/" in page.url, page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "QUYẾT ĐỊNH" in page.content() and "750.000" in page.content()
    page.close()

    conn = sqlite3.connect(server.db)
    person = conn.execute("SELECT person_id FROM applications WHERE id = ?", [application]).fetchone()[0]
    steps = {r[0] for r in conn.execute(
        "SELECT table_name FROM audit_log WHERE actor = 't_xa' AND table_name IN"
        " ('applications', 'persons', 'memberships', 'decisions')")}
    assert steps == {"applications", "persons", "memberships", "decisions"}
    conn.close()
    db = store.open_db(server.db)
    summary = payroll.run(db, "2025-09", actor="test")
    due = db.execute("SELECT month, kind, due FROM ledger WHERE run_id = ? AND person_id = ?",
                     [summary.run_id, person]).fetchall()
    assert due == [("2025-09", "thuong_xuyen", 750000)]


def _busiest_commune(db_path) -> str:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT commune_code FROM persons GROUP BY commune_code ORDER BY count(*) DESC"
                            " LIMIT 1").fetchone()[0]


def _search_a_name(page) -> tuple[str, int]:
    """Type the last listed adult's name without accents; return it and the visible rows."""
    rows = page.locator("table[data-btxh-searchable] tbody tr")
    total = rows.count()
    name = rows.nth(total - 1).locator(".btxh-name").inner_text()
    folded = unicodedata.normalize("NFD", name.lower()).encode("ascii", "ignore").decode().replace("đ", "d")
    page.fill("#q", folded)
    page.keyboard.press("Enter")
    visible = page.locator("table[data-btxh-searchable] tbody tr:visible")
    assert 1 <= visible.count() < total
    assert all(unicodedata.normalize("NFC", name) in t for t in visible.locator(".btxh-name").all_inner_texts()) \
        or name in visible.first.inner_text()
    assert "người." in page.locator("[data-btxh-found]").inner_text()
    return name, visible.count()


def test_citizen_searches_a_commune_list_and_prints_it_on_a4(server, browser, tmp_path):
    from pypdf import PdfReader

    commune = _busiest_commune(server.db)
    page = browser.new_page()
    page.goto(server + "/cong-khai")
    page.click("a[href^='/cong-khai/']")  # a province …
    page.goto(server + f"/cong-khai/xa/{commune}")  # … and the commune (the demo has one)
    assert "DANH SÁCH CÔNG KHAI" in page.content()
    name, shown = _search_a_name(page)
    pdf_path = tmp_path / "cong-khai.pdf"
    page.pdf(path=str(pdf_path), prefer_css_page_size=True)
    page.close()
    reader = PdfReader(str(pdf_path))
    assert len(reader.pages) >= 1
    for p in reader.pages:
        width, height = float(p.mediabox.width), float(p.mediabox.height)
        assert abs(width - 595) <= 2 and abs(height - 842) <= 2, (width, height)  # A4 portrait
    def squeeze(t):  # pypdf puts spaces around combined glyphs: compare without any
        return re.sub(r"\s+", "", unicodedata.normalize("NFC", t))

    text = squeeze("".join(p.extract_text() for p in reader.pages))
    assert squeeze("DANH SÁCH CÔNG KHAI") in text and squeeze(name) in text
    assert squeeze("Tìm theo họ tên") not in text and squeeze("Niêm yết xét duyệt") not in text  # screen only


def test_static_site_works_from_file_urls(server, browser, tmp_path):
    from btxh import publish

    commune = _busiest_commune(server.db)
    import sqlite3

    with sqlite3.connect(server.db) as conn:
        province = conn.execute("SELECT province_code FROM communes WHERE code = ?", [commune]).fetchone()[0]
    out = tmp_path / "site"
    publish.publish(server.db, out, province=province)
    page = browser.new_page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto((out / "index.html").as_uri())
    page.click(f"a[href='cong-khai/{province}.html']")
    page.click(f"a[href$='xa/{commune}.html']")
    assert page.url.endswith(f"/cong-khai/xa/{commune}.html")
    assert page.evaluate("getComputedStyle(document.querySelector('.btxh-public-top')).backgroundColor") \
        == "rgb(29, 79, 145)"  # the site's own stylesheet loaded from file://
    _search_a_name(page)
    page.click("text=Niêm yết xét duyệt")
    assert "NIÊM YẾT CÔNG KHAI" in page.content()
    page.go_back()
    page.close()
    assert requested and all(u.startswith("file://") for u in requested), \
        [u for u in requested if not u.startswith("file://")]
