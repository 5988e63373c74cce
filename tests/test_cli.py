"""The btxh command: each command, and bad input refused with the database unchanged."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from btxh.cli import cli
from conftest import digest




def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_init_creates_and_is_idempotent(tmp_path):
    db = tmp_path / "btxh.db"
    first = run("init", db)
    assert first.exit_code == 0, first.output
    assert "3321 xã" in first.output
    second = run("init", db)
    assert second.exit_code == 0 and "đã cập nhật" in second.output


@pytest.mark.parametrize("content", [b"not a database at all", b"PK\x03\x04 zip file", b"SQLite format 2\x00"])
def test_init_refuses_a_file_that_is_not_sqlite(tmp_path, content):
    db = tmp_path / "btxh.db"
    db.write_bytes(content)
    result = run("init", db)
    assert result.exit_code != 0
    assert "không phải tệp cơ sở dữ liệu SQLite" in result.output
    assert db.read_bytes() == content


def test_demo_into_a_non_empty_database_needs_force(demo_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, db)
    before = digest(db)
    result = run("demo", db, "--scale", "commune")
    assert result.exit_code != 0
    assert "--force" in result.output and "Không có gì bị thay đổi" in result.output
    assert digest(db) == before


def test_demo_force_rebuilds_and_keeps_accounts(demo_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, db)
    result = run("demo", db, "--scale", "commune", "--seed", "2", "--force")
    assert result.exit_code == 0, result.output
    import sqlite3
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM users WHERE username = 't_xa'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM persons").fetchone()[0] > 100


@pytest.mark.parametrize("args,message", [
    pytest.param(["--role", "giam_doc", "--commune", "00004"], "Vai trò «giam_doc» không tồn tại", id="unknown-role"),
    pytest.param(["--role", "can_bo_xa", "--commune", "99999"], "Mã xã «99999»", id="unknown-commune"),
    pytest.param(["--role", "can_bo_xa"], "ít nhất một xã", id="no-commune"),
])
def test_user_add_refuses_bad_input(demo_db_path, tmp_path, args, message):
    db = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, db)
    before = digest(db)
    result = run("user", "add", "moi", *args, "--db", db, env={"BTXH_PASSWORD": "mat-khau-dai"})
    assert result.exit_code != 0
    assert message in result.output
    assert digest(db) == before


def test_user_add(demo_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, db)
    result = run("user", "add", "moi", "--role", "tinh", "--province", "08", "--db", db,
                 env={"BTXH_PASSWORD": "mat-khau-dai"})
    assert result.exit_code == 0, result.output
    assert "Đã tạo tài khoản moi" in result.output


def test_user_add_on_missing_database(tmp_path):
    result = run("user", "add", "moi", "--role", "tinh", "--db", tmp_path / "nope.db",
                 env={"BTXH_PASSWORD": "mat-khau-dai"})
    assert result.exit_code != 0 and "btxh init" in result.output
    assert not (tmp_path / "nope.db").exists()


def _commands(group, prefix=""):
    for name, command in sorted(group.commands.items()):
        yield prefix + name, command
        if hasattr(command, "commands"):
            yield from _commands(command, prefix + name + " ")


@pytest.mark.parametrize("name,command", list(_commands(cli)), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_is_documented_with_an_example(name, command):
    assert command.help, name
    if not hasattr(command, "commands"):
        assert "Example" in command.help, name
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.name}"


def test_readme_documents_every_command():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name, command in _commands(cli):
        if not hasattr(command, "commands"):
            assert f"btxh {name}" in readme, name


def test_init_twice_leaves_the_file_byte_identical(tmp_path):
    db = tmp_path / "btxh.db"
    run("init", db)
    before = digest(db)
    assert run("init", db).exit_code == 0
    assert digest(db) == before


@pytest.mark.parametrize("args,message", [
    pytest.param(["payroll", "run", "2021-06"], "trước tháng 2021-07", id="run-before-rule-set"),
    pytest.param(["payroll", "run", "2026-11", "--commune", "99999"], "99999", id="run-unknown-commune"),
    pytest.param(["payroll", "run", "11/2026"], "không hợp lệ", id="run-malformed-month"),
    pytest.param(["payroll", "close", "2026-11"], "Không có kỳ chi trả", id="close-nothing-open"),
    pytest.param(["rates", "add", "--from", "2026-07", "--amount", "-5", "--basis", "x"], "--amount", id="rate-negative"),
    pytest.param(["payroll", "list", "2026-11", "--commune", "99999"], "99999", id="list-unknown-commune"),
])
def test_payroll_commands_refuse_bad_input(demo_db_path, tmp_path, args, message):
    db = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, db)
    before = digest(db)
    result = run(*args, "--db", db)
    assert result.exit_code != 0
    assert message in result.output
    assert digest(db) == before


def test_payroll_run_close_and_a_closed_month_refused(demo_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, db)
    first = run("payroll", "run", "2026-10", "--db", db)
    assert first.exit_code == 0 and "hằng tháng" in first.output, first.output
    assert run("payroll", "close", "2026-10", "--db", db).exit_code == 0
    before = digest(db)
    again = run("payroll", "run", "2026-10", "--db", db)
    assert again.exit_code != 0 and "đã chốt" in again.output
    assert digest(db) == before
    added = run("rates", "add", "--from", "2026-07", "--amount", "540000", "--basis", "Nghị định thử", "--db", db)
    assert added.exit_code == 0
    nxt = run("payroll", "run", "2026-11", "--db", db)
    assert nxt.exit_code == 0 and "truy lĩnh" in nxt.output, nxt.output


def test_demo_with_payroll_has_payment_lists(reference_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, db)
    result = run("demo", db, "--scale", "commune", "--payroll-until", "2026-11")
    assert result.exit_code == 0, result.output
    assert "2026-09" in result.output and "(đang mở)" in result.output
    import sqlite3
    runs = sqlite3.connect(db).execute("SELECT month, status FROM payroll_runs ORDER BY month").fetchall()
    assert runs == [("2026-09", "closed"), ("2026-10", "closed"), ("2026-11", "open")]
