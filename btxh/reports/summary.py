"""Summary tables the payroll run keeps up to date, so no report scans the ledger.

A national month is ≈ 3.5 million ledger lines; a six-month report would read 21 million.
Instead each payroll run, inside its own transaction, condenses its lines into:

* ``report_cells`` — per commune, 10a leaf (forms.leaf_for), category and sex: the people
  paid a regular amount (or funeral support) in the run's month, and the đồng of regular
  amounts, arrears (truy lĩnh), recoveries (truy thu, positive) and funeral support;
* ``report_budget`` — per commune, program, category and month of the next calendar year:
  the people still payable and the sum of their coefficients (tenths), projecting age steps
  (bands and upper age bounds from the coefficient and category tables) and known stop dates
  (decisions' stop months, memberships' end dates) at the run's base level;
* ``report_runs`` — which runs are summarised (a report refuses a run that is not).

Both are a few hundred thousand rows nationally per run (docs/decisions/010-reports.md §4).
A re-run of an open month deletes its run, and a trigger deletes its summaries; a closed run
never changes, so neither do they.
"""

from __future__ import annotations

from collections import defaultdict

from .. import clock
from ..rules.dates import as_month, month_str
from . import forms

# Age reached by the end of month :m (rules.md §6) of person alias P, for a line month expression
_AGE = ("(CAST(substr({m}, 1, 4) AS INTEGER) - {p}.birth_year - (CASE WHEN length({p}.birth_date) >= 7"
        " AND substr({p}.birth_date, 6, 2) > substr({m}, 6, 2) THEN 1 ELSE 0 END))")
_BAND = "(CASE WHEN {a} < 4 THEN 0 WHEN {a} < 16 THEN 1 WHEN {a} < 60 THEN 2 ELSE 3 END)"
_FIRST = "(CASE WHEN l.basis IS NULL THEN l.program ELSE substr(l.basis, 1, instr(l.basis || '+', '+') - 1) END)"


def _lines_sql(run_filter: str, care: bool) -> str:
    """Ledger lines grouped by what decides their row. ``care``: the CSND lines, whose band and
    sex are those of the person cared for (the carer's first entitlement of that code)."""
    age = _AGE.format(m="l.month", p="p")
    if care:
        return f"""
    SELECT l.commune_code, l.program, l.kind, l.category, NULL AS level,
           {_BAND.format(a=age)} AS band, 0 AS poor, p.sex, count(*) AS n, sum(l.due) AS due
    FROM (SELECT l.*, {_FIRST} AS category,
                 coalesce((SELECT e.cared_person_id FROM care_entitlements e
                           WHERE e.carer_person_id = l.person_id AND e.code = {_FIRST}
                           ORDER BY e.id LIMIT 1), l.person_id) AS subject
          FROM ledger l WHERE {run_filter} AND l.program = 'CSND') l
    JOIN persons p ON p.id = l.subject
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""
    return f"""
    SELECT l.commune_code, l.program, l.kind, l.category,
           CASE WHEN l.category = 'K6' THEN (SELECT min(m.disability_level) FROM memberships m
                WHERE m.person_id = l.person_id AND m.category = 'K6') END AS level,
           {_BAND.format(a=age)} AS band,
           CASE WHEN l.category = 'K5c' THEN EXISTS (SELECT 1 FROM household_poverty h
                WHERE h.household_id = p.household_id AND h.status = 'ngheo'
                  AND h.valid_from <= l.month || '-31' AND (h.valid_to IS NULL OR h.valid_to >= l.month || '-01'))
                ELSE 0 END AS poor,
           p.sex, count(*) AS n, sum(l.due) AS due
    FROM (SELECT l.*, {_FIRST} AS category FROM ledger l WHERE {run_filter} AND l.program <> 'CSND') l
    JOIN persons p ON p.id = l.person_id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""


def cells_of(groups) -> dict:
    """Fold grouped ledger lines into cells (pure): {(commune, leaf, category, sex): [persons,
    regular, arrears, recovery, funeral]}. ``groups`` rows: commune_code, program, kind,
    category, level, band, poor, sex, n, due."""
    cells: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
    for commune, program, kind, category, level, band, poor, sex, n, due in groups:
        leaf = forms.leaf_for(program, category, level, band, bool(poor))
        cell = cells[(commune, leaf, category or program, sex)]
        if kind == "thuong_xuyen":
            cell[0] += n
            cell[1] += due
        elif kind == "truy_linh":
            cell[2] += due
        elif kind == "truy_thu":
            cell[3] -= due
        elif kind == "mai_tang":
            cell[0] += n
            cell[4] += due
    return cells


def _bands_table(conn, engine, year: int) -> None:
    """temp.rep_band: the coefficient of a category, level and age in January of ``year``,
    and temp.rep_cat: each category's upper age bound (the same sources as the payroll)."""
    m = as_month(f"{year:04d}-01")
    rules = engine.rules
    coefficients = engine.coefficients
    conn.execute("DROP TABLE IF EXISTS temp.rep_band")
    conn.execute("CREATE TEMP TABLE rep_band (category TEXT, level TEXT, age INTEGER, tenths INTEGER,"
                 " PRIMARY KEY (category, level, age)) WITHOUT ROWID")
    conn.execute("DROP TABLE IF EXISTS temp.rep_cat")
    conn.execute("CREATE TEMP TABLE rep_cat (code TEXT PRIMARY KEY, hi INTEGER, per_child INTEGER)")
    bands, cats = [], []
    for code in sorted(coefficients.codes()):
        category = coefficients.category(code)
        if category.program != "TCXH":
            continue
        hi = rules.study_age_limit if code == rules.study_category else category.max_age
        levels = sorted(coefficients.levels(code)) or [None]
        per_child = False
        for level in levels:
            for age in range(131):
                band = coefficients.band(code, level, age, m)
                if band is not None:
                    per_child = per_child or band.per_child
                    bands.append((code, level or "", age, band.tenths))
        cats.append((code, hi, int(per_child)))
    conn.executemany("INSERT INTO rep_band VALUES (?, ?, ?, ?)", bands)
    conn.executemany("INSERT INTO rep_cat VALUES (?, ?, ?)", cats)


def _budget(conn, engine, run_id: int, month: str, run_filter: str) -> None:
    """Fill report_budget for the calendar year after the run's month (see module doc).

    Within one calendar year a person's age steps up once, in their birth month, so each
    person's year is three pieces: before the birth month (age A−1), the birth month (age A;
    still paid at an upper bound, with the band below it) and after it (age A). Each person
    is reduced to those pieces and a stop month (set-based: no per-person subquery), people
    with identical pieces are counted together, and only those groups are spread over twelve
    months."""
    year = int(month[:4]) + 1
    _bands_table(conn, engine, year)
    for name in ("rep_stop", "rep_end", "rep_line"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    conn.execute("CREATE TEMP TABLE rep_stop (person_id INTEGER PRIMARY KEY, stop_month TEXT)")
    conn.execute("""INSERT INTO rep_stop SELECT person_id, min(stop_month) FROM decisions
                    WHERE program = 'TCXH' AND stop_month > ? GROUP BY person_id""", [month])
    conn.execute("CREATE TEMP TABLE rep_end (person_id INTEGER, category TEXT, stop_month TEXT,"
                 " PRIMARY KEY (person_id, category)) WITHOUT ROWID")
    conn.execute("""INSERT INTO rep_end SELECT person_id, category,
                        strftime('%Y-%m', date(max(valid_to), 'start of month', '+1 month'))
                    FROM memberships WHERE category IN (SELECT code FROM rep_cat)
                    GROUP BY person_id, category HAVING count(*) = count(valid_to) AND max(valid_to) >= ?""",
                 [month + "-01"])
    a0 = f"({year} - 1 - p.birth_year)"  # age before the birth month
    bm = "(CASE WHEN length(p.birth_date) >= 7 THEN CAST(substr(p.birth_date, 6, 2) AS INTEGER) ELSE 1 END)"

    def band(age: str) -> str:
        return (f"coalesce((SELECT b.tenths FROM rep_band b WHERE b.category = l.category AND b.level = l.level"
                f" AND b.age = CASE WHEN c.hi IS NOT NULL AND {age} >= c.hi THEN c.hi - 1 ELSE {age} END), l.tenths)")

    steps = "(l.program = 'TCXH' AND NOT l.pair AND c.code IS NOT NULL AND NOT c.per_child)"
    conn.execute(f"""
    CREATE TEMP TABLE rep_line AS
    SELECT l.commune_code, l.program, l.category, l.base,
           CASE WHEN {steps} THEN {band(a0)} ELSE l.tenths END AS t_before,
           CASE WHEN {steps} THEN (CASE WHEN c.hi IS NOT NULL AND {a0} + 1 > c.hi THEN 0 ELSE {band(a0 + ' + 1')} END)
                ELSE l.tenths END AS t_month,
           CASE WHEN {steps} THEN (CASE WHEN c.hi IS NOT NULL AND {a0} + 1 >= c.hi THEN 0 ELSE {band(a0 + ' + 1')} END)
                ELSE l.tenths END AS t_after,
           {bm} AS birth_month,
           CASE WHEN l.program <> 'TCXH' THEN NULL
                WHEN s.stop_month IS NULL THEN e.stop_month WHEN e.stop_month IS NULL THEN s.stop_month
                ELSE min(s.stop_month, e.stop_month) END AS stop_month,
           count(*) AS n
    FROM (SELECT l.person_id, l.commune_code, l.program, l.base, {_FIRST} AS category,
                 instr(coalesce(l.basis, ''), '+') > 0 AS pair,
                 CASE WHEN l.category_level IS NULL THEN '' ELSE l.category_level END AS level,
                 CASE WHEN l.program = 'TCXH' THEN l.coefficient_tenths WHEN l.program = 'HTXH' THEN 10
                      ELSE (l.due * 10 + l.base / 2) / l.base END AS tenths
          FROM (SELECT l.*, CASE WHEN l.basis = 'K6' THEN (SELECT min(m.disability_level) FROM memberships m
                                  WHERE m.person_id = l.person_id AND m.category = 'K6') END AS category_level
                FROM ledger l WHERE {run_filter} AND l.kind = 'thuong_xuyen' AND l.month = ?
                  AND l.due > 0 AND l.base > 0) l) l
    JOIN persons p ON p.id = l.person_id
    LEFT JOIN rep_cat c ON c.code = l.category
    LEFT JOIN rep_stop s ON s.person_id = l.person_id
    LEFT JOIN rep_end e ON e.person_id = l.person_id AND e.category = l.category
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9""", [month])
    months = ", ".join(f"('{year:04d}-{k:02d}', {k})" for k in range(1, 13))
    conn.execute(f"""
    INSERT INTO report_budget (run_id, commune_code, program, category, month, persons, tenths, base)
    SELECT ?, commune_code, program, category, month, sum(CASE WHEN t > 0 THEN n ELSE 0 END), sum(t * n), max(base)
    FROM (SELECT g.commune_code, g.program, g.category, g.base, g.n, f.month,
                 CASE WHEN g.stop_month IS NOT NULL AND f.month >= g.stop_month THEN 0
                      WHEN f.m < g.birth_month THEN g.t_before WHEN f.m = g.birth_month THEN g.t_month
                      ELSE g.t_after END AS t
          FROM rep_line g CROSS JOIN (SELECT column1 AS month, column2 AS m FROM (VALUES {months})) f)
    GROUP BY commune_code, program, category, month""", [run_id])
    for name in ("rep_stop", "rep_end", "rep_line"):
        conn.execute(f"DROP TABLE temp.{name}")


def summarise_run(db, engine, run_id: int, first_line: int | None = None) -> None:
    """Condense one run's ledger lines into the summary tables (inside the caller's transaction).

    ``first_line`` (the run's first ledger id, known to the payroll) turns the read into a
    rowid range scan; without it the run's lines are found through ``idx_ledger_run``.
    """
    conn = db.conn
    run = conn.execute("SELECT month FROM payroll_runs WHERE id = ?", [run_id]).fetchone()
    if run is None:
        return
    month = run[0]
    for table in ("report_cells", "report_budget", "report_runs"):
        conn.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    run_filter = f"l.run_id = {int(run_id)}"
    if first_line is not None:
        run_filter = f"l.id >= {int(first_line)} AND " + run_filter
    cells = cells_of(conn.execute(_lines_sql(run_filter, False)).fetchall()
                     + conn.execute(_lines_sql(run_filter, True)).fetchall())
    conn.executemany(
        "INSERT INTO report_cells (run_id, month, commune_code, leaf, category, sex, persons, regular,"
        " arrears, recovery, funeral) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, month, c, leaf, cat, sex, *v) for (c, leaf, cat, sex), v in cells.items()])
    _budget(conn, engine, run_id, month, run_filter)
    conn.execute("INSERT INTO report_runs (run_id, month, summarised_at) VALUES (?, ?, ?)",
                 [run_id, month, clock.now_iso()])


def rebuild(db, engine=None) -> list[int]:
    """Summarise every run again (after this migration, or if a summary is missing)."""
    if engine is None:
        from ..payroll.run import engine_for
        engine = engine_for(db)
    ids = [r[0] for r in db.execute("SELECT id FROM payroll_runs ORDER BY id").fetchall()]
    with db.atomic():
        for run_id in ids:
            summarise_run(db, engine, run_id)
    return ids


def next_month(month: str) -> str:
    return month_str(as_month(month) + 1)
