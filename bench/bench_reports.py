"""Report benchmark on a copy of the national synthetic set (3.5 M beneficiaries, 3,321 communes).

    .venv/bin/python bench/bench_reports.py --prepare   # once: copy, migrate, six payroll months
    .venv/bin/python bench/bench_reports.py --summaries # the summaries' cost on the latest closed run
    .venv/bin/python bench/bench_reports.py [--runs 5]  # medians per report, province and national

``--prepare`` copies bench/out/national/btxh.db to bench/out/reports/btxh.db (never touching
the original), applies the migrations and runs the payroll for 2026-07 … 2026-12 (each closed
but the last), timing each run and close, then ``--summaries``. ``--summaries`` times, on the
latest closed run and inside a transaction that is rolled back, the cells summary (what the
reports add to a payroll run) and the budget projection (what they add to its close). The
measurement then times, for the province closest to 100,000 beneficiaries and for the whole
country, period 2026-H2:

* each form page's computation (btxh.reports.build: figures + rows; what the page, CSV and
  XLSX share) and the XLSX rendering of 10a;
* the budget estimate;
* every canned query of metadata.yml, as Datasette would run it (same SQL and parameters).

Medians of ``--runs`` runs, written to bench/out/reports.json. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from btxh import migrations, store  # noqa: E402
from btxh.payroll import run as payroll  # noqa: E402
from btxh.reports import build, forms, periods, render, summary  # noqa: E402
from btxh.scoping import Scope  # noqa: E402

SOURCE = ROOT / "bench" / "out" / "national" / "btxh.db"
COPY = ROOT / "bench" / "out" / "reports" / "btxh.db"
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12")
PERIOD = "2026-H2"


def prepare(out: dict) -> None:
    if not COPY.exists():
        COPY.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOURCE, COPY)
    db = store.open_db(COPY)
    started = time.perf_counter()
    migrations.apply(db)
    out["migrations_seconds"] = round(time.perf_counter() - started, 2)
    done = {r[0] for r in db.execute("SELECT month FROM payroll_runs")}
    runs = {}
    for month in MONTHS:
        if month in done:
            continue
        started = time.perf_counter()
        result = payroll.run(db, month)
        runs[month] = {"seconds": round(time.perf_counter() - started, 2), "lines": sum(result.lines.values())}
        if month != MONTHS[-1]:
            started = time.perf_counter()
            payroll.close(db, month)
            runs[month]["close_seconds"] = round(time.perf_counter() - started, 2)
        print(month, runs[month], flush=True)
    out["payroll_runs"] = runs
    db.conn.close()
    summaries(out)


def summaries(out: dict) -> None:
    """The cells summary and the budget projection of the latest closed run, rolled back."""
    db = store.open_db(COPY, create=False)
    migrations.apply(db)
    run_id, lines = db.execute("SELECT id, (SELECT count(*) FROM ledger WHERE run_id = r.id) FROM payroll_runs r"
                               " WHERE status = 'closed' ORDER BY month DESC, id DESC LIMIT 1").fetchone()
    first = db.execute("SELECT min(id) FROM ledger WHERE run_id = ?", [run_id]).fetchone()[0]
    engine = payroll.engine_for(db)
    result = {"run_id": run_id, "lines": lines, "load_before": _load()}
    db.conn.execute("BEGIN")
    try:
        started = time.perf_counter()
        summary.summarise_run(db, engine, run_id, first)  # as the payroll run calls it
        result["cells_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        summary.summarise_budget(db, engine, run_id)      # as payroll close calls it
        result["budget_seconds"] = round(time.perf_counter() - started, 2)
    finally:
        db.conn.execute("ROLLBACK")
    result["load_after"] = _load()
    out["summaries_of_one_national_run"] = result
    print(json.dumps(result), flush=True)
    db.conn.close()


def _load() -> str:
    """The 1-, 5- and 15-minute load averages (another benchmark may share the machine)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def measure(runs: int, out: dict) -> None:
    db = store.open_db(COPY, create=False)
    province = db.execute(
        "SELECT c.province_code, count(*) FROM persons p JOIN communes c ON c.code = p.commune_code"
        " GROUP BY 1 ORDER BY abs(count(*) - 100000) LIMIT 1").fetchone()
    out["province"] = {"code": province[0], "persons": province[1]}
    period = periods.parse(PERIOD)
    queries = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["phan_tich"]["queries"]
    conn = sqlite3.connect(f"file:{COPY}?mode=ro", uri=True)
    results = {}
    for label, province_code in (("province", province[0]), ("national", None)):
        where = build.where_for(db, Scope(everything=True), province_code, None)
        r = {}
        for code, form in forms.FORMS.items():
            r[f"page_{code}"] = _median(lambda: build.rows(form, build.figures(db, period, where)), runs)
        fig = build.figures(db, period, where)
        r["xlsx_10a"] = _median(lambda: render.to_xlsx(forms.FORM_10A, fig, build.rows(forms.FORM_10A, fig)), runs)
        r["budget"] = _median(lambda: build.budget(db, period, where, 540000), runs)
        for name, query in queries.items():
            params = {"period": PERIOD, "province": province_code or "", "commune": "", "form": "10a",
                      "trang": "", "muc_chuan_moi": "540000"}
            names = set(query.get("params", []))
            r[f"query_{name}"] = _median(
                lambda: conn.execute(query["sql"], {k: v for k, v in params.items() if k in names}).fetchall(), runs)
        r["load"] = _load()
        results[label] = r
        print(label, json.dumps(r, indent=1), flush=True)
    out["medians_seconds"] = results
    out["runs"] = runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="copy, migrate and run six payroll months first")
    parser.add_argument("--summaries", action="store_true",
                        help="time the cells summary and the budget projection of the latest closed run")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()
    target = ROOT / "bench" / "out" / "reports.json"
    out = json.loads(target.read_text()) if target.exists() else {}
    if args.prepare:
        prepare(out)
    elif args.summaries:
        summaries(out)
    else:
        measure(args.runs, out)
    target.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
