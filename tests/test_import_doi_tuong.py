"""`btxh import doi-tuong`: real XLSX, XLS and CSV files, good and broken (issue 7).

For every broken file: the exact message, exit status 2 and the database byte-for-byte unchanged.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import openpyxl
import pytest
import xlwt
from click.testing import CliRunner

from btxh.cli import cli
from conftest import digest

HEADER = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "CMND/CCCD", "Thôn/Xóm/Tổ dân phố", "Đối tượng",
          "Mức độ khuyết tật", "Mức hưởng", "Số QĐ", "Ngày QĐ"]
ROWS = [
    [1, "Nguyễn Văn An", "Nam", "05/03/1950", "001050012345", "Thôn Đông", "K5a", "", 750000, "12/QĐ-UBND",
     "15/08/2025"],
    [2, "Trần Thị Bình", "Nữ", 1948, "", "Xóm 3", "Người khuyết tật đặc biệt nặng", "", 1250000, "123/QĐ-UBND",
     dt.date(2023, 5, 10)],
    [3, "Lê Văn Cường", "Nam", "03/2015", "", "Tổ dân phố 1", "k1", "", 750000, "5/QĐ", 45000],
]
COMMUNE = "00004"


def xlsx(path, rows, header=HEADER, title=True, merged=None, sheet="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append(["DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI"])
        ws.append([])
    for row in ([header] if header else []) + rows:
        ws.append(row)
    if merged:
        merged(ws)
    wb.save(path)
    return path


def xls(path, rows, header=HEADER):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    for r, row in enumerate([header] + rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(r, c, value, xlwt.easyxf(num_format_str="DD/MM/YYYY"))
            else:
                ws.write(r, c, value)
    wb.save(str(path))
    return path


def csv_file(path, rows, header=HEADER, encoding="utf-8-sig"):
    lines = [header] + rows
    text = "\r\n".join(",".join(str(v) for v in row) for row in lines) + "\r\n"
    path.write_bytes(text.encode(encoding) if isinstance(encoding, str) else encoding(text))
    return path


@pytest.fixture
def db_path(ref_db, tmp_path):
    path = tmp_path / "btxh.db"
    ref_db.conn.close()
    return path


def run(*args):
    result = CliRunner().invoke(cli, ["import", "doi-tuong", *map(str, args)])
    return result


def query(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("maker,name", [(xlsx, "ds.xlsx"), (xls, "ds.xls"), (csv_file, "ds.csv")],
                         ids=["xlsx", "xls", "csv"])
def test_import_inserts_then_reimport_changes_nothing(db_path, tmp_path, maker, name):
    rows = ROWS if maker is not csv_file else [[v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in r]
                                               for r in ROWS]
    path = maker(tmp_path / name, rows)
    result = run(path, "--commune", COMMUNE, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "Đã đọc 3 dòng: thêm mới 3, cập nhật 0, không đổi 0, bị từ chối 0." in result.output
    persons = query(db_path, "SELECT full_name, sex, birth_date, cccd, commune_code FROM persons ORDER BY id")
    assert persons == [("Nguyễn Văn An", "nam", "1950-03-05", "001050012345", COMMUNE),
                       ("Trần Thị Bình", "nu", "1948", None, COMMUNE),
                       ("Lê Văn Cường", "nam", "2015-03", None, COMMUNE)]
    decisions = query(db_path, "SELECT number, signed_date, authority_level, start_month, amount FROM decisions"
                               " ORDER BY id")
    assert decisions == [("12/QĐ-UBND", "2025-08-15", "xa", "2025-08", 750000),
                         ("123/QĐ-UBND", "2023-05-10", "huyen", "2023-05", 1250000),
                         ("5/QĐ", "2023-03-15", "huyen", "2023-03", 750000)]
    assert query(db_path, "SELECT category, disability_level FROM memberships ORDER BY id") == [
        ("K5a", None), ("K6", "DBN"), ("K1", None)]
    assert query(db_path, "SELECT count(*) FROM audit_log WHERE actor = 'btxh-cli'")[0][0] >= 4
    before = digest(db_path)
    again = run(path, "--commune", COMMUNE, "--db", db_path)
    assert again.exit_code == 0, again.output
    assert "thêm mới 0, cập nhật 0, không đổi 3, bị từ chối 0." in again.output
    assert digest(db_path) == before


def test_dry_run_shows_the_plan_and_writes_nothing(db_path, tmp_path):
    path = xlsx(tmp_path / "ds.xlsx", ROWS)
    before = digest(db_path)
    result = run(path, "--commune", COMMUNE, "--db", db_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "«ds.xlsx», trang «Sheet1», dòng 4: thêm mới — Nguyễn Văn An (K5a): người mới" in result.output
    assert "Chạy thử (--dry-run): không có gì được ghi." in result.output
    assert digest(db_path) == before


def test_update_adds_a_cccd_and_keeps_the_rest(db_path, tmp_path):
    assert run(xlsx(tmp_path / "a.xlsx", ROWS), "--commune", COMMUNE, "--db", db_path).exit_code == 0
    changed = [list(r) for r in ROWS]
    changed[1][4] = "001148012345"
    result = run(xlsx(tmp_path / "b.xlsx", changed), "--commune", COMMUNE, "--db", db_path, "--dry-run")
    assert "thêm mới 0, cập nhật 1, không đổi 2" in result.output, result.output
    assert "Trần Thị Bình (mã 2): thêm số CCCD" in result.output


def _broken(tmp_path, name, rows=None, header=HEADER, **kw):
    maker = {"xlsx": xlsx, "xls": xls, "csv": csv_file}[name.rsplit(".", 1)[1]]
    return maker(tmp_path / name, ROWS if rows is None else rows, header=header, **kw)


def _row(**changes):
    row = list(ROWS[0])
    for index, value in changes.items():
        row[int(index[1:])] = value
    return row


BROKEN = [
    pytest.param(lambda t: _broken(t, "a.xlsx", header=[h for h in HEADER if h != "Số QĐ"],
                                   rows=[[v for i, v in enumerate(r) if i != 9] for r in ROWS]),
                 "«a.xlsx», trang «Sheet1», dòng 3: thiếu cột «Số QĐ» (có thể đặt tên: «Số QĐ», «Số quyết định»)",
                 id="missing-column"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[_row(c3="31/02/1950")]),
                 "«a.xlsx», trang «Sheet1», dòng 4, cột «Ngày sinh»: ngày 31/02/1950 không tồn tại",
                 id="impossible-date"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[_row(c8="bảy trăm")]),
                 "«a.xlsx», trang «Sheet1», dòng 4, cột «Mức hưởng»: «bảy trăm» không phải số tiền "
                 "(chỉ chữ số, ví dụ 750000 hoặc 750.000)", id="text-in-number-column"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[_row(c4=1050012345.0 + 10 ** 10)]),
                 "«a.xlsx», trang «Sheet1», dòng 4, cột «CMND/CCCD»: «11050012345»: phải có đúng 12 chữ số "
                 "(đã nhập 11); có thể Excel đã bỏ số 0 ở đầu — hãy định dạng cột là «Text» (Văn bản) và nhập lại "
                 "đủ 12 chữ số", id="cccd-11-digits"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[_row(c6="K9")]),
                 "«a.xlsx», trang «Sheet1», dòng 4, cột «Đối tượng»: «K9» không phải diện trợ cấp xã hội hằng "
                 "tháng (mã K1–K8 hoặc tên diện)", id="unknown-category"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[ROWS[0], ROWS[0]]),
                 "«a.xlsx», trang «Sheet1», dòng 5, cột «CMND/CCCD»: trùng với dòng 4: cùng người, cùng diện K5a "
                 "(không tự gộp: xoá một dòng)", id="duplicate-cccd"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[_row(c4=""), _row(c4="", c6="K6", c7="Nặng")]),
                 None, id="same-person-two-categories-is-fine"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[ROWS[1], _row(c1="Trần Thị Bình", c2="Nữ", c3=1948,
                                                                      c4="001148099999")]),
                 "«a.xlsx», trang «Sheet1», dòng 5, cột «Họ và tên»: trùng họ tên, ngày sinh và xã với dòng 4 nhưng "
                 "khác số CCCD: kiểm tra lại, hệ thống không tự gộp hai người", id="duplicate-name-birth-commune"),
    pytest.param(lambda t: _broken(t, "a.xls", rows=[_row(c6="K5a")], header=HEADER[:6] + ["Xã"] + HEADER[6:]) if False
                 else xlsx(t / "a.xlsx", [_row()[:6] + ["99999"] + _row()[6:]], header=HEADER[:6] + ["Mã xã"] + HEADER[6:]),
                 "«a.xlsx», trang «Sheet1», dòng 4, cột «Mã xã»: mã xã «99999» không có trong danh mục (cả trước và "
                 "sau 01/07/2025)", id="unknown-commune"),
    pytest.param(lambda t: _broken(t, "a.xlsx", rows=[_row(c10="12/13/2025")]),
                 "«a.xlsx», trang «Sheet1», dòng 4, cột «Ngày QĐ»: ngày 12/13/2025 không tồn tại", id="impossible-month"),
    pytest.param(lambda t: (t / "a.xlsx").write_bytes(xlsx(t / "full.xlsx", ROWS).read_bytes()[:2000]) and t / "a.xlsx",
                 "«a.xlsx»: tệp bị hỏng hoặc không đầy đủ", id="truncated-xlsx"),
    pytest.param(lambda t: csv_file(t / "a.csv", [["1", '"Nguyễn Văn An', "Nam"]]),
                 "«a.csv», dòng 2: dấu ngoặc kép không đóng", id="truncated-csv"),
    pytest.param(lambda t: (t / "a.csv").write_bytes(b"STT,H\xe4 v\xb5 t\xaan,Ngi\xb8y sinh\r\n1,Nguy\xd4n V\xa8n An,1950\r\n")
                 and t / "a.csv",
                 "«a.csv»: tệp dùng bảng mã cũ TCVN3 (ABC), không phải Unicode", id="tcvn3-csv"),
    pytest.param(lambda t: xlsx(t / "a.xlsx", [_row(c1="Nguyeãn Vaên An"), _row(c1="Traàn Thò Bình", c4="")]),
                 "«a.xlsx»: tệp dùng bảng mã cũ VNI Windows, không phải Unicode", id="vni-xlsx"),
    pytest.param(lambda t: xlsx(t / "a.xlsx", [], header=["Ghi chú"]),
                 "«a.xlsx»: không tìm thấy dòng tiêu đề", id="no-header"),
]


@pytest.mark.parametrize("make,message", BROKEN)
def test_broken_files_are_refused_with_the_exact_message(db_path, tmp_path, make, message):
    path = make(tmp_path)
    before = digest(db_path)
    result = run(path, "--commune", COMMUNE, "--db", db_path)
    if message is None:
        assert result.exit_code == 0, result.output
        assert query(db_path, "SELECT count(*) FROM persons")[0][0] == 1
        assert query(db_path, "SELECT count(*) FROM memberships")[0][0] == 2
        return
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert digest(db_path) == before


def test_blank_rows_numbering_row_and_footer_are_skipped(db_path, tmp_path):
    rows = [["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)"], ROWS[0], [], [],
            ROWS[1], [], ["", "Tổng cộng: 2 người"], ["", "", "", "Người lập biểu"]]
    result = run(xlsx(tmp_path / "a.xlsx", rows), "--commune", COMMUNE, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "Đã đọc 2 dòng: thêm mới 2" in result.output


def test_merged_two_row_header_with_birth_year_under_nam_nu(db_path, tmp_path):
    header1 = ["STT", "Họ và tên", "Năm sinh", "", "Thôn", "Diện hưởng", "Quyết định", ""]
    header2 = ["", "", "Nam", "Nữ", "", "", "Số", "Ngày"]
    rows = [header2, [1, "Đỗ Văn Hải", 1941, "", "Thôn Tây", "K5c", "7/QĐ-UBND", "02/01/2024"],
            [2, "Vũ Thị Lan", "", 1944, "Thôn Tây", "Người cao tuổi", "8/QĐ-UBND", "02/01/2024"]]

    def merge(ws):
        for cells in ("A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4", "G3:H3"):
            ws.merge_cells(cells)

    result = run(xlsx(tmp_path / "a.xlsx", rows, header=header1, merged=merge), "--commune", COMMUNE, "--db", db_path)
    assert result.exit_code == 2, result.output
    assert ("«a.xlsx», trang «Sheet1», dòng 6, cột «Diện hưởng»: «Người cao tuổi» ứng với nhiều diện "
            "(K5a, K5b, K5c, K5d): ghi mã diện (ví dụ K5a) hoặc tên diện đầy đủ") in result.output
    rows[2][5] = "K5c"
    result = run(xlsx(tmp_path / "b.xlsx", rows, header=header1, merged=merge), "--commune", COMMUNE, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert query(db_path, "SELECT full_name, sex, birth_date FROM persons ORDER BY id") == [
        ("Đỗ Văn Hải", "nam", "1941"), ("Vũ Thị Lan", "nu", "1944")]


def test_old_commune_name_is_carried_to_its_2025_successor(db_path, tmp_path):
    old = query(db_path, "SELECT s.legacy_commune_code, s.commune_code, l.name, l.district_code FROM commune_succession s"
                         " JOIN legacy_communes l ON l.code = s.legacy_commune_code WHERE s.legacy_commune_code IN"
                         " (SELECT legacy_commune_code FROM commune_succession GROUP BY 1 HAVING count(*) = 1)"
                         " AND s.legacy_commune_code <> s.commune_code LIMIT 1")[0]
    header = HEADER[:6] + ["Mã xã cũ"] + HEADER[6:]
    row = ROWS[1][:6] + [old[0]] + ROWS[1][6:]
    result = run(xlsx(tmp_path / "a.xlsx", [row], header=header), "--db", db_path)
    assert result.exit_code == 0, result.output
    assert query(db_path, "SELECT commune_code, legacy_commune_code, legacy_district_code, authority_level"
                          " FROM decisions") == [(old[1], old[0], old[3], "huyen")]


def test_every_problem_is_reported_not_just_the_first(db_path, tmp_path):
    rows = [_row(c3="31/02/1950"), _row(c1="", c4=""), _row(c6="K9", c4="")]
    result = run(xlsx(tmp_path / "a.xlsx", rows), "--commune", COMMUNE, "--db", db_path)
    assert result.exit_code == 2
    assert "dòng 4, cột «Ngày sinh»" in result.output
    assert "dòng 5, cột «Họ và tên»: trống" in result.output
    assert "dòng 6, cột «Đối tượng»" in result.output
    assert "bị từ chối 3." in result.output


def test_atomicity_a_failure_while_writing_leaves_nothing(db_path, tmp_path, monkeypatch):
    from btxh.importing import beneficiaries

    real = beneficiaries.audit_rows  # the last write, after persons, memberships and decisions

    def boom(*a, **kw):
        real(*a, **kw)
        raise RuntimeError("đĩa đầy")

    monkeypatch.setattr(beneficiaries, "audit_rows", boom)
    before = digest(db_path)
    result = run(xlsx(tmp_path / "a.xlsx", ROWS), "--commune", COMMUNE, "--db", db_path)
    assert result.exit_code != 0
    assert query(db_path, "SELECT count(*) FROM persons")[0][0] == 0
    assert query(db_path, "SELECT count(*) FROM audit_log")[0][0] == 0 or digest(db_path) == before



def test_the_audit_holds_every_inserted_row_whole(db_path, tmp_path):
    """ADR 011: one ``import_rows`` audit row per commune (≤ AUDIT_CHUNK rows) whose ``after``
    gives back every column of every person, membership and decision the import inserted."""
    import json

    from btxh.importing.common import expand_rows

    assert run(xlsx(tmp_path / "a.xlsx", ROWS), "--commune", COMMUNE, "--db", db_path).exit_code == 0
    (batch,) = query(db_path, "SELECT id FROM import_batches")
    audited = query(db_path, "SELECT actor, table_name, row_id, commune_code, before, after FROM audit_log"
                             " WHERE action = 'import_rows'")
    assert [a[:5] for a in audited] == [("btxh-cli", "import_batches", str(batch[0]), COMMUNE, None)]
    after = json.loads(audited[0][5])
    assert after["file"] == "a.xlsx" and after["source_rows"] == [4, 5, 6]
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    for table in ("persons", "memberships", "decisions"):
        rows = expand_rows(after[table])
        stored = [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
        assert rows == [{k: r[k] for k in rows[0]} for r in stored], table
    conn.close()
    assert query(db_path, "SELECT action, count(*) FROM audit_log WHERE actor = 'btxh-cli' GROUP BY 1 ORDER BY 1") == [
        ("import", 1), ("import_rows", 1), ("village_add", 3)]
    assert query(db_path, "SELECT count(*) FROM payroll_dirty")[0][0] == 3  # the run picks them up


def test_audit_rows_are_split_by_size(db_path, tmp_path, monkeypatch):
    import json

    from btxh.importing import beneficiaries
    from btxh.importing.common import expand_rows

    monkeypatch.setattr(beneficiaries, "AUDIT_CHUNK", 2)
    assert run(xlsx(tmp_path / "a.xlsx", ROWS), "--commune", COMMUNE, "--db", db_path).exit_code == 0
    afters = [json.loads(a) for (a,) in query(db_path, "SELECT after FROM audit_log WHERE action = 'import_rows'"
                                                       " ORDER BY id")]
    assert [a["source_rows"] for a in afters] == [[4, 5], [6]]
    assert [[p["full_name"] for p in expand_rows(a["persons"])] for a in afters] == [
        ["Nguyễn Văn An", "Trần Thị Bình"], ["Lê Văn Cường"]]


def test_a_known_person_gets_the_new_category_in_the_audit_without_a_person_row(db_path, tmp_path):
    import json

    from btxh.importing.common import expand_rows

    assert run(xlsx(tmp_path / "a.xlsx", ROWS[:1]), "--commune", COMMUNE, "--db", db_path).exit_code == 0
    second = _row(c6="K6", c7="Nặng")
    assert run(xlsx(tmp_path / "b.xlsx", [second]), "--commune", COMMUNE, "--db", db_path).exit_code == 0
    (after,) = query(db_path, "SELECT after FROM audit_log WHERE action = 'import_rows' AND after LIKE '%b.xlsx%'")
    after = json.loads(after[0])
    assert expand_rows(after["persons"]) == []
    assert [(m["person_id"], m["category"], m["disability_level"]) for m in expand_rows(after["memberships"])] == [
        (1, "K6", "NANG")]


@pytest.mark.parametrize("value,expected", [
    (True, (None, "«True» không phải ngày")),
    (1, (None, "«1» không phải năm sinh hay ngày tháng năm")),
    (1950, "1950"), (1950.0, "1950"), ("1950", "1950"), ("03/1950", "1950-03"),
    (dt.date(1950, 3, 5), "1950-03-05"), (dt.datetime(1950, 3, 5, 0, 0), "1950-03-05"),
    (18327, "1950-03-05"), ("18327", "1950-03-05"),
], ids=["bool", "int-1", "year-int", "year-float", "year-text", "month-text", "date", "datetime", "serial",
        "serial-text"])
def test_cached_date_parsing_keeps_types_apart(value, expected):
    """partial_date is cached by value *and* type: True and 1 (equal in Python) stay apart."""
    from btxh.importing.cells import partial_date

    for _ in range(2):  # the second answer comes from the cache
        found = partial_date(value)
        assert (str(found[0]) if found[0] else found) == expected


@pytest.mark.parametrize("cccd,birth,sex", [
    ("001050012345", 1950, "nam"), ("001050999999", 1950, "nam"), ("001050012345", 1951, "nam"),
    ("001050012345", 1950, "nu"), ("001150012345", None, ""), ("999050012345", 1950, "nam"),
], ids=["agrees", "same-prefix-other-serial", "year-differs", "sex-differs", "no-birth", "unknown-province"])
def test_cccd_check_by_prefix_says_what_check_cccd_says(cccd, birth, sex):
    from btxh.cases import check_cccd
    from btxh.importing.cells import _Collect, id_number
    from btxh.rules.dates import PartialDate

    partial = PartialDate(birth) if birth else None
    collect = _Collect()
    warnings = check_cccd(collect, cccd, partial, sex)
    got = id_number(cccd, partial, sex)
    assert got == ((None, None, f"«{cccd}»: {collect.items[0]}", []) if collect.items else (cccd, None, None, warnings))


def test_the_garbage_collector_is_back_on_after_an_import(db_path, tmp_path):
    import gc

    assert gc.isenabled()
    run(xlsx(tmp_path / "a.xlsx", ROWS), "--commune", COMMUNE, "--db", db_path)
    assert gc.isenabled()
    run(xlsx(tmp_path / "b.xlsx", [_row(c3="31/02/1950")]), "--commune", COMMUNE, "--db", db_path)
    assert gc.isenabled()
