"""Payment lists for the paying agent: totals equal the ledger, neutral labels, the three
formats, the Datasette pages and the CLI command."""

import asyncio
import csv
import io
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from btxh import paylist, scoping, store, users
from btxh.cli_paylist import paylist as paylist_command
from conftest import PASSWORD, login_all, start_datasette

COMMUNE, OTHER = "00004", "00008"  # Phường Ba Đình, Phường Ngọc Hà (both in Hà Nội, 01)
NOW = "2026-11-20T08:00:00Z"


def _person(db, name, birth_year, commune, village, sex="nam"):
    return db["persons"].insert({
        "full_name": name, "sex": sex, "birth_date": str(birth_year), "birth_precision": "year",
        "birth_year": birth_year, "commune_code": commune, "village_id": village,
        "created_at": NOW, "updated_at": NOW}).last_pk


def _run(db, month, status, created_at):
    return db["payroll_runs"].insert({
        "month": month, "scope": "01", "status": status, "rule_set": "national-2026",
        "created_at": created_at, "created_by": "test",
        "closed_at": created_at if status == "closed" else None,
        "closed_by": "test" if status == "closed" else None}).last_pk


def fill(db):
    """Villages, people, memberships and hand-written ledger lines (see each comment)."""
    v2 = db["villages"].insert({"commune_code": COMMUNE, "name": "Tổ dân phố 2", "kind": "Tổ dân phố",
                                "valid_from": "2025-07-01"}).last_pk
    v10 = db["villages"].insert({"commune_code": COMMUNE, "name": "Tổ dân phố 10", "kind": "Tổ dân phố",
                                 "valid_from": "2025-07-01"}).last_pk
    vo = db["villages"].insert({"commune_code": OTHER, "name": "Tổ dân phố 1", "kind": "Tổ dân phố",
                                "valid_from": "2025-07-01"}).last_pk
    p = {
        "an": _person(db, "Nguyễn Văn An", 1940, COMMUNE, v2),
        "binh": _person(db, "Trần Thị Bình", 1985, COMMUNE, v10, "nu"),
        "duc": _person(db, "Lê Văn Đức", 1990, COMMUNE, v2),        # K8: HIV, never shown
        "dung": _person(db, "Phạm Văn Dũng", 1930, COMMUNE, v2),    # died: funeral support
        "em": _person(db, "Hoàng Thị Em", 1950, COMMUNE, v2, "nu"),  # only a recovery
        "giang": _person(db, "Đỗ Văn Giang", 1960, COMMUNE, None),  # HTXH, no village
        "hung": _person(db, "Vũ Văn Hùng", 1945, COMMUNE, v10),     # suspended: zero
        "lan": _person(db, "Ngô Thị Lan", 1940, OTHER, vo, "nu"),
    }
    for who, category, extra in [("an", "K5c", {}), ("binh", "K4", {}),
                                 ("binh", "K6", {"disability_level": "DBN"}),
                                 ("duc", "K8", {"hiv_positive": 1})]:
        db["memberships"].insert({"person_id": p[who], "commune_code": COMMUNE, "category": category,
                                  "valid_from": "2024-01-01", **extra})
    r_closed = _run(db, "2026-11", "closed", "2026-11-20T08:00:00Z")
    r_open_later = _run(db, "2026-11", "open", "2026-11-25T08:00:00Z")  # not chosen: a closed one exists
    r_dec_old = _run(db, "2026-12", "open", "2026-12-20T08:00:00Z")
    r_dec_new = _run(db, "2026-12", "open", "2026-12-22T08:00:00Z")    # chosen: latest open
    r_oct_other = _run(db, "2026-10", "closed", "2026-10-20T08:00:00Z")  # 00008 only

    def line(run, who, program, month, kind, due, basis=None, commune=COMMUNE):
        return {"run_id": run, "person_id": p[who], "commune_code": commune, "program": program,
                "month": month, "kind": kind, "due": due, "paid": 0, "basis": basis,
                "reason": "Diện K8 (lý do nội bộ)" if who == "duc" else None}

    db["ledger"].insert_all([
        line(r_closed, "an", "TCXH", "2026-11", "thuong_xuyen", 750_000, "K5c"),
        line(r_closed, "duc", "TCXH", "2026-11", "thuong_xuyen", 750_000, "K8"),
        line(r_closed, "dung", "MAITANG", "2026-09", "mai_tang", 10_000_000, "K5c"),
        line(r_closed, "dung", "TCXH", "2026-10", "truy_thu", -750_000, "K5c"),
        line(r_closed, "binh", "TCXH", "2026-11", "thuong_xuyen", 1_250_000, "K4+K6"),
        line(r_closed, "binh", "CSND", "2026-11", "thuong_xuyen", 500_000, "C5"),
        line(r_closed, "binh", "TCXH", "2026-09", "truy_linh", 1_250_000, "K4+K6"),
        line(r_closed, "binh", "TCXH", "2026-10", "truy_linh", 1_250_000, "K4+K6"),
        line(r_closed, "em", "TCXH", "2026-08", "truy_thu", -500_000, "K5a"),
        line(r_closed, "giang", "HTXH", "2026-11", "thuong_xuyen", 500_000),
        line(r_closed, "hung", "TCXH", "2026-11", "thuong_xuyen", 0, "K5c"),
        line(r_closed, "lan", "TCXH", "2026-11", "thuong_xuyen", 750_000, "K5c", OTHER),
        line(r_open_later, "an", "TCXH", "2026-11", "thuong_xuyen", 999_000, "K5c"),
        line(r_dec_old, "an", "TCXH", "2026-12", "thuong_xuyen", 750_000, "K5c"),
        line(r_dec_new, "an", "TCXH", "2026-12", "thuong_xuyen", 800_000, "K5c"),
        line(r_oct_other, "lan", "TCXH", "2026-10", "thuong_xuyen", 750_000, "K5c", OTHER),
    ])
    return {"closed": r_closed}


@pytest.fixture(scope="module")
def pay_path(reference_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("paylist") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    fill(db)
    for name, role, communes, province in [
        ("xa00004", "can_bo_xa", [COMMUNE], None), ("xa00008", "can_bo_xa", [OTHER], None),
        ("tinh01", "tinh", [], "01"), ("tinh04", "tinh", [], "04"), ("phantich", "phan_tich", [], None),
        ("quantri", "quan_tri", [], None),
    ]:
        users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes, province=province)
    db.conn.close()
    return path


@pytest.fixture
def db(pay_path):
    database = store.open_db(pay_path)
    yield database
    database.conn.close()


@pytest.fixture(scope="module")
def pl(pay_path):
    database = store.open_db(pay_path)
    try:
        return paylist.build(database, COMMUNE, "2026-11")
    finally:
        database.conn.close()


# -- the list ------------------------------------------------------------------------

def ledger_sum(db, run_id, kinds, commune=COMMUNE):
    marks = ", ".join("?" * len(kinds))
    return db.execute(f"SELECT coalesce(sum(due), 0) FROM ledger WHERE run_id = ? AND commune_code = ?"
                      f" AND kind IN ({marks})", [run_id, commune, *kinds]).fetchone()[0]


def test_closed_run_is_preferred_over_a_later_open_one(pl):
    assert (pl.run_id, pl.run_status) == (1, "closed")
    assert pl.commune_name == "Phường Ba Đình" and pl.province_name == "Thành phố Hà Nội"
    assert pl.month_label == "Tháng 11/2026"


def test_latest_open_run_when_none_is_closed(db):
    december = paylist.build(db, COMMUNE, "2026-12")
    assert december.run_status == "open" and december.run_id == 4
    assert december.total == 800_000


def test_totals_equal_the_ledger(db, pl):
    assert pl.totals == {
        "monthly": ledger_sum(db, 1, ["thuong_xuyen"]),
        "arrears": ledger_sum(db, 1, ["truy_linh"]),
        "funeral": ledger_sum(db, 1, ["mai_tang"]),
        "total": ledger_sum(db, 1, ["thuong_xuyen", "truy_linh", "mai_tang"]),
    }
    assert pl.totals == {"monthly": 3_750_000, "arrears": 2_500_000, "funeral": 10_000_000,
                         "total": 16_250_000}
    assert pl.recovery_total == -ledger_sum(db, 1, ["truy_thu"]) == 1_250_000


def test_village_subtotals_equal_the_ledger(db, pl):
    by_village = dict(db.execute(
        "SELECT coalesce(v.name, ?), sum(l.due) FROM ledger l JOIN persons p ON p.id = l.person_id"
        " LEFT JOIN villages v ON v.id = p.village_id WHERE l.run_id = 1 AND l.commune_code = ?"
        " AND l.kind <> 'truy_thu' GROUP BY 1", [paylist.NO_VILLAGE, COMMUNE]).fetchall())
    assert {v.name: v.totals["total"] for v in pl.villages} == by_village


def test_rows_in_village_then_vietnamese_name_order(pl):
    assert [v.name for v in pl.villages] == ["Tổ dân phố 2", "Tổ dân phố 10", paylist.NO_VILLAGE]
    assert [(r.stt, r.full_name) for r in pl.rows] == [
        (1, "Nguyễn Văn An"), (2, "Phạm Văn Dũng"), (3, "Lê Văn Đức"),
        (4, "Trần Thị Bình"), (5, "Đỗ Văn Giang")]


def test_zero_total_is_not_listed_and_recoveries_are_apart(pl):
    names = {r.full_name for r in pl.rows}
    assert "Vũ Văn Hùng" not in names and "Hoàng Thị Em" not in names
    assert [(r.full_name, r.month_label, r.amount) for r in pl.recoveries] == [
        ("Phạm Văn Dũng", "10/2026", 750_000), ("Hoàng Thị Em", "08/2026", 500_000)]
    dung = next(r for r in pl.rows if r.full_name == "Phạm Văn Dũng")
    assert (dung.monthly, dung.funeral, dung.total) == (0, 10_000_000, 10_000_000)  # not deducted


def test_labels_are_the_programs_never_the_category(pl):
    labels = {r.full_name: r.label for r in pl.rows}
    assert labels == {  # one label per program, whatever the category (issue 11, finding 5)
        "Nguyễn Văn An": "Trợ cấp xã hội hằng tháng",
        "Phạm Văn Dũng": "Hỗ trợ chi phí mai táng",  # only a funeral support this month
        "Lê Văn Đức": "Trợ cấp xã hội hằng tháng",  # K8
        "Trần Thị Bình": "Trợ cấp xã hội hằng tháng; Hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng",  # K4+K6, C5
        "Đỗ Văn Giang": "Trợ cấp hưu trí xã hội",
    }


@pytest.mark.parametrize("amount, words", [
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (16_250_000, "Mười sáu triệu hai trăm năm mươi nghìn đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (0, "Không đồng"),
], ids=["1.25m", "16.25m", "linh", "zero"])
def test_amount_in_words(amount, words):
    assert paylist.in_words(amount) == words


def test_row_words_and_total_words(pl):
    binh = next(r for r in pl.rows if r.full_name == "Trần Thị Bình")
    assert binh.total == 4_250_000 and binh.words == "Bốn triệu hai trăm năm mươi nghìn đồng"
    assert pl.total_words == "Mười sáu triệu hai trăm năm mươi nghìn đồng"


@pytest.mark.parametrize("names, expected", [
    (["Trần Văn Bình", "Lê Thị An"], ["Lê Thị An", "Trần Văn Bình"]),
    (["Lê Văn Đức", "Lê Văn Dũng", "Lê Văn Dương"], ["Lê Văn Dũng", "Lê Văn Dương", "Lê Văn Đức"]),
    (["Lê Thị Ánh", "Lê Thị Anh", "Lê Thị Ảnh"], ["Lê Thị Anh", "Lê Thị Ánh", "Lê Thị Ảnh"]),
    (["Vũ An", "Bùi An"], ["Bùi An", "Vũ An"]),
], ids=["given-name-first", "d-before-đ", "accents-tie-break", "same-given-name"])
def test_vietnamese_name_order(names, expected):
    assert sorted(names, key=paylist.name_key) == expected


def test_unknown_commune_and_missing_run_are_explained(db):
    with pytest.raises(paylist.PaylistError, match="không có trong danh mục"):
        paylist.build(db, "99999", "2026-11")
    with pytest.raises(paylist.PaylistError, match="Chưa có bảng lương tháng 10/2026 cho Phường Ba Đình"):
        paylist.build(db, COMMUNE, "2026-10")
    with pytest.raises(paylist.PaylistError, match="không hợp lệ"):
        paylist.build(db, COMMUNE, "2026-13")


# -- renderers -----------------------------------------------------------------------

def test_csv_has_bom_vietnamese_headers_and_plain_integers(pl):
    body = paylist.to_csv(pl)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Họ và tên", "Năm sinh"] and rows[0][-1] == "Ký nhận"
    assert len(rows) == 1 + len(pl.rows)
    assert sum(int(r[8]) for r in rows[1:]) == pl.total
    assert rows[4][1] == "Trần Thị Bình" and rows[4][9] == "Bốn triệu hai trăm năm mươi nghìn đồng"


def test_xlsx_layout_numbers_and_totals(pl):
    wb = load_workbook(io.BytesIO(paylist.to_xlsx(pl)))
    ws = wb.active
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"F8:I8", "A8:A9", "B8:B9", "A4:K4"} <= merged
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI HẰNG THÁNG" in cells
    total_row = cells["TỔNG CỘNG"].row
    assert [ws.cell(total_row, c).value for c in range(6, 10)] == [3_750_000, 2_500_000, 10_000_000, 16_250_000]
    assert ws.cell(total_row, 9).number_format == "#,##0"
    assert ws.cell(cells["Nguyễn Văn An"].row, 6).number_format == "#,##0"
    assert f"Tổng số tiền bằng chữ: {pl.total_words}." in cells
    assert paylist.RECOVERY_TITLE in cells
    assert {"Người lập biểu", "Kế toán", "Chủ tịch UBND xã"} <= set(cells)
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws.print_title_rows == "$8:$9"
    assert ws.column_dimensions["B"].width == 26


def test_html_is_a_print_ready_page(pl):
    html = paylist.to_html(pl)
    assert "<th rowspan=\"2\">STT</th>" in html and "16.250.000" in html
    assert "Mười sáu triệu hai trăm năm mươi nghìn đồng" in html
    assert "size: A4 landscape" in html and "table-header-group" in html
    assert paylist.RECOVERY_TITLE in html and "Chủ tịch UBND xã" in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_nothing_sensitive_in_any_format(pl, fmt):
    body = paylist.render(pl, fmt)
    text = body.decode("utf-8-sig") if fmt != "xlsx" else " ".join(
        str(c.value) for row in load_workbook(io.BytesIO(body)).active.iter_rows() for c in row if c.value)
    for secret in ("K8", "K6", "HIV", "nhiễm", "đặc biệt nặng", "lý do nội bộ"):
        assert secret not in text


# -- who may see a commune -----------------------------------------------------------

@pytest.mark.parametrize("actor, expected", [
    ({"role": "can_bo_xa", "communes": [COMMUNE]}, True),
    ({"role": "can_bo_xa", "communes": [OTHER], "province": "01"}, False),
    ({"role": "tinh", "province": "01", "communes": []}, True),
    ({"role": "tinh", "province": "04", "communes": []}, False),
    ({"role": "phan_tich"}, True),
    ({"role": "quan_tri"}, True),
    ({"role": "khach"}, False),
    (None, False),
], ids=["own-commune", "other-commune", "own-province", "other-province", "analyst", "admin",
        "unknown-role", "anonymous"])
def test_may_see_commune(actor, expected):
    assert scoping.may_see_commune(actor, COMMUNE, "01") is expected


# -- Datasette pages -----------------------------------------------------------------

@pytest.fixture(scope="module")
def pay_ds(pay_path):
    return start_datasette(pay_path)


@pytest.fixture(scope="module")
def pay_cookies(pay_ds):
    return login_all(pay_ds, ("xa00004", "xa00008", "tinh01", "tinh04", "phantich", "quantri"))


def get(ds, path, **kw):
    return asyncio.run(ds.client.get(path, **kw))


PAGE = f"/-/btxh/chi-tra/{COMMUNE}/2026-11"


@pytest.mark.parametrize("user", ["xa00004", "tinh01", "quantri"])
def test_staff_of_the_commune_see_the_list(pay_ds, pay_cookies, user):
    response = get(pay_ds, PAGE, cookies=pay_cookies[user])
    assert response.status_code == 200
    assert "STT" in response.text and "16.250.000" in response.text
    assert "Phường Ba Đình" in response.text and "btxh-print.css" in response.text


@pytest.mark.parametrize("user", ["xa00008", "tinh04"])
@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
def test_staff_of_another_commune_are_refused(pay_ds, pay_cookies, user, suffix):
    response = get(pay_ds, PAGE + suffix, cookies=pay_cookies[user])
    assert response.status_code == 403
    assert "Nguyễn Văn An" not in response.text


def test_anonymous_is_refused(pay_ds):
    assert get(pay_ds, PAGE).status_code == 403
    assert get(pay_ds, PAGE + ".csv").status_code == 403


def test_downloads(pay_ds, pay_cookies):
    response = get(pay_ds, PAGE + ".csv", cookies=pay_cookies["xa00004"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="chi-tra-00004-2026-11.csv"' in response.headers["content-disposition"]
    response = get(pay_ds, PAGE + ".xlsx", cookies=pay_cookies["xa00004"])
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    assert "F8:I8" in {str(r) for r in ws.merged_cells.ranges}


@pytest.mark.parametrize("path, text", [
    ("/-/btxh/chi-tra/99999/2026-11", "không có trong danh mục"),
    (f"/-/btxh/chi-tra/{COMMUNE}/2026-10", "Chưa có bảng lương tháng 10/2026"),
    (f"/-/btxh/chi-tra/{COMMUNE}/2026-10.xlsx", "Chưa có bảng lương"),
], ids=["unknown-commune", "no-run", "no-run-xlsx"])
def test_unknown_commune_or_month_is_a_vietnamese_404(pay_ds, pay_cookies, path, text):
    response = get(pay_ds, path, cookies=pay_cookies["quantri"])
    assert response.status_code == 404 and text in response.text


def test_index_lists_only_the_actors_communes(pay_ds, pay_cookies):
    mine = get(pay_ds, "/-/btxh/chi-tra", cookies=pay_cookies["xa00004"])
    assert mine.status_code == 200
    assert PAGE in mine.text and f"/-/btxh/chi-tra/{COMMUNE}/2026-12" in mine.text
    assert OTHER not in mine.text and "Tháng 11/2026" in mine.text
    everyone = get(pay_ds, "/-/btxh/chi-tra", cookies=pay_cookies["quantri"]).text
    assert PAGE in everyone and f"/-/btxh/chi-tra/{OTHER}/2026-10" in everyone
    assert get(pay_ds, "/-/btxh/chi-tra", cookies=pay_cookies["tinh04"]).text.count("/-/btxh/chi-tra/0") == 0


# -- CLI -----------------------------------------------------------------------------

def invoke(*args):
    return CliRunner().invoke(paylist_command, [str(a) for a in args])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_cli_writes_the_file(pay_path, db, tmp_path, fmt):
    out = tmp_path / f"ds.{fmt}"
    result = invoke("2026-11", "--commune", COMMUNE, "--format", fmt, "-o", out, "--db", pay_path)
    assert result.exit_code == 0, result.output
    expected = paylist.render(paylist.build(db, COMMUNE, "2026-11"), fmt)
    if fmt == "xlsx":  # the zip carries the time it was written: compare the cells
        def cells(data):
            return [[c.value for c in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows()]
        assert cells(out.read_bytes()) == cells(expected)
    else:
        assert out.read_bytes() == expected
    assert "16.250.000" in result.output


def test_cli_format_from_the_output_suffix(pay_path, tmp_path):
    out = tmp_path / "danh-sach.xlsx"
    assert invoke("2026-11", "--commune", COMMUNE, "-o", out, "--db", pay_path).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("commune, month, message", [
    ("99999", "2026-11", "không có trong danh mục"),
    (COMMUNE, "2026-10", "Chưa có bảng lương"),
], ids=["unknown-commune", "no-run"])
def test_cli_refuses_and_writes_nothing(pay_path, tmp_path, commune, month, message):
    out = tmp_path / "ds.csv"
    result = invoke(month, "--commune", commune, "-o", out, "--db", pay_path)
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_cli_requires_the_commune():
    result = invoke("2026-11")
    assert result.exit_code != 0 and "--commune" in result.output


@pytest.mark.parametrize("path", ["/-/btxh/chi-tra", PAGE, PAGE + ".csv", PAGE + ".xlsx"])
def test_analysts_never_see_named_payment_lists(pay_ds, pay_cookies, path):
    assert get(pay_ds, path, cookies=pay_cookies["phantich"]).status_code == 403
