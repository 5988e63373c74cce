"""The leak test (issue 5): a database seeded with canaries — ID numbers, exact birth dates,
phone numbers, an ethnicity, reasons, HIV-category persons — then every URL an anonymous
visitor can reach on the live app (following every link, plus Datasette's own endpoints,
.json/.csv variants, ?sql=, /-/…) and every file of the static export. No canary may appear
anywhere; an HIV-category person may appear only as a row like any other row."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import re
import shutil
from collections import deque
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest

from btxh import notices, publish, store

from conftest import start_datasette

ADULT_K8 = "Hoàng Văn Canarytám"        # K8: may be listed, under the one label only
CHILD_K3 = "Lò Văn Canaryba"            # K3 child: never listed anywhere
APPLICANT_K8 = "Đinh Thị Canarynộp"     # K8 applicant being posted: the one label only
SECRETS = {
    "cccd": "079161012345", "cccd_child": "079215098765", "cccd_applicant": "079190055511",
    "cccd_support": "079170044422", "cmnd": "271122334",
    "phone": "0399112233", "phone2": "0399445566",
    "birth": "1961-07-19", "birth_vn": "19/07/1961", "birth_vn2": "19-07-1961",
    "birth_child": "2017-03-08", "birth_child_vn": "08/03/2017",
    "ethnicity": "Canarydantoc",
    "reason": "LYDOCANARY", "note": "GHICHUCANARY", "household": "Chủ hộ Canaryho",
    "child_name": CHILD_K3, "k_label": "Đối tượng bảo trợ xã hội khác",
    "hiv_label": "nhiễm HIV", "k8_label": "Người nhiễm HIV/AIDS",
}


def _variants(text: str) -> set[str]:
    """The forms a string takes in HTML, JSON (\\u escapes) and URLs."""
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], quote(text)}


NEEDLES = {form: name for name, value in SECRETS.items() for form in _variants(value)}


def leaks(text: str) -> list[str]:
    return sorted({f"{NEEDLES[n]}={n}" for n in NEEDLES if n in text})


ROW = re.compile(r"<tr[^>]*>(?:(?!</tr>).)*</tr>", re.S)
with open(Path(__file__).parent.parent / "btxh" / "data" / "categories.csv", encoding="utf-8") as f:
    CATEGORY_TEXTS = {t for r in csv.DictReader(f) for t in (r["label"], r["public_label"], r["code"])}


def k8_rows_look_like_any_row(text: str) -> list[str]:
    """Where a K8 person is listed, the row names no category (code, label or public label)."""
    problems = []
    for row in ROW.findall(text):
        if ADULT_K8 in row or APPLICANT_K8 in row:
            cells = {c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)}
            if re.search(r"HIV|\bK[38]\b|khác", row) or cells & CATEGORY_TEXTS:
                problems.append(row)
    return problems


@pytest.fixture(scope="module")
def canary_db(tmp_path_factory, demo_db_path):
    from btxh.payroll import run as payroll

    path = tmp_path_factory.mktemp("leak") / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    commune = db.execute("SELECT commune_code FROM persons GROUP BY commune_code ORDER BY count(*) DESC"
                         " LIMIT 1").fetchone()[0]
    village = db.execute("SELECT id FROM villages WHERE commune_code = ? LIMIT 1", [commune]).fetchone()[0]
    now = "2026-01-01T00:00:00Z"
    today = dt.date.today()
    s = SECRETS
    with db.conn:
        hh = db.execute("INSERT INTO households (code, head_name, commune_code, village_id, created_at)"
                        " VALUES ('HHCANARY', ?, ?, ?, ?)", [s["household"], commune, village, now]).lastrowid

        def person(name, sex, birth, cccd, phone=None, ethnicity=None, cmnd=None):
            return db.execute(
                "INSERT INTO persons (full_name, sex, birth_date, birth_precision, birth_year, ethnicity, cccd,"
                " cmnd, household_id, commune_code, village_id, phone, created_at, updated_at)"
                " VALUES (?, ?, ?, 'day', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, sex, birth, int(birth[:4]), ethnicity, cccd, cmnd, hh, commune, village, phone, now, now]
            ).lastrowid

        adult = person(ADULT_K8, "nam", s["birth"], s["cccd"], s["phone"], s["ethnicity"], s["cmnd"])
        m = db.execute("INSERT INTO memberships (person_id, commune_code, category, valid_from, hiv_positive, note)"
                       " VALUES (?, ?, 'K8', '2025-01-01', 1, ?)", [adult, commune, s["note"]]).lastrowid
        db.execute(
            "INSERT INTO decisions (number, kind, program, person_id, membership_id, commune_code, signed_date,"
            " signer_name, signer_title, authority_level, start_month, amount, legal_basis, reason, created_at,"
            " created_by) VALUES ('99/QĐ-CANARY', 'grant', 'TCXH', ?, ?, ?, ?, 'Nguyễn Văn Ký', 'Chủ tịch', 'xa',"
            " ?, 750000, 'Nghị định 20/2021/NĐ-CP', ?, ?, 'test')",
            [adult, m, commune, today.isoformat(), notices.month_of(today), f"{s['reason']} nhiễm HIV", now])
        child = person(CHILD_K3, "nam", s["birth_child"], s["cccd_child"], s["phone2"])
        db.execute("INSERT INTO memberships (person_id, commune_code, category, valid_from, hiv_positive)"
                   " VALUES (?, ?, 'K3', '2025-01-01', 1)", [child, commune])
        applicant = person(APPLICANT_K8, "nu", "1990-05-05", s["cccd_applicant"])
        db.execute(
            "INSERT INTO applications (person_id, commune_code, category, facts, submitted_date, reviewed_date,"
            " posting_from, posting_to, status, created_at, created_by, updated_at)"
            " VALUES (?, ?, 'K8', '{\"hiv_positive\": 1}', ?, ?, ?, ?, 'niem_yet', ?, 'test', ?)",
            [applicant, commune, (today - dt.timedelta(days=3)).isoformat(),
             today.isoformat(), today.isoformat(), (today + dt.timedelta(days=2)).isoformat(),
             now, now])
        db.execute("INSERT OR IGNORE INTO support_programs (code, name, legal_basis, first_month, months,"
                   " created_at, created_by) VALUES ('NQ42', 'Hỗ trợ COVID-19', 'NQ 42/NQ-CP', '2020-04', 3, ?, 't')",
                   [now])
        db.execute("INSERT OR IGNORE INTO support_groups VALUES ('NQ42', 'BTXH', 'Đối tượng BTXH', 500000, 3)")
        listing = db.execute(
            "INSERT INTO support_listings (program_code, group_code, commune_code, person_id, person_key, full_name,"
            " birth_year, cccd, village, months, amount_per_month, created_at, created_by)"
            " VALUES ('NQ42', 'BTXH', ?, ?, ?, ?, 1961, ?, 'Thôn Canary', 3, 500000, ?, 't')",
            [commune, adult, s["cccd_support"], ADULT_K8, s["cccd_support"], now]).lastrowid
        db.execute("INSERT INTO support_awards (program_code, commune_code, person_key, listing_id, amount)"
                   " VALUES ('NQ42', ?, ?, ?, 1500000)", [commune, s["cccd_support"], listing])
    payroll.run(db, notices.month_of(today), actor="test")
    province = db.execute("SELECT province_code FROM communes WHERE code = ?", [commune]).fetchone()[0]
    db.conn.close()
    return {"path": path, "commune": commune, "province": province}


DATASETTE_ENDPOINTS = [
    "/", "/-/metadata.json", "/-/metadata", "/-/databases.json", "/-/plugins.json", "/-/settings.json",
    "/-/versions.json", "/-/actor.json", "/-/threads.json", "/-/permissions", "/-/messages", "/-/allow-debug",
    "/-/config.json", "/-/patterns", "/btxh", "/btxh.json", "/btxh.db", "/phan_tich", "/phan_tich.json",
    "/btxh.json?sql=select+*+from+persons", "/btxh/-/query?sql=select+*+from+persons",
    "/btxh.csv?sql=select+cccd,phone,birth_date+from+persons", "/phan_tich.json?sql=select+*+from+persons",
    "/_memory.json?sql=select+1", "/-/btxh/tinh-thu", "/-/btxh/chi-tra", "/-/btxh/ho-so/moi",
    "/-/btxh/quyet-dinh/1", "/-/btxh/mat-khau", "/-/login", "/-/logout",
]
TABLES = ["persons", "memberships", "decisions", "applications", "households", "ledger", "audit_log",
          "support_listings", "support_awards", "membership_children", "user_credentials", "users", "sql_log"]
SUFFIXES = ["", ".json", ".csv", "?_format=json", "?_shape=array", "?sql=select+*+from+persons",
            "?_search=Canary", "/1", "/1.json"]
HREF = re.compile(r'\b(?:href|src|action)="([^"]+)"')


async def _crawl(ds, starts, follow=lambda path: True):
    """Anonymous breadth-first crawl of every same-site link ``follow`` accepts;
    returns {url: (status, body)}."""
    seen, queue, out = set(), deque(starts), {}
    while queue:
        url = queue.popleft()
        if url in seen or not follow(url):
            continue
        seen.add(url)
        response = await ds.client.get(url, headers={"authorization": "Basic cXVhbnRyaTptYXRraGF1"})
        body = response.text
        out[url] = (response.status_code, body)
        if response.status_code in (301, 302) and response.headers.get("location", "").startswith("/"):
            queue.append(response.headers["location"])
        if "html" in response.headers.get("content-type", ""):
            for link in HREF.findall(body):
                target = urljoin(url, link.replace("&amp;", "&"))
                parts = urlsplit(target)
                if not parts.netloc and parts.path.startswith("/"):
                    queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_live_app_leaks_nothing_to_anonymous_visitors(canary_db):
    ds = start_datasette(canary_db["path"])
    c, p = canary_db["commune"], canary_db["province"]
    starts = [*DATASETTE_ENDPOINTS, "/cong-khai", f"/cong-khai/{p}", f"/cong-khai/xa/{c}",
              f"/cong-khai/xa/{c}?q=canary", f"/cong-khai/xa/{c}?q={SECRETS['cccd']}",
              f"/cong-khai/xa/{c}/niem-yet", f"/cong-khai/xa/{c}/ho-tro/NQ42", f"/cong-khai/xa/{c}/quyet-dinh"]
    starts += [f"/btxh/{t}{s}" for t in TABLES for s in SUFFIXES]
    starts += [f"/phan_tich/{t}{s}" for t in TABLES[:4] for s in SUFFIXES[:3]]
    starts += [f"{u}{s}" for u in (f"/cong-khai/xa/{c}", f"/cong-khai/{p}", "/cong-khai")
               for s in (".json", ".csv", "?_format=json", "?sql=select+*+from+persons")]
    import sqlite3

    with sqlite3.connect(canary_db["path"]) as conn:
        with_data = {r[0] for r in conn.execute("SELECT DISTINCT commune_code FROM persons")}

    def follow(url):
        """Every link, except into the pages of communes that hold no one at all (thousands of
        identical empty pages of the other 3,300 communes of the country)."""
        m = re.match(r"/cong-khai/xa/(\d{5})", url)
        return not m or m.group(1) in with_data

    pages = asyncio.run(_crawl(ds, starts, follow))
    public_pages = {u for u, (status, _) in pages.items() if status == 200 and u.startswith("/cong-khai")}
    assert len(public_pages) >= 15, sorted(public_pages)  # the crawl did reach the public site
    print(f"leak test: {len(pages)} anonymous URLs, {len(public_pages)} public pages with status 200")
    listed = False
    for url, (status, body) in pages.items():
        q = re.search(r"[?&]q=([^&]*)", url)
        if q:  # the search box echoes what the visitor typed
            body = body.replace(q.group(1), "")
        assert not leaks(body), (url, status, leaks(body))
        assert not k8_rows_look_like_any_row(body), (url, k8_rows_look_like_any_row(body))
        if not url.startswith(("/cong-khai", "/-/static", "/btxh-static", "/-/login", "/favicon")) and url != "/":
            assert status in (302, 403, 404), (url, status)
        listed |= ADULT_K8 in body
    assert listed, "the K8 adult is listed on the public list, under the one label"
    assert any(APPLICANT_K8 in body for _, body in pages.values()), "the K8 applicant is posted"


def test_static_export_leaks_nothing(canary_db, tmp_path):
    out = tmp_path / "site"
    result = publish.publish(canary_db["path"], out, province=canary_db["province"])
    assert result.pages > 10
    seen_adult = False
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not leaks(text), (path, leaks(text))
            assert not k8_rows_look_like_any_row(text), path
            seen_adult |= ADULT_K8 in text
    assert seen_adult
    assert publish.verify(out) == []
    print(f"leak test: {sum(1 for p in out.rglob('*') if p.is_file())} exported files scanned")


def test_the_canaries_are_real_staff_see_them(canary_db):
    """The detector is not blind: an administrator's view of the same database shows them."""
    from conftest import login_all

    ds = start_datasette(canary_db["path"])
    cookies = login_all(ds, ["t_quantri"])["t_quantri"]
    body = asyncio.run(ds.client.get(f"/btxh/persons.json?cccd={SECRETS['cccd']}", cookies=cookies)).text
    found = leaks(body)
    assert "cccd=079161012345" in found and "phone=0399112233" in found and "birth=1961-07-19" in found
