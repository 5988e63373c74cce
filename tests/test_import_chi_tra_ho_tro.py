"""`btxh import chi-tra` (payment results) and `btxh import ho-tro` (one-off support lists)."""

from __future__ import annotations

import shutil
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

from btxh import store
from btxh.cli import cli
from btxh.payroll import run as payroll
from conftest import digest


def xlsx(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def invoke(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def q(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def paid(demo_db_path, tmp_path):
    """A copy of the demo with 2026-11 closed: a commune, its month and three people on the list."""
    path = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    commune = db.execute("SELECT commune_code FROM persons GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    for month in ("2026-09", "2026-10", "2026-11"):
        payroll.run(db, month)
        payroll.close(db, month)
    people = db.execute("SELECT p.id, p.full_name, sum(l.due) FROM ledger l JOIN persons p ON p.id = l.person_id"
                        " JOIN payroll_runs r ON r.id = l.run_id WHERE r.month = '2026-11' AND l.commune_code = ?"
                        " AND l.kind = 'thuong_xuyen' GROUP BY p.id ORDER BY p.id LIMIT 3", [commune]).fetchall()
    db.conn.close()
    return path, commune, people


HEADER = ["STT", "Mã đối tượng", "Họ và tên", "Số tiền", "Trạng thái", "Ngày nhận"]


def _returns(tmp_path, name, month_rows):
    return xlsx(tmp_path / name, HEADER, month_rows)


def test_unpaid_rolls_forward_as_arrears_and_three_months_are_proposed(paid, tmp_path):
    path, commune, people = paid
    (a, name_a, due_a), (b, name_b, due_b), _ = people
    for month in ("2026-09", "2026-10", "2026-11"):
        rows = [[1, a, name_a, "", "Chưa nhận", ""], [2, b, name_b, "", "Đã nhận", "10/" + month[5:] + "/2026"]]
        result = invoke("chi-tra", _returns(tmp_path, f"kq-{month}.xlsx", rows), "--commune", commune,
                        "--month", month, "--db", path)
        assert result.exit_code == 0, result.output
    assert f"Đề nghị tạm dừng (Thông tư 02/2021/TT-BLĐTBXH Điều 2 khoản 3): {name_a} (mã {a})" in result.output
    assert q(path, "SELECT person_id, to_month FROM suspension_proposals") == [(a, "2026-11")]
    settled = q(path, "SELECT amount FROM ledger_settled WHERE person_id = ? AND month = '2026-11'"
                " AND program IN ('TCXH', 'HTXH')", [a])
    assert settled == [(0,)]
    db = store.open_db(path)
    payroll.run(db, "2026-12")
    db.conn.close()
    arrears = q(path, "SELECT l.month, l.due FROM ledger l JOIN payroll_runs r ON r.id = l.run_id WHERE r.month = '2026-12'"
                " AND l.person_id = ? AND l.kind = 'truy_linh' ORDER BY l.month", [a])
    assert [m for m, _ in arrears] == ["2026-09", "2026-10", "2026-11"]
    assert arrears[-1][1] == due_a
    # the same file again: unchanged, byte for byte
    before = digest(path)
    again = invoke("chi-tra", tmp_path / "kq-2026-11.xlsx", "--commune", commune, "--month", "2026-11", "--db", path)
    assert "thêm mới 0, cập nhật 0, không đổi 2" in again.output, again.output
    assert digest(path) == before


@pytest.mark.parametrize("row,message", [
    pytest.param([1, "", "Không Có Ai", "", "Đã nhận", "10/11/2026"],
                 "cột «Họ và tên»: «Không Có Ai» không có trong danh sách chi trả tháng 11/2026 của xã", id="unknown"),
    pytest.param(["1", "{a}", "{name_a}", "", "Đã nhận", ""], "cột «Ngày nhận»: đã nhận thì phải ghi ngày nhận",
                 id="paid-without-date"),
    pytest.param(["1", "{a}", "{name_a}", "", "Có lẽ", ""], "cột «Trạng thái»: «Có lẽ»: ghi «Đã nhận», «Chưa nhận» "
                 "hoặc «Trả lại»", id="bad-status"),
    pytest.param(["1", "{a}", "{name_a}", 1, "Đã nhận", "10/11/2026"], "cột «Số tiền»: 1 đồng khác số tiền",
                 id="amount-differs"),
])
def test_bad_returns_are_refused(paid, tmp_path, row, message):
    path, commune, people = paid
    (a, name_a, _), *_ = people
    row = [str(v).format(a=a, name_a=name_a) if isinstance(v, str) else v for v in row]
    before = digest(path)
    result = invoke("chi-tra", _returns(tmp_path, "kq.xlsx", [row]), "--commune", commune, "--month", "2026-11",
                    "--db", path)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert digest(path) == before


def test_returns_for_an_open_run_are_refused(demo_db_path, tmp_path):
    path = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, path)
    before = digest(path)
    result = invoke("chi-tra", _returns(tmp_path, "kq.xlsx", [[1, 1, "A", "", "Đã nhận", "01/01/2026"]]),
                    "--commune", "00004", "--month", "2026-11", "--db", path)
    assert result.exit_code == 2
    assert "chưa có bảng lương tháng 11/2026 đã chốt" in result.output
    assert digest(path) == before


SUPPORT_HEADER = ["STT", "Họ và tên", "CCCD", "Nhóm", "Mức hỗ trợ/tháng", "Số tháng"]
NQ42 = ["--program", "NQ42", "--name", "Hỗ trợ người dân gặp khó khăn do COVID-19", "--basis",
        "Nghị quyết 42/NQ-CP", "--first-month", "2020-04", "--months", "3", "--commune", "00004"]


def test_one_off_list_pays_only_the_highest_and_reports_people_listed_twice(ref_db, tmp_path):
    path = tmp_path / "btxh.db"
    ref_db.conn.close()
    rows = [[1, "Nguyễn Văn An", "001050012345", "Hộ nghèo", 250000, 3],
            [2, "Nguyễn Văn An", "001050012345", "Người có công", 500000, 3],
            [3, "Trần Thị Bình", "", "Hộ nghèo", 250000, 3]]
    file = xlsx(tmp_path / "nq42.xlsx", SUPPORT_HEADER, rows)
    dry = invoke("ho-tro", file, *NQ42, "--db", path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Nguyễn Văn An có tên trong 2 nhóm" in dry.output and "chỉ hưởng mức cao nhất, nhóm «NGUOI_CO_CONG»" \
        in dry.output
    result = invoke("ho-tro", file, *NQ42, "--db", path)
    assert result.exit_code == 0, result.output
    assert q(path, "SELECT count(*) FROM support_listings") == [(3,)]
    assert sorted(q(path, "SELECT person_key, amount FROM support_awards")) == [
        ("001050012345", 1500000), ("tran thi binh||00004", 750000)]
    before = digest(path)
    again = invoke("ho-tro", file, *NQ42, "--db", path)
    assert "không đổi 3" in again.output and digest(path) == before


def test_one_off_list_refuses_a_duplicate_in_one_group_and_too_many_months(ref_db, tmp_path):
    path = tmp_path / "btxh.db"
    ref_db.conn.close()
    rows = [[1, "Nguyễn Văn An", "001050012345", "Hộ nghèo", 250000, 3],
            [2, "Nguyễn Văn An", "001050012345", "Hộ nghèo", 250000, 3],
            [3, "Trần Thị Bình", "", "Hộ nghèo", 250000, 5]]
    before = digest(path)
    result = invoke("ho-tro", xlsx(tmp_path / "nq42.xlsx", SUPPORT_HEADER, rows), *NQ42, "--db", path)
    assert result.exit_code == 2
    assert ("«nq42.xlsx», trang «Sheet», dòng 3, cột «CCCD»: trùng với dòng 2: cùng người, cùng nhóm «Hộ nghèo» "
            "(không tự gộp: xoá một dòng)") in result.output
    assert "dòng 4, cột «Số tháng»: «5» phải từ 1 đến 3 (chương trình có 3 tháng)" in result.output
    assert digest(path) == before
