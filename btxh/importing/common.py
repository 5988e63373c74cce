"""What every kind of import shares: legacy-encoding check, sheets → records, locating
problems, and writing audit rows in bulk. Pure except ``audit_rows``/``record_batch``."""

from __future__ import annotations

import gc
import json

from importers import FileRefused, Workbook
from importers.delimited import legacy_refusal

from .. import clock
from .cells import legacy_encoding, legacy_weight, text
from .table import Field, Problem, find_header, missing, records

LEGACY_SCAN_ROWS = 60


def check_legacy(book: Workbook) -> None:
    """Refuse a workbook typed in TCVN3/VNI fonts (.VnTime, VNI-Times): its text is not Unicode."""
    hits: dict[str, int] = {}
    for sheet in book.sheets:
        for row in sheet.rows[:LEGACY_SCAN_ROWS]:
            for cell in row:
                if isinstance(cell, str) and cell and not cell.isascii():
                    found = legacy_encoding(cell)
                    if found:
                        hits[found] = hits.get(found, 0) + legacy_weight(cell)
    if sum(hits.values()) >= 2:
        raise legacy_refusal(book.filename, max(hits, key=hits.get))


def sheet_records(book: Workbook, fields: list[Field], required: list[tuple[str, ...]], name_key: str,
                  outcome, progress=None):
    """Yield (sheet name, header names, row number, cells) of every sheet with a header.

    Problems of the header (missing or doubled columns) go into ``outcome.problems``; a
    workbook where no sheet has a header is refused."""
    found_any = False
    for sheet in book.sheets:
        header = find_header(sheet, fields)
        if header is None:
            continue  # a sheet of notes or instructions
        found_any = True
        problems = header.problems + missing(header, fields, required)
        for message in problems:
            outcome.problems.append(Problem(book.filename, sheet.name, header.row + 1, None, None, message))
        if problems:
            continue
        for number, cells in records(sheet, header, name_key):
            if cells is None:
                continue
            outcome.rows_read += 1
            if progress and outcome.rows_read % 1000 == 0:
                progress(1000)
            yield sheet.name, header.names, header.columns, number, cells
    if progress:
        progress(outcome.rows_read % 1000)
    if not found_any:
        wanted = ", ".join(f"«{next(f.label for f in fields if f.key == alt[0])}»" for alt in required)
        raise FileRefused(f"«{book.filename}»: không tìm thấy dòng tiêu đề: cần các cột {wanted}"
                          " (trong 30 dòng đầu của một trang). Không có gì được ghi.")


def problem_at(book: Workbook, sheet, names: dict, columns: dict, number: int, key: str | None,
               cells: dict, message: str) -> Problem:
    column = names.get(columns[key]) if key and key in columns else None
    value = text(cells.get(key)) if key and cells is not None else None
    return Problem(book.filename, sheet, number, column, value, message)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


AUDIT_SQL = ("INSERT INTO audit_log (at, actor, action, table_name, row_id, commune_code, before, after)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def audit_rows(conn, actor: str, rows) -> None:
    """Many audit rows at once, in the caller's transaction (same columns as store.audit)."""
    now = clock.now_iso()
    conn.executemany(AUDIT_SQL, ((now, actor, action, table, str(row_id), commune,
                                  None if before is None else dumps(before), dumps(after))
                                 for action, table, row_id, commune, before, after in rows))


def expand_rows(record: dict) -> list[dict]:
    """An ``import_rows`` audit record of one table (``{"count", "same", "columns", "rows"}``)
    back into one dict per inserted row, every column included (ADR 011)."""
    if not record["columns"]:
        return [dict(record["same"]) for _ in range(record["count"])]
    return [{**record["same"], **dict(zip(record["columns"], values))} for values in record["rows"]]


def record_batch(conn, outcome, actor: str, commune: str | None) -> int:
    """One import_batches row for an import that wrote something; its id."""
    batch_id = conn.execute(
        "INSERT INTO import_batches (kind, file_name, file_sha256, commune_code, rows_read, inserted,"
        " updated, unchanged, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [outcome.kind, outcome.filename, outcome.sha256, commune, outcome.rows_read, outcome.inserted,
         outcome.updated, outcome.unchanged, clock.now_iso(), actor]).lastrowid
    audit_rows(conn, actor, [("import", "import_batches", batch_id, commune, None, {
        "kind": outcome.kind, "file": outcome.filename, "sha256": outcome.sha256, "rows_read": outcome.rows_read,
        "inserted": outcome.inserted, "updated": outcome.updated, "unchanged": outcome.unchanged})])
    return batch_id


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception: all or nothing."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        if self.conn.in_transaction:
            self.conn.commit()
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False


class big_cache:
    """A large page cache while an import writes: its B-trees stay in memory (halves the time)."""

    def __init__(self, conn, kib: int = 262144):
        self.conn, self.kib = conn, kib

    def __enter__(self):
        self.before = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = -{self.kib}")

    def __exit__(self, *exc):
        self.conn.execute(f"PRAGMA cache_size = {self.before}")
        return False


class gc_paused:
    """The cyclic garbage collector off while an import builds or writes its rows.

    A 100,000-row plan keeps about a million small dicts, tuples and strings alive; every
    few thousand allocations the collector walks all of them again, which cost more than
    the validation itself (bench/bench_import.py: plan 5.7 s → 2.8 s). The rows hold no
    reference cycles, so reference counting frees them; the collector is switched back on
    (if it was on) when the import returns, also on error."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()
        return False
