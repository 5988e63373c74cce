"""Payroll benchmark on the national synthetic set (3.5 M beneficiaries, 3,321 communes).

    .venv/bin/python bench/bench_payroll.py [--db bench/out/national/btxh.db] [--month 2026-11]

Builds the set first when missing (`btxh demo --scale national`, about 4 minutes). Reports,
measured in one run on the same database:
* one payroll month for the province closest to 100,000 beneficiaries: wall time;
* one payroll month for the whole country: wall time, lines written, and the ratio to a
  bare ``INSERT … SELECT`` that writes the same number of ledger rows into the same table
  (the cost of writing the lines, which no engine can avoid). A national run shares the
  fast path between the machine's cores (btxh/payroll/parallel.py).
Runs are rolled back afterwards, so the benchmark can be repeated. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from btxh import cli, migrations, reference, store  # noqa: E402
from btxh.payroll import run as payroll  # noqa: E402


def _discard_open_runs(db) -> None:
    with db.atomic():
        db.execute("DELETE FROM ledger WHERE run_id IN (SELECT id FROM payroll_runs WHERE status = 'open')")
        db.execute("DELETE FROM payroll_runs WHERE status = 'open'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "national" / "btxh.db"))
    parser.add_argument("--month", default="2026-11")
    args = parser.parse_args()
    path = Path(args.db)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        cli.build_demo(str(path), scale="national", seed=1, province=None, force=False)
    db = store.open_db(path)
    migrations.apply(db)
    reference.load(db)
    _discard_open_runs(db)
    engine = payroll.engine_for(db)
    report = {"month": args.month}

    province, persons = db.execute(  # the province closest to 100,000 beneficiaries
        "SELECT c.province_code, count(DISTINCT m.person_id) FROM memberships m"
        " JOIN communes c ON c.code = m.commune_code GROUP BY 1 ORDER BY abs(count(DISTINCT m.person_id) - 100000)"
        " LIMIT 1").fetchone()
    communes = [r[0] for r in db.execute("SELECT code FROM communes WHERE province_code = ?", [province])]
    started = time.perf_counter()
    summary = payroll.run(db, args.month, communes, engine=engine, actor="bench")
    report["province"] = {"code": province, "communes": len(communes), "beneficiaries": persons,
                          "lines": sum(summary.lines.values()),
                          "seconds": round(time.perf_counter() - started, 2)}
    _discard_open_runs(db)

    started = time.perf_counter()
    summary = payroll.run(db, args.month, None, engine=engine, actor="bench")
    national = time.perf_counter() - started
    lines = sum(summary.lines.values())
    _discard_open_runs(db)

    # the bare baseline: the same number of ledger rows, written by one INSERT … SELECT
    with db.atomic():
        run_id = db.execute("INSERT INTO payroll_runs (month, status, rule_set, created_at, created_by)"
                            " VALUES (?, 'open', 'bare', 'x', 'bench')", [args.month]).lastrowid
        started = time.perf_counter()
        db.execute("""INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,
                                          coefficient_tenths, base, basis, reason)
                      SELECT ?, id, commune_code, 'TCXH', ?, 'thuong_xuyen', 750000, 0, 15, 500000, 'K6', NULL
                      FROM persons LIMIT ?""", [run_id, args.month, lines])
        bare = time.perf_counter() - started
    _discard_open_runs(db)
    report["national"] = {"lines": lines, "seconds": round(national, 2),
                          "bare_insert_select_seconds": round(bare, 2), "ratio": round(national / bare, 2)}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "payroll.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
