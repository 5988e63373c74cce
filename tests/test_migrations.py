"""Schema history: from empty, re-run, and the constraints that guard the registry."""

import sqlite3

import pytest

from btxh import migrations, store


def test_from_empty_applies_every_migration(tmp_path):
    db = store.open_db(tmp_path / "btxh.db")
    applied = migrations.apply(db)
    assert applied == [m.name for m in migrations.migrations._migrations]
    assert {"persons", "memberships", "decisions", "ledger", "audit_log", "users"} <= set(db.table_names())


def test_rerun_is_a_no_op(tmp_path):
    db = store.open_db(tmp_path / "btxh.db")
    migrations.apply(db)
    schema = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrations.apply(db) == []
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_statement_splitter_keeps_triggers_whole():
    parts = migrations.statements(migrations.ACCESS_DDL)
    triggers = [p for p in parts if p.startswith("CREATE TRIGGER")]
    assert len(triggers) == 2 and all(t.endswith("END;") for t in triggers)


def test_failed_migration_leaves_nothing_behind(tmp_path):
    from sqlite_utils.migrations import Migrations

    db = store.open_db(tmp_path / "btxh.db")
    broken = Migrations("broken")

    @broken()
    def half(db):
        db.execute("CREATE TABLE a (x)")
        db.execute("CREATE TABLE a (x)")  # fails: already exists

    with pytest.raises(sqlite3.OperationalError):
        broken.apply(db)
    assert "a" not in db.table_names()


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_audit_log_is_append_only(ref_db, sql):
    store.audit(ref_db, actor="t", action="test", table="persons", row_id=1, after={"a": 1})
    before = ref_db.execute("SELECT * FROM audit_log").fetchall()
    with pytest.raises(sqlite3.IntegrityError, match="chỉ được ghi thêm"):
        ref_db.execute(sql)
    assert ref_db.execute("SELECT * FROM audit_log").fetchall() == before


def _person(**kw):
    row = dict(full_name="Nguyễn Văn A", sex="nam", birth_date="1950-01-02", birth_precision="day",
               birth_year=1950, commune_code="00004", created_at="x", updated_at="x")
    row.update(kw)
    return row


@pytest.mark.parametrize("bad", [
    pytest.param({"cccd": "12345678901"}, id="cccd-11-digits"),
    pytest.param({"cccd": "12345678901A"}, id="cccd-letter"),
    pytest.param({"cmnd": "1234567"}, id="cmnd-7-digits"),
    pytest.param({"sex": "x"}, id="unknown-sex"),
    pytest.param({"birth_date": "1950-1-2"}, id="birth-date-malformed"),
    pytest.param({"birth_date": "1950-02-30"}, id="birth-date-impossible"),
    pytest.param({"birth_date": "1950-13", "birth_precision": "month"}, id="birth-month-13"),
    pytest.param({"birth_year": 1951}, id="birth-year-disagrees"),
    pytest.param({"death_date": "2020-02-30"}, id="death-date-impossible"),
    pytest.param({"commune_code": "99999"}, id="unknown-commune"),
    pytest.param({"death_date": "1940-01-01"}, id="death-before-birth"),
    pytest.param({"death_cause": "ai-biet"}, id="unknown-death-cause"),
    pytest.param({"full_name": "  "}, id="blank-name"),
])
def test_person_constraints(ref_db, bad):
    with pytest.raises(sqlite3.IntegrityError):
        ref_db["persons"].insert(_person(**bad))


def test_k6_needs_a_level_and_hiv_categories_need_the_flag(ref_db):
    pid = ref_db["persons"].insert(_person()).last_pk
    base = dict(person_id=pid, commune_code="00004", valid_from="2022-01-01")
    with pytest.raises(sqlite3.IntegrityError):
        ref_db["memberships"].insert(dict(base, category="K6"))
    with pytest.raises(sqlite3.IntegrityError):
        ref_db["memberships"].insert(dict(base, category="K8"))
    with pytest.raises(sqlite3.IntegrityError):
        ref_db["memberships"].insert(dict(base, category="K9"))
    with pytest.raises(sqlite3.IntegrityError):
        ref_db["memberships"].insert(dict(base, category="K1", valid_to="2021-01-01"))
    with pytest.raises(sqlite3.IntegrityError):
        ref_db["memberships"].insert(dict(base, category="K1", valid_from="2022-02-29"))
    ref_db["memberships"].insert(dict(base, category="K6", disability_level="DBN"))


def test_core_does_not_import_datasette():
    import subprocess
    import sys

    code = ("import sys, btxh.cli, btxh.store, btxh.reference, btxh.access, btxh.users, btxh.serving;"
            "bad = [m for m in sys.modules if m.startswith('datasette')];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
