"""Periodic reports (forms 10a–10d): rows from the ledger, consistency with the ledger,
canned queries on an empty database and on the demo, exports, scoping, audited inputs."""

import asyncio
import csv
import io
import re
import shutil
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from btxh import cli, migrations, store, users
from btxh.payroll import run as payroll
from btxh.reports import build, forms, periods, summary
from btxh.scoping import Scope
from conftest import PASSWORD, login_all, start_datasette

PERIODS = ("2026-H2", "2026", "2026-09", "2026-10", "2026-11")
QUERIES = ("bieu_mau_10", "so_doi_tuong_theo_thang", "tang_giam_doi_tuong", "truy_linh_mai_tang",
           "tong_chi_tra_theo_thang", "du_toan_nam_sau")
PAID = ("thuong_xuyen", "truy_linh", "mai_tang")


@pytest.fixture(scope="session")
def reports_path(tmp_path_factory, reference_db_path):
    """The commune-scale demo with three payroll months (09, 10 closed; 11 open) and accounts."""
    path = tmp_path_factory.mktemp("reports") / "btxh.db"
    shutil.copy(reference_db_path, path)
    cli.build_demo(str(path), scale="commune", seed=1, province=None, force=False, echo=lambda *_: None,
                   payroll_until="2026-11")
    db = store.open_db(path)
    commune, province = db.execute(
        "SELECT p.commune_code, c.province_code FROM persons p JOIN communes c ON c.code = p.commune_code"
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()
    other = "01" if province != "01" else "08"
    for name, role, communes, prov in [("r_xa", "can_bo_xa", [commune], None), ("r_tinh", "tinh", [], province),
                                       ("r_khac", "tinh", [], other), ("r_pt", "phan_tich", [], None),
                                       ("r_qt", "quan_tri", [], None)]:
        users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes, province=prov)
    db.conn.close()
    return path, commune, province


@pytest.fixture(scope="session")
def rds(reports_path):
    path, commune, province = reports_path
    ds = start_datasette(path)
    return {"ds": ds, "commune": commune, "province": province,
            "cookies": login_all(ds, ["r_xa", "r_tinh", "r_khac", "r_pt", "r_qt"])}


def get(ds, path, cookies=None):
    return asyncio.run(ds.client.get(path, cookies=cookies))


# -- pure parts ----------------------------------------------------------------------

@pytest.mark.parametrize("program,category,level,band,poor,leaf", [
    ("TCXH", "K1", None, 0, False, "I.1.a"),
    ("TCXH", "K1", None, 1, False, "I.1.b"),
    ("TCXH", "K3", None, 1, False, "I.3.2"),
    ("TCXH", "K8", None, 2, False, "I.3.3"),
    ("TCXH", "K4", None, 2, False, "I.4"),          # K4+K6 pairs: basis starts with K4
    ("TCXH", "K5c", None, 3, True, "I.5.2.n"),
    ("TCXH", "K5c", None, 3, False, "I.5.2.k"),
    ("TCXH", "K6", "DBN", 0, False, "I.6.1.a"),
    ("TCXH", "K6", "DBN", 1, False, "I.6.1.a"),     # under 16 either band
    ("TCXH", "K6", "NANG", 2, False, "I.6.2.b"),
    ("TCXH", "K6", "NANG", 3, False, "I.6.2.c"),    # from the 60th birthday (domain Q14)
    ("TCXH", "K5b", None, 3, False, "I.7.1"),
    ("TCXH", "K7", None, 0, False, "I.7.2"),
    ("TCXH", "HN75", None, 3, False, "I.7.3"),      # a province's own category
    ("CSND", "C1", None, 0, False, "II.1.a"),
    ("CSND", "C2", None, 1, False, "II.1.b"),
    ("CSND", "C2", None, 3, False, "II.3"),         # carer of a K5d elderly person
    ("CSND", "C5", None, 3, False, "II.2.c"),
    ("CSND", "C4", None, 2, False, "II.4"),
    ("MAITANG", "MAITANG", None, 3, False, "IV"),
    ("HTXH", "HTXH", None, 3, False, "V"),
], ids=lambda v: str(v))
def test_ledger_line_lands_in_its_10a_row(program, category, level, band, poor, leaf):
    assert forms.leaf_for(program, category, level, band, poor) == leaf
    assert leaf in forms.FORM_10A.registry_leaves


def test_every_10a_leaf_is_in_the_total_row_once():
    total = forms.FORM_10A.lines[-1]
    assert total.label == "TỔNG CỘNG" and len(total.leaves) == len(set(total.leaves))
    assert set(total.leaves) == forms.FORM_10A.registry_leaves | set(forms.FORM_10A.inputs)


@pytest.mark.parametrize("code,first,last,inputs", [
    ("2026-H1", "2026-01", "2026-06", True),
    ("2026-h2", "2026-07", "2026-12", True),
    ("2026", "2026-01", "2026-12", True),
    ("2026-11", "2026-11", "2026-11", False),
], ids=["first-half", "second-half-lowercase", "year", "one-month"])
def test_period_codes(code, first, last, inputs):
    p = periods.parse(code)
    assert (p.first, p.last, p.takes_inputs) == (first, last, inputs)


@pytest.mark.parametrize("code", ["2026-H3", "26-H1", "2026-13", "", "2026/11"],
                         ids=["no-third-half", "short-year", "month-13", "empty", "slash"])
def test_bad_period_is_refused_in_vietnamese(code):
    with pytest.raises(periods.ReportError, match="Kỳ báo cáo"):
        periods.parse(code)


@pytest.mark.parametrize("dong,million", [(541_000_000, "541.000"), (1_500, "0.002"), (1_499, "0.001"),
                                          (0, "0.000"), (250_000, "0.250")],
                         ids=["whole", "half-up", "below-half", "zero", "quarter"])
def test_million_dong_rounds_half_up_to_the_thousand(dong, million):
    assert periods.million(dong) == Decimal(million)


# -- consistency with the ledger -----------------------------------------------------

def _ledger(db, months, communes=None):
    """What the ledger says, read directly: the run paying each commune and month."""
    where = "" if communes is None else f" AND l.commune_code IN ({','.join('?' * len(communes))})"
    lines = store.rows(db, f"""
        WITH best AS (SELECT r.id, r.month, l.commune_code, row_number() OVER (
                        PARTITION BY r.month, l.commune_code
                        ORDER BY r.status = 'closed' DESC, r.created_at DESC, r.id DESC) AS rn
                      FROM payroll_runs r JOIN (SELECT DISTINCT run_id, commune_code FROM ledger) l ON l.run_id = r.id)
        SELECT l.*, b.month AS run_month, p.sex FROM ledger l JOIN persons p ON p.id = l.person_id
        JOIN best b ON b.id = l.run_id AND b.commune_code = l.commune_code AND b.rn = 1
        WHERE b.month IN ({','.join('?' * len(months))}){where}""", [*months, *(communes or [])])
    return lines


@pytest.mark.parametrize("period", PERIODS)
def test_10a_totals_equal_the_ledger_for_the_same_people_and_months(reports_path, period):
    path, _, _ = reports_path
    db = store.open_db(path)
    p = periods.parse(period)
    fig = build.figures(db, p, build.where_for(db, Scope(everything=True)))
    rows = {r.label: r for r in build.rows(forms.FORM_10A, fig)}
    lines = _ledger(db, p.months)
    assert lines, "the demo has payroll lines in every tested period"
    paid = [l for l in lines if l["kind"] in PAID]
    assert rows["TỔNG CỘNG"].amount == sum(l["due"] for l in paid)
    section_i = rows["Trợ cấp xã hội hằng tháng"]
    assert section_i.amount == sum(l["due"] for l in paid if l["program"] == "TCXH")
    snapshot = [l for l in lines if l["run_month"] == fig.snapshot]
    tcxh_people = {l["person_id"] for l in snapshot if l["program"] == "TCXH" and l["kind"] == "thuong_xuyen"}
    assert section_i.total == len(tcxh_people)
    assert section_i.male == len({l["person_id"] for l in snapshot if l["program"] == "TCXH"
                                  and l["kind"] == "thuong_xuyen" and l["sex"] == "nam"})
    assert rows["Hỗ trợ chi phí mai táng"].amount == sum(l["due"] for l in paid if l["kind"] == "mai_tang")
    assert fig.recovery == -sum(l["due"] for l in lines if l["kind"] == "truy_thu")
    for r in build.rows(forms.FORM_10A, fig):
        assert r.male + r.female == r.total, r.label
    db.conn.close()


def test_10a_of_one_commune_equals_its_ledger(province_ds, tmp_path):
    path = province_ds["ds"].databases["btxh"].path
    db = store.open_db(path)
    for code in (province_ds["a"], province_ds["b"]):
        fig = build.figures(db, periods.parse("2026-11"), build.where_for(db, Scope(everything=True), None, code))
        total = build.rows(forms.FORM_10A, fig)[-1]
        lines = _ledger(db, ["2026-11"], [code])
        assert total.amount == sum(l["due"] for l in lines if l["kind"] in PAID) > 0
    db.conn.close()


@pytest.fixture
def demo_copy(reports_path, tmp_path):
    """A copy of the demo with three payroll months, for a test that writes."""
    path = tmp_path / "btxh.db"
    shutil.copy(reports_path[0], path)
    db = store.open_db(path)
    yield db
    db.conn.close()


def test_rerunning_an_open_month_replaces_its_summary(demo_copy):
    db = demo_copy
    db.execute("UPDATE persons SET sex = CASE sex WHEN 'nam' THEN 'nu' ELSE 'nam' END"
               " WHERE id IN (SELECT person_id FROM ledger WHERE month = '2026-11' LIMIT 5)")
    payroll.run(db, "2026-11")
    assert db.execute("SELECT count(*) FROM report_cells WHERE run_id NOT IN (SELECT id FROM payroll_runs)"
                      ).fetchone()[0] == 0
    fig = build.figures(db, periods.parse("2026-11"), build.where_for(db, Scope(everything=True)))
    total = build.rows(forms.FORM_10A, fig)[-1]
    lines = _ledger(db, ["2026-11"])
    assert total.amount == sum(l["due"] for l in lines if l["kind"] in PAID)
    people = [l for l in lines if l["kind"] in ("thuong_xuyen", "mai_tang") and l["program"] != "CSND"]
    carers = sum(v for (leaf, sex), v in fig.persons.items() if leaf.startswith("II."))
    assert total.total == len(people) + carers
    assert total.male == sum(v for (leaf, sex), v in fig.persons.items() if sex == "nam")


def test_a_run_without_summary_is_refused_not_shown_short(demo_copy):
    db = demo_copy
    db.execute("DELETE FROM report_runs WHERE month = '2026-10'")
    with pytest.raises(periods.ReportError, match="btxh report rebuild"):
        build.figures(db, periods.parse("2026-H2"), build.where_for(db, Scope(everything=True)))
    summary.rebuild(db)
    assert build.figures(db, periods.parse("2026-H2"), build.where_for(db, Scope(everything=True))).total_money > 0


def test_layout_tables_match_the_forms(reports_path):
    db = store.open_db(reports_path[0])
    for form in forms.FORMS.values():
        stored = db.execute("SELECT stt, label FROM report_lines WHERE form = ? ORDER BY ord", [form.code]).fetchall()
        assert stored == [(l.stt, l.label) for l in form.lines]
    db.conn.close()


# -- canned queries ------------------------------------------------------------------

@pytest.fixture(scope="session")
def empty_ds(tmp_path_factory, reference_db_path):
    path = tmp_path_factory.mktemp("empty-reports") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    users.add_user(db, username="e_pt", role="phan_tich", password=PASSWORD)
    db.conn.close()
    ds = start_datasette(path)
    return ds, login_all(ds, ["e_pt"])["e_pt"]


@pytest.mark.parametrize("name", QUERIES)
@pytest.mark.parametrize("ext", ["json", "csv"])
def test_every_canned_query_runs_on_an_empty_database(empty_ds, name, ext):
    ds, cookie = empty_ds
    response = get(ds, f"/phan_tich/{name}.{ext}?form=10a&period=2026-H2", cookie)
    assert response.status_code == 200, response.text[:500]
    if ext == "json":
        body = response.json()
        assert body["ok"] and not body["truncated"]
        if name == "bieu_mau_10":
            assert len(body["rows"]) == len(forms.FORM_10A.lines)


@pytest.mark.parametrize("name", QUERIES)
@pytest.mark.parametrize("period", ["2026-H2", "2026-11", "2026"])
def test_every_canned_query_runs_on_the_demo(rds, name, period):
    response = get(rds["ds"], f"/phan_tich/{name}.json?_shape=objects&form=10c&period={period}"
                   f"&province={rds['province']}", rds["cookies"]["r_pt"])
    body = response.json()
    assert response.status_code == 200 and body["ok"] and not body["truncated"], body
    if name not in ("truy_linh_mai_tang", "tang_giam_doi_tuong"):
        assert body["rows"], name


_FOLDED = {"I.1.a", "I.1.b", "I.3.1", "I.3.2", "I.3.3", "I.4"}


@pytest.mark.parametrize("form", sorted(forms.FORMS))
@pytest.mark.parametrize("scope", ["national", "province", "commune"])
def test_canned_query_gives_the_same_rows_as_the_page(rds, form, scope):
    args = {"national": "", "province": f"&province={rds['province']}", "commune": f"&commune={rds['commune']}"}[scope]
    cookie = rds["cookies"]["r_pt"]
    query = get(rds["ds"], f"/phan_tich/bieu_mau_10.json?_shape=objects&form={form}&period=2026-H2{args}", cookie).json()
    # the admin's page: exact figures (an analyst's page hides cells that could be HIV counts)
    page = get(rds["ds"], f"/-/btxh/bao-cao/{form}.json?period=2026-H2{args}", rds["cookies"]["r_qt"]).json()
    assert [r["so_tt"] for r in query["rows"]] == [r["stt"] for r in page["rows"]]
    # The door folds K3 into line 1 and K8 into line 4 and hides cells (ADR 008/013): only
    # unsuppressed cells of lines the folding leaves whole are compared to the page
    compared = 0
    for q, p in zip(query["rows"], page["rows"]):
        line = forms.FORMS[form].lines[q["thu_tu"] - 1]
        leaves = set(line.leaves)
        if leaves & _FOLDED and not _FOLDED <= leaves:
            continue
        if q["kinh_phi_dong"] is not None:
            assert q["kinh_phi_dong"] == p["amount"], p["label"]
            compared += 1
        if line.measure == "persons" and q["tong_so"] is not None:
            assert (q["tong_so"], q["nam"], q["nu"]) == (p["total"], p["male"], p["female"]), p["label"]
            compared += 1
    assert compared
    if form == "10a" and scope != "commune":  # folded, not lost: lines 1 + 4 = page lines 1 + 3 + 4
        rows, lines = query["rows"], page["rows"]
        assert (rows[4]["so_tt"], rows[4]["tong_so"], rows[4]["kinh_phi_dong"]) == ("3", None, None)
        assert rows[1]["tong_so"] + rows[8]["tong_so"] == sum(lines[i]["total"] for i in (1, 4, 8))


def test_budget_query_equals_the_budget_page(rds):
    cookie = rds["cookies"]["r_pt"]
    query = get(rds["ds"], "/phan_tich/du_toan_nam_sau.json?_shape=objects&period=2026-H2&muc_chuan_moi=540000",
                cookie).json()["rows"]
    page = get(rds["ds"], "/-/btxh/bao-cao/du-toan.json?period=2026-H2&new_base=540000", rds["cookies"]["r_qt"]).json()
    assert page["year"] == 2027
    # the door folds K3 into «K1+K3» and K8 into «K4+K8» and gives no money for them (ADR 013)
    fold = {"K1": "K1+K3", "K3": "K1+K3", "K4": "K4+K8", "K8": "K4+K8"}
    expected = {}
    for r in page["rows"]:
        key = (r["program"], fold.get(r["category"], r["category"]))
        persons, current, new = expected.get(key, (0, 0, 0))
        expected[key] = (persons + r["persons_first"], current + r["current"], new + r["expected"])
    expected = {k: (n, None, None) if k[1] in ("K1+K3", "K4+K8") else (n, c, e) for k, (n, c, e) in expected.items()}
    assert {(r["che_do"], r["dien"]): (r["so_nguoi_thang_1"], r["kinh_phi_muc_hien_hanh_dong"],
                                       r["kinh_phi_muc_du_kien_dong"]) for r in query} == expected
    # the base rises from 500,000 to 540,000: every TCXH/CSND amount by 8 %, HTXH unchanged
    for r in page["rows"]:
        assert r["expected"] == (r["current"] if r["program"] == "HTXH" else r["current"] * 54 // 50)


def test_budget_projects_age_steps_and_known_stops(ref_db):
    """Projected at the close, not by the run. A K1 child turning 4 in March 2027 drops from 2.5 to 1.5; a K7 child turning 3 in May
    2027 is paid through May; a K6 adult with a stop decision from 2027-07 stops then."""
    db = ref_db
    now = "2026-11-01T00:00:00Z"
    people = [("a", "nu", "2023-03-10", "K1", None), ("b", "nam", "2024-05-02", "K7", None),
              ("c", "nam", "1980-01-01", "K6", "NANG")]
    for name, sex, birth, category, level in people:
        pid = db["persons"].insert({"full_name": name, "sex": sex, "birth_date": birth, "birth_precision": "day",
                                    "birth_year": int(birth[:4]), "commune_code": "00004",
                                    "created_at": now, "updated_at": now}).last_pk
        mid = db["memberships"].insert({"person_id": pid, "commune_code": "00004", "category": category,
                                        "valid_from": "2026-01-01", "disability_level": level}).last_pk
        db["decisions"].insert({"number": f"{pid}/QĐ", "kind": "grant", "person_id": pid, "membership_id": mid,
                                "commune_code": "00004", "signed_date": "2026-01-05", "signer_name": "x",
                                "signer_title": "Chủ tịch", "authority_level": "xa", "start_month": "2026-01",
                                "stop_month": "2027-07" if name == "c" else None, "legal_basis": "ND 20",
                                "created_at": now, "created_by": "test"})
    run_id = payroll.run(db, "2026-11").run_id
    assert db.execute("SELECT count(*) FROM report_budget").fetchone()[0] == 0  # not the run's work
    payroll.close(db, "2026-11")
    assert db.execute("SELECT run_id FROM report_budget_runs").fetchall() == [(run_id,)]
    budget = {(c, m): (n, t) for c, m, n, t in db.execute(
        "SELECT category, month, persons, tenths FROM report_budget")}
    assert budget[("K1", "2027-02")] == (1, 25) and budget[("K1", "2027-03")] == (1, 15)
    assert budget[("K7", "2027-05")] == (1, 15) and budget[("K7", "2027-06")] == (0, 0)
    assert budget[("K6", "2027-06")] == (1, 15) and budget[("K6", "2027-07")] == (0, 0)


@pytest.mark.parametrize("period,snapshot", [
    ("2026-H2", "2026-10"),   # 2026-11 is open: it may still be re-run
    ("2026-11", "2026-10"),   # a month with only an open run: the last closed month before it
    ("2026-09", "2026-09"),
    ("2026", "2026-10"),
], ids=["half-with-open-month", "open-month", "closed-month", "year"])
def test_budget_comes_from_the_last_closed_month(rds, period, snapshot):
    cookie = rds["cookies"]["r_pt"]
    query = get(rds["ds"], f"/phan_tich/du_toan_nam_sau.json?_shape=objects&period={period}&muc_chuan_moi=",
                cookie).json()["rows"]
    assert query and {r["thang_co_so"] for r in query} == {snapshot}
    db = store.open_db(rds["ds"].databases["btxh"].path)
    where = build.where_for(db, Scope(everything=True))
    assert build.budget_snapshot(db, periods.parse(period), where) == snapshot
    run_id = db.execute("SELECT id FROM payroll_runs WHERE month = ?", [snapshot]).fetchone()[0]
    january = db.execute("SELECT sum(persons) FROM report_budget WHERE run_id = ? AND month = '2027-01'",
                         [run_id]).fetchone()[0]
    year, rows = build.budget(db, periods.parse(period), where)
    assert year == 2027 and sum(r.persons_first for r in rows) == january > 0
    db.conn.close()


def test_closed_run_without_its_budget_is_refused_not_shown_short(demo_copy):
    db = demo_copy
    db.execute("DELETE FROM report_budget_runs WHERE month = '2026-10'")
    where = build.where_for(db, Scope(everything=True))
    with pytest.raises(periods.ReportError, match="btxh report rebuild"):
        build.budget(db, periods.parse("2026-H2"), where)
    before = db.execute("SELECT count(*), sum(tenths) FROM report_budget").fetchone()
    summary.rebuild(db)
    assert db.execute("SELECT count(*), sum(tenths) FROM report_budget").fetchone() == before
    assert db.execute("SELECT month FROM report_budget_runs ORDER BY 1").fetchall() == [("2026-09",), ("2026-10",)]
    assert build.budget(db, periods.parse("2026-H2"), where)[1]


@pytest.mark.parametrize("month", ["2026-09", "2026-11"], ids=["closed", "open-with-arrears"])
def test_cells_are_the_same_whether_looked_up_per_person_or_scanned(demo_copy, month, monkeypatch):
    """A national run scans memberships, poverty and care once; a scoped run looks up its
    people: both must give the same cells."""
    db = demo_copy
    run_id = db.execute("SELECT id FROM payroll_runs WHERE month = ?", [month]).fetchone()[0]
    cells = {}
    for whole in (True, False):
        monkeypatch.setattr(summary, "_is_whole", lambda conn, run_id: whole)
        with db.atomic():
            summary.summarise_run(db, None, run_id)
        cells[whole] = db.execute("SELECT * FROM report_cells WHERE run_id = ? ORDER BY 1, 2, 3, 4, 5, 6",
                                  [run_id]).fetchall()
    assert cells[True] == cells[False] and cells[True]
    assert {leaf for _, _, _, leaf, *_ in cells[True]} >= {"I.5.2.n", "I.5.2.k", "II.3", "V"}


def test_cells_of_a_parallel_run_equal_those_of_one_process(demo_copy, monkeypatch):
    """A national run's workers group its regular lines and the run scans only its arrears
    and funerals: the cells must be those of one process scanning every line."""
    from btxh.payroll import parallel

    db = demo_copy
    payroll.add_rate(db, from_month="2026-10", amount=600000, basis="NĐ thử")  # arrears for everyone
    with db.atomic():  # a death reported late: a recovery and a funeral
        db.execute("UPDATE persons SET death_date = '2026-09-05' WHERE id = (SELECT min(person_id) FROM ledger"
                   " WHERE month = '2026-10' AND program = 'TCXH')")

    def cells():
        run_id = payroll.run(db, "2026-11").run_id
        kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM ledger WHERE run_id = ?", [run_id])}
        rows = db.execute("SELECT month, commune_code, leaf, category, sex, persons, regular, arrears, recovery,"
                          " funeral FROM report_cells WHERE run_id = ? ORDER BY 1, 2, 3, 4, 5", [run_id]).fetchall()
        return kinds, rows

    kinds, single = cells()
    assert kinds >= {"thuong_xuyen", "truy_linh", "truy_thu", "mai_tang"} and single
    monkeypatch.setattr(parallel, "workers_for", lambda conn, scope: 2)
    partials = []
    real = summary.summarise_run
    monkeypatch.setattr(summary, "summarise_run", lambda db, engine, run_id, first_line=None, partial=None: (
        partials.append(partial), real(db, engine, run_id, first_line, partial))[1])
    assert cells() == (kinds, single)
    assert partials[0] and partials[0][1]  # the workers grouped the regular lines


# -- pages, exports, access ----------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/-/btxh/bao-cao", "/-/btxh/bao-cao/10a?period=2026-H2", "/-/btxh/bao-cao/10a.csv?period=2026-H2",
    "/-/btxh/bao-cao/10a.xlsx?period=2026-H2", "/-/btxh/bao-cao/10d.json?period=2026-H2",
    "/-/btxh/bao-cao/du-toan?period=2026-H2", "/-/btxh/bao-cao/10a/nhap?period=2026-H2",
    "/phan_tich/bieu_mau_10.json?form=10a&period=2026-H2", "/btxh/report_cells.json",
], ids=["index", "page", "csv", "xlsx", "json", "budget", "entry", "canned-query", "summary-table"])
def test_anonymous_sees_nothing(rds, path):
    assert get(rds["ds"], path).status_code == 403


@pytest.mark.parametrize("who", ["r_xa", "r_tinh", "r_khac"])
@pytest.mark.parametrize("name", QUERIES)
def test_scoped_staff_get_no_canned_query(rds, who, name):
    for db in ("phan_tich", "btxh"):
        response = get(rds["ds"], f"/{db}/{name}.json?period=2026-H2&form=10a", rds["cookies"][who])
        assert response.status_code in (403, 404), (db, response.text[:200])


def test_commune_officer_sees_only_their_commune(province_ds):
    ds, ck, a, b = province_ds["ds"], province_ds["cookies"]["s_xa_a"], province_ds["a"], province_ds["b"]
    mine = get(ds, "/-/btxh/bao-cao/10a.json?period=2026-11", ck).json()
    explicit = get(ds, f"/-/btxh/bao-cao/10a.json?period=2026-11&commune={a}", ck).json()
    assert mine["rows"] == explicit["rows"] and mine["rows"][-1]["amount"] > 0
    for args in (f"&commune={b}", "&province=08", "&province=01"):
        response = get(ds, f"/-/btxh/bao-cao/10a.json?period=2026-11{args}", ck)
        if response.status_code == 200:  # a province asked for: only their own commune in it
            assert response.json()["rows"] == mine["rows"], args
        else:
            assert response.status_code == 400 and "không được xem" in response.json()["error"], args
    assert get(ds, f"/-/btxh/bao-cao/10a.xlsx?period=2026-11&commune={b}", ck).status_code == 400
    assert get(ds, f"/btxh/report_cells.json?_shape=array&_size=max", ck).json()
    assert {r["commune_code"] for r in get(ds, "/btxh/report_cells.json?_shape=array&_size=max", ck).json()} == {a}


FOLDING_ROWS = {"Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng", "Trong đó: dưới 4 tuổi",
                "Người đơn thân nghèo đang nuôi con"}


def test_province_staff_see_their_province_only(province_ds):
    ds = province_ds["ds"]
    own = get(ds, "/-/btxh/bao-cao/10a.json?period=2026-11", province_ds["cookies"]["s_tinh"]).json()
    everything = get(ds, "/-/btxh/bao-cao/10a.json?period=2026-11&province=08", province_ds["cookies"]["s_qt"]).json()
    assert len(own["rows"]) == len(everything["rows"])
    for mine, exact in zip(own["rows"], everything["rows"]):
        # equal but where HIV cells are hidden, or K3/K8 people are folded into K1's and K4's
        # rows (ADR 013, "Across surfaces"): those count more people, the sums the same
        assert (mine == exact or isinstance(mine["total"], str)
                or (mine["label"] in FOLDING_ROWS and mine["total"] > exact["total"])), mine["label"]
        if mine["stt"] == "I" or mine["label"] == "TỔNG CỘNG":
            assert mine["total"] == exact["total"], mine["label"]
    other = get(ds, "/-/btxh/bao-cao/10a.json?period=2026-11&province=08", province_ds["cookies"]["s_tinh_khac"])
    assert other.status_code == 400
    theirs = get(ds, "/-/btxh/bao-cao/10a.json?period=2026-11", province_ds["cookies"]["s_tinh_khac"]).json()
    assert theirs["rows"][-1]["amount"] == 0


def test_xlsx_has_the_official_header_merged_and_number_formats(rds):
    response = get(rds["ds"], "/-/btxh/bao-cao/10a.xlsx?period=2026-H2", rds["cookies"]["r_qt"])
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    assert "SỐ LIỆU KẾT QUẢ THỰC HIỆN TRỢ GIÚP XÃ HỘI THƯỜNG XUYÊN" in cells and "Mẫu số 10a" in cells
    head = cells["Trong đó"]
    assert any(str(r).startswith(f"D{head.row}:E{head.row}") for r in ws.merged_cells.ranges)
    assert any(str(r) == f"A{head.row}:A{head.row + 1}" for r in ws.merged_cells.ranges)  # Số TT spans both
    assert ws.cell(head.row + 1, 4).value == "Nam (Người)" and ws.cell(head.row + 1, 5).value == "Nữ (Người)"
    first = ws.cell(head.row + 3, 2)
    assert first.value == "Trợ cấp xã hội hằng tháng"
    assert ws.cell(first.row, 3).number_format == "#,##0" and ws.cell(first.row, 6).number_format == "#,##0.000"


def test_csv_keeps_exact_dong_beside_million(rds):
    response = get(rds["ds"], "/-/btxh/bao-cao/10a.csv?period=2026-H2", rds["cookies"]["r_qt"])
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(forms.FORM_10A.columns) + ["Kinh phí (đồng)"]
    total = rows[-1]
    assert total[1] == "TỔNG CỘNG" and Decimal(total[5]) == periods.million(int(total[6])) and int(total[6]) > 0


# -- staff inputs --------------------------------------------------------------------

def _post(ds, path, cookies, data):
    async def go():
        page = await ds.client.get(path, cookies=cookies)
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
        return await ds.client.post(path, data={**data, "csrftoken": token},
                                    cookies={**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]})
    return asyncio.run(go())


@pytest.mark.parametrize("data,message", [
    ({"III.1|total": "abc"}, "Tổng số ở dòng 1 «Trẻ em» phải là số nguyên không âm"),
    ({"III.1|amount": "1,5"}, "Kinh phí (đồng) ở dòng 1 «Trẻ em» phải là số nguyên"),
    ({"III.4|total": "5", "III.4|male": "2", "III.4|female": "2"}, "Tổng số ở dòng 4 «Người cao tuổi» (5) phải bằng Nam + Nữ"),
    ({"III.6|male": "-1"}, "Nam ở dòng 6 «Đối tượng cần bảo vệ khẩn cấp» phải là số nguyên không âm"),
], ids=["letters", "decimal-money", "sexes-do-not-add-up", "negative"])
def test_bad_input_is_refused_naming_the_field(rds, data, message):
    path = f"/-/btxh/bao-cao/10a/nhap?period=2026-H2&commune={rds['commune']}"
    response = _post(rds["ds"], path, rds["cookies"]["r_xa"], data)
    assert response.status_code == 400 and message in response.text


def test_input_is_saved_audited_and_reported(rds):
    ds, ck, commune = rds["ds"], rds["cookies"]["r_xa"], rds["commune"]
    path = f"/-/btxh/bao-cao/10a/nhap?period=2026-H1&commune={commune}"
    assert _post(ds, path, ck, {"III.4|male": "3", "III.4|female": "4", "III.4|amount": "12.600.000"}).status_code == 200
    assert _post(ds, path, ck, {"III.4|male": "3", "III.4|female": "5", "III.4|amount": "14400000"}).status_code == 200
    page = get(ds, f"/-/btxh/bao-cao/10a.json?period=2026-H1&commune={commune}", ck).json()
    row = next(r for r in page["rows"] if r["label"] == "Người cao tuổi" and r["stt"] == "4")
    assert (row["total"], row["male"], row["female"], row["amount"]) == (8, 3, 5, 14_400_000)
    db = store.open_db(rds["ds"].databases["btxh"].path)
    audit = store.rows(db, "SELECT * FROM audit_log WHERE table_name = 'report_inputs' ORDER BY id")
    assert [a["action"] for a in audit[-2:]] == ["report_input_add", "report_input_update"]
    assert audit[-1]["actor"] == "r_xa" and '"female": 4' in audit[-1]["before"] and '"female": 5' in audit[-1]["after"]
    assert audit[-1]["commune_code"] == commune
    db.conn.close()
    # the province's figure includes the commune's; another province's does not
    prov = get(ds, f"/-/btxh/bao-cao/10a.json?period=2026-H1&province={rds['province']}", rds["cookies"]["r_tinh"]).json()
    assert next(r for r in prov["rows"] if r["label"] == "Người cao tuổi" and r["stt"] == "4")["total"] == 8


def test_inputs_are_refused_outside_scope_and_to_analysts(rds):
    ds = rds["ds"]
    assert get(ds, f"/-/btxh/bao-cao/10c/nhap?period=2026-H2&commune={rds['commune']}",
               rds["cookies"]["r_pt"]).status_code == 403
    assert get(ds, f"/-/btxh/bao-cao/10c/nhap?period=2026-H2&commune={rds['commune']}",
               rds["cookies"]["r_khac"]).status_code == 400
    assert get(ds, f"/-/btxh/bao-cao/10c/nhap?period=2026-H2&province={rds['province']}",
               rds["cookies"]["r_xa"]).status_code == 400
    assert get(ds, "/-/btxh/bao-cao/10c/nhap?period=2026-11&commune=" + rds["commune"],
               rds["cookies"]["r_xa"]).status_code == 400
