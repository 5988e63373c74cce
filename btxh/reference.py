"""Reference data shipped in btxh/data/: administrative units, code lists, rates.

Loading is idempotent: rows are upserted by their natural key, so ``btxh init`` can be
re-run after an upgrade. Base levels are only inserted when missing — a row added later
with ``btxh rates add`` is never overwritten by the shipped list.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from . import clock, store

DATA = Path(__file__).parent / "data"
UNITS = DATA / "admin_units"

NEW_UNITS_FROM = "2025-07-01"
LEGACY_UNITS_TO = "2025-06-30"
NEW_UNITS_BASIS = "Quyết định 19/2025/QĐ-TTg; các Nghị quyết sắp xếp đơn vị hành chính năm 2025"


@dataclass(frozen=True)
class Block:
    """One reference table loaded from one CSV file."""

    table: str
    path: Path
    pk: tuple[str, ...]
    extra: tuple[tuple[str, str], ...] = ()
    only_missing: bool = False


def _blocks() -> list[Block]:
    return [
        Block("programs", DATA / "programs.csv", ("code",)),
        Block("categories", DATA / "categories.csv", ("code",)),
        Block("decision_kinds", DATA / "decision_kinds.csv", ("code",)),
        Block("roles", DATA / "roles.csv", ("code",)),
        Block("coefficients", DATA / "coefficients.csv", ("category", "level", "min_age", "valid_from")),
        Block(
            "base_levels",
            DATA / "base_levels.csv",
            ("program", "jurisdiction", "valid_from"),
            (("added_by", "btxh init"),),
            only_missing=True,
        ),
        Block("provinces", UNITS / "provinces_2025.csv", ("code",),
              (("valid_from", NEW_UNITS_FROM), ("legal_basis", NEW_UNITS_BASIS))),
        Block("communes", UNITS / "communes_2025.csv", ("code",),
              (("valid_from", NEW_UNITS_FROM), ("legal_basis", NEW_UNITS_BASIS))),
        Block("legacy_provinces", UNITS / "provinces_legacy.csv", ("code",),
              (("valid_to", LEGACY_UNITS_TO),)),
        Block("legacy_districts", UNITS / "districts_legacy.csv", ("code",),
              (("valid_to", LEGACY_UNITS_TO),)),
        Block("legacy_communes", UNITS / "communes_legacy.csv", ("code",),
              (("valid_to", LEGACY_UNITS_TO),)),
        Block("province_succession", UNITS / "province_succession.csv", ("legacy_province_code",),
              (("effective_date", NEW_UNITS_FROM),)),
        Block("commune_succession", UNITS / "commune_succession.csv",
              ("legacy_commune_code", "commune_code"), (("effective_date", NEW_UNITS_FROM),)),
    ]


INTEGER_COLUMNS = {"min_age", "max_age", "tenths", "per_child", "amount", "sensitive",
                   "sort_order", "is_primary"}


def read_rows(path: Path) -> list[dict]:
    """Rows of a shipped CSV with empty cells as NULL and integer columns as int."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = []
        for row in csv.DictReader(f):
            clean = {}
            for key, value in row.items():
                value = value.strip() if value is not None else ""
                if value == "":
                    clean[key] = None
                elif key in INTEGER_COLUMNS:
                    clean[key] = int(value)
                else:
                    clean[key] = value
            rows.append(clean)
    return rows


def _load_block(db: Database, block: Block, now: str) -> int:
    rows = read_rows(block.path)
    for row in rows:
        for key, value in block.extra:
            row.setdefault(key, value)
        if block.table == "base_levels":
            row.setdefault("added_at", now)
    cols = list(rows[0].keys())
    placeholders = ", ".join("?" for _ in cols)
    where = " AND ".join(f"{k} IS ?" for k in block.pk)
    updates = [c for c in cols if c not in block.pk]
    table = block.table
    changed = 0
    for row in rows:
        key = [row[k] for k in block.pk]
        current = db.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where}", key).fetchone()
        if current is None:
            db.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})",
                [row[c] for c in cols],
            )
            changed += 1
        elif not block.only_missing and updates and any(
            current[cols.index(c)] != row[c] for c in updates if c != "added_at"
        ):
            db.execute(
                f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in updates)} WHERE {where}",
                [row[c] for c in updates] + key,
            )
            changed += 1
    return changed


def load(db: Database) -> dict[str, int]:
    """Load (or refresh) every block of reference data in one transaction."""
    now = clock.now_iso()
    counts, changed = {}, 0
    with db.atomic():
        for block in _blocks():
            changed += _load_block(db, block, now)
            counts[block.table] = db.execute(f"SELECT count(*) FROM {block.table}").fetchone()[0]
        if changed:
            _record_sources(db, now)
            store.audit(db, actor="btxh init", action="reference_load", table="data_sources",
                        row_id=None, after={"rows_changed": changed, "counts": counts})
    return counts


_SOURCES = [
    ("admin_units",
     "Đơn vị hành chính cấp tỉnh, cấp xã từ 01/07/2025 và trước đó; bảng chuyển đổi cũ → mới",
     "btxh/data/admin_units (trích từ gói PyPI vietnamadminunits; xem PROVENANCE.md)",
     "vietnamadminunits 1.0.4", "MIT"),
    ("rates",
     "Mức chuẩn trợ giúp xã hội, danh mục đối tượng và hệ số",
     "btxh/data/*.csv, theo Nghị định 20/2021/NĐ-CP, 76/2024/NĐ-CP, 176/2025/NĐ-CP",
     None, None),
]


def _record_sources(db: Database, now: str) -> None:
    for source in _SOURCES:
        db.execute(
            "INSERT OR REPLACE INTO data_sources (name, description, source, version, licence, loaded_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [*source, now],
        )
