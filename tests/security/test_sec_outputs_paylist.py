"""Finding 5: the payment list singled out people with HIV.

The red team read a payment list (it goes to the post office, and every signer sees it):
K3/K8 lines were labelled «Đối tượng bảo trợ xã hội khác», a label no other category uses.
Here the attacker looks for *any* difference between an HIV line and the lines of people of
other categories, in every format (CSV, XLSX, the HTML page and the CLI's file): apart from
what differs from person to person (name, year of birth, village, amounts), a K3 or K8 line
must be indistinguishable from some non-sensitive line, and the order of the lines must not
set them apart.
"""

import csv
import io
import re
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from btxh import paylist, store
from btxh.cli_paylist import paylist as paylist_command

COMMUNE = "00004"
NOW = "2026-11-20T08:00:00Z"
# name, birth year, category, monthly amount (names interleave in Vietnamese order: by given name)
PEOPLE = [
    ("Nguyễn Văn An", 2016, "K1", 1_250_000),
    ("Trần Thị Bích", 2017, "K3", 1_250_000),   # HIV, child
    ("Lê Thị Chi", 1988, "K4", 500_000),
    ("Phạm Văn Dũng", 1985, "K8", 750_000),     # HIV, adult
    ("Hoàng Văn Giang", 1979, "K6", 750_000),
    ("Vũ Thị Hoa", 1990, "K8", 750_000),        # HIV, adult
    ("Đỗ Văn Khang", 2015, "K1", 1_000_000),
    ("Ngô Thị Lan", 1992, "K6", 1_000_000),
]
SENSITIVE = {"K3", "K8"}


@pytest.fixture(scope="module")
def pay_path(reference_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("sec_paylist") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    village = db["villages"].insert({"commune_code": COMMUNE, "name": "Tổ dân phố 3", "kind": "Tổ dân phố",
                                     "valid_from": "2025-07-01"}).last_pk
    run = db["payroll_runs"].insert({"month": "2026-11", "scope": "01", "status": "closed",
                                     "rule_set": "national-2026", "created_at": NOW, "created_by": "t",
                                     "closed_at": NOW, "closed_by": "t"}).last_pk
    for name, year, category, amount in PEOPLE:
        pid = db["persons"].insert({"full_name": name, "sex": "nam", "birth_date": str(year),
                                    "birth_precision": "year", "birth_year": year, "commune_code": COMMUNE,
                                    "village_id": village, "created_at": NOW, "updated_at": NOW}).last_pk
        db["memberships"].insert({"person_id": pid, "commune_code": COMMUNE, "category": category,
                                  "valid_from": "2024-01-01", "hiv_positive": int(category in SENSITIVE),
                                  "disability_level": "NANG" if category == "K6" else None})
        db["ledger"].insert({"run_id": run, "person_id": pid, "commune_code": COMMUNE, "program": "TCXH",
                             "month": "2026-11", "kind": "thuong_xuyen", "due": amount, "paid": 0,
                             "basis": category, "reason": f"Diện {category}"})
    db.conn.close()
    return path


CATEGORY = {name: category for name, _, category, _ in PEOPLE}
VARYING = {1, 2, 3, 5, 6, 7, 8, 9}  # name, year, village, the four amounts, amount in words (0-based)


def _rows_csv(body: bytes):
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    # STT (column 0) is a running number: left out of the pattern like the varying columns
    return [(cells[1], tuple("" if i in VARYING or i == 0 else c for i, c in enumerate(cells)))
            for cells in lines]


def _rows_xlsx(body: bytes):
    ws = load_workbook(io.BytesIO(body)).active
    out = []
    for row in ws.iter_rows():
        if len(row) < 11 or row[1].value not in CATEGORY:
            continue
        pattern = tuple(("" if i in VARYING or i == 0 else c.value, c.font.b, c.font.i, c.number_format,
                         c.alignment.horizontal, c.fill.fgColor.rgb, c.border.left.style)
                        for i, c in enumerate(row))
        out.append((row[1].value, pattern + (ws.row_dimensions[row[0].row].height,)))
    return out


_TR = re.compile(r"<tr>\s*(<td.*?)</tr>", re.S)
_TD = re.compile(r"(<td[^>]*>)(.*?)(</td>)", re.S)


def _rows_html(body: bytes):
    out = []
    for tr in _TR.findall(body.decode("utf-8")):
        cells = _TD.findall(tr)
        if len(cells) != 11:
            continue
        name = cells[1][1]
        pattern = "".join(a + ("" if i in VARYING or i == 0 else b) + c for i, (a, b, c) in enumerate(cells))
        out.append((name, pattern))
    return out


PARSERS = {"csv": _rows_csv, "xlsx": _rows_xlsx, "html": _rows_html}


def _assert_hiv_rows_blend_in(rows):
    assert sorted(n for n, _ in rows) == sorted(CATEGORY), "every person is on the list"
    ordinary = {p for n, p in rows if CATEGORY[n] not in SENSITIVE}
    for name, pattern in rows:
        if CATEGORY[name] in SENSITIVE:
            assert pattern in ordinary, f"the line of {name} ({CATEGORY[name]}) differs from every other line"
    # the order is by village, then Vietnamese name order, whatever the category
    assert [n for n, _ in rows] == sorted((n for n, _ in rows), key=paylist.name_key)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_payment_list_lines_of_k3_k8_people_cannot_be_told_apart_from_other_lines(pay_path, fmt):
    db = store.open_db(pay_path)
    try:
        body = paylist.render(paylist.build(db, COMMUNE, "2026-11"), fmt)
    finally:
        db.conn.close()
    _assert_hiv_rows_blend_in(PARSERS[fmt](body))
    text = body.decode("utf-8-sig", errors="ignore") if fmt != "xlsx" else ""
    assert "Đối tượng bảo trợ xã hội khác" not in text


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html"])
def test_payment_list_file_written_by_the_cli_does_not_single_out_k3_k8(pay_path, tmp_path, fmt):
    out = tmp_path / f"ds.{fmt}"
    result = CliRunner().invoke(paylist_command, ["2026-11", "--commune", COMMUNE, "--format", fmt,
                                                  "-o", str(out), "--db", str(pay_path)])
    assert result.exit_code == 0, result.output
    _assert_hiv_rows_blend_in(PARSERS[fmt](out.read_bytes()))
