"""A demo copy with canary rows in three communes (A and B of one province, C of another) and
one account per role, shared by the guard's finding tests and its property test."""

from __future__ import annotations

import shutil

from btxh import store, users
from conftest import login_all, start_datasette

ACCOUNTS = {  # username → (role, commune key or None, province key or None)
    "g_xa_a": ("can_bo_xa", "A", None), "g_xa_b": ("can_bo_xa", "B", None),
    "g_tinh": ("tinh", None, "A"), "g_pt": ("phan_tich", None, None), "g_qt": ("quan_tri", None, None),
}


def marker(commune: str, what: str) -> str:
    return f"CANARY{commune}{what}Q"


def _plant(db, key: str, commune: str, n: int) -> dict:
    """One household, person, K8 membership (HIV), decision and audit row in ``commune``."""
    now = "2026-01-01T00:00:00"
    cccd = f"0990000000{n:02d}"
    household = db.execute(
        "INSERT INTO households (commune_code, head_name, created_at) VALUES (?, ?, ?)",
        [commune, marker(key, "HEAD"), now]).lastrowid
    person = db.execute(
        "INSERT INTO persons (full_name, sex, birth_date, birth_precision, birth_year, cccd, household_id,"
        " commune_code, created_at, updated_at) VALUES (?, 'nu', '1980', 'year', 1980, ?, ?, ?, ?, ?)",
        [marker(key, "NAME"), cccd, household, commune, now, now]).lastrowid
    membership = db.execute(
        "INSERT INTO memberships (person_id, commune_code, category, valid_from, hiv_positive, note)"
        " VALUES (?, ?, 'K8', '2025-01-01', 1, ?)", [person, commune, marker(key, "HIV")]).lastrowid
    decision = db.execute(
        "INSERT INTO decisions (number, kind, person_id, membership_id, commune_code, signed_date, signer_name,"
        " signer_title, authority_level, start_month, legal_basis, reason, created_at, created_by)"
        " VALUES ('1/QĐ', (SELECT code FROM decision_kinds LIMIT 1), ?, ?, ?, '2025-01-01', 'x', 'x', 'xa',"
        " '2025-01', 'ND 20', ?, ?, 'test')", [person, membership, commune, marker(key, "DEC"), now]).lastrowid
    audit = db.execute(
        "INSERT INTO audit_log (at, actor, action, table_name, row_id, commune_code, before, after)"
        " VALUES (?, 'test', 'person_add', 'persons', ?, ?, NULL, ?)",
        [now, person, commune, marker(key, "AUDIT")]).lastrowid
    return {"person": person, "household": household, "membership": membership, "decision": decision,
            "audit": audit, "cccd": cccd}


def build(folder, demo_db_path) -> dict:
    path = folder / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    a = db.execute("SELECT commune_code FROM persons GROUP BY commune_code ORDER BY count(*) DESC").fetchone()[0]
    province = db.execute("SELECT province_code FROM communes WHERE code = ?", [a]).fetchone()[0]
    b = db.execute("SELECT code FROM communes WHERE province_code = ? AND code <> ? ORDER BY code LIMIT 1",
                   [province, a]).fetchone()[0]
    c = db.execute("SELECT code FROM communes WHERE province_code <> ? ORDER BY code LIMIT 1", [province]).fetchone()[0]
    codes = {"A": a, "B": b, "C": c}
    with db.conn:
        rows = {key: _plant(db, key, code, n) for n, (key, code) in enumerate(codes.items())}
    for name, (role, commune, prov) in ACCOUNTS.items():
        users.add_user(db, username=name, role=role, password=__import__("conftest").PASSWORD,
                       communes=[codes[commune]] if commune else [], province=province if prov else None)
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "path": path, "codes": codes, "rows": rows, "province": province,
            "cookies": {"anon": {}, **login_all(ds, ACCOUNTS)}}
