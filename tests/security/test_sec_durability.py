"""Finding 7 (issue 11): a write lost because the server opened the database file itself.

`store.check_sqlite_file()` used to read the file's first bytes with Python's ``open()``
inside the server. Closing that descriptor drops every POSIX lock the process holds on the
file (fcntl locks belong to the process and the inode, not to the descriptor), so the next
`btxh` command believed it was the only user, and on closing checkpointed and deleted the
live ``-wal``/``-shm`` under the running server: later logins answered 500 "disk I/O error"
and audit rows were lost. The attack is only a sequence of ordinary steps: serve, log in,
run a CLI command, write from a second process, log in again.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import PASSWORD
from served import serve

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def _btxh(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "btxh.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def _login(base: str, username: str) -> int:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/-/login")
        token = _CSRF.search(page.text).group(1)
        response = client.post("/-/login", data={"username": username, "password": PASSWORD,
                                                 "csrftoken": token, "next": "/"})
        return response.status_code


def _logins_recorded(path: Path, username: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM audit_log WHERE action = 'login' AND actor = ?",
                            [username]).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def served(tmp_path, demo_db_path):
    path = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, path)
    env = dict(os.environ, BTXH_SECRET="durability-test", PYTHONPATH=str(ROOT))
    with serve(path, env) as (base, proc):
        yield {"path": path, "base": base, "env": env, "proc": proc}


def test_cli_command_and_second_writer_beside_a_serving_process_lose_no_audit_row(served):
    path, base, env = served["path"], served["base"], served["env"]
    statuses = [_login(base, "t_xa") for _ in range(3)]
    # a CLI command that only reads, one that writes, and a second writer of our own
    listed = _btxh("payroll", "list", "2026-11", "--commune", "00000", "--db", str(path), env=env)
    assert "Traceback" not in listed.stderr
    added = _btxh("user", "add", "durable_xa", "--role", "quan_tri", "--db", str(path),
                  env=dict(env, BTXH_PASSWORD=PASSWORD))
    assert added.returncode == 0, added.stderr
    live = [suffix for suffix in ("-wal", "-shm") if Path(str(path) + suffix).exists()]
    assert live == ["-wal", "-shm"], "a CLI command deleted the live WAL/SHM under the server"
    other = sqlite3.connect(path, timeout=10)
    with other:
        other.execute("INSERT INTO audit_log (at, actor, action, table_name) VALUES"
                      " ('2026-12-02T00:00:00Z', 'second-writer', 'probe', 'audit_log')")
    other.close()
    statuses += [_login(base, "t_xa") for _ in range(3)]
    statuses.append(_login(base, "durable_xa"))

    assert statuses == [302] * 7, statuses
    # another process sees every write the server made, while the server still runs
    assert _logins_recorded(path, "t_xa") == 6
    assert _logins_recorded(path, "durable_xa") == 1
    served["proc"].terminate()
    served["proc"].wait(timeout=30)
    assert _logins_recorded(path, "t_xa") == 6
    assert _logins_recorded(path, "durable_xa") == 1
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM audit_log WHERE actor = 'second-writer'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM users WHERE username = 'durable_xa'").fetchone()[0] == 1
    finally:
        conn.close()


def test_opening_the_database_never_opens_its_file_outside_sqlite(tmp_path, reference_db_path, monkeypatch):
    """The class of bug, not one call site: opening btxh.db (as every server page that writes
    does) reads no byte of the file through Python, so no descriptor of ours is closed on it."""
    import builtins
    import io

    from btxh import store

    path = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, path)
    touched = []
    real_open, real_os_open = builtins.open, os.open

    def spy(file, *args, **kwargs):
        if str(file).startswith(str(path)):
            touched.append(str(file))
        return real_open(file, *args, **kwargs)

    def os_spy(file, *args, **kwargs):
        if str(file).startswith(str(path)):
            touched.append(str(file))
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    monkeypatch.setattr(os, "open", os_spy)
    db = store.open_db(path, create=False)
    db.execute("SELECT count(*) FROM communes").fetchone()
    db.conn.close()
    assert touched == []


@pytest.mark.parametrize("content, expected", [
    pytest.param(b"not a database at all, just text" * 10, "không phải tệp cơ sở dữ liệu SQLite", id="text-file"),
    pytest.param(b"SQLite format 3\x00" + b"\xff" * 200, "không phải tệp cơ sở dữ liệu SQLite", id="broken-header"),
])
def test_a_file_that_is_not_sqlite_is_still_refused_before_any_write(tmp_path, content, expected):
    from btxh import store

    path = tmp_path / "btxh.db"
    path.write_bytes(content)
    with pytest.raises(store.StoreError, match=expected):
        store.open_db(path)
    assert path.read_bytes() == content
    assert not Path(str(path) + "-wal").exists()
