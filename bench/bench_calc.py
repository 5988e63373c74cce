"""Benchmark of `btxh calc`: 100,000 varied synthetic cases, in-process and through the CLI.

    .venv/bin/python bench/bench_calc.py [--cases 100000] [--months 2025-07] [--seed 1] [--out bench/out]

Prints cases per second and case-months per second for:
* the pipeline in-process (parse + validate + evaluate + JSON answers), tables built once;
* the `btxh calc` command in a subprocess (start-up and JSON output included).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from btxh import calc  # noqa: E402

ELDERLY = ("K5a", "K5b", "K5c", "K5d")


def _day(rng: random.Random, first: int, last: int) -> str:
    return f"{rng.randint(first, last)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def make_case(rng: random.Random, n: int) -> dict:
    """One plausible case: a child, an adult with a disability or a single parent, or an elder."""
    kind = rng.random()
    memberships = []
    if kind < 0.15:
        birth = _day(rng, 2006, 2025)
        memberships.append({"category": rng.choice(["K1", "K1", "K3", "K7"]), "from": "2021-01-01"})
    elif kind < 0.45:
        birth = _day(rng, 1940, 2008)
        memberships.append({"category": "K6", "level": rng.choice(["DBN", "NANG"]), "from": _day(rng, 2015, 2024)})
    elif kind < 0.55:
        birth = _day(rng, 1965, 2000)
        children = [{"birth_date": _day(rng, 2003, 2024),
                     "studying_until": rng.choice([None, "2027-06-30"])} for _ in range(rng.randint(1, 3))]
        memberships.append({"category": "K4", "from": "2020-01-01", "children": children})
        if rng.random() < 0.3:
            memberships.append({"category": rng.choice(["K6", "K8"]), "level": "NANG", "from": "2021-01-01"})
    else:
        birth = str(rng.randint(1925, 1965)) if rng.random() < 0.2 else _day(rng, 1925, 1965)
        memberships.append({"category": rng.choice(ELDERLY), "from": _day(rng, 2010, 2024)})
    case = {"id": f"c{n}", "birth_date": birth, "province": f"{rng.choice([1, 8, 31, 48, 79]):02d}",
            "memberships": memberships}
    if rng.random() < 0.5:
        case["decision"] = {"start_month": f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}", "stop_month": None}
    if rng.random() < 0.1:
        case["social_pension"] = {"from": "2025-07", "to": None}
    if rng.random() < 0.02 and birth[:4] < "2024":
        case["death_date"] = _day(rng, 2025, 2025)
        case["death_cause"] = rng.choice([None, "thien_tai"])
    return case


def generate(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [make_case(rng, n) for n in range(count)]


def months_in(spec: str) -> int:
    first, _, last = spec.partition("..")
    a, b = (int(x[:4]) * 12 + int(x[5:7]) for x in (first, last or first))
    return b - a + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--months", default="2025-07", help="YYYY-MM or YYYY-MM..YYYY-MM")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"calc_cases_{args.cases}_{args.seed}.json"
    text = json.dumps(generate(args.cases, args.seed), ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    case_months = args.cases * months_in(args.months)

    started = time.perf_counter()
    calculator = calc.Calculator.build()
    answers = calc.calculate(text, args.months, calculator)
    output = calc.dumps(answers)
    in_process = time.perf_counter() - started
    paid = sum(1 for a in answers if a["amount"])

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "btxh.cli", "calc", "--month", args.months, str(path)],
                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    through_cli = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr.decode())

    print(f"{args.cases:,} cases × {months_in(args.months)} month(s) = {case_months:,} case-months "
          f"({paid:,} paid, {len(output) / 1e6:.1f} MB of JSON)")
    print(f"in-process: {in_process:.2f} s — {args.cases / in_process:,.0f} cases/s, "
          f"{case_months / in_process:,.0f} case-months/s")
    print(f"btxh calc:  {through_cli:.2f} s — {args.cases / through_cli:,.0f} cases/s, "
          f"{case_months / through_cli:,.0f} case-months/s")


if __name__ == "__main__":
    main()
