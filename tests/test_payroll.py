"""The monthly payroll: lines, arrears, recovery, funeral support, closing — on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from btxh import store
from btxh.payroll import run as payroll
from conftest import digest

COMMUNE = "00004"  # Phường Ba Đình, Hà Nội (province 01)
OTHER = "00097"    # Phường Hồng Hà, Hà Nội


def add_person(db, *, birth, category="K6", level="NANG", start="2024-01", stop=None, commune=COMMUNE,
               death=None, cause=None, valid_from="2022-01-01", valid_to=None, created="2020-01-01T00:00:00Z"):
    """One person with one membership and its grant decision; returns the person id."""
    pid = db["persons"].insert({
        "full_name": "Nguyễn Thị Thử", "sex": "nu", "birth_date": birth, "birth_year": int(birth[:4]),
        "birth_precision": {4: "year", 7: "month"}.get(len(birth), "day"), "commune_code": commune,
        "death_date": death, "death_cause": cause, "created_at": created, "updated_at": created}).last_pk
    mid = db["memberships"].insert({
        "person_id": pid, "commune_code": commune, "category": category, "valid_from": valid_from,
        "valid_to": valid_to, "disability_level": level if category == "K6" else None,
        "hiv_positive": 1 if category in ("K3", "K8") else 0}).last_pk
    decide(db, pid, mid, "grant", start=start, stop=stop, created=created, commune=commune)
    return pid


def decide(db, pid, mid, kind, *, start=None, stop=None, created="2020-01-01T00:00:00Z", commune=COMMUNE):
    db["decisions"].insert({
        "number": f"{pid}/QĐ-UBND", "kind": kind, "program": "TCXH", "person_id": pid, "membership_id": mid,
        "commune_code": commune, "signed_date": "2024-01-01", "signer_name": "Trần Văn Ký",
        "signer_title": "Chủ tịch UBND", "authority_level": "xa", "start_month": start, "stop_month": stop,
        "legal_basis": "Nghị định 20/2021/NĐ-CP", "created_at": created, "created_by": "test"})


def lines(db, run_id, **where):
    sql = "SELECT person_id, program, month, kind, due FROM ledger WHERE run_id = ?"
    params = [run_id]
    for key, value in where.items():
        sql += f" AND {key} = ?"
        params.append(value)
    return db.execute(sql + " ORDER BY person_id, month, kind", params).fetchall()




@pytest.fixture
def db(ref_db):
    ref_db.execute("DELETE FROM payroll_dirty")
    return ref_db


def open_ledger(db, month="2026-09"):
    """The first closed run: the ledger's opening month for every commune."""
    payroll.run(db, month)
    payroll.close(db, month)
    db.execute("DELETE FROM payroll_dirty")


@pytest.mark.parametrize("birth,category,level,month,amount,basis", [
    pytest.param("1970-01-10", "K6", "NANG", "2026-11", 750000, "K6", id="k6-nang-adult"),
    pytest.param("1970-01-10", "K6", "DBN", "2026-11", 1000000, "K6", id="k6-dbn-adult"),
    pytest.param("1946", "K5a", None, "2026-01", 1000000, "K5a", id="k5a-year-only-turns-80-in-january"),
    pytest.param("2021-06-15", "K1", None, "2025-05", 1250000, "K1", id="k1-under-4"),
    pytest.param("2021-06-15", "K1", None, "2025-06", 750000, "K1", id="k1-turns-4-in-june"),
    pytest.param("2010-03-20", "K1", None, "2026-03", 750000, "K1", id="k1-turns-16-paid-that-month"),
    pytest.param("1944-05-05", "K5b", None, "2024-05", 360000, "K5c", id="k5b-at-80-reports-k5c-base-360000"),
])
def test_regular_line_per_rules_md(db, birth, category, level, month, amount, basis):
    pid = add_person(db, birth=birth, category=category, level=level, start="2021-07")
    summary = payroll.run(db, month)
    assert lines(db, summary.run_id) == [(pid, "TCXH", month, "thuong_xuyen", amount)]
    assert db.execute("SELECT basis FROM ledger WHERE run_id = ?", [summary.run_id]).fetchone()[0] == basis


def test_k1_turning_16_is_not_paid_the_month_after(db):
    add_person(db, birth="2010-03-20", category="K1", start="2021-07")
    assert lines(db, payroll.run(db, "2026-04").run_id) == []


def test_rerunning_an_open_month_is_reproducible(db):
    for birth in ("1950-02-01", "1940", "1980-12-31"):
        add_person(db, birth=birth)
    first = lines(db, payroll.run(db, "2026-11").run_id)
    second_run = payroll.run(db, "2026-11")
    assert lines(db, second_run.run_id) == first
    assert db.execute("SELECT count(*) FROM payroll_runs").fetchone()[0] == 1


@pytest.mark.parametrize("month,communes,message", [
    pytest.param("2021-06", None, "trước tháng 2021-07", id="before-rule-set"),
    pytest.param("2026-13", None, "không hợp lệ", id="malformed-month"),
    pytest.param("2026-11", ["99999"], "99999", id="unknown-commune"),
])
def test_bad_run_refused_and_nothing_written(db, month, communes, message):
    add_person(db, birth="1950-01-01")
    path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
    before = digest(path)
    with pytest.raises(payroll.PayrollError, match=message):
        payroll.run(db, month, communes)
    assert digest(path) == before


def test_closed_month_cannot_be_rerun_or_changed(db):
    add_person(db, birth="1950-01-01")
    open_ledger(db, "2026-10")
    with pytest.raises(payroll.PayrollError, match="đã chốt"):
        payroll.run(db, "2026-10")
    import sqlite3
    with pytest.raises(sqlite3.IntegrityError, match="đã chốt"):
        db.execute("UPDATE ledger SET due = 1")
    with pytest.raises(sqlite3.IntegrityError, match="đã chốt"):
        db.execute("DELETE FROM ledger")


def test_an_open_month_blocks_the_next(db):
    add_person(db, birth="1950-01-01")
    payroll.run(db, "2026-10")
    with pytest.raises(payroll.PayrollError, match="chưa chốt"):
        payroll.run(db, "2026-11")


def test_retroactive_base_level_pays_arrears_from_the_opening(db):
    pid = add_person(db, birth="1970-01-10", category="K6", level="DBN")  # 2.0
    open_ledger(db, "2026-08")
    payroll.run(db, "2026-09")
    payroll.close(db, "2026-09")
    payroll.add_rate(db, from_month="2026-07", amount=540000, basis="thử")
    run = payroll.run(db, "2026-10")
    assert lines(db, run.run_id) == [
        (pid, "TCXH", "2026-08", "truy_linh", 80000),
        (pid, "TCXH", "2026-09", "truy_linh", 80000),
        (pid, "TCXH", "2026-10", "thuong_xuyen", 1080000),
    ]


def test_late_decision_pays_arrears_back_to_its_start_month(db):
    open_ledger(db, "2026-09")
    payroll.run(db, "2026-10")
    payroll.close(db, "2026-10")
    pid = add_person(db, birth="1970-01-10", category="K6", level="NANG", start="2026-08",
                     created="2026-11-05T00:00:00Z")
    run = payroll.run(db, "2026-11")
    assert lines(db, run.run_id) == [
        (pid, "TCXH", "2026-08", "truy_linh", 750000),
        (pid, "TCXH", "2026-09", "truy_linh", 750000),
        (pid, "TCXH", "2026-10", "truy_linh", 750000),
        (pid, "TCXH", "2026-11", "thuong_xuyen", 750000),
    ]


def test_death_reported_late_is_recovered_and_gets_funeral_support(db):
    pid = add_person(db, birth="1940-05-01", category="K5a")  # 80+: 2.0 → 1,000,000
    open_ledger(db, "2026-08")
    for month in ("2026-09", "2026-10"):
        payroll.run(db, month)
        payroll.close(db, month)
    db.execute("UPDATE persons SET death_date = '2026-08-20' WHERE id = ?", [pid])
    run = payroll.run(db, "2026-11")
    assert lines(db, run.run_id) == [
        (pid, "MAITANG", "2026-08", "mai_tang", 10000000),
        (pid, "TCXH", "2026-09", "truy_thu", -1000000),
        (pid, "TCXH", "2026-10", "truy_thu", -1000000),
    ]


def test_disaster_death_in_the_month_gets_50_times_the_base(db):
    pid = add_person(db, birth="1950-01-01", category="K6", death="2026-11-03", cause="thien_tai")
    run = payroll.run(db, "2026-11")
    assert lines(db, run.run_id) == [
        (pid, "MAITANG", "2026-11", "mai_tang", 25000000),
        (pid, "TCXH", "2026-11", "thuong_xuyen", 1000000),  # NANG, elderly band 2.0
    ]


def test_suspension_lifted_with_arrears(db):
    pid = add_person(db, birth="1970-01-10", category="K6", level="NANG", start="2026-01")
    mid = db.execute("SELECT id FROM memberships WHERE person_id = ?", [pid]).fetchone()[0]
    decide(db, pid, mid, "suspend", stop="2026-09")
    db.execute("DELETE FROM payroll_dirty")
    open_ledger(db, "2026-09")
    payroll.run(db, "2026-10")
    payroll.close(db, "2026-10")
    assert db.execute("SELECT count(*) FROM ledger WHERE person_id = ?", [pid]).fetchone()[0] == 0
    decide(db, pid, mid, "resume", start="2026-09", created="2026-11-02T00:00:00Z")
    run = payroll.run(db, "2026-11")
    assert lines(db, run.run_id) == [
        (pid, "TCXH", "2026-09", "truy_linh", 750000),
        (pid, "TCXH", "2026-10", "truy_linh", 750000),
        (pid, "TCXH", "2026-11", "thuong_xuyen", 750000),
    ]


def test_birth_date_correction_pays_the_difference(db):
    pid = add_person(db, birth="1967-01-01", category="K6", level="NANG")  # 58 → 1.5
    open_ledger(db, "2026-09")
    payroll.run(db, "2026-10")
    payroll.close(db, "2026-10")
    db.execute("UPDATE persons SET birth_date = '1966-01-01', birth_year = 1966 WHERE id = ?", [pid])  # still 60-
    db.execute("UPDATE persons SET birth_date = '1960-01-01', birth_year = 1960 WHERE id = ?", [pid])  # 66: 2.0
    run = payroll.run(db, "2026-11")
    assert lines(db, run.run_id) == [
        (pid, "TCXH", "2026-09", "truy_linh", 250000),
        (pid, "TCXH", "2026-10", "truy_linh", 250000),
        (pid, "TCXH", "2026-11", "thuong_xuyen", 1000000),
    ]


def test_scoped_run_only_touches_its_communes(db):
    a = add_person(db, birth="1950-01-01", commune=COMMUNE)
    add_person(db, birth="1950-01-01", commune=OTHER)
    run = payroll.run(db, "2026-11", [COMMUNE])
    assert [r[0] for r in lines(db, run.run_id)] == [a]


def test_social_pension_tie_keeps_tcxh(db):
    pid = add_person(db, birth="1940-01-01", category="K5c")  # 1.0 → 500,000 = HTXH 500,000: keeps TCXH
    db["social_pensions"].insert({"person_id": pid, "commune_code": COMMUNE, "from_month": "2025-07"})
    assert lines(db, payroll.run(db, "2026-11").run_id) == [(pid, "TCXH", "2026-11", "thuong_xuyen", 500000)]


def test_social_pension_higher_than_tcxh_is_paid_instead(db):
    pid = add_person(db, birth="1950-01-01", category="K8")  # 1.5 → 750,000 > 500,000: TCXH
    other = add_person(db, birth="1940-01-01", category="K5b", start="2021-07")  # 1.0 = HTXH: TCXH kept
    db.execute("UPDATE persons SET birth_date = '1944-01-01', birth_year = 1944 WHERE id = ?", [other])
    db["social_pensions"].insert({"person_id": pid, "commune_code": COMMUNE, "from_month": "2025-07"})
    payroll.add_rate(db, from_month="2026-01", amount=800000, basis="thử", program="HTXH")
    assert lines(db, payroll.run(db, "2026-11").run_id) == [
        (pid, "HTXH", "2026-11", "thuong_xuyen", 800000),
        (other, "TCXH", "2026-11", "thuong_xuyen", 500000),
    ]


def test_care_support_is_its_own_line(db):
    carer = add_person(db, birth="1980-01-01", category="K6", level="DBN")
    db["care_entitlements"].insert({"code": "C5", "carer_person_id": carer, "commune_code": COMMUNE,
                                    "valid_from": "2025-01-01"})
    run = payroll.run(db, "2026-11")
    assert lines(db, run.run_id, program="CSND") == [(carer, "CSND", "2026-11", "thuong_xuyen", 500000)]


def test_every_payroll_write_is_audited(db):
    add_person(db, birth="1950-01-01")
    payroll.run(db, "2026-11")
    payroll.close(db, "2026-11")
    payroll.add_rate(db, from_month="2027-01", amount=600000, basis="thử", province="01")
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'payroll%' OR action = 'rate_add'")]
    assert actions == ["payroll_run", "payroll_close", "rate_add"]


@pytest.mark.parametrize("kwargs,message", [
    pytest.param(dict(from_month="2026-7"), "--from", id="malformed-month"),
    pytest.param(dict(amount=0), "--amount", id="zero-amount"),
    pytest.param(dict(basis=" "), "--basis", id="no-legal-basis"),
    pytest.param(dict(province="99"), "--province", id="unknown-province"),
    pytest.param(dict(from_month="2024-07", amount=500000), "Đã có mức chuẩn", id="duplicate"),
])
def test_rates_add_refuses_bad_input(db, kwargs, message):
    args = dict(from_month="2026-07", amount=540000, basis="Nghị định 335/2026/NĐ-CP")
    args.update(kwargs)
    before = db.execute("SELECT count(*) FROM base_levels").fetchone()[0]
    with pytest.raises(payroll.PayrollError, match=message):
        payroll.add_rate(db, **args)
    assert db.execute("SELECT count(*) FROM base_levels").fetchone()[0] == before


def test_province_base_higher_than_national_is_used(db):
    pid = add_person(db, birth="1970-01-10", category="K6", level="NANG")
    payroll.add_rate(db, from_month="2026-01", amount=600000, basis="NQ HĐND thử", province="01")
    assert lines(db, payroll.run(db, "2026-11").run_id) == [(pid, "TCXH", "2026-11", "thuong_xuyen", 900000)]
    assert store.is_initialised(db)


def test_parallel_run_writes_the_same_lines(db, monkeypatch):
    """The national run shares the fast path between processes: same lines as in-process."""
    from btxh.payroll import parallel

    for i, birth in enumerate(("1950-01-01", "1940", "1980-12-31", "2015-06-01", "1930-02")):
        add_person(db, birth=birth, category=["K6", "K5a", "K6", "K1", "K5c"][i], commune=[COMMUNE, OTHER][i % 2])
    cells = ("SELECT commune_code, leaf, category, sex, persons, regular FROM report_cells WHERE run_id = ?"
             " ORDER BY 1, 2, 3, 4")
    run_id = payroll.run(db, "2026-11").run_id
    single, single_cells = lines(db, run_id), db.execute(cells, [run_id]).fetchall()
    monkeypatch.setattr(parallel, "MIN_PERSONS", 0)
    assert parallel.workers_for(db.conn, None) >= 1
    monkeypatch.setattr(parallel, "workers_for", lambda conn, scope: 2)
    run_id = payroll.run(db, "2026-11").run_id
    assert lines(db, run_id) == single
    assert db.execute(cells, [run_id]).fetchall() == single_cells and single_cells  # grouped by the workers
