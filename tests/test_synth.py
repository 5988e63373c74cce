"""bench/synth.py: the deterministic synthetic registry behind `btxh demo`."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from vn_ident import parse_cccd

from btxh import migrations, reference, store

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 1)
REGISTRY = ("villages", "area_flags", "households", "household_poverty", "persons", "memberships",
            "membership_children", "care_entitlements", "social_pensions", "decisions")


def _load_synth():
    # bench/ is not a package: load it by path, as `btxh demo` does
    spec = importlib.util.spec_from_file_location("btxh_bench_synth_test", ROOT / "bench" / "synth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _load_synth()


# -- databases ------------------------------------------------------------------


def _build(reference_db_path: Path, path: Path, **kwargs):
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    counts = synth.generate(db, **kwargs)
    return db, counts


@pytest.fixture(scope="module")
def commune_db(reference_db_path, tmp_path_factory):
    db, _ = _build(reference_db_path, tmp_path_factory.mktemp("synth") / "commune.db", scale="commune", seed=1)
    yield db
    db.conn.close()


@pytest.fixture(scope="module")
def province_db(reference_db_path, tmp_path_factory):
    written = []
    db, counts = _build(reference_db_path, tmp_path_factory.mktemp("synth") / "province.db",
                        scale="province", seed=3, progress=written.append)
    db.written, db.counts = written, counts
    yield db
    db.conn.close()


def _tiny_reference(path: Path):
    """Schema + code lists + four hand-made communes, and no old (pre-2025) units at all."""
    db = store.open_db(path)
    migrations.apply(db)
    for table, csv in (("programs", "programs.csv"), ("categories", "categories.csv"),
                       ("decision_kinds", "decision_kinds.csv")):
        db[table].insert_all(reference.read_rows(reference.DATA / csv))
    basis = "thử nghiệm"
    for code, name, short, type_ in (("08", "Tỉnh Tuyên Quang", "Tuyên Quang", "Tỉnh"),
                                     ("79", "Thành phố Hồ Chí Minh", "Hồ Chí Minh", "Thành phố")):
        db["provinces"].insert(dict(code=code, name=name, short_name=short, type=type_,
                                    valid_from="2025-07-01", legal_basis=basis))
    for code, province, short, type_ in (("02266", "08", "Lâm Bình", "Xã"), ("02290", "08", "Minh Xuân", "Phường"),
                                         ("26734", "79", "Sài Gòn", "Phường"), ("27004", "79", "Cần Giờ", "Xã")):
        db["communes"].insert(dict(code=code, province_code=province, name=f"{type_} {short}", short_name=short,
                                   type=type_, valid_from="2025-07-01", legal_basis=basis))
    return db


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    """Every commune of a tiny reference (national scale), without legacy units."""
    db = _tiny_reference(tmp_path_factory.mktemp("synth") / "tiny.db")
    synth.generate(db, scale="national", seed=5)
    yield db
    db.conn.close()


@pytest.fixture(params=["commune", "province", "tiny"])
def any_db(request):
    return request.getfixturevalue(f"{request.param}_db")


def rows(db, sql, params=()):
    return db.execute(sql, params).fetchall()


def one(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


# -- ages, as the rules define them (rules.md §3) --------------------------------


def birth_of(text: str) -> date:
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return date(*parts[:3])


def age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 2, 28)


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


LOWER = {"K2": 16, "K5a": 60, "K5d": 60, "K5b": 75, "K5c": 80}
UPPER = {"K1": 16, "K3": 16, "K2": 22, "K7": 3}


# -- integrity --------------------------------------------------------------------

SQL_CHECKS = {
    "membership-person-exists":
        "SELECT m.id FROM memberships m LEFT JOIN persons p ON p.id = m.person_id WHERE p.id IS NULL",
    "membership-commune-is-persons":
        "SELECT m.id FROM memberships m JOIN persons p ON p.id = m.person_id WHERE m.commune_code <> p.commune_code",
    "hiv-flag-iff-k3-k8":
        "SELECT id FROM memberships WHERE (category IN ('K3', 'K8')) <> (hiv_positive = 1)",
    "k6-has-level-and-certificate":
        "SELECT id FROM memberships WHERE category = 'K6'"
        " AND (disability_level IS NULL OR disability_cert_date IS NULL OR disability_cert_date > valid_from)",
    "k4-children": """
        SELECT mc.id FROM membership_children mc JOIN memberships m ON m.id = mc.membership_id
        LEFT JOIN persons c ON c.id = mc.child_person_id
        WHERE m.category <> 'K4' OR mc.commune_code <> m.commune_code OR c.id IS NULL
           OR c.commune_code <> m.commune_code OR c.birth_date <> mc.birth_date OR c.full_name <> mc.full_name""",
    "k4-has-children":
        "SELECT id FROM memberships WHERE category = 'K4'"
        " AND id NOT IN (SELECT membership_id FROM membership_children)",
    "decision-commune-exists":
        "SELECT d.id FROM decisions d LEFT JOIN communes c ON c.code = d.commune_code WHERE c.code IS NULL",
    "decision-person-exists":
        "SELECT d.id FROM decisions d LEFT JOIN persons p ON p.id = d.person_id WHERE p.id IS NULL",
    "tcxh-decision-is-about-its-member": """
        SELECT d.id FROM decisions d JOIN memberships m ON m.id = d.membership_id
        WHERE d.program = 'TCXH' AND m.person_id <> d.person_id""",
    "one-grant-per-membership": """
        SELECT m.id FROM memberships m LEFT JOIN decisions d
          ON d.membership_id = m.id AND d.kind = 'grant' AND d.program = 'TCXH'
        GROUP BY m.id HAVING count(d.id) <> 1""",
    "authority-by-signing-date":
        "SELECT id FROM decisions WHERE (signed_date < '2025-07-01') <> (authority_level = 'huyen')",
    "legacy-codes-only-before-july-2025":
        "SELECT id FROM decisions WHERE signed_date >= '2025-07-01'"
        " AND (legacy_commune_code IS NOT NULL OR legacy_district_code IS NOT NULL)",
    "legacy-codes-exist": """
        SELECT d.id FROM decisions d
        LEFT JOIN legacy_communes lc ON lc.code = d.legacy_commune_code
        LEFT JOIN legacy_districts ld ON ld.code = d.legacy_district_code
        WHERE (d.legacy_commune_code IS NOT NULL AND (lc.code IS NULL OR lc.district_code <> d.legacy_district_code))
           OR (d.legacy_district_code IS NOT NULL AND ld.code IS NULL)""",
    "nothing-after-today":
        "SELECT 'm' || id FROM memberships WHERE valid_from >= '2026-11-01' OR valid_to >= '2026-11-01'"
        " UNION ALL SELECT 'd' || id FROM decisions WHERE signed_date >= '2026-11-01'"
        " UNION ALL SELECT 'p' || id FROM persons WHERE death_date >= '2026-11-01'",
    "memberships-end-by-death": """
        SELECT m.id FROM memberships m JOIN persons p ON p.id = m.person_id
        WHERE p.death_date IS NOT NULL AND (m.valid_to IS NULL OR m.valid_to > p.death_date)""",
    "every-person-has-a-role": """
        SELECT id FROM persons WHERE id NOT IN (
            SELECT person_id FROM memberships UNION SELECT person_id FROM social_pensions
            UNION SELECT child_person_id FROM membership_children UNION SELECT carer_person_id FROM care_entitlements)""",
    "k5b-k7-only-in-dbkk-areas": """
        SELECT m.id FROM memberships m JOIN persons p ON p.id = m.person_id
        WHERE m.category IN ('K5b', 'K7')
          AND p.commune_code NOT IN (SELECT commune_code FROM area_flags WHERE flag = 'xa_dbkk')
          AND p.village_id NOT IN (SELECT village_id FROM area_flags WHERE flag = 'thon_dbkk')""",
    "poor-household-at-start": """
        SELECT m.id FROM memberships m JOIN persons p ON p.id = m.person_id
        WHERE m.category IN ('K3', 'K4', 'K5a', 'K5b', 'K5d', 'K7', 'K8') AND NOT EXISTS (
            SELECT 1 FROM household_poverty h WHERE h.household_id = p.household_id
              AND h.valid_from <= m.valid_from AND (h.valid_to IS NULL OR h.valid_to >= m.valid_from)
              AND (h.status = 'ngheo' OR m.category IN ('K4', 'K5b', 'K7')))""",
    "village-name-starts-with-kind":
        "SELECT id FROM villages WHERE substr(name, 1, length(kind) + 1) <> kind || ' '",
    "social-pension-from-july-2025":
        "SELECT id FROM social_pensions WHERE from_month < '2025-07' OR decision_number IS NULL"
        " OR decision_number NOT IN (SELECT number FROM decisions WHERE program = 'HTXH')",
    "care-commune-is-carers": """
        SELECT e.id FROM care_entitlements e JOIN persons c ON c.id = e.carer_person_id
        WHERE c.commune_code <> e.commune_code""",
}


@pytest.mark.parametrize("check", list(SQL_CHECKS))
def test_integrity(any_db, check):
    assert rows(any_db, SQL_CHECKS[check] + " LIMIT 5") == []


def test_ages_fit_the_category_at_valid_from(any_db):
    bad = []
    for mid, cat, born, valid_from, valid_to in rows(any_db, """
            SELECT m.id, m.category, p.birth_date, m.valid_from, m.valid_to
            FROM memberships m JOIN persons p ON p.id = m.person_id"""):
        b, start = birth_of(born), date.fromisoformat(valid_from)
        if b > start or age(b, start) < LOWER.get(cat, 0) or age(b, start) >= UPPER.get(cat, 999):
            bad.append((mid, cat, born, valid_from))
        if cat in UPPER:   # an upper bound ends the membership with the month of that birthday
            last = month_end(birthday(b, UPPER[cat]))
            if (valid_to is None and last < TODAY) or (valid_to and date.fromisoformat(valid_to) > last):
                bad.append((mid, cat, born, valid_to))
    assert bad == []


def test_care_ages(any_db):
    bad = []
    for eid, code, born, valid_from in rows(any_db, """
            SELECT e.id, e.code, p.birth_date, e.valid_from FROM care_entitlements e
            JOIN persons p ON p.id = e.cared_person_id JOIN memberships m ON m.person_id = p.id
            WHERE m.category = 'K1' AND e.code IN ('C1', 'C2')"""):
        # C1 under 4; C2 from the month of the 4th birthday (a band applies from that month)
        start = date.fromisoformat(valid_from)
        if (code == "C1" and age(birth_of(born), start) >= 4) or (
                code == "C2" and age(birth_of(born), month_end(start)) < 4):
            bad.append((eid, code, born, valid_from))
    assert bad == []


def test_social_pension_from_75(any_db):
    bad = [r for r in rows(any_db, """SELECT s.id, p.birth_date, s.from_month FROM social_pensions s
                                      JOIN persons p ON p.id = s.person_id""")
           if age(birth_of(r[1]), month_end(date.fromisoformat(r[2] + "-01"))) < 75]
    assert bad == []


def test_cccd_structure(any_db):
    bad = []
    for pid, cccd, sex, year, born in rows(any_db, "SELECT id, cccd, sex, birth_year, birth_date FROM persons"
                                                   " WHERE cccd IS NOT NULL"):
        card = parse_cccd(cccd)
        digit = (0 if year < 2000 else 2) + (sex == "nu")
        if (card is None or card.birth_year != year or cccd[3] != str(digit) or cccd[4:6] != f"{year % 100:02d}"
                or int(born[:4]) != year):
            bad.append((pid, cccd, sex, year))
    assert bad == []
    assert one(any_db, "SELECT count(*) FROM (SELECT cccd FROM persons WHERE cccd IS NOT NULL"
                       " GROUP BY cccd HAVING count(*) > 1)") == 0
    assert rows(any_db, "SELECT id FROM persons WHERE cmnd IS NOT NULL AND (cccd IS NOT NULL OR length(cmnd) <> 9)"
                        " LIMIT 5") == []


def test_names_and_phones(any_db):
    bad = [r for r in rows(any_db, "SELECT id, full_name, phone FROM persons")
           if unicodedata.normalize("NFC", r[1]) != r[1] or len(r[1].split()) < 2
           or (r[2] is not None and (len(r[2]) != 10 or r[2][:2] not in ("03", "05", "07", "08", "09")))]
    assert bad == []


def test_decisions_before_july_2025_carry_old_units(commune_db):
    # the real reference data maps every 2025 commune to its old communes
    assert rows(commune_db, "SELECT id FROM decisions WHERE authority_level = 'huyen'"
                            " AND (legacy_commune_code IS NULL OR signer_title NOT LIKE '%UBND huyện %'"
                            "  AND signer_title NOT LIKE '%UBND thành phố %' AND signer_title NOT LIKE '%UBND thị xã %'"
                            "  AND signer_title NOT LIKE '%UBND quận %') LIMIT 5") == []
    assert rows(commune_db, "SELECT id FROM decisions WHERE authority_level = 'xa'"
                            " AND signer_title NOT LIKE '%UBND xã %' LIMIT 5") == []


def test_without_old_units_decisions_name_the_district_level(tiny_db):
    assert one(tiny_db, "SELECT count(*) FROM decisions WHERE legacy_commune_code IS NOT NULL") == 0
    titles = {r[0] for r in rows(tiny_db, "SELECT DISTINCT signer_title FROM decisions WHERE authority_level = 'huyen'")}
    assert titles == {"Chủ tịch UBND cấp huyện", "Phó Chủ tịch UBND cấp huyện"}


# -- scales and the mix --------------------------------------------------------------


def beneficiaries(db) -> int:
    return one(db, "SELECT count(*) FROM (SELECT person_id FROM memberships UNION SELECT person_id FROM social_pensions)")


def test_commune_scale_is_one_commune(commune_db):
    communes = rows(commune_db, "SELECT DISTINCT commune_code FROM persons")
    assert len(communes) == 1
    assert one(commune_db, "SELECT province_code FROM communes WHERE code = ?", communes[0]) == "08"
    assert 270 <= beneficiaries(commune_db) <= 330


def test_province_scale_covers_the_province(province_db):
    used = {r[0] for r in rows(province_db, "SELECT DISTINCT commune_code FROM persons")}
    wanted = {r[0] for r in rows(province_db, "SELECT code FROM communes WHERE province_code = '08'")}
    assert used == wanted
    assert 19_000 <= beneficiaries(province_db) <= 21_000
    persons = one(province_db, "SELECT count(*) FROM persons")
    assert sum(province_db.written) == persons == province_db.counts["persons"]
    assert abs(persons - synth.expected_persons("province")) / persons < 0.1


def test_national_scale_sizes_each_commune(tiny_db):
    sizes = [r[0] for r in rows(tiny_db, "SELECT count(DISTINCT person_id) FROM (SELECT person_id, commune_code"
                                         " FROM memberships UNION SELECT person_id, commune_code FROM social_pensions)"
                                         " GROUP BY commune_code")]
    assert len(sizes) == 4
    assert all(synth.NATIONAL_MIN <= n <= synth.NATIONAL_MAX for n in sizes)


def share(db, where: str, of: str = "1") -> float:
    return one(db, f"SELECT avg(CASE WHEN {where} THEN 1.0 ELSE 0 END) FROM memberships WHERE {of}")


@pytest.mark.parametrize("where,of,lo,hi", [
    pytest.param("category IN ('K5a', 'K5b', 'K5c', 'K5d')", "1", 0.40, 0.70, id="elderly"),
    pytest.param("category = 'K6'", "1", 0.25, 0.42, id="disability"),
    pytest.param("disability_level = 'DBN'", "category = 'K6'", 0.15, 0.35, id="dbn-among-k6"),
    pytest.param("category IN ('K1', 'K2')", "1", 0.015, 0.05, id="orphans"),
    pytest.param("category = 'K4'", "1", 0.025, 0.06, id="single-parents"),
    pytest.param("category IN ('K3', 'K8')", "1", 0.003, 0.02, id="hiv"),
    pytest.param("category = 'K7'", "1", 0.002, 0.02, id="young-children-dbkk"),
    pytest.param("valid_to IS NULL", "1", 0.75, 0.95, id="still-open"),
])
def test_category_mix(province_db, where, of, lo, hi):
    assert lo <= share(province_db, where, of) <= hi


def test_k5c_is_the_largest_elderly_group(province_db):
    counts = dict(rows(province_db, "SELECT category, count(*) FROM memberships GROUP BY category"))
    assert counts["K5c"] == max(counts[c] for c in ("K5a", "K5b", "K5c", "K5d"))


@pytest.mark.parametrize("what,sql,lo,hi", [
    ("two-memberships", "SELECT avg(n > 1) FROM (SELECT count(DISTINCT category) n FROM memberships"
                        " WHERE category NOT IN ('K1', 'K2', 'K3') GROUP BY person_id)", 0.005, 0.08),
    ("deaths", "SELECT avg(death_date IS NOT NULL) FROM persons", 0.02, 0.12),
    ("elderly-year-only", "SELECT avg(birth_precision = 'year') FROM persons WHERE birth_year <= 1950", 0.12, 0.28),
    ("elderly-without-cccd", "SELECT avg(cccd IS NULL) FROM persons WHERE birth_year <= 1950", 0.05, 0.15),
    ("nguyen-among-kinh", "SELECT avg(full_name LIKE 'Nguyễn %') FROM persons WHERE ethnicity = 'Kinh'", 0.28, 0.48),
    ("persons-per-beneficiary", "SELECT (SELECT count(*) FROM persons) * 1.0 / (SELECT count(*) FROM"
                                " (SELECT person_id FROM memberships UNION SELECT person_id FROM social_pensions))",
     1.05, 1.35),
])
def test_population_shape(province_db, what, sql, lo, hi):
    assert lo <= one(province_db, sql) <= hi


# -- determinism and the API -----------------------------------------------------------


def digest(db) -> str:
    h = hashlib.sha256()
    for table in REGISTRY:
        for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid"):
            h.update(repr(row).encode())
    return h.hexdigest()


def test_same_seed_same_database_other_seed_other_data(commune_db, reference_db_path, tmp_path):
    again, _ = _build(reference_db_path, tmp_path / "again.db", scale="commune", seed=1)
    other, _ = _build(reference_db_path, tmp_path / "other.db", scale="commune", seed=2)
    assert digest(again) == digest(commune_db)
    assert digest(other) != digest(commune_db)


def test_counts_match_the_tables_and_settings_are_restored(tiny_db, tmp_path):
    db = _tiny_reference(tmp_path / "tiny-again.db")
    counts = synth.generate(db, scale="national", seed=5)
    assert counts == {t: one(db, f"SELECT count(*) FROM {t}") for t in REGISTRY}
    assert digest(db) == digest(tiny_db)
    assert one(db, "PRAGMA foreign_keys") == 1
    assert rows(db, "PRAGMA foreign_key_check") == []
    db.conn.close()


def test_worker_processes_do_not_change_the_result(tiny_db, tmp_path):
    db = _tiny_reference(tmp_path / "tiny-forked.db")
    synth.generate(db, scale="national", seed=5, processes=2, chunk_communes=1)
    assert digest(db) == digest(tiny_db)
    db.conn.close()


@pytest.mark.parametrize("given,expected", [(None, "08"), ("79", "79")], ids=["default-tuyen-quang", "explicit"])
def test_pick_province(tiny_db, given, expected):
    assert synth.pick_province(tiny_db, given) == expected


@pytest.mark.parametrize("filled,kwargs,message", [
    (False, {"scale": "province", "province": "99"}, "99"),
    (False, {"scale": "region"}, "region"),
    (True, {"scale": "commune"}, "đã có dữ liệu"),
], ids=["unknown-province", "unknown-scale", "registry-not-empty"])
def test_refuses(tiny_db, tmp_path, filled, kwargs, message):
    db = tiny_db if filled else _tiny_reference(tmp_path / "empty.db")
    with pytest.raises(ValueError, match=message):
        synth.generate(db, **kwargs)


def test_expected_persons_per_scale():
    assert [synth.expected_persons(s) for s in ("commune", "province", "national")] == sorted(
        synth.expected_persons(s) for s in synth.SCALES)
    assert 3_500_000 <= synth.expected_persons("national") <= 4_500_000
