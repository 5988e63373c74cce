"""Foundation benchmark: build the national synthetic set, then time staff pages on it.

    .venv/bin/python bench/bench_foundation.py [--out bench/out] [--rebuild] [--requests 30]

Reports, measured in one run:
* demo build time, and its ratio to a bare ``INSERT … SELECT`` of the same rows into an
  empty database with the same schema (what the generator costs beyond writing rows);
* median latency of a staff table page and of one commune's filtered pages, served by
  `btxh serve` over HTTP on localhost, and their ratio to the home page (the fixed cost of
  a request through Datasette and our guard).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import sqlite3
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _served import served  # noqa: E402
from btxh import cli, migrations, store  # noqa: E402

TABLES = ["villages", "area_flags", "households", "household_poverty", "persons", "memberships",
          "membership_children", "care_entitlements", "social_pensions", "decisions"]
PASSWORD = "bench-password-1"


def build(path: Path) -> float:
    if path.exists():
        path.unlink()
    started = time.perf_counter()
    cli.build_demo(str(path), scale="national", seed=1, province=None, force=False)
    return time.perf_counter() - started


def bare_copy(source: Path) -> tuple[float, int]:
    """Time INSERT … SELECT of every generated row into a fresh database of the same schema."""
    target = source.with_name("bare-copy.db")
    for p in (target, Path(str(target) + "-wal"), Path(str(target) + "-shm")):
        if p.exists():
            p.unlink()
    db = store.open_db(target)
    migrations.apply(db)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")  # bare: the rows only, as the generator's own load
    db.conn.close()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("ATTACH ? AS src", [str(source)])
    # the copy needs the parents the generated rows point to
    for t in ("provinces", "communes", "categories", "programs", "decision_kinds"):
        conn.execute(f"INSERT INTO main.{t} SELECT * FROM src.{t}")
    rows = 0
    started = time.perf_counter()
    conn.execute("BEGIN")
    for t in TABLES:
        rows += conn.execute(f"INSERT INTO main.{t} SELECT * FROM src.{t}").rowcount
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    for p in (target, Path(str(target) + "-wal"), Path(str(target) + "-shm")):
        if p.exists():
            p.unlink()
    return elapsed, rows


def serve_and_time(db_path: Path, n: int) -> dict:
    db = store.open_db(db_path)
    commune = db.execute(
        "SELECT commune_code, count(*) FROM persons GROUP BY commune_code ORDER BY 2 DESC LIMIT 1"
    ).fetchone()[0]
    from btxh import users
    for name, role, communes in (("bench", "quan_tri", []), ("benchxa", "can_bo_xa", [commune])):
        if not db.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
            users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes)
    db.conn.close()
    with served(db_path) as base:
        def opener_for(username):
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            page = opener.open(base + "/-/login").read().decode()
            token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
            opener.open(base + "/-/login", urllib.parse.urlencode(
                {"username": username, "password": PASSWORD, "csrftoken": token}).encode())
            return opener

        admin, officer = opener_for("bench"), opener_for("benchxa")
        pages = {
            "home (baseline)": (admin, "/"),
            "staff table page (admin, national): persons": (admin, "/btxh/persons"),
            "staff table page (admin, national): memberships": (admin, "/btxh/memberships"),
            "commune officer, scoped: persons": (officer, "/btxh/persons"),
            "commune officer, scoped: memberships K6": (officer, "/btxh/memberships?category=K6"),
            "admin, one commune filtered: persons": (admin, f"/btxh/persons?commune_code={commune}"),
        }
        results = {}
        for label, (opener, path) in pages.items():
            opener.open(base + path).read()  # warm
            times = []
            for _ in range(n):
                t = time.perf_counter()
                response = opener.open(base + path)
                response.read()
                assert response.status == 200, (path, response.status)
                times.append((time.perf_counter() - t) * 1000)
            results[label] = {"path": path, "median_ms": round(statistics.median(times), 1),
                              "p95_ms": round(sorted(times)[int(0.95 * (n - 1))], 1)}
        baseline = results["home (baseline)"]["median_ms"]
        for r in results.values():
            r["ratio_to_home"] = round(r["median_ms"] / baseline, 2)
        return {"commune": commune, "requests_per_page": n, "pages": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the national set even if present")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--bare-only", action="store_true",
                        help="also time the bare INSERT … SELECT without rebuilding")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "national" / "btxh.db"
    db_path.parent.mkdir(exist_ok=True)
    report = {}
    if args.rebuild or not db_path.exists():
        build_s = build(db_path)
        copy_s, rows = bare_copy(db_path)
        report["build"] = {"seconds": round(build_s, 1), "rows": rows,
                           "bare_insert_select_seconds": round(copy_s, 1),
                           "ratio": round(build_s / copy_s, 2),
                           "size_mb": round(db_path.stat().st_size / 1e6)}
    conn = sqlite3.connect(db_path)
    report["counts"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                        for t in ("persons", "memberships", "decisions")}
    report["beneficiaries"] = conn.execute("SELECT count(DISTINCT person_id) FROM memberships").fetchone()[0]
    report["communes"] = conn.execute("SELECT count(DISTINCT commune_code) FROM persons").fetchone()[0]
    conn.close()
    if args.bare_only:
        copy_s, rows = bare_copy(db_path)
        report["bare_insert_select"] = {"seconds": round(copy_s, 1), "rows": rows}
    report["pages"] = serve_and_time(db_path, args.requests)
    (out / "foundation.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
