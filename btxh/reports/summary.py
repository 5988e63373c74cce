"""Summary tables for the periodic reports, so that no report scans the ledger.

A national month is ≈ 3.5 million ledger lines; a six-month report would read 21 million.
Instead (docs/decisions/010-reports.md §4):

* each payroll run, inside its own transaction, condenses its lines into ``report_cells`` —
  per commune, 10a leaf (forms.leaf_for), category and sex: the people paid a regular amount
  (or funeral support) in the run's month, and the đồng of regular amounts, arrears (truy
  lĩnh), recoveries (truy thu, positive) and funeral support — and marks the run in
  ``report_runs`` (a report refuses a run that is not marked): ``summarise_run``; a national
  run's workers group its regular lines as they compute them (``partial_groups``), so the
  run itself scans only its arrears and funerals;
* closing a run (``btxh payroll close``), inside the close's transaction, projects the next
  calendar year from the run's people into ``report_budget`` — per commune, program, category
  and month: the people still payable and the sum of their coefficients (tenths), projecting
  age steps (bands and upper age bounds from the coefficient and category tables) and the stop
  dates known at the close (decisions' stop months, memberships' end dates) at the run's base
  level — and marks it in ``report_budget_runs``: ``summarise_budget``. The projection is not
  part of the payroll run (it cost the run more than the run itself).

Both are a few hundred thousand rows nationally per run. A re-run of an open month deletes
its run, and a trigger deletes its summaries; a closed run never changes, so neither do they.
"""

from __future__ import annotations

import os
from collections import defaultdict
from contextlib import contextmanager

from .. import clock
from ..rules.dates import as_month, month_str
from ..payroll import fastpath
from . import forms

# Age reached by the end of month :m (rules.md §6) of person alias P, for a line month expression
_AGE = ("(CAST(substr({m}, 1, 4) AS INTEGER) - {p}.birth_year - (CASE WHEN length({p}.birth_date) >= 7"
        " AND substr({p}.birth_date, 6, 2) > substr({m}, 6, 2) THEN 1 ELSE 0 END))")
_BAND = "(CASE WHEN {a} < 4 THEN 0 WHEN {a} < 16 THEN 1 WHEN {a} < 60 THEN 2 ELSE 3 END)"
_FIRST = "(CASE WHEN l.basis IS NULL THEN l.program ELSE substr(l.basis, 1, instr(l.basis || '+', '+') - 1) END)"
# a line whose basis starts with code X (the first code decides the row: ADR 010 §2)
_STARTS = "(l.basis = '{c}' OR substr(l.basis, 1, {n}) = '{c}+')"


def _starts(code: str) -> str:
    return _STARTS.format(c=code, n=len(code) + 1)


@contextmanager
def _sort_threads(conn):
    """Let SQLite's sorter use the machine's cores (``PRAGMA threads``) while a summary groups
    millions of lines, then put it back (harmless on one core or under load)."""
    before = conn.execute("PRAGMA threads").fetchone()[0]
    conn.execute(f"PRAGMA threads = {min(os.cpu_count() or 1, 4)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA threads = {int(before)}")


# -- which lines: a run's rowid range ------------------------------------------------

def run_filter(conn, run_id: int, first_line: int | None = None) -> str | None:
    """SQL condition on ledger alias ``l`` selecting run ``run_id``'s lines by rowid range
    (a run writes its lines in one transaction, so they are consecutive); None: no lines.
    ``+l.run_id`` keeps SQLite on the range instead of 3.5 M lookups through idx_ledger_run."""
    if first_line is not None:  # the running payroll: its lines are the newest
        return f"l.id >= {int(first_line)} AND +l.run_id = {int(run_id)}"
    first, last = conn.execute("SELECT min(id), max(id) FROM ledger WHERE run_id = ?", [run_id]).fetchone()
    if first is None:
        return None
    return f"l.id BETWEEN {int(first)} AND {int(last)} AND +l.run_id = {int(run_id)}"


def _lookups(conn, month: str, rf: str, whole: bool) -> None:
    """temp.rep_level (a K6 person's disability level), temp.rep_poor (households poor in
    ``month``) and temp.rep_subject (the person a carer's first entitlement of a code cares
    for). ``whole``: a national run, where one scan of each table is cheaper than a lookup per
    line; otherwise only the run's people are looked up."""
    for name in ("rep_level", "rep_poor", "rep_subject"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    conn.execute("CREATE TEMP TABLE rep_level (person_id INTEGER PRIMARY KEY, level TEXT)")
    conn.execute("CREATE TEMP TABLE rep_poor (household_id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE rep_subject (carer INTEGER, code TEXT, subject INTEGER,"
                 " PRIMARY KEY (carer, code)) WITHOUT ROWID")
    people = "" if whole else f" AND person_id IN (SELECT l.person_id FROM ledger l WHERE {rf})"
    conn.execute("INSERT INTO rep_level SELECT person_id, min(disability_level) FROM memberships"
                 f" WHERE +category = 'K6'{people} GROUP BY person_id")
    households = "" if whole else (" AND household_id IN (SELECT p.household_id FROM ledger l JOIN persons p"
                                   f" ON p.id = l.person_id WHERE {rf} AND {_starts('K5c')})")
    conn.execute("INSERT OR IGNORE INTO rep_poor SELECT household_id FROM household_poverty"
                 " WHERE status = 'ngheo' AND household_id IS NOT NULL AND valid_from <= ?"
                 f" AND (valid_to IS NULL OR valid_to >= ?){households}", [month + "-31", month + "-01"])
    carers = "" if whole else (" WHERE carer_person_id IN (SELECT l.person_id FROM ledger l"
                               f" WHERE {rf} AND l.program = 'CSND')")
    conn.execute("INSERT OR IGNORE INTO rep_subject SELECT carer_person_id, code, cared_person_id"
                 f" FROM care_entitlements{carers} ORDER BY id")  # the first entitlement wins


def _drop_lookups(conn) -> None:
    for name in ("rep_level", "rep_poor", "rep_subject"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


# -- report_cells ---------------------------------------------------------------------

def _lines_sql(rf: str, month: str, care: bool, source: str = "ledger l") -> str:
    """A run's ledger lines grouped by what decides their row, keyed by the raw basis (its
    first code is the category). ``care``: the CSND lines, whose band and sex are those of
    the person cared for (the carer's first entitlement of that code). ``source``: where the
    lines are, as alias ``l`` with the ledger's person_id, commune_code, program, kind, basis,
    month and due (a payroll worker's lines before they reach the ledger: ``partial_groups``)."""
    age = _AGE.format(m="l.month", p="p")
    if care:
        return f"""
    SELECT l.commune_code, l.program, l.kind, l.basis, NULL AS level, {_BAND.format(a=age)} AS band,
           0 AS poor, p.sex, count(*) AS n, sum(l.due) AS due
    FROM {source}
    LEFT JOIN rep_subject s ON s.carer = l.person_id AND s.code = {_FIRST}
    JOIN persons p ON p.id = coalesce(s.subject, l.person_id)
    WHERE {rf} AND l.program = 'CSND'
    GROUP BY 1, 2, 3, 4, 6, 8"""
    k5c = _starts("K5c")
    return f"""
    SELECT l.commune_code, l.program, l.kind, l.basis, CASE WHEN {_starts('K6')} THEN k.level END AS level,
           {_BAND.format(a=age)} AS band,
           CASE WHEN NOT {k5c} THEN 0 WHEN l.month = '{month}' THEN h.household_id IS NOT NULL
                ELSE EXISTS (SELECT 1 FROM household_poverty h WHERE h.household_id = p.household_id
                             AND h.status = 'ngheo' AND h.valid_from <= l.month || '-31'
                             AND (h.valid_to IS NULL OR h.valid_to >= l.month || '-01')) END AS poor,
           p.sex, count(*) AS n, sum(l.due) AS due
    FROM {source} JOIN persons p ON p.id = l.person_id
    LEFT JOIN rep_level k ON k.person_id = l.person_id
    LEFT JOIN rep_poor h ON h.household_id = p.household_id
    WHERE {rf} AND l.program <> 'CSND'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""


def first_code(basis: str | None, program: str) -> str:
    """The category of a line: the first code of its basis (``K4+K6`` → K4), else its program."""
    return basis.split("+", 1)[0] if basis else program


def cells_of(groups) -> dict:
    """Fold grouped ledger lines into cells (pure): {(commune, leaf, category, sex): [persons,
    regular, arrears, recovery, funeral]}. ``groups`` rows: commune_code, program, kind,
    basis, level, band, poor, sex, n, due."""
    cells: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
    for commune, program, kind, basis, level, band, poor, sex, n, due in groups:
        category = first_code(basis, program)
        leaf = forms.leaf_for(program, category, level, band, bool(poor))
        cell = cells[(commune, leaf, category, sex)]
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


def _restart(conn, run_id: int, tables, first_line: int | None = None) -> tuple[str | None, str | None]:
    """Delete a run's rows from ``tables``; (its month, its lines' filter), month None: no run."""
    run = conn.execute("SELECT month FROM payroll_runs WHERE id = ?", [run_id]).fetchone()
    if run is None:
        return None, None
    for table in tables:
        conn.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    return run[0], run_filter(conn, run_id, first_line)


def _is_whole(conn, run_id: int) -> bool:
    return conn.execute("SELECT scope IS NULL FROM payroll_runs WHERE id = ?", [run_id]).fetchone()[0] == 1


GROUP_COLUMNS = ("commune_code TEXT, program TEXT, kind TEXT, basis TEXT, level TEXT, band INTEGER,"
                 " poor INTEGER, sex TEXT, n INTEGER, due INTEGER")


def partial_groups(conn, month: str, due: str, care: str) -> list[tuple]:
    """The grouped rows of a national run's regular lines before they are written (a payroll
    worker's shard, parallel.py): ``due`` and ``care`` are its tables of TCXH/HTXH and CSND
    lines as the payroll inserts them. Grouped rows add up, so the shards' rows together fold
    into the cells of the run's own scan (``summarise_run(..., partial=...)``)."""
    regular = (f"(SELECT person_id, commune_code, program, 'thuong_xuyen' AS kind, basis, '{month}' AS month,"
               f" amount AS due FROM {due}) l")
    carers = (f"(SELECT person_id, commune_code, 'CSND' AS program, 'thuong_xuyen' AS kind, basis,"
              f" '{month}' AS month, amount AS due FROM {care}) l")
    _lookups(conn, month, "1", True)
    groups = conn.execute(_lines_sql("1", month, False, regular)).fetchall()
    groups += conn.execute(_lines_sql("1", month, True, carers)).fetchall()
    _drop_lookups(conn)
    return groups


def summarise_run(db, engine, run_id: int, first_line: int | None = None,
                  partial: tuple[int, list] | None = None) -> None:
    """Condense one run's ledger lines into ``report_cells`` and mark it in ``report_runs``
    (inside the caller's transaction). ``first_line``: the run's first ledger id, known to
    the payroll (found otherwise). ``partial``: (the first ledger id after the lines already
    grouped, their grouped rows) — a national run's workers group its regular lines
    (parallel.py), so only the lines written after them (arrears, funerals) are scanned here.
    ``engine`` is unused (kept for the payroll's call)."""
    conn = db.conn
    if partial is not None:
        first_line = partial[0]
    month, rf = _restart(conn, run_id, ("report_cells", "report_runs"), first_line)
    if month is None:
        return
    if rf is not None:
        # the rest of a partially grouped run is small: look up its people, do not scan
        _lookups(conn, month, rf, partial is None and _is_whole(conn, run_id))
        with _sort_threads(conn):
            groups = conn.execute(_lines_sql(rf, month, False)).fetchall()
            groups += conn.execute(_lines_sql(rf, month, True)).fetchall()
        _drop_lookups(conn)
        cells = cells_of(groups + (partial[1] if partial else []))
        conn.executemany(
            "INSERT INTO report_cells (run_id, month, commune_code, leaf, category, sex, persons, regular,"
            " arrears, recovery, funeral) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, month, c, leaf, cat, sex, *v) for (c, leaf, cat, sex), v in cells.items()])
    conn.execute("INSERT INTO report_runs (run_id, month, summarised_at) VALUES (?, ?, ?)",
                 [run_id, month, clock.now_iso()])


# -- report_budget --------------------------------------------------------------------

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
    bands = list(fastpath.band_rows(engine, m, ("TCXH",)))
    per_child = defaultdict(int)
    for code, _level, _age, _tenths, child in bands:
        per_child[code] |= child
    cats = []
    for code in sorted(coefficients.codes()):
        category = coefficients.category(code)
        if category.program == "TCXH":
            hi = rules.study_age_limit if code == rules.study_category else category.max_age
            cats.append((code, hi, per_child[code]))
    conn.executemany("INSERT INTO rep_band VALUES (?, ?, ?, ?)", [b[:4] for b in bands])
    conn.executemany("INSERT INTO rep_cat VALUES (?, ?, ?)", cats)


def _budget(conn, engine, run_id: int, month: str, rf: str, whole: bool) -> None:
    """Fill report_budget for the calendar year after the run's month (see module doc).

    Within one calendar year a person's age steps up once, in their birth month, so each
    person's year is three pieces: before the birth month (age A−1), the birth month (age A;
    still paid at an upper bound, with the band below it) and after it (age A). Each person
    is reduced to those pieces and a stop month (set-based: no per-person subquery), people
    with identical pieces are counted together, and only those groups are spread over twelve
    months."""
    year = int(month[:4]) + 1
    _bands_table(conn, engine, year)
    _lookups(conn, month, rf, whole)
    for name in ("rep_stop", "rep_end", "rep_line"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    people = "" if whole else f" AND person_id IN (SELECT l.person_id FROM ledger l WHERE {rf})"
    conn.execute("CREATE TEMP TABLE rep_stop (person_id INTEGER PRIMARY KEY, stop_month TEXT)")
    conn.execute(f"""INSERT INTO rep_stop SELECT person_id, min(stop_month) FROM decisions
                     WHERE +program = 'TCXH' AND stop_month > ?{people} GROUP BY person_id""", [month])
    conn.execute("CREATE TEMP TABLE rep_end (person_id INTEGER, category TEXT, stop_month TEXT,"
                 " PRIMARY KEY (person_id, category)) WITHOUT ROWID")
    conn.execute(f"""INSERT INTO rep_end SELECT person_id, category,
                         strftime('%Y-%m', date(max(valid_to), 'start of month', '+1 month'))
                     FROM memberships WHERE +category IN (SELECT code FROM rep_cat){people}
                     GROUP BY person_id, category HAVING count(*) = count(valid_to) AND max(valid_to) >= ?""",
                 [month + "-01"])
    a0 = f"({year} - 1 - p.birth_year)"  # age before the birth month
    bm = "(CASE WHEN length(p.birth_date) >= 7 THEN CAST(substr(p.birth_date, 6, 2) AS INTEGER) ELSE 1 END)"

    def band(alias: str, age: str) -> str:
        """The band at ``age`` (below the upper bound at it), a join: one lookup per line and age."""
        return (f"LEFT JOIN rep_band {alias} ON {steps} AND {alias}.category = l.category AND {alias}.level = l.level"
                f" AND {alias}.age = CASE WHEN c.hi IS NOT NULL AND {age} >= c.hi THEN c.hi - 1 ELSE {age} END")

    steps = "(l.program = 'TCXH' AND NOT l.pair AND c.code IS NOT NULL AND NOT c.per_child)"
    conn.execute(f"""
    CREATE TEMP TABLE rep_line AS
    SELECT l.commune_code, l.program, l.category, l.base,
           CASE WHEN {steps} THEN coalesce(b0.tenths, l.tenths) ELSE l.tenths END AS t_before,
           CASE WHEN {steps} THEN (CASE WHEN c.hi IS NOT NULL AND {a0} + 1 > c.hi THEN 0
                                        ELSE coalesce(b1.tenths, l.tenths) END)
                ELSE l.tenths END AS t_month,
           CASE WHEN {steps} THEN (CASE WHEN c.hi IS NOT NULL AND {a0} + 1 >= c.hi THEN 0
                                        ELSE coalesce(b1.tenths, l.tenths) END)
                ELSE l.tenths END AS t_after,
           {bm} AS birth_month,
           CASE WHEN l.program <> 'TCXH' THEN NULL
                WHEN s.stop_month IS NULL THEN e.stop_month WHEN e.stop_month IS NULL THEN s.stop_month
                ELSE min(s.stop_month, e.stop_month) END AS stop_month,
           count(*) AS n
    FROM (SELECT l.person_id, l.commune_code, l.program, l.base, {_FIRST} AS category,
                 instr(coalesce(l.basis, ''), '+') > 0 AS pair,
                 CASE WHEN l.basis = 'K6' THEN coalesce(k.level, '') ELSE '' END AS level,
                 CASE WHEN l.program = 'TCXH' THEN l.coefficient_tenths WHEN l.program = 'HTXH' THEN 10
                      ELSE (l.due * 10 + l.base / 2) / l.base END AS tenths
          FROM ledger l LEFT JOIN rep_level k ON k.person_id = l.person_id
          WHERE {rf} AND l.kind = 'thuong_xuyen' AND l.month = ? AND l.due > 0 AND l.base > 0) l
    JOIN persons p ON p.id = l.person_id
    LEFT JOIN rep_cat c ON c.code = l.category
    {band("b0", a0)}
    {band("b1", a0 + " + 1")}
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
    for name in ("rep_stop", "rep_end", "rep_line", "rep_band", "rep_cat"):
        conn.execute(f"DROP TABLE temp.{name}")
    _drop_lookups(conn)


def summarise_budget(db, engine, run_id: int) -> None:
    """Project the next calendar year from a (closed) run's people into ``report_budget`` and
    mark it in ``report_budget_runs``, inside the caller's transaction (``payroll.close``,
    ``rebuild``). The registry's stops and ends are read as they stand now."""
    conn = db.conn
    month, rf = _restart(conn, run_id, ("report_budget", "report_budget_runs"))
    if month is None:
        return
    if rf is not None:
        with _sort_threads(conn):
            _budget(conn, engine, run_id, month, rf, _is_whole(conn, run_id))
    conn.execute("INSERT INTO report_budget_runs (run_id, month, computed_at) VALUES (?, ?, ?)",
                 [run_id, month, clock.now_iso()])


def rebuild_missing(db) -> list[int]:
    """Summarise every run that has no summary, and compute the budget of every closed run
    that has none (``btxh init`` after the migrations: m009 and m011 add the tables and leave
    these to the normal code path). Returns the runs touched."""
    from ..engines import engine_for_run

    unsummarised = [r[0] for r in db.execute("SELECT id FROM payroll_runs WHERE id NOT IN"
                                             " (SELECT run_id FROM report_runs) ORDER BY id")]
    with db.atomic():
        for run_id in unsummarised:
            summarise_run(db, engine_for_run(db, run_id), run_id)
        missing = [r[0] for r in db.execute("SELECT id FROM payroll_runs WHERE status = 'closed'"
                                            " AND id NOT IN (SELECT run_id FROM report_budget_runs) ORDER BY id")]
        for run_id in missing:
            summarise_budget(db, engine_for_run(db, run_id), run_id)
    return sorted(set(unsummarised) | set(missing))


def rebuild(db, engine=None) -> list[int]:
    """Summarise every run again (after a restore, or if a summary is missing): the cells of
    every run, the budget of every closed run (once its table exists: migration m011)."""
    from ..engines import engine_for_run

    ids = [r[0] for r in db.execute("SELECT id FROM payroll_runs ORDER BY id").fetchall()]
    budgets = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'report_budget_runs'").fetchone() is not None
    with db.atomic():
        for run_id in ids:
            summarise_run(db, engine or engine_for_run(db, run_id), run_id)
        if budgets:
            for (run_id,) in db.execute("SELECT id FROM payroll_runs WHERE status = 'closed' ORDER BY id").fetchall():
                summarise_budget(db, engine or engine_for_run(db, run_id), run_id)
    return ids


def next_month(month: str) -> str:
    return month_str(as_month(month) + 1)
