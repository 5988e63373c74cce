"""Reference data: the 2025 units, the old ones, the mapping, the rates."""

import pytest

from btxh import reference


def one(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


def test_34_provinces_and_3321_communes(ref_db):
    assert one(ref_db, "SELECT count(*) FROM provinces") == 34
    assert one(ref_db, "SELECT count(*) FROM communes") == 3321
    assert one(ref_db, "SELECT count(*) FROM communes WHERE valid_from = '2025-07-01'") == 3321


def test_commune_types(ref_db):
    types = dict(ref_db.execute("SELECT type, count(*) FROM communes GROUP BY type").fetchall())
    assert set(types) == {"Xã", "Phường", "Đặc khu"}
    assert types["Đặc khu"] == 13


@pytest.mark.parametrize("code,name", [
    ("01", "Thành phố Hà Nội"), ("08", "Tỉnh Tuyên Quang"), ("31", "Thành phố Hải Phòng"),
    ("48", "Thành phố Đà Nẵng"), ("79", "Thành phố Hồ Chí Minh"), ("04", "Tỉnh Cao Bằng"),
])
def test_known_province_codes(ref_db, code, name):
    assert one(ref_db, "SELECT name FROM provinces WHERE code = ?", [code]) == name


@pytest.mark.parametrize("code,name,province", [
    ("00004", "Phường Ba Đình", "01"), ("00097", "Phường Hồng Hà", "01"),
])
def test_known_commune_codes(ref_db, code, name, province):
    row = ref_db.execute("SELECT name, province_code FROM communes WHERE code = ?", [code]).fetchone()
    assert row == (name, province)


def test_legacy_units(ref_db):
    assert one(ref_db, "SELECT count(*) FROM legacy_provinces") == 63
    assert one(ref_db, "SELECT count(*) FROM legacy_districts") == 696
    assert one(ref_db, "SELECT count(*) FROM legacy_communes") > 10000
    assert one(ref_db, "SELECT count(*) FROM legacy_communes WHERE valid_to <> '2025-06-30'") == 0


def test_every_old_commune_maps_to_exactly_one_primary_new_commune(ref_db):
    assert one(ref_db, """
        SELECT count(*) FROM legacy_communes l
        WHERE (SELECT count(*) FROM commune_succession s
               WHERE s.legacy_commune_code = l.code AND s.is_primary = 1) <> 1""") == 0


def test_every_old_province_maps_to_a_new_one(ref_db):
    assert one(ref_db, """SELECT count(*) FROM legacy_provinces l
                          LEFT JOIN province_succession s ON s.legacy_province_code = l.code
                          WHERE s.province_code IS NULL""") == 0


@pytest.mark.parametrize("old,new", [("02", "08"), ("30", "31"), ("49", "48"), ("74", "79"), ("77", "79")])
def test_known_province_mergers(ref_db, old, new):
    assert one(ref_db, "SELECT province_code FROM province_succession WHERE legacy_province_code = ?", [old]) == new


@pytest.mark.parametrize("old,new", [("00001", "00097"), ("00004", "00004")])
def test_known_commune_mergers(ref_db, old, new):
    assert one(ref_db, "SELECT commune_code FROM commune_succession WHERE legacy_commune_code = ? AND is_primary = 1", [old]) == new


def test_old_commune_mapped_to_a_commune_of_the_successor_province(ref_db):
    assert one(ref_db, """
        SELECT count(*) FROM commune_succession s
        JOIN legacy_communes l ON l.code = s.legacy_commune_code
        JOIN province_succession ps ON ps.legacy_province_code = l.province_code
        JOIN communes c ON c.code = s.commune_code
        WHERE c.province_code <> ps.province_code""") == 0


def test_foreign_keys_hold(ref_db):
    assert ref_db.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize("valid_from,amount", [("2014-01-01", 270000), ("2021-07-01", 360000), ("2024-07-01", 500000)])
def test_national_base_levels(ref_db, valid_from, amount):
    assert one(ref_db, "SELECT amount FROM base_levels WHERE program='TCXH' AND jurisdiction='VN' AND valid_from=?", [valid_from]) == amount


def test_unverified_540000_is_not_shipped(ref_db):
    assert one(ref_db, "SELECT count(*) FROM base_levels WHERE amount = 540000") == 0


@pytest.mark.parametrize("category,level,min_age,tenths", [
    ("K1", None, 0, 25), ("K1", None, 4, 15), ("K2", None, 16, 15), ("K3", None, 0, 25), ("K3", None, 4, 20),
    ("K4", None, 0, 10), ("K5a", None, 60, 15), ("K5a", None, 80, 20), ("K5b", None, 75, 10),
    ("K5c", None, 80, 10), ("K5d", None, 60, 30), ("K6", "DBN", 0, 25), ("K6", "DBN", 16, 20),
    ("K6", "DBN", 60, 25), ("K6", "NANG", 0, 20), ("K6", "NANG", 16, 15), ("K6", "NANG", 60, 20),
    ("K7", None, 0, 15), ("K8", None, 0, 15), ("C1", None, 0, 25), ("C2", None, 0, 15), ("C3", None, 0, 15),
    ("C4", None, 0, 20), ("C5", None, 0, 10), ("C6", None, 0, 15), ("C7", None, 0, 25),
])
def test_coefficients_match_rules_md(ref_db, category, level, min_age, tenths):
    assert one(ref_db, "SELECT tenths FROM coefficients WHERE category=? AND level IS ? AND min_age=?",
               [category, level, min_age]) == tenths


def test_hiv_categories_are_sensitive_and_publicly_neutral(ref_db):
    rows = ref_db.execute("SELECT code, sensitive, public_label FROM categories WHERE code IN ('K3','K8')").fetchall()
    assert all(r[1] == 1 and "HIV" not in r[2] for r in rows)


def test_reload_is_idempotent_and_keeps_added_base_levels(ref_db):
    ref_db.execute("INSERT INTO base_levels (program, jurisdiction, valid_from, amount, legal_basis, added_at, added_by)"
                   " VALUES ('TCXH', 'VN', '2026-07-01', 540000, 'thử', 'x', 'x')")
    before = {t: one(ref_db, f"SELECT count(*) FROM {t}") for t in ("communes", "commune_succession", "coefficients")}
    reference.load(ref_db)
    assert {t: one(ref_db, f"SELECT count(*) FROM {t}") for t in before} == before
    assert one(ref_db, "SELECT count(*) FROM base_levels WHERE amount = 540000") == 1
