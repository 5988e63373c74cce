"""Public pages benchmark on the national synthetic set (3.5 M beneficiaries, 3,321 communes).

    .venv/bin/python bench/bench_public.py [--source bench/out/national/btxh.db] [--clients 50]

Works on a copy (bench/out/public/btxh.db, made once from --source; `--refresh` remakes
it), brought to the current schema, with one payroll month run so the lists carry amounts.
Reports, measured in one run:

* `btxh serve` (one Datasette process) under N concurrent anonymous clients, each asking
  for random commune pages (`/cong-khai/xa/<xã>`): p50/p95/max latency and throughput, and
  the same for the home page `/` (the baseline: a page that reads nothing) — the ratio of
  the two p50s;
* `btxh publish` of the province closest to 100,000 beneficiaries: wall time, pages,
  files, seconds per page.

Not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _served import served  # noqa: E402
from btxh import migrations, publish, reference, store  # noqa: E402
from btxh.payroll import run as payroll  # noqa: E402


def prepare(source: Path, path: Path, refresh: bool, month: str) -> None:
    if refresh or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        src = store.open_db(source)
        src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        src.conn.close()
        shutil.copyfile(source, path)
    db = store.open_db(path)
    migrations.apply(db)
    reference.load(db)
    if not db.execute("SELECT 1 FROM payroll_runs WHERE month = ?", [month]).fetchone():
        started = time.perf_counter()
        payroll.run(db, month, actor="bench")
        print(f"payroll {month}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def _percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def _load(url: str, paths: list[str], clients: int) -> dict:
    import httpx

    queue: asyncio.Queue = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    latencies, statuses = [], {}

    async def client():
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while not queue.empty():
                path = queue.get_nowait()
                started = time.perf_counter()
                response = await http.get(path)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {"requests": len(ms), "clients": clients, "statuses": statuses,
            "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(_percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1), "per_second": round(len(ms) / wall, 1)}


def serve_and_load(path: Path, clients: int, requests: int, seed: int) -> dict:
    db = store.open_db(path)
    communes = [r[0] for r in db.execute("SELECT DISTINCT commune_code FROM persons")]
    db.conn.close()
    rng = random.Random(seed)
    pages = [f"/cong-khai/xa/{rng.choice(communes)}" for _ in range(requests)]
    with served(path, "bench-public") as url:
        asyncio.run(_load(url, pages[:clients], clients))  # warm-up: each client once
        home = asyncio.run(_load(url, ["/"] * requests, clients))
        commune = asyncio.run(_load(url, pages, clients))
        single = asyncio.run(_load(url, pages[:100], 1))
    return {"home": home, "commune": commune, "commune_one_client": single,
            "ratio_p50_commune_to_home": round(commune["p50_ms"] / home["p50_ms"], 2),
            "ratio_p95_commune_to_home": round(commune["p95_ms"] / home["p95_ms"], 2)}


def publish_province(path: Path) -> dict:
    db = store.open_db(path)
    province, persons = db.execute(
        "SELECT c.province_code, count(DISTINCT m.person_id) FROM memberships m"
        " JOIN communes c ON c.code = m.commune_code GROUP BY 1"
        " ORDER BY abs(count(DISTINCT m.person_id) - 100000) LIMIT 1").fetchone()
    db.conn.close()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        started = time.perf_counter()
        result = publish.publish(path, Path(tmp) / "site", province=province)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (Path(tmp) / "site").rglob("*") if p.is_file())
        started = time.perf_counter()
        problems = publish.verify(Path(tmp) / "site")
        verify_seconds = time.perf_counter() - started
    return {"province": province, "beneficiaries": persons, "pages": result.pages, "files": result.files,
            "seconds": round(seconds, 1), "ms_per_page": round(seconds / result.pages * 1000, 1),
            "megabytes": round(size / 1e6, 1), "verify_seconds": round(verify_seconds, 1),
            "verify_problems": len(problems)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT / "bench" / "out" / "national" / "btxh.db"))
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "public" / "btxh.db"))
    parser.add_argument("--refresh", action="store_true", help="copy the source again")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args()
    path = Path(args.db)
    prepare(Path(args.source), path, args.refresh, args.month)
    report = {"load": serve_and_load(path, args.clients, args.requests, seed=1)}
    if not args.skip_publish:
        report["publish"] = publish_province(path)
    out = ROOT / "bench" / "out" / "public.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
