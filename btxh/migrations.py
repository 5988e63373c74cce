"""Schema history of btxh.db (sqlite_utils.Migrations).

Rules of the house:

* Never edit a migration that has shipped; add a new one.
* Every table that holds a fact with a life in time carries ``valid_from``/``valid_to``
  (inclusive ISO dates) or month columns (``YYYY-MM``).
* Every table a commune officer may reach carries ``commune_code`` (a 2025 commune) so
  that row-level scoping is one predicate (see docs/decisions/004-access.md).
* Money is INTEGER đồng, coefficients INTEGER tenths.

The DDL is plain SQL so that CHECK constraints, partial indexes and triggers are visible
in one place and in Datasette's schema view.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("btxh")

_DIGITS12 = "[0-9]" * 12
_DIGITS9 = "[0-9]" * 9

REFERENCE_DDL = """
-- Administrative units in force from 2025-07-01 (two levels, Decision 19/2025/QĐ-TTg)
CREATE TABLE provinces (
    code TEXT PRIMARY KEY CHECK (length(code) = 2),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    type TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    legal_basis TEXT NOT NULL
);
CREATE TABLE communes (
    code TEXT PRIMARY KEY CHECK (length(code) = 5),
    province_code TEXT NOT NULL REFERENCES provinces(code),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Xã', 'Phường', 'Đặc khu')),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    legal_basis TEXT NOT NULL
);
CREATE INDEX idx_communes_province ON communes(province_code, name);

-- Administrative units before 2025-07-01 (three levels)
CREATE TABLE legacy_provinces (
    code TEXT PRIMARY KEY CHECK (length(code) = 2),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    type TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT NOT NULL
);
CREATE TABLE legacy_districts (
    code TEXT PRIMARY KEY CHECK (length(code) = 3),
    province_code TEXT NOT NULL REFERENCES legacy_provinces(code),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    type TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT NOT NULL
);
CREATE INDEX idx_legacy_districts_province ON legacy_districts(province_code);
CREATE TABLE legacy_communes (
    code TEXT PRIMARY KEY CHECK (length(code) = 5),
    district_code TEXT NOT NULL REFERENCES legacy_districts(code),
    province_code TEXT NOT NULL REFERENCES legacy_provinces(code),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    type TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT NOT NULL
);
CREATE INDEX idx_legacy_communes_district ON legacy_communes(district_code);
CREATE TABLE province_succession (
    legacy_province_code TEXT PRIMARY KEY REFERENCES legacy_provinces(code),
    province_code TEXT NOT NULL REFERENCES provinces(code),
    effective_date TEXT NOT NULL
);
-- old commune -> new commune; an old commune divided between several new ones has
-- several rows, exactly one of them primary (used when nothing better is known)
CREATE TABLE commune_succession (
    legacy_commune_code TEXT NOT NULL REFERENCES legacy_communes(code),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    effective_date TEXT NOT NULL,
    PRIMARY KEY (legacy_commune_code, commune_code)
);
CREATE INDEX idx_commune_succession_new ON commune_succession(commune_code);
CREATE UNIQUE INDEX idx_commune_succession_primary
    ON commune_succession(legacy_commune_code) WHERE is_primary = 1;

-- Villages (thôn, bản, ấp, tổ dân phố) of a 2025 commune
CREATE TABLE villages (
    id INTEGER PRIMARY KEY,
    commune_code TEXT NOT NULL REFERENCES communes(code),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('Thôn', 'Bản', 'Ấp', 'Tổ dân phố', 'Khu phố')),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    UNIQUE (commune_code, name)
);

-- Extremely difficult ethnic-minority / mountain areas (K5b, K7), with validity
CREATE TABLE area_flags (
    id INTEGER PRIMARY KEY,
    commune_code TEXT REFERENCES communes(code),
    village_id INTEGER REFERENCES villages(id),
    flag TEXT NOT NULL CHECK (flag IN ('xa_dbkk', 'thon_dbkk')),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    legal_basis TEXT NOT NULL,
    CHECK ((commune_code IS NULL) <> (village_id IS NULL)),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX idx_area_flags_commune ON area_flags(commune_code, valid_from);
CREATE INDEX idx_area_flags_village ON area_flags(village_id, valid_from);

-- Where each block of reference data came from
CREATE TABLE data_sources (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    version TEXT,
    licence TEXT,
    loaded_at TEXT NOT NULL
);

-- Code lists (their `label` column is what Datasette shows for a foreign key)
CREATE TABLE programs (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    legal_basis TEXT NOT NULL
);
CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    program TEXT NOT NULL REFERENCES programs(code),
    label TEXT NOT NULL,
    public_label TEXT NOT NULL,
    article TEXT NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    sensitive INTEGER NOT NULL DEFAULT 0,
    sort_order INTEGER NOT NULL,
    legal_basis TEXT NOT NULL
);
CREATE TABLE decision_kinds (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL
);

-- Coefficients (tenths) by category, level and age band [min_age, max_age)
CREATE TABLE coefficients (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL REFERENCES categories(code),
    level TEXT CHECK (level IN ('DBN', 'NANG')),
    min_age INTEGER NOT NULL DEFAULT 0,
    max_age INTEGER,
    tenths INTEGER NOT NULL CHECK (tenths > 0),
    per_child INTEGER NOT NULL DEFAULT 0 CHECK (per_child IN (0, 1)),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    legal_basis TEXT NOT NULL,
    UNIQUE (category, level, min_age, valid_from)
);

-- Base levels (mức chuẩn) by program and jurisdiction ('VN' or a province code)
CREATE TABLE base_levels (
    id INTEGER PRIMARY KEY,
    program TEXT NOT NULL CHECK (program IN ('TCXH', 'HTXH')) REFERENCES programs(code),
    jurisdiction TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    legal_basis TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    UNIQUE (program, jurisdiction, valid_from)
);
"""

REGISTRY_DDL = f"""
CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    code TEXT UNIQUE,
    commune_code TEXT NOT NULL REFERENCES communes(code),
    village_id INTEGER REFERENCES villages(id),
    head_name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_households_commune ON households(commune_code, village_id);

CREATE TABLE household_poverty (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    status TEXT NOT NULL CHECK (status IN ('ngheo', 'can_ngheo')),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    basis TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX idx_household_poverty_household ON household_poverty(household_id, valid_from);
CREATE INDEX idx_household_poverty_commune ON household_poverty(commune_code, status);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    full_name TEXT NOT NULL CHECK (length(trim(full_name)) > 0),
    sex TEXT NOT NULL CHECK (sex IN ('nam', 'nu')),
    birth_date TEXT NOT NULL CHECK (
        birth_date GLOB '[12][0-9][0-9][0-9]'
        OR birth_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]'
        OR birth_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
    birth_precision TEXT NOT NULL CHECK (birth_precision IN ('year', 'month', 'day')),
    birth_year INTEGER NOT NULL,
    ethnicity TEXT,
    cccd TEXT UNIQUE CHECK (cccd IS NULL OR cccd GLOB '{_DIGITS12}'),
    cmnd TEXT CHECK (cmnd IS NULL OR cmnd GLOB '{_DIGITS9}'),
    household_id INTEGER REFERENCES households(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    village_id INTEGER REFERENCES villages(id),
    phone TEXT,
    death_date TEXT,
    death_cause TEXT CHECK (death_cause IN ('thien_tai', 'khac')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (length(birth_date) <> 10 OR date(birth_date, '+0 days') = birth_date),
    CHECK (length(birth_date) <> 7 OR substr(birth_date, 6, 2) BETWEEN '01' AND '12'),
    CHECK (birth_year = CAST(substr(birth_date, 1, 4) AS INTEGER)),
    CHECK (death_date IS NULL OR date(death_date, '+0 days') = death_date),
    CHECK (death_date IS NULL OR death_date >= birth_date)
);
CREATE INDEX idx_persons_commune ON persons(commune_code, village_id, full_name);
CREATE INDEX idx_persons_household ON persons(household_id);
CREATE INDEX idx_persons_name ON persons(full_name);

-- A person's category (K1…K8) with its validity and the facts the category needs
CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    category TEXT NOT NULL REFERENCES categories(code),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    disability_level TEXT CHECK (disability_level IN ('DBN', 'NANG')),
    disability_cert_date TEXT,
    k1_subcase TEXT CHECK (k1_subcase IN ('a','b','c','d','đ','e','g','h','i','k','l')),
    studying_until TEXT,
    hiv_positive INTEGER NOT NULL DEFAULT 0 CHECK (hiv_positive IN (0, 1)),
    note TEXT,
    CHECK (date(valid_from, '+0 days') = valid_from),
    CHECK (valid_to IS NULL OR (date(valid_to, '+0 days') = valid_to AND valid_to >= valid_from)),
    CHECK (category <> 'K6' OR disability_level IS NOT NULL),
    CHECK (category NOT IN ('K3', 'K8') OR hiv_positive = 1)
);
CREATE INDEX idx_memberships_person ON memberships(person_id, valid_from);
CREATE INDEX idx_memberships_commune ON memberships(commune_code, category, valid_from, valid_to, person_id);
CREATE INDEX idx_memberships_category ON memberships(category, valid_from, valid_to, commune_code);

-- Children counted by a K4 (single parent) membership
CREATE TABLE membership_children (
    id INTEGER PRIMARY KEY,
    membership_id INTEGER NOT NULL REFERENCES memberships(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    child_person_id INTEGER REFERENCES persons(id),
    full_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    studying_until TEXT
);
CREATE INDEX idx_membership_children_membership ON membership_children(membership_id);

-- Care support (CSND, ND 20 Art. 20): C1…C7, paid to the carer
CREATE TABLE care_entitlements (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL REFERENCES categories(code),
    carer_person_id INTEGER NOT NULL REFERENCES persons(id),
    cared_person_id INTEGER REFERENCES persons(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    note TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX idx_care_carer ON care_entitlements(carer_person_id);
CREATE INDEX idx_care_commune ON care_entitlements(commune_code, code);

-- Social pension (HTXH) windows, by month, inclusive
CREATE TABLE social_pensions (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    from_month TEXT NOT NULL CHECK (from_month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    to_month TEXT CHECK (to_month IS NULL OR to_month >= from_month),
    decision_number TEXT
);
CREATE INDEX idx_social_pensions_person ON social_pensions(person_id);

-- Decisions (quyết định): grant, adjust, suspend, resume, stop, move
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,
    kind TEXT NOT NULL REFERENCES decision_kinds(code),
    program TEXT NOT NULL DEFAULT 'TCXH' REFERENCES programs(code),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    membership_id INTEGER REFERENCES memberships(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    legacy_commune_code TEXT REFERENCES legacy_communes(code),
    legacy_district_code TEXT REFERENCES legacy_districts(code),
    signed_date TEXT NOT NULL CHECK (date(signed_date, '+0 days') = signed_date),
    signer_name TEXT NOT NULL,
    signer_title TEXT NOT NULL,
    authority_level TEXT NOT NULL CHECK (authority_level IN ('huyen', 'xa', 'tinh')),
    start_month TEXT CHECK (start_month IS NULL OR start_month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    stop_month TEXT CHECK (stop_month IS NULL OR stop_month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    amount INTEGER CHECK (amount IS NULL OR amount >= 0),
    legal_basis TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (stop_month IS NULL OR start_month IS NULL OR stop_month >= start_month)
);
CREATE INDEX idx_decisions_person ON decisions(person_id, signed_date);
CREATE INDEX idx_decisions_commune ON decisions(commune_code, signed_date, kind);
CREATE INDEX idx_decisions_number ON decisions(number);
"""

LEDGER_DDL = """
CREATE TABLE payroll_runs (
    id INTEGER PRIMARY KEY,
    month TEXT NOT NULL CHECK (month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    scope TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    rule_set TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT
);
CREATE INDEX idx_payroll_runs_month ON payroll_runs(month, status);

-- One line per person, program, month and kind of payment (rules.md §8)
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES payroll_runs(id),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    program TEXT NOT NULL REFERENCES programs(code),
    month TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('thuong_xuyen', 'truy_linh', 'truy_thu', 'mai_tang')),
    due INTEGER NOT NULL,
    paid INTEGER NOT NULL DEFAULT 0,
    coefficient_tenths INTEGER,
    base INTEGER,
    basis TEXT,
    reason TEXT
);
CREATE INDEX idx_ledger_run ON ledger(run_id, commune_code);
"""

ACCESS_DDL = """
-- Append-only audit trail of every write
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id TEXT,
    commune_code TEXT,
    before TEXT,
    after TEXT
);
CREATE INDEX idx_audit_log_table ON audit_log(table_name, row_id);
CREATE INDEX idx_audit_log_actor ON audit_log(actor, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log chỉ được ghi thêm, không được sửa'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log chỉ được ghi thêm, không được xoá'); END;

CREATE TABLE roles (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL
);
CREATE TABLE users (
    username TEXT PRIMARY KEY CHECK (username GLOB '[a-z0-9]*' AND length(username) BETWEEN 2 AND 40),
    full_name TEXT,
    role TEXT NOT NULL REFERENCES roles(code),
    province_code TEXT REFERENCES provinces(code),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE user_communes (
    username TEXT NOT NULL REFERENCES users(username),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    PRIMARY KEY (username, commune_code)
);
-- Password hashes live apart from users: no Datasette connection may read this table
-- (an SQLite authorizer refuses it; see plugins/btxh_access.py)
CREATE TABLE user_credentials (
    username TEXT PRIMARY KEY REFERENCES users(username),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    changed_at TEXT NOT NULL
);
"""


def statements(script: str) -> list[str]:
    """Split a DDL script into complete statements (triggers included).

    ``executescript`` would COMMIT the migration's transaction first, so each
    statement is executed on its own inside it.
    """
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement: {buf[:80]!r}")
    return out


def _run(db: Database, script: str) -> None:
    for statement in statements(script):
        db.execute(statement)


@migrations()
def m001_reference(db: Database) -> None:
    _run(db, REFERENCE_DDL)


@migrations()
def m002_registry(db: Database) -> None:
    _run(db, REGISTRY_DDL)


@migrations()
def m003_ledger(db: Database) -> None:
    _run(db, LEDGER_DDL)


@migrations()
def m004_access(db: Database) -> None:
    _run(db, ACCESS_DDL)


PAYROLL_DDL = """
-- People whose facts changed since their commune's last closed run: the next run
-- recomputes their earlier months (arrears, recovery). Filled by triggers.
CREATE TABLE payroll_dirty (
    person_id INTEGER PRIMARY KEY
);
-- What was paid for a person, program and month: the sum of the lines of closed runs
CREATE TABLE ledger_settled (
    person_id INTEGER NOT NULL,
    program TEXT NOT NULL,
    month TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (person_id, program, month)
) WITHOUT ROWID;
-- What a run had seen: later base levels and decisions are "after" it (arrears)
ALTER TABLE payroll_runs ADD COLUMN base_levels_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payroll_runs ADD COLUMN decisions_seen INTEGER NOT NULL DEFAULT 0;
CREATE INDEX idx_ledger_funeral ON ledger(person_id) WHERE kind = 'mai_tang';
CREATE INDEX idx_decisions_tcxh_events ON decisions(membership_id, kind, start_month, stop_month)
    WHERE program = 'TCXH';
CREATE TRIGGER dirty_persons_update AFTER UPDATE ON persons
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.id); END;
CREATE TRIGGER dirty_memberships_insert AFTER INSERT ON memberships
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.person_id); END;
CREATE TRIGGER dirty_memberships_update AFTER UPDATE ON memberships
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.person_id);
      INSERT OR IGNORE INTO payroll_dirty VALUES (OLD.person_id); END;
CREATE TRIGGER dirty_memberships_delete AFTER DELETE ON memberships
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (OLD.person_id); END;
CREATE TRIGGER dirty_children_insert AFTER INSERT ON membership_children
BEGIN INSERT OR IGNORE INTO payroll_dirty SELECT person_id FROM memberships WHERE id = NEW.membership_id; END;
CREATE TRIGGER dirty_children_update AFTER UPDATE ON membership_children
BEGIN INSERT OR IGNORE INTO payroll_dirty SELECT person_id FROM memberships WHERE id = NEW.membership_id; END;
CREATE TRIGGER dirty_children_delete AFTER DELETE ON membership_children
BEGIN INSERT OR IGNORE INTO payroll_dirty SELECT person_id FROM memberships WHERE id = OLD.membership_id; END;
CREATE TRIGGER dirty_decisions_insert AFTER INSERT ON decisions
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.person_id); END;
CREATE TRIGGER dirty_decisions_update AFTER UPDATE ON decisions
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.person_id); END;
CREATE TRIGGER dirty_decisions_delete AFTER DELETE ON decisions
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (OLD.person_id); END;
CREATE TRIGGER dirty_pensions_insert AFTER INSERT ON social_pensions
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.person_id); END;
CREATE TRIGGER dirty_pensions_update AFTER UPDATE ON social_pensions
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.person_id); END;
CREATE TRIGGER dirty_pensions_delete AFTER DELETE ON social_pensions
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (OLD.person_id); END;
CREATE TRIGGER dirty_care_insert AFTER INSERT ON care_entitlements
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.carer_person_id); END;
CREATE TRIGGER dirty_care_update AFTER UPDATE ON care_entitlements
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (NEW.carer_person_id); END;
CREATE TRIGGER dirty_care_delete AFTER DELETE ON care_entitlements
BEGIN INSERT OR IGNORE INTO payroll_dirty VALUES (OLD.carer_person_id); END;
-- A closed run is never changed
CREATE TRIGGER ledger_closed_no_update BEFORE UPDATE ON ledger
WHEN (SELECT status FROM payroll_runs WHERE id = OLD.run_id) = 'closed'
BEGIN SELECT RAISE(ABORT, 'kỳ chi trả đã chốt: không được sửa'); END;
CREATE TRIGGER ledger_closed_no_delete BEFORE DELETE ON ledger
WHEN (SELECT status FROM payroll_runs WHERE id = OLD.run_id) = 'closed'
BEGIN SELECT RAISE(ABORT, 'kỳ chi trả đã chốt: không được xoá'); END;
"""


@migrations()
def m005_payroll(db: Database) -> None:
    _run(db, PAYROLL_DDL)


SQL_LOG_DDL = """
-- Every SQL an analyst or admin runs through Datasette: who, when, what (append-only)
CREATE TABLE sql_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT,
    database_name TEXT NOT NULL,
    sql TEXT NOT NULL,
    params TEXT
);
CREATE INDEX idx_sql_log_actor ON sql_log(actor, at);
CREATE TRIGGER sql_log_no_update BEFORE UPDATE ON sql_log
BEGIN SELECT RAISE(ABORT, 'sql_log chỉ được ghi thêm, không được sửa'); END;
CREATE TRIGGER sql_log_no_delete BEFORE DELETE ON sql_log
BEGIN SELECT RAISE(ABORT, 'sql_log chỉ được ghi thêm, không được xoá'); END;
"""


@migrations()
def m006_sql_log(db: Database) -> None:
    _run(db, SQL_LOG_DDL)


APPLICATIONS_DDL = """
-- Applications (tờ khai) on their way to a decision: nộp → xét → niêm yết → duyệt / từ chối
CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    person_id INTEGER REFERENCES persons(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    category TEXT NOT NULL REFERENCES categories(code),
    facts TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(facts)),
    submitted_date TEXT NOT NULL CHECK (date(submitted_date, '+0 days') = submitted_date),
    reviewed_date TEXT CHECK (reviewed_date IS NULL OR date(reviewed_date, '+0 days') = reviewed_date),
    posting_from TEXT CHECK (posting_from IS NULL OR date(posting_from, '+0 days') = posting_from),
    posting_to TEXT CHECK (posting_to IS NULL OR date(posting_to, '+0 days') = posting_to),
    status TEXT NOT NULL DEFAULT 'nop' CHECK (status IN ('nop', 'xet', 'niem_yet', 'duyet', 'tu_choi')),
    decision_id INTEGER REFERENCES decisions(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (reviewed_date IS NULL OR reviewed_date >= submitted_date),
    CHECK ((posting_from IS NULL) = (posting_to IS NULL)),
    CHECK (posting_to IS NULL OR posting_to >= posting_from),
    CHECK (posting_from IS NULL OR posting_from >= submitted_date),
    CHECK (status NOT IN ('niem_yet', 'duyet') OR posting_from IS NOT NULL),
    CHECK ((status = 'duyet') = (decision_id IS NOT NULL))
);
CREATE INDEX idx_applications_commune ON applications(commune_code, status);
CREATE INDEX idx_applications_person ON applications(person_id);
"""


@migrations()
def m007_applications(db: Database) -> None:
    _run(db, APPLICATIONS_DDL)


SUPPORT_DDL = """
-- One-off support programs (chương trình hỗ trợ một lần), e.g. NQ 42/NQ-CP (COVID-19, 2020):
-- a list of people per group, an amount per person per month, a number of months, paid once.
CREATE TABLE support_programs (
    code TEXT PRIMARY KEY CHECK (code GLOB '[A-Z0-9]*' AND length(code) BETWEEN 2 AND 30),
    name TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    province_code TEXT REFERENCES provinces(code),
    first_month TEXT NOT NULL CHECK (first_month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    months INTEGER NOT NULL CHECK (months BETWEEN 1 AND 24),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE support_groups (
    program_code TEXT NOT NULL REFERENCES support_programs(code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    amount_per_month INTEGER NOT NULL CHECK (amount_per_month > 0),
    max_months INTEGER NOT NULL CHECK (max_months BETWEEN 1 AND 24),
    PRIMARY KEY (program_code, code)
);
-- Every row of the lists communes submitted: one person may be listed in several groups.
CREATE TABLE support_listings (
    id INTEGER PRIMARY KEY,
    program_code TEXT NOT NULL REFERENCES support_programs(code),
    group_code TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES communes(code),
    person_id INTEGER REFERENCES persons(id),
    person_key TEXT NOT NULL,
    full_name TEXT NOT NULL,
    birth_year INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1880 AND 2100),
    cccd TEXT CHECK (cccd IS NULL OR cccd GLOB '%(d12)s' OR cccd GLOB '%(d9)s'),
    village TEXT,
    months INTEGER NOT NULL CHECK (months BETWEEN 1 AND 24),
    amount_per_month INTEGER NOT NULL CHECK (amount_per_month > 0),
    source_file TEXT,
    source_row INTEGER,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    FOREIGN KEY (program_code, group_code) REFERENCES support_groups(program_code, code),
    UNIQUE (program_code, group_code, person_key)
);
CREATE INDEX idx_support_listings_commune ON support_listings(commune_code, program_code);
CREATE INDEX idx_support_listings_person ON support_listings(program_code, person_key);
-- What each person is paid: only the highest of their listings (domain.md §9, Q9).
CREATE TABLE support_awards (
    id INTEGER PRIMARY KEY,
    program_code TEXT NOT NULL REFERENCES support_programs(code),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    person_key TEXT NOT NULL,
    listing_id INTEGER NOT NULL UNIQUE REFERENCES support_listings(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    paid_date TEXT CHECK (paid_date IS NULL OR date(paid_date, '+0 days') = paid_date),
    UNIQUE (program_code, person_key)
);
CREATE INDEX idx_support_awards_commune ON support_awards(commune_code, program_code);
""" % {"d12": _DIGITS12, "d9": _DIGITS9}


@migrations()
def m008_support_programs(db: Database) -> None:
    _run(db, SUPPORT_DDL)


REPORTS_DDL = """
-- Periodic reports (forms 10a-10d, docs/decisions/010-reports.md). The summaries are
-- written by each payroll run in its own transaction (btxh/reports/summary.py).
CREATE TABLE report_runs (
    run_id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    summarised_at TEXT NOT NULL
);
-- Per run, commune, 10a leaf, category and sex: people paid in the run's month, and đồng
CREATE TABLE report_cells (
    run_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    leaf TEXT NOT NULL,
    category TEXT NOT NULL,
    sex TEXT NOT NULL,
    persons INTEGER NOT NULL,
    regular INTEGER NOT NULL,
    arrears INTEGER NOT NULL,
    recovery INTEGER NOT NULL,
    funeral INTEGER NOT NULL,
    PRIMARY KEY (run_id, commune_code, leaf, category, sex)
) WITHOUT ROWID;
CREATE INDEX idx_report_cells_month ON report_cells(month, commune_code, run_id);
-- Per run, commune, program, category and month of the next year: projected people, tenths
CREATE TABLE report_budget (
    run_id INTEGER NOT NULL,
    commune_code TEXT NOT NULL,
    program TEXT NOT NULL,
    category TEXT NOT NULL,
    month TEXT NOT NULL,
    persons INTEGER NOT NULL,
    tenths INTEGER NOT NULL,
    base INTEGER NOT NULL,
    PRIMARY KEY (run_id, commune_code, program, category, month)
) WITHOUT ROWID;
CREATE TRIGGER report_run_deleted AFTER DELETE ON payroll_runs
BEGIN
    DELETE FROM report_cells WHERE run_id = OLD.id;
    DELETE FROM report_budget WHERE run_id = OLD.id;
    DELETE FROM report_runs WHERE run_id = OLD.id;
END;
-- New, resumed, suspended and stopped cases in a period (canned query tang_giam_doi_tuong):
-- covering range scans by month instead of a scan of every decision
CREATE INDEX idx_decisions_report_start ON decisions(start_month, kind, commune_code, membership_id)
    WHERE program = 'TCXH';
CREATE INDEX idx_decisions_report_stop ON decisions(stop_month, kind, commune_code, membership_id)
    WHERE program = 'TCXH';
-- Figures the registry cannot know, entered by staff for a period (audited, btxh/reports/inputs.py);
-- commune_code NULL: a province-level figure (e.g. residents of a provincial facility)
CREATE TABLE report_inputs (
    id INTEGER PRIMARY KEY,
    form TEXT NOT NULL CHECK (form IN ('10a', '10b', '10c', '10d')),
    leaf TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period GLOB '[12][0-9][0-9][0-9]' OR period GLOB '[12][0-9][0-9][0-9]-H[12]'),
    province_code TEXT NOT NULL REFERENCES provinces(code),
    commune_code TEXT REFERENCES communes(code),
    total INTEGER CHECK (total IS NULL OR total >= 0),
    male INTEGER CHECK (male IS NULL OR male >= 0),
    female INTEGER CHECK (female IS NULL OR female >= 0),
    amount INTEGER CHECK (amount IS NULL OR amount >= 0),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_report_inputs_key ON report_inputs(period, province_code, coalesce(commune_code, ''), leaf);
CREATE INDEX idx_report_inputs_commune ON report_inputs(commune_code, period);
-- The printed rows of each form and the leaves they add up (from btxh/reports/forms.py),
-- so that the canned queries in metadata.yml lay out the same rows as the report pages
CREATE TABLE report_lines (
    form TEXT NOT NULL,
    ord INTEGER NOT NULL,
    stt TEXT NOT NULL,
    label TEXT NOT NULL,
    unit TEXT NOT NULL,
    level INTEGER NOT NULL,
    measure TEXT NOT NULL,
    PRIMARY KEY (form, ord)
);
CREATE TABLE report_line_leaves (
    form TEXT NOT NULL,
    ord INTEGER NOT NULL,
    leaf TEXT NOT NULL,
    input INTEGER NOT NULL,
    PRIMARY KEY (form, ord, leaf)
);
"""


@migrations()
def m009_reports(db: Database) -> None:
    from .reports import forms

    _run(db, REPORTS_DDL)
    forms.store_layouts(db)
    # runs made before this migration get their summaries from `btxh init` right after the
    # migrations (reports.summary.rebuild_missing): a migration never runs the reports' code


IMPORTS_DDL = """
-- Every import that wrote something (btxh import …, the upload page): which file, what it did
CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('doi_tuong', 'chi_tra', 'ho_tro')),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL CHECK (length(file_sha256) = 64),
    commune_code TEXT REFERENCES communes(code),
    rows_read INTEGER NOT NULL CHECK (rows_read >= 0),
    inserted INTEGER NOT NULL CHECK (inserted >= 0),
    updated INTEGER NOT NULL CHECK (updated >= 0),
    unchanged INTEGER NOT NULL CHECK (unchanged >= 0),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX idx_import_batches_commune ON import_batches(commune_code, created_at);
-- What the paying agent returned for each person of a closed run's payment list
-- (docs/decisions/012-payment-results.md). Not paid or returned: ``rolled_forward`` đồng were
-- taken out of ledger_settled, so the next run pays them again as truy lĩnh. Append-only.
CREATE TABLE payment_outcomes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES payroll_runs(id),
    person_id INTEGER NOT NULL REFERENCES persons(id),
    commune_code TEXT NOT NULL REFERENCES communes(code),
    month TEXT NOT NULL CHECK (month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    status TEXT NOT NULL CHECK (status IN ('da_nhan', 'chua_nhan', 'tra_lai')),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    outcome_date TEXT CHECK (outcome_date IS NULL OR date(outcome_date, '+0 days') = outcome_date),
    rolled_forward INTEGER NOT NULL DEFAULT 0 CHECK (rolled_forward >= 0),
    batch_id INTEGER REFERENCES import_batches(id),
    source_row INTEGER,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (status <> 'da_nhan' OR (outcome_date IS NOT NULL AND rolled_forward = 0)),
    UNIQUE (run_id, person_id)
);
CREATE INDEX idx_payment_outcomes_commune ON payment_outcomes(commune_code, month, status);
CREATE INDEX idx_payment_outcomes_person ON payment_outcomes(person_id, month);
CREATE TRIGGER payment_outcomes_no_update BEFORE UPDATE ON payment_outcomes
BEGIN SELECT RAISE(ABORT, 'kết quả chi trả đã ghi không được sửa'); END;
CREATE TRIGGER payment_outcomes_no_delete BEFORE DELETE ON payment_outcomes
BEGIN SELECT RAISE(ABORT, 'kết quả chi trả đã ghi không được xoá'); END;
-- Persons not paid three months running, latest first: proposed for suspension
-- (tạm dừng, TT 02/2021/TT-BLĐTBXH Art. 2(3)); a list for staff, never applied automatically
CREATE VIEW suspension_proposals AS
SELECT o.commune_code, o.person_id, p.full_name, p.birth_year,
       strftime('%Y-%m', o.month || '-01', '-2 months') AS from_month, o.month AS to_month,
       'Thông tư 02/2021/TT-BLĐTBXH Điều 2 khoản 3' AS legal_basis
FROM payment_outcomes o JOIN persons p ON p.id = o.person_id
WHERE o.status <> 'da_nhan'
  AND EXISTS (SELECT 1 FROM payment_outcomes a WHERE a.person_id = o.person_id AND a.status <> 'da_nhan'
              AND a.month = strftime('%Y-%m', o.month || '-01', '-1 months'))
  AND EXISTS (SELECT 1 FROM payment_outcomes a WHERE a.person_id = o.person_id AND a.status <> 'da_nhan'
              AND a.month = strftime('%Y-%m', o.month || '-01', '-2 months'))
  AND NOT EXISTS (SELECT 1 FROM payment_outcomes b WHERE b.person_id = o.person_id AND b.month > o.month)
  AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.person_id = p.id AND d.kind IN ('suspend', 'stop')
                  AND d.stop_month IS NOT NULL AND d.stop_month <= strftime('%Y-%m', o.month || '-01', '+1 months'));
"""


@migrations()
def m010_imports(db: Database) -> None:
    _run(db, IMPORTS_DDL)


def apply(db: Database) -> list[str]:
    """Apply pending migrations; return the names applied."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


REPORT_BUDGET_DDL = """
-- The next year's budget projection moves out of the payroll run into the close
-- (docs/decisions/010-reports.md §4, §6): which closed runs have their projection in report_budget
CREATE TABLE report_budget_runs (
    run_id INTEGER PRIMARY KEY,
    month TEXT NOT NULL,
    computed_at TEXT NOT NULL
);
CREATE TRIGGER report_budget_run_deleted AFTER DELETE ON payroll_runs
BEGIN
    DELETE FROM report_budget_runs WHERE run_id = OLD.id;
END;
"""


@migrations()
def m011_report_budget_at_close(db: Database) -> None:
    _run(db, REPORT_BUDGET_DDL)
    # open runs' projections were written by their run: a budget is now a closed run's only
    db.execute("DELETE FROM report_budget WHERE run_id IN (SELECT id FROM payroll_runs WHERE status <> 'closed')")
    # closed runs summarised before: their projection is already there (made by the run)
    db.execute("""INSERT INTO report_budget_runs (run_id, month, computed_at)
                  SELECT r.run_id, r.month, r.summarised_at FROM report_runs r JOIN payroll_runs p ON p.id = r.run_id
                  WHERE p.status = 'closed' AND EXISTS (SELECT 1 FROM report_budget g WHERE g.run_id = r.run_id)""")
    # the closed runs still without a budget are computed by `btxh init` right after the
    # migrations, through the normal code path (reports.summary.rebuild_missing):
    # a migration is DDL plus data only, it never runs the payroll's or the reports' code


SESSIONS_DDL = """
-- Logins the server can revoke (docs/decisions/004-access.md «Sessions»): the cookie carries
-- only a signed random id; this table keeps its SHA-256, never the id itself
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_reason TEXT,
    user_agent TEXT,
    address TEXT
);
CREATE INDEX sessions_username ON sessions(username, revoked_at);
-- Failed logins per (account, address) and per address: a delay, never a lock-out
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    blocked_until TEXT
);
"""


@migrations()
def m012_sessions(db: Database) -> None:
    _run(db, SESSIONS_DDL)
    # the old per-account lock-out is gone: nobody stays locked by it
    db.execute("UPDATE user_credentials SET failed_logins = 0, locked_until = NULL")


TRANSFERS_DDL = """
-- A move between communes is two-sided (ND 335 Art. 8(3); docs/decisions/014-transfers.md):
-- the old commune stops paying (a 'stop' decision in its own register) and sends the file;
-- the new commune's officer accepts and decides in their own register, or refuses.
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    from_commune TEXT NOT NULL REFERENCES communes(code),
    to_commune TEXT NOT NULL REFERENCES communes(code),
    stop_month TEXT NOT NULL CHECK (stop_month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'),
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'cho_tiep_nhan'
        CHECK (status IN ('cho_tiep_nhan', 'da_tiep_nhan', 'tu_choi', 'huy')),
    sent_at TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    received_at TEXT,
    received_by TEXT,
    decision_id INTEGER REFERENCES decisions(id),
    refusal_reason TEXT,
    cancelled_at TEXT,
    cancelled_by TEXT,
    CHECK (from_commune <> to_commune),
    CHECK ((status IN ('da_tiep_nhan', 'tu_choi')) = (received_at IS NOT NULL AND received_by IS NOT NULL)),
    CHECK ((status = 'da_tiep_nhan') = (decision_id IS NOT NULL)),
    CHECK ((status = 'tu_choi') = (refusal_reason IS NOT NULL)),
    CHECK ((status = 'huy') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL))
);
-- one pending transfer per person at a time
CREATE UNIQUE INDEX idx_transfers_pending ON transfers(person_id) WHERE status = 'cho_tiep_nhan';
CREATE INDEX idx_transfers_to ON transfers(to_commune, status);
CREATE INDEX idx_transfers_from ON transfers(from_commune, status);
-- the memberships a transfer carries: the old commune's stop decision, then (once accepted)
-- the new commune's membership and its decision
CREATE TABLE transfer_memberships (
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    membership_id INTEGER NOT NULL REFERENCES memberships(id),
    stop_decision_id INTEGER NOT NULL REFERENCES decisions(id),
    new_membership_id INTEGER REFERENCES memberships(id),
    new_decision_id INTEGER REFERENCES decisions(id),
    PRIMARY KEY (transfer_id, membership_id),
    CHECK ((new_membership_id IS NULL) = (new_decision_id IS NULL))
);
CREATE UNIQUE INDEX idx_transfer_memberships_stop ON transfer_memberships(stop_decision_id);
"""


@migrations()
def m013_transfers(db: Database) -> None:
    _run(db, TRANSFERS_DDL)


DOOR_VIEWS_DDL = """
-- The analysts' door reads only these views and the reference tables (btxh/door.py;
-- docs/decisions/008-analyst-door.md, 013-hiv-status.md). No view has a row per person.
-- K3 and K8 never form their own cell: their people are folded into the K1 and K4 rows
-- (as the public pages fold them into their groups); amounts that would let their number
-- be solved for are NULL. A NULL count or amount means «dưới 5» or «không công bố».
--
-- Which run counts for a month and commune: the closed one, else the newest
CREATE VIEW door_runs AS
SELECT month, commune_code, run_id FROM (
    SELECT rc.month, rc.commune_code, rc.run_id,
           row_number() OVER (PARTITION BY rc.month, rc.commune_code
                              ORDER BY r.status = 'closed' DESC, r.created_at DESC, r.id DESC) AS rn
    FROM (SELECT DISTINCT month, commune_code, run_id FROM report_cells) rc
    JOIN payroll_runs r ON r.id = rc.run_id)
WHERE rn = 1;
-- Report cells of the counted runs, K3/K8 folded (btxh.disclosure.fold_leaf, fold_category):
-- dien K1+K3 / K4+K8, K3's leaves I.3.* moved into I.1.a and I.1.b, K8's into I.4 (a K8
-- child under 4 in I.1.a would be the only one of «K4+K8» there); funerals (leaf IV) carry no category. hiv3/hiv8 count the
-- folded people (kept for the suppression rules below, never shown).
CREATE VIEW door_folded_cells AS
SELECT c.month, co.province_code, c.commune_code,
       CASE WHEN c.leaf NOT IN ('I.3.1', 'I.3.2', 'I.3.3') THEN c.leaf
            WHEN c.category <> 'K3' THEN 'I.4'
            WHEN c.leaf = 'I.3.1' THEN 'I.1.a' ELSE 'I.1.b' END AS leaf,
       CASE WHEN c.leaf = 'IV' THEN 'MAITANG'
            WHEN c.category IN ('K1', 'K3') THEN 'K1+K3'
            WHEN c.category IN ('K4', 'K8') THEN 'K4+K8'
            ELSE c.category END AS dien,
       c.sex, c.persons, c.regular, c.arrears, c.recovery, c.funeral,
       CASE WHEN c.category = 'K3' AND c.leaf <> 'IV' THEN c.persons ELSE 0 END AS hiv3,
       CASE WHEN c.category = 'K3' AND c.leaf = 'I.3.2' THEN c.persons ELSE 0 END AS hiv3b,
       CASE WHEN c.category = 'K8' AND c.leaf <> 'IV' THEN c.persons ELSE 0 END AS hiv8
FROM door_runs b
JOIN report_cells c ON c.run_id = b.run_id AND c.commune_code = b.commune_code AND c.month = b.month
JOIN communes co ON co.code = c.commune_code;
-- Persons by province, month, leaf, category and sex; amounts of the folded rows are never
-- given per leaf (their coefficients differ: K3 2.0 vs K1 1.5, K8 1.5 vs K4 1.0 a child)
CREATE VIEW door_province_cells AS
SELECT month, province_code, leaf, dien, sex, sum(persons) AS persons,
       CASE WHEN dien IN ('K1+K3', 'K4+K8') THEN NULL ELSE sum(regular) END AS regular,
       CASE WHEN dien IN ('K1+K3', 'K4+K8') THEN NULL ELSE sum(arrears) END AS arrears,
       CASE WHEN dien IN ('K1+K3', 'K4+K8') THEN NULL ELSE sum(recovery) END AS recovery,
       CASE WHEN dien IN ('K1+K3', 'K4+K8') THEN NULL ELSE sum(funeral) END AS funeral
FROM door_folded_cells GROUP BY month, province_code, leaf, dien, sex;
-- Money by province, month and section (I monthly allowance, II care, IV funerals, V social
-- pension); section I is NULL where the folded people of the province-month number 1-4
-- (K3, K3 aged 4-16, or K8): there its amount could be solved for their number
CREATE VIEW door_province_money AS
SELECT month, province_code, section,
       CASE WHEN section = 'I' AND small THEN NULL ELSE regular END AS regular,
       CASE WHEN section = 'I' AND small THEN NULL ELSE arrears END AS arrears,
       CASE WHEN section = 'I' AND small THEN NULL ELSE recovery END AS recovery,
       CASE WHEN section = 'I' AND small THEN NULL ELSE funeral END AS funeral
FROM (SELECT month, province_code, section, sum(regular) AS regular, sum(arrears) AS arrears,
             sum(recovery) AS recovery, sum(funeral) AS funeral,
             (sum(sum(hiv3)) OVER w BETWEEN 1 AND 4) OR (sum(sum(hiv3b)) OVER w BETWEEN 1 AND 4)
             OR (sum(sum(hiv8)) OVER w BETWEEN 1 AND 4) AS small
      FROM (SELECT f.*, CASE WHEN f.leaf LIKE 'I.%' THEN 'I' WHEN f.leaf LIKE 'II.%' THEN 'II'
                             ELSE f.leaf END AS section
            FROM door_folded_cells f)
      GROUP BY month, province_code, section
      WINDOW w AS (PARTITION BY month, province_code));
-- Per commune only what the public pages already show: the monthly allowance's four public
-- groups (btxh.disclosure.COMMUNE_GROUPS), under the public small-cell rule (btxh.disclosure.suppress: 1-4 hidden, and when
-- exactly one is, the smallest other group from 5 up too); no sex, no amounts
CREATE VIEW door_commune_groups AS
SELECT month, province_code, commune_code, nhom,
       CASE WHEN n BETWEEN 1 AND 4 THEN NULL
            WHEN small = 1 AND n >= 5 AND big_rank = 1 THEN NULL
            ELSE n END AS persons
FROM (SELECT x.*, sum(x.n BETWEEN 1 AND 4) OVER (PARTITION BY x.month, x.commune_code) AS small,
             row_number() OVER (PARTITION BY x.month, x.commune_code
                                ORDER BY CASE WHEN x.n >= 5 THEN 0 ELSE 1 END, x.n, x.nhom) AS big_rank
      FROM (SELECT cm.month, cm.province_code, cm.commune_code, g.nhom,
                   coalesce(sum(f.persons), 0) AS n
            FROM (SELECT DISTINCT month, province_code, commune_code FROM door_folded_cells) cm
            CROSS JOIN (SELECT 'tre_em_hoc_sinh' AS nhom UNION ALL SELECT 'cao_tuoi' UNION ALL
                        SELECT 'khuyet_tat' UNION ALL SELECT 'khac') g
            LEFT JOIN door_folded_cells f
              ON f.month = cm.month AND f.commune_code = cm.commune_code AND f.leaf LIKE 'I.%'
             AND CASE WHEN f.dien IN ('K1+K3', 'K2', 'K7') THEN 'tre_em_hoc_sinh'
                      WHEN f.dien IN ('K5a', 'K5b', 'K5c', 'K5d') THEN 'cao_tuoi'
                      WHEN f.dien = 'K6' THEN 'khuyet_tat' ELSE 'khac' END = g.nhom
            GROUP BY cm.month, cm.commune_code, g.nhom) x);
-- Per commune, the programs outside the public groups: care (II), funerals (IV), social pension (V)
CREATE VIEW door_commune_cells AS
SELECT month, province_code, commune_code, leaf, sex, sum(persons) AS persons, sum(regular) AS regular,
       sum(arrears) AS arrears, sum(recovery) AS recovery, sum(funeral) AS funeral
FROM door_folded_cells WHERE leaf NOT LIKE 'I.%'
GROUP BY month, province_code, commune_code, leaf, sex;
-- Monthly-allowance decisions by province, month, folded category and kind. Categories with
-- 1-4 decisions are merged into one row «(các diện dưới 5)» (a category with a hidden count
-- would be the public pages' total minus the rest), itself empty when it holds 1-4
CREATE VIEW door_decisions AS
SELECT month, province_code, kind, dien, CASE WHEN sum(n) BETWEEN 1 AND 4 THEN NULL ELSE sum(n) END AS decisions
FROM (SELECT t.month, t.province_code, t.kind,
             CASE WHEN t.n BETWEEN 1 AND 4 THEN '(các diện dưới 5)' ELSE t.dien END AS dien, t.n
      FROM (SELECT ev.month, co.province_code, ev.kind,
                   CASE WHEN m.category IN ('K1', 'K3') THEN 'K1+K3' WHEN m.category IN ('K4', 'K8') THEN 'K4+K8'
                        ELSE coalesce(m.category, '(mọi diện)') END AS dien, count(*) AS n
            FROM (SELECT d.start_month AS month, d.commune_code, d.kind, d.membership_id FROM decisions d
                  WHERE d.program = 'TCXH' AND d.kind IN ('grant', 'resume') AND d.start_month IS NOT NULL
                  UNION ALL
                  SELECT d.stop_month, d.commune_code, d.kind, d.membership_id FROM decisions d
                  WHERE d.program = 'TCXH' AND d.kind IN ('stop', 'suspend') AND d.stop_month IS NOT NULL) ev
            JOIN communes co ON co.code = ev.commune_code
            LEFT JOIN memberships m ON m.id = ev.membership_id
            GROUP BY 1, 2, 3, 4) t)
GROUP BY month, province_code, kind, dien;
-- Next year's budget of each closed run month (per commune its newest closed run), by
-- province, program and folded category; the coefficients of the folded rows are not
-- given (they would tell K3 from K1, K8 from K4)
CREATE VIEW door_budget AS
SELECT b.run_month, co.province_code, g.program,
       CASE WHEN g.category IN ('K1', 'K3') THEN 'K1+K3' WHEN g.category IN ('K4', 'K8') THEN 'K4+K8'
            ELSE g.category END AS dien,
       g.month, sum(g.persons) AS persons,
       CASE WHEN max(g.category IN ('K1', 'K3', 'K4', 'K8')) THEN NULL ELSE sum(g.tenths) END AS tenths,
       max(g.base) AS base
FROM (SELECT DISTINCT br.month AS run_month, c.commune_code, br.run_id,
             row_number() OVER (PARTITION BY br.month, c.commune_code ORDER BY r.created_at DESC, r.id DESC) AS rn
      FROM report_budget_runs br
      JOIN payroll_runs r ON r.id = br.run_id AND r.status = 'closed'
      JOIN (SELECT DISTINCT run_id, commune_code FROM report_budget) c ON c.run_id = br.run_id) b
JOIN report_budget g ON g.run_id = b.run_id AND g.commune_code = b.commune_code
JOIN communes co ON co.code = g.commune_code
WHERE b.rn = 1
GROUP BY b.run_month, co.province_code, g.program, 4, g.month;
-- Figures staff entered for forms 10a-10d; residents with HIV (III.3.*) only as a province
-- figure from 5 up in every cell, never per commune
CREATE VIEW door_report_inputs AS
SELECT form, leaf, period, province_code, commune_code,
       CASE WHEN NOT hiv THEN total WHEN ok THEN total END AS total,
       CASE WHEN NOT hiv THEN male WHEN ok THEN male END AS male,
       CASE WHEN NOT hiv THEN female WHEN ok THEN female END AS female,
       CASE WHEN NOT hiv THEN amount WHEN ok THEN amount END AS amount
FROM (SELECT i.*, i.leaf LIKE 'III.3.%' AS hiv,
             i.commune_code IS NULL AND coalesce(i.total, 0) >= 5
             AND coalesce(i.male, 0) NOT BETWEEN 1 AND 4 AND coalesce(i.female, 0) NOT BETWEEN 1 AND 4 AS ok
      FROM report_inputs i);
"""


@migrations()
def m014_door_views(db: Database) -> None:
    _run(db, DOOR_VIEWS_DDL)
