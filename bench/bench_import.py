"""Benchmark: `btxh import doi-tuong` of a 100,000-row XLSX (issue 7; target ≥ 20,000 rows/s).

Generates a realistic list — Vietnamese names, villages of one province's communes, every
category, dates in mixed formats (dd/mm/yyyy text, year only, mm/yyyy, Excel serials, date
cells) — into a fresh reference database, then times the full import (read + validate +
match + write, one transaction, audited) and, in the same run, a bare executemany of the same
persons/memberships/decisions rows into a second fresh database (same page cache, same
triggers and indexes, no validation, no audit): the floor the write stage is compared with.
The machine is shared, so each repeat prints its own figures with the load average, and the
ratios (import ÷ bare, write ÷ bare) are the numbers to compare between runs.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--repeat 3] [--out bench/out/import]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import shutil
import time
from pathlib import Path

import openpyxl

from btxh import migrations, reference, store
from btxh.importing import beneficiaries, read
from btxh.importing.common import Transaction, big_cache, gc_paused

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Công", "Minh", "Quang", "Xuân"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Hồng"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quân", "Sơn",
           "Tài", "Thắng", "Tuấn", "Việt"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Phương", "Thảo",
           "Trang", "Vân", "Yến"]
VILLAGES = ["Thôn Đông", "Thôn Tây", "Thôn Nam", "Thôn Bắc", "Xóm Mới", "Tổ dân phố 1", "Tổ dân phố 2",
            "Thôn Thượng", "Thôn Hạ", "Bản Mường"]
HEADER = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "Số định danh", "Thôn/Xóm/Tổ dân phố", "Mã xã",
          "Diện hưởng", "Mức độ khuyết tật", "Mức hưởng", "Số QĐ", "Ngày QĐ"]
BIRTH_PROVINCES = [1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
                   37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
                   75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96]
CATEGORIES = [("K1", 2008, 2021, 750000), ("K5a", 1935, 1964, 750000), ("K5c", 1925, 1944, 500000),
              ("K6", 1940, 2015, 1000000), ("K4", 1975, 2000, 500000), ("K8", 1960, 2000, 750000)]


def _date_cell(rng: random.Random, day: dt.date, partial_ok: bool):
    kind = rng.random()
    if partial_ok and kind < 0.15:
        return day.year  # year only, as a number
    if partial_ok and kind < 0.25:
        return f"{day.month:02d}/{day.year}"
    if kind < 0.45:
        return (day - dt.date(1899, 12, 30)).days  # an Excel serial in a General cell
    if kind < 0.6:
        return day  # a date cell
    return day.strftime("%d/%m/%Y")


def generate(path: Path, rows: int, communes: list[str], seed: int = 1) -> None:
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append(["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"])
    ws.append([])
    ws.append(HEADER)
    serial = 0
    for i in range(rows):
        male = rng.random() < 0.5
        name = " ".join([rng.choice(SURNAMES), rng.choice(MIDDLE_M if male else MIDDLE_F),
                         rng.choice(GIVEN_M if male else GIVEN_F), rng.choice(GIVEN_M if male else GIVEN_F)])
        cat, lo, hi, amount = rng.choice(CATEGORIES)
        born = dt.date(rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28))
        signed = dt.date(rng.randint(max(2021, born.year + 1), 2026), rng.randint(1, 10), rng.randint(1, 28))
        serial += 1
        century = (0 if born.year < 2000 else 2) + (0 if male else 1)
        cccd = f"0{rng.choice(BIRTH_PROVINCES):02d}{century}{born.year % 100:02d}{serial:06d}"
        ws.append([i + 1, name, "Nam" if male else "Nữ", _date_cell(rng, born, True), cccd,
                   rng.choice(VILLAGES), rng.choice(communes), cat,
                   rng.choice(["Đặc biệt nặng", "Nặng"]) if cat == "K6" else "", amount,
                   f"{rng.randint(1, 999)}/QĐ-UBND", _date_cell(rng, signed, False)])
    wb.save(path)


def fresh_db(path: Path):
    if path.exists():
        path.unlink()
    db = store.open_db(path)
    migrations.apply(db)
    reference.load(db)
    return db


def bare_insert(db, outcome) -> float:
    """The same rows written with plain executemany, no validation, no audit (the floor)."""
    w = outcome.payload
    people = list(w["persons"].values())
    started = time.perf_counter()
    with gc_paused(), Transaction(db.conn), big_cache(db.conn):
        db.conn.executemany(
            "INSERT INTO persons (id, full_name, sex, birth_date, birth_precision, birth_year, cccd, commune_code,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'x', 'x')",
            [(i + 1, f["full_name"], f["sex"], str(f["birth"]), f["birth"].precision, f["birth"].year, f["cccd"],
              f["commune"]) for i, f in enumerate(people)])
        db.conn.executemany(
            "INSERT INTO memberships (id, person_id, commune_code, category, valid_from, disability_level,"
            " hiv_positive) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i + 1, i + 1, f["commune"], f["category"], f["start_month"] + "-01", f["level"],
              int(f["category"] in ("K3", "K8"))) for i, f in enumerate(people)])
        db.conn.executemany(
            "INSERT INTO decisions (number, kind, person_id, membership_id, commune_code, signed_date, signer_name,"
            " signer_title, authority_level, start_month, legal_basis, created_at, created_by)"
            " VALUES (?, 'grant', ?, ?, ?, ?, 's', 't', 'xa', ?, 'b', 'x', 'x')",
            [(f["decision_number"], i + 1, i + 1, f["commune"], f["signed"].isoformat(), f["start_month"])
             for i, f in enumerate(people)])
    return time.perf_counter() - started


def fresh_copy(template: Path, path: Path):
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy(template, path)
    return store.open_db(path)


def once(template: Path, out: Path, xlsx: Path) -> dict:
    """One import and one bare executemany, timed stage by stage."""
    load = os.getloadavg()[0]
    db = fresh_copy(template, out / "import.db")
    data = xlsx.read_bytes()
    stages = {}
    t0 = time.perf_counter()
    with gc_paused():  # as `btxh import` does
        book = read(data, xlsx.name)
    stages["read_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    outcome = beneficiaries.plan(db, data, xlsx.name, book=book)
    stages["validate_match_s"] = time.perf_counter() - t1
    assert not outcome.problems, [str(p) for p in outcome.problems[:5]]
    t2 = time.perf_counter()
    beneficiaries.apply(db, outcome, "bench")
    stages["write_s"] = time.perf_counter() - t2
    total = time.perf_counter() - t0
    persons = db.execute("SELECT count(*) FROM persons").fetchone()[0]
    audit = db.execute("SELECT count(*), coalesce(sum(length(after)), 0) FROM audit_log").fetchone()
    db.conn.close()
    bare_db = fresh_copy(template, out / "bare.db")
    bare = bare_insert(bare_db, outcome)
    bare_db.conn.close()
    return {"rows": outcome.rows_read, "persons": persons, "load_1min": round(load, 2),
            "total_s": round(total, 2), "rows_per_s": round(outcome.rows_read / total),
            **{k: round(v, 2) for k, v in stages.items()},
            "bare_executemany_s": round(bare, 2), "ratio_to_bare": round(total / bare, 2),
            "write_ratio_to_bare": round(stages["write_s"] / bare, 2),
            "audit_rows": audit[0], "audit_mb": round(audit[1] / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median run is reported last")
    parser.add_argument("--province", default="08")
    parser.add_argument("--out", default="bench/out/import")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    template = out / "reference.db"
    if not template.exists():
        fresh_db(template).conn.close()
    db = store.open_db(template)
    communes = [r[0] for r in db.execute("SELECT code FROM communes WHERE province_code = ? ORDER BY code",
                                         [args.province])]
    db.conn.close()
    xlsx = out / f"doi-tuong-{args.rows}.xlsx"
    if not xlsx.exists():
        t = time.perf_counter()
        generate(xlsx, args.rows, communes)
        print(f"generated {xlsx} in {time.perf_counter() - t:.1f} s")
    runs = []
    for _ in range(args.repeat):
        runs.append(once(template, out, xlsx))
        print(json.dumps(runs[-1]))
    result = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]
    result = {**result, "runs": len(runs), "rows_per_s_all": [r["rows_per_s"] for r in runs],
              "ratio_to_bare_median": statistics.median(r["ratio_to_bare"] for r in runs)}
    print(json.dumps(result, indent=2))
    (out / "result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
