"""Opening btxh.db, and the only place that turns rows into domain values and back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from . import clock, migrations

class StoreError(Exception):
    """A problem with the database file, worded for staff (Vietnamese)."""


# Every connection btxh opens gets these, in this order (one place; issue 14 measures them):
# foreign keys checked; wait up to 5 s for a writer instead of failing "database is locked";
# WAL so that readers never block the writer nor the writer the readers.
BUSY_TIMEOUT_MS = 5000


def check_sqlite_file(path: Path) -> None:
    """Refuse a path that exists but is not an SQLite database (before any write).

    The file is judged by SQLite itself, never read with Python's ``open()``: closing a
    descriptor of our own on the database drops every POSIX lock this process holds on it,
    and the next process to close its connection would then checkpoint and delete the live
    WAL under a running server (issue 11, finding 7).
    """
    if path.is_dir():
        raise StoreError(f"{path}: là một thư mục, không phải tệp cơ sở dữ liệu SQLite.")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return  # cannot be opened read-only here (e.g. locked, no -shm): open_db will say why
    except sqlite3.DatabaseError as e:
        raise StoreError(
            f"{path}: không phải tệp cơ sở dữ liệu SQLite (phần đầu tệp không đúng định dạng). "
            "Không có gì bị thay đổi."
        ) from e


def configure(conn: sqlite3.Connection) -> sqlite3.Connection:
    """The pragmas of every btxh connection (see BUSY_TIMEOUT_MS)."""
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    return conn


def open_db(path: str | Path, *, create: bool = True) -> Database:
    """Open btxh.db with foreign keys on and WAL journaling."""
    path = Path(path)
    check_sqlite_file(path)
    if not create and not path.exists():
        raise StoreError(f"{path}: không tìm thấy cơ sở dữ liệu. Hãy chạy `btxh init {path}` trước.")
    conn = sqlite3.connect(str(path))
    try:
        configure(conn)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(f"{path}: không đọc được cơ sở dữ liệu SQLite ({e}).") from e
    return Database(conn)


def rows(db: Database, sql: str, params=()) -> list[dict]:
    """Rows of a query as dicts keyed by column name."""
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def row(db: Database, sql: str, params=()) -> dict | None:
    """The first row of a query as a dict, or None."""
    found = rows(db, sql, params)
    return found[0] if found else None


def is_initialised(db: Database) -> bool:
    return not migrations.migrations.pending(db)


def registry_is_empty(db: Database) -> bool:
    """True when no person, household or decision has been recorded."""
    for table in ("persons", "households", "decisions"):
        if db[table].exists() and db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            return False
    return True


def audit(db: Database, *, actor: str, action: str, table: str, row_id, before=None,
          after=None, commune_code: str | None = None) -> None:
    """Append one row to the audit log (call inside the caller's transaction)."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, table_name, row_id, commune_code, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            clock.now_iso(),
            actor,
            action,
            table,
            None if row_id is None else str(row_id),
            commune_code,
            None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
            None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        ],
    )
