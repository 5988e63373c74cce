"""The analysts'/province 10a showed per-commune HIV counts of 2 unsuppressed.

Report summaries are planted by hand: in province 12, commune X has 2 people with HIV (K8)
and commune Y 13; province 46 has 3 (a small count at province level); province 11 has 20.
The attacker (province staff of 12, an analyst) reads form 10a and the budget estimate in
every format and solves the linear system of every published cell (each row is the sum of
its leaves): an HIV count is leaked if it is published or follows from published cells by
additions and subtractions — within one report, or across the country report and the
reports of every province. The admin and the commune officer of X see exact figures; the
CLI export is exact with a warning, and hides like the pages with --an-toan.
"""

import asyncio
import csv
import io
import json
import shutil
from fractions import Fraction

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from btxh import store, users
from btxh.disclosure import fold_leaf
from btxh.reports import forms
from btxh.reports.cli import export
from conftest import PASSWORD, login_all, start_datasette

MONTH, PERIOD, NOW = "2026-11", "2026-H2", "2026-11-25T08:00:00Z"
HIV_ROWS = {"I.3.1", "I.3.2", "I.3.3"}
FORM = forms.FORM_10A


def _communes(db, province, n):
    return [r[0] for r in db.execute("SELECT code FROM communes WHERE province_code = ? ORDER BY code LIMIT ?",
                                     [province, n])]


# (province, commune index) → [(leaf, category, sex, persons)]
PLANTED = {
    ("12", 0): [("I.3.3", "K8", "nam", 1), ("I.3.3", "K8", "nu", 1), ("I.6.2.b", "K6", "nam", 10),
                ("I.5.1", "K5a", "nu", 12), ("I.1.b", "K1", "nam", 6), ("I.2", "K2", "nu", 7)],
    ("12", 1): [("I.3.3", "K8", "nam", 7), ("I.3.3", "K8", "nu", 6), ("I.5.1", "K5a", "nam", 20)],
    ("46", 0): [("I.3.3", "K8", "nam", 3), ("I.6.2.b", "K6", "nu", 15), ("I.4", "K4", "nu", 9)],
    ("11", 0): [("I.3.3", "K8", "nam", 10), ("I.3.3", "K8", "nu", 10), ("I.5.1", "K5a", "nam", 30)],
}


@pytest.fixture(scope="module")
def site(reference_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("sec_reports") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    run = db["payroll_runs"].insert({"month": MONTH, "scope": "all", "status": "closed", "rule_set": "national-2026",
                                     "created_at": NOW, "created_by": "t", "closed_at": NOW,
                                     "closed_by": "t"}).last_pk
    db["report_runs"].insert({"run_id": run, "month": MONTH, "summarised_at": NOW})
    db["report_budget_runs"].insert({"run_id": run, "month": MONTH, "computed_at": NOW})
    codes = {}
    for (province, i), cells in PLANTED.items():
        code = _communes(db, province, 2)[i]
        codes[(province, i)] = code
        for leaf, category, sex, persons in cells:
            db["report_cells"].insert({"run_id": run, "month": MONTH, "commune_code": code, "leaf": leaf,
                                       "category": category, "sex": sex, "persons": persons,
                                       "regular": persons * 750_000, "arrears": 0, "recovery": 0, "funeral": 0})
        for category in {c for _, c, _, _ in cells}:
            n = sum(p for _, c, _, p in cells if c == category)
            for m in range(1, 13):
                db["report_budget"].insert({"run_id": run, "commune_code": code, "program": "TCXH",
                                            "category": category, "month": f"2027-{m:02d}", "persons": n,
                                            "tenths": 15 * n, "base": 500_000})
    x = codes[("12", 0)]
    for name, role, communes, province in [("o_xa", "can_bo_xa", [x], None), ("o_tinh", "tinh", [], "12"),
                                           ("o_pt", "phan_tich", [], None), ("o_qt", "quan_tri", [], None)]:
        users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes, province=province)
    db.conn.close()
    ds = start_datasette(path)
    return {"path": path, "ds": ds, "x": x, "y": codes[("12", 1)],
            "cookies": login_all(ds, ["o_xa", "o_tinh", "o_pt", "o_qt"])}


def get(site, who, url):
    response = asyncio.run(site["ds"].client.get(url, cookies=site["cookies"][who]))
    assert response.status_code == 200, (url, response.text[:300])
    return response


# -- the attacker's arithmetic ---------------------------------------------------------------

LEAVES = sorted({leaf for line in FORM.lines for leaf in line.leaves})
# The unknowns: people per leaf, the HIV leaves split by category (a fold moves K3 and K8
# people of the same leaf to different rows: btxh.disclosure.fold_leaf)
RAW = [(leaf, "") for leaf in LEAVES if leaf not in HIV_ROWS] + [
    ("I.3.1", "K3"), ("I.3.1", "K8"), ("I.3.2", "K3"), ("I.3.2", "K8"), ("I.3.3", "K8")]


def _number(text):
    if isinstance(text, (int, float)):
        return Fraction(text)
    try:
        return Fraction(str(text).replace(".", "").replace(",", "."))
    except ValueError:
        return None  # «dưới 5», «không công bố», empty


def equations(unit, cells):
    """One equation per published people cell: Σ x[unit, leaf, category] over the unknowns a
    reader who may not know HIV status finds in the row (its leaves, K3/K8 folded in: ADR 013)
    = value. ``cells`` maps a row's index in the form to its published total (text or number)."""
    out = []
    for i, value in cells.items():
        v = _number(value)
        leaves = set(FORM.lines[i].leaves)
        if v is not None and leaves:
            out.append(({(u, leaf, cat): 1 for u in unit for leaf, cat in RAW if fold_leaf(leaf, cat) in leaves}, v))
    return out


def determined(eqs, target) -> bool:
    """Whether Σ target follows from the equations (target in the row space: Gaussian elimination)."""
    rows = [dict(coeffs) for coeffs, _ in eqs]
    pivots = []
    for row in rows:
        for var, prow in pivots:
            if row.get(var):
                f = Fraction(row[var], prow[var])
                for k, c in prow.items():
                    row[k] = row.get(k, 0) - f * c
        row = {k: c for k, c in row.items() if c}
        if row:
            pivots.append((next(iter(row)), row))
    t = dict(target)
    for var, prow in pivots:
        if t.get(var):
            f = Fraction(t[var], prow[var])
            for k, c in prow.items():
                t[k] = t.get(k, 0) - f * c
    return not any(c for c in t.values())


def hiv_target(unit):
    return {(unit, leaf, cat): 1 for leaf, cat in RAW if cat}


def json_cells(body):
    return {i: row["total"] for i, row in enumerate(body["rows"])}


def csv_cells(content):
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
    return {i: row[2] for i, row in enumerate(rows)}


def xlsx_cells(content):
    ws = load_workbook(io.BytesIO(content)).active
    rows = [r for r in ws.iter_rows(values_only=True) if r[1] in {line.label for line in FORM.lines}]
    labels = [r[1] for r in rows]
    assert labels == [line.label for line in FORM.lines]
    return {i: r[2] for i, r in enumerate(rows)}


def html_cells(text):
    import re
    rows = re.findall(r'<tr class="l\d"><td class="c">[^<]*</td><td class="l\d">[^<]*</td>\s*<td class="[^"]*">([^<]*)</td>', text)
    assert len(rows) == len(FORM.lines)
    return dict(enumerate(rows))


def _report(site, who, fmt, **args):
    query = "&".join(f"{k}={v}" for k, v in {"period": PERIOD, **args}.items())
    response = get(site, who, f"/-/btxh/bao-cao/10a{'' if fmt == 'html' else '.' + fmt}?{query}")
    return {"json": lambda r: json_cells(r.json()), "csv": lambda r: csv_cells(r.content),
            "xlsx": lambda r: xlsx_cells(r.content), "html": lambda r: html_cells(r.text)}[fmt](response)


# -- the attacks -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["html", "json", "csv", "xlsx"])
@pytest.mark.parametrize("who", ["o_tinh", "o_pt"])
def test_commune_hiv_count_of_2_cannot_be_read_or_derived_from_a_communes_10a(site, who, fmt):
    cells = _report(site, who, fmt, commune=site["x"])
    assert not determined(equations([site["x"]], cells), hiv_target(site["x"]))


@pytest.mark.parametrize("who", ["o_tinh", "o_pt"])
def test_a_large_commune_hiv_count_is_hidden_too(site, who):
    cells = _report(site, who, "json", commune=site["y"])
    assert not determined(equations([site["y"]], cells), hiv_target(site["y"]))


def test_province_hiv_count_of_3_cannot_be_derived_from_the_country_minus_the_other_provinces(site):
    eqs = equations([p for (p,) in _provinces(site)], _report(site, "o_pt", "json"))
    for (p,) in _provinces(site):
        eqs += equations([p], _report(site, "o_pt", "json", province=p))
    assert not determined(eqs, hiv_target("46"))
    # folded like the door's figures, no level publishes K3/K8 apart, however many they are
    assert not determined(eqs, hiv_target("11"))


def _provinces(site):
    db = store.open_db(site["path"])
    try:
        return db.execute("SELECT code FROM provinces ORDER BY code").fetchall()
    finally:
        db.conn.close()


@pytest.mark.parametrize("who", ["o_xa", "o_qt"])
def test_those_who_may_know_see_the_exact_count(site, who):
    cells = _report(site, who, "json", commune=site["x"])
    three = next(i for i, line in enumerate(FORM.lines) if line.stt == "3")
    assert cells[three] == 2


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
@pytest.mark.parametrize("who", ["o_tinh", "o_pt"])
def test_budget_estimate_does_not_give_a_communes_k8_count(site, who, fmt):
    suffix = "" if fmt == "html" else "." + fmt
    response = get(site, who, f"/-/btxh/bao-cao/du-toan{suffix}?period={PERIOD}&commune={site['x']}")
    # K8 is folded into «K4+K8» (as at the door), whose money is hidden (its coefficient
    # would tell K8 from K4) and with it the total: Σ of the others would give it back
    if fmt == "json":
        rows = response.json()["rows"]
        assert not {"K3", "K8"} & {r["category"] for r in rows}
        folded = next(r for r in rows if r["category"] == "K4+K8")
        assert isinstance(folded["current"], str) and isinstance(folded["expected"], str)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert not {"K3", "K8"} & {r["Diện"] for r in rows}
        folded = next(r for r in rows if r["Diện"] == "K4+K8")
        assert "không công bố" in folded.values()
    else:
        assert "không công bố" in response.text and ">K8<" not in response.text


def test_cli_export_is_exact_and_says_so_and_hides_with_an_toan(site, tmp_path):
    runner = CliRunner()
    args = ["10a", "--period", PERIOD, "--commune", site["x"], "--db", str(site["path"])]
    exact = runner.invoke(export, args)
    assert exact.exit_code == 0 and "HIV" in exact.stderr
    assert csv_cells(exact.stdout_bytes)[[l.stt for l in FORM.lines].index("3")] == "2"
    safe = runner.invoke(export, [*args, "--an-toan"])
    assert safe.exit_code == 0 and "HIV" not in safe.stderr
    assert not determined(equations([site["x"]], csv_cells(safe.stdout_bytes)), hiv_target(site["x"]))
