"""The month's TCXH/HTXH amounts for many people at once, in SQL.

rules.md §6 steps 1–7 written as one set-based query, for speed at national scale
(3.5 million people in seconds where a Python loop takes minutes). The pure rules in
``btxh.rules`` are the specification: ``tests/test_payroll_differential.py`` runs both on
random populations and requires identical amounts. Every parameter comes from the same
places the pure engine reads — the rule set (``RuleSet``), the coefficient and category
tables, the base levels — so a province policy that changes a parameter changes both.
Local categories with a Python condition cannot be expressed here: ``supported`` says so
and the payroll then uses the pure path.

Registry semantics (docs/decisions/006-payroll.md): a membership is payable in M when its
window, the person's life, the category's age bounds and its decisions allow it. TCXH
decisions are events: grant/resume/move/adjust start paying from ``start_month`` (an
adjustment opens the membership that replaces the adjusted one); stop/suspend
(and a grant's own ``stop_month``) stop from ``stop_month``; the latest event at or before
M decides; in the same month the later decision (by id) wins, and a decision's own stop
beats its own start (a stop month equal to the start month pays nothing). Decisions with a ``membership_id`` apply to that
membership, those without one to all the person's memberships.
"""

from __future__ import annotations

from ..rules import Engine
from ..rules.dates import as_month, month_str

MAX_AGE = 130


def supported(engine: Engine) -> bool:
    """True when no category carries a Python condition (a province's local category)."""
    coefficients = engine.coefficients
    return all(coefficients.category(code).condition is None for code in coefficients.codes())


def _leap(year: int) -> int:
    return int(year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


def band_rows(engine: Engine, m: int, programs: tuple[str, ...]):
    """(category, level, age, tenths, per_child) of every coefficient band of the programs'
    categories in month ``m``: the one place ages become coefficients for set-based SQL."""
    coefficients = engine.coefficients
    for code in sorted(coefficients.codes()):
        if coefficients.category(code).program not in programs:
            continue
        for level in sorted(coefficients.levels(code)) or [None]:
            for age in range(MAX_AGE + 1):
                band = coefficients.band(code, level, age, m)
                if band is not None:
                    yield code, level or "", age, band.tenths, int(band.per_child)


def prepare(conn, engine: Engine, month: int | str, provinces: list[str]) -> dict:
    """Fill the small temp tables the query joins (bands by age, categories, bases)."""
    m = as_month(month)
    rules = engine.rules
    coefficients = engine.coefficients
    conn.execute("DROP TABLE IF EXISTS temp.pay_band")
    conn.execute("CREATE TEMP TABLE pay_band (category TEXT, level TEXT, age INTEGER, tenths INTEGER,"
                 " per_child INTEGER, PRIMARY KEY (category, level, age)) WITHOUT ROWID")
    conn.execute("DROP TABLE IF EXISTS temp.pay_cat")
    conn.execute("CREATE TEMP TABLE pay_cat (code TEXT PRIMARY KEY, lo INTEGER, hi INTEGER, ord INTEGER,"
                 " leveled INTEGER, partner INTEGER, single_parent INTEGER)")
    cats = []
    for code in sorted(coefficients.codes()):
        category = coefficients.category(code)
        if category.program not in ("TCXH", "CSND"):
            continue
        levels = sorted(coefficients.levels(code))
        hi = rules.study_age_limit if code == rules.study_category else category.max_age
        cats.append((code, category.min_age, hi, category.sort_order, int(bool(levels)),
                     int(code in rules.single_parent_partners), int(code == rules.single_parent_category)))
    conn.executemany("INSERT INTO pay_band VALUES (?, ?, ?, ?, ?)", band_rows(engine, m, ("TCXH", "CSND")))
    conn.executemany("INSERT INTO pay_cat VALUES (?, ?, ?, ?, ?, ?, ?)", cats)
    conn.execute("DROP TABLE IF EXISTS temp.pay_base")
    conn.execute("CREATE TEMP TABLE pay_base (province TEXT PRIMARY KEY, tcxh INTEGER, htxh INTEGER)")
    pension_open = m >= rules.pension_first_month_index
    conn.executemany("INSERT INTO pay_base VALUES (?, ?, ?)", [
        (p, engine.base_levels.amount("TCXH", m, p) or 0,
         (engine.base_levels.amount("HTXH", m, p) or 0) if pension_open else 0)
        for p in provinces
    ])
    return prepare_params(engine, m)


def _money(rules, base: str, tenths: str) -> str:
    if rules.rounding == "half_up":
        return f"(({base}) * ({tenths}) + 5) / 10"
    if rules.rounding == "up":
        return f"(({base}) * ({tenths}) + 9) / 10"
    return f"(({base}) * ({tenths})) / 10"


def _birth(col: str) -> str:
    """Columns by, bm, bd of a partial birth date resolved by the rule set (§3)."""
    return (f"CAST(substr({col}, 1, 4) AS INTEGER) AS by, "
            f"CASE length({col}) WHEN 4 THEN :yom ELSE CAST(substr({col}, 6, 2) AS INTEGER) END AS bm, "
            f"CASE length({col}) WHEN 4 THEN :yod "
            f"WHEN 7 THEN min(:mod, CAST(strftime('%d', {col} || '-01', '+1 month', '-1 day') AS INTEGER)) "
            f"ELSE CAST(substr({col}, 9, 2) AS INTEGER) END AS bd")


def _age_end(year: str, mo: str, leap: str) -> str:
    """Age on the last day of a month (birthday reached when its month is reached)."""
    bdm = f"(CASE WHEN bm = 2 AND bd = 29 AND {leap} = 0 THEN :f29m ELSE bm END)"
    return f"({year} - by - (CASE WHEN {mo} < {bdm} THEN 1 ELSE 0 END))"


def _age_on_death() -> str:
    bdm = "(CASE WHEN bm = 2 AND bd = 29 AND :leap = 0 THEN :f29m ELSE bm END)"
    bdd = "(CASE WHEN bm = 2 AND bd = 29 AND :leap = 0 THEN :f29d ELSE bd END)"
    dd = "CAST(substr(death_date, 9, 2) AS INTEGER)"
    return (f"(:y - by - (CASE WHEN :mo < {bdm} OR (:mo = {bdm} AND {dd} < {bdd}) THEN 1 ELSE 0 END))")


def _person_select(filter_sql: str) -> str:
    where = f"AND ({filter_sql})" if filter_sql else ""
    return f"""
SELECT id, commune_code, province_code, death_date, by, bm, bd,
       CASE WHEN dmi = :mi THEN {_age_on_death()} ELSE {_age_end(':y', ':mo', ':leap')} END AS age,
       {_age_end(':yp', ':mop', ':leapp')} AS age_prev
FROM (SELECT pe.id, pe.commune_code, c.province_code, pe.death_date, {_birth('pe.birth_date')},
             CASE WHEN pe.death_date IS NULL THEN NULL
                  ELSE CAST(substr(pe.death_date, 1, 4) AS INTEGER) * 12
                       + CAST(substr(pe.death_date, 6, 2) AS INTEGER) - 1 END AS dmi
      FROM persons pe JOIN communes c ON c.code = pe.commune_code
      WHERE (pe.death_date IS NULL OR pe.death_date >= :first_day) {where})
WHERE by * 12 + bm - 1 <= :mi
"""


_LAST_EVENT = """max(CASE WHEN d.kind IN ('stop', 'suspend') THEN d.stop_month || printf('%012d', d.id) || 'b'
                  WHEN d.kind = 'grant' AND d.stop_month IS NOT NULL AND d.stop_month <= :m
                       THEN d.stop_month || printf('%012d', d.id) || 'b'
                  ELSE d.start_month || printf('%012d', d.id) || 'a' END)"""
_EVENT_WHERE = """d.program = 'TCXH'
    AND ((d.kind IN ('grant', 'resume', 'move', 'adjust') AND d.start_month <= :m)
         OR (d.kind IN ('grant', 'stop', 'suspend') AND d.stop_month <= :m))"""


def compute(conn, engine: Engine, month: int | str, provinces: list[str], persons_filter: str = "",
            params: dict | None = None, shard: tuple[int, int] | None = None) -> dict:
    """Fill ``temp.pay_due`` with the month's TCXH/HTXH lines; return the query parameters.

    Columns: person_id, commune_code, program, tenths, base, amount, basis, tcxh, htxh.
    ``persons_filter`` is an SQL condition on ``pe`` (persons), e.g. a scope of communes.
    ``shard=(k, n)`` keeps the people whose id is k modulo n, with the plans of a national
    run (table scans), so n processes can share one country (parallel.py).
    Stages are materialised in temp tables keyed for the next join, so nothing is sorted
    twice (national scale: see bench/bench_payroll.py).
    """
    p = prepare(conn, engine, month, provinces)
    p.update(params or {})
    rules = engine.rules
    for table in ("pay_pa", "pay_ev_m", "pay_ev_p", "pay_due"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    conn.execute("CREATE TEMP TABLE pay_pa (id INTEGER PRIMARY KEY, commune_code TEXT, province_code TEXT,"
                 " death_date TEXT, by INTEGER, bm INTEGER, bd INTEGER, age INTEGER, age_prev INTEGER)")
    shard_sql = lambda col: f"AND {col} % {shard[1]} = {shard[0]}" if shard else ""  # noqa: E731
    person_filter = " AND ".join(f for f in (persons_filter, shard_sql("pe.id")[4:]) if f)
    conn.execute("INSERT INTO pay_pa " + _person_select(person_filter), p)
    # a scoped run starts from its people (index lookups); a national one scans the tables
    source = "pay_pa CROSS JOIN decisions d ON d.person_id = pay_pa.id" if persons_filter else "decisions d"
    conn.execute("CREATE TEMP TABLE pay_ev_m (mid INTEGER PRIMARY KEY, last TEXT)")
    conn.execute(f"""INSERT INTO pay_ev_m SELECT d.membership_id, {_LAST_EVENT}
                     FROM {source}
                     WHERE d.membership_id IS NOT NULL AND {_EVENT_WHERE} {shard_sql("d.person_id")}
                     GROUP BY d.membership_id""", p)
    conn.execute("CREATE TEMP TABLE pay_ev_p (pid INTEGER PRIMARY KEY, last TEXT)")
    conn.execute(f"""INSERT INTO pay_ev_p SELECT d.person_id, {_LAST_EVENT}
                     FROM {source}
                     WHERE d.membership_id IS NULL AND {_EVENT_WHERE} {shard_sql("d.person_id")}
                     GROUP BY d.person_id""", p)
    reported = " ".join(f"WHEN ms.category = '{src}' AND pa.age >= {at} THEN '{dst}'"
                        for src, at, dst in rules.reported_from_age)
    rep = f"(CASE {reported} ELSE ms.category END)" if reported else "ms.category"
    lvl = "CASE WHEN cat.leveled THEN coalesce(ms.disability_level, '') ELSE '' END"
    band_age = "min(CASE WHEN cat.hi IS NOT NULL AND pa.age >= cat.hi THEN cat.hi - 1 ELSE pa.age END, :maxage)"
    children = f"""(SELECT count(*) FROM (SELECT {_birth('ch.birth_date')}, ch.studying_until
                                          FROM membership_children ch WHERE ch.membership_id = ms.id)
                    WHERE by * 12 + bm - 1 <= :mi
                      AND ({_age_end(':yp', ':mop', ':leapp')} < :k4age
                           OR ({_age_end(':yp', ':mop', ':leapp')} < :study AND studying_until >= :first_day)))"""
    members = ("pay_pa pa CROSS JOIN memberships ms ON ms.person_id = pa.id" if persons_filter
               else "memberships ms JOIN pay_pa pa ON pa.id = ms.person_id")
    money_tcxh = _money(rules, "b.tcxh", "best.tenths")
    htxh_wins = "x.htxh > x.tcxh" if rules.pension_tie_keeps == "TCXH" else "x.htxh >= x.tcxh AND x.htxh > 0"
    conn.execute(f"""CREATE TEMP TABLE pay_due AS
WITH paying AS (
  SELECT ms.person_id, rc.ord, rc.partner, rc.single_parent,
         CASE WHEN band.per_child THEN band.tenths * {children} ELSE band.tenths END AS tenths
  FROM {members}
  JOIN pay_cat cat ON cat.code = ms.category
  JOIN pay_band band ON band.category = ms.category AND band.level = {lvl} AND band.age = {band_age}
  JOIN pay_cat rc ON rc.code = {rep}
  LEFT JOIN pay_ev_m ev_m ON ev_m.mid = ms.id
  LEFT JOIN pay_ev_p ev_p ON ev_p.pid = ms.person_id
  WHERE ms.valid_from <= date(:first_day, '+1 month', '-1 day')
    AND (ms.valid_to IS NULL OR ms.valid_to >= :first_day) {shard_sql("ms.person_id")}
    AND (cat.lo IS NULL OR pa.age >= cat.lo)
    AND (cat.hi IS NULL OR pa.age_prev < cat.hi)
    AND max(coalesce(ev_m.last, ''), coalesce(ev_p.last, '')) LIKE '%a'
),
best AS (
  SELECT person_id,
         max(CASE WHEN tenths > 0 THEN tenths * 1000 + 999 - ord END) AS single_key,
         max(CASE WHEN single_parent AND tenths > 0 THEN tenths END) AS k4,
         max(CASE WHEN partner AND tenths > 0 THEN tenths * 1000 + 999 - ord END) AS partner_key
  FROM paying GROUP BY person_id
),
chosen AS (
  SELECT b.person_id,
         CASE WHEN b.k4 IS NOT NULL AND b.partner_key IS NOT NULL AND b.k4 + b.partner_key / 1000 > b.single_key / 1000
              THEN b.k4 + b.partner_key / 1000 ELSE b.single_key / 1000 END AS tenths,
         CASE WHEN b.k4 IS NOT NULL AND b.partner_key IS NOT NULL AND b.k4 + b.partner_key / 1000 > b.single_key / 1000
              THEN (SELECT code FROM pay_cat WHERE single_parent) || '+' ||
                   (SELECT code FROM pay_cat WHERE ord = 999 - b.partner_key % 1000)
              ELSE (SELECT code FROM pay_cat WHERE ord = 999 - b.single_key % 1000) END AS basis
  FROM best b WHERE b.single_key IS NOT NULL
),
pension AS (
  SELECT DISTINCT sp.person_id FROM social_pensions sp JOIN pay_pa pa ON pa.id = sp.person_id
  WHERE sp.from_month <= :m AND (sp.to_month IS NULL OR sp.to_month >= :m)
),
x AS (
  SELECT pa.id AS person_id, pa.commune_code, best.tenths, best.basis, b.tcxh AS base,
         CASE WHEN best.tenths IS NULL THEN 0 ELSE {money_tcxh} END AS tcxh,
         CASE WHEN pension.person_id IS NULL THEN 0 ELSE b.htxh END AS htxh
  FROM pay_pa pa JOIN pay_base b ON b.province = pa.province_code
  LEFT JOIN chosen best ON best.person_id = pa.id
  LEFT JOIN pension ON pension.person_id = pa.id
  WHERE best.person_id IS NOT NULL OR pension.person_id IS NOT NULL
)
SELECT x.person_id, x.commune_code,
       CASE WHEN {htxh_wins} THEN 'HTXH' ELSE 'TCXH' END AS program,
       CASE WHEN {htxh_wins} THEN NULL ELSE x.tenths END AS tenths,
       CASE WHEN {htxh_wins} THEN x.htxh ELSE x.base END AS base,
       CASE WHEN {htxh_wins} THEN x.htxh ELSE x.tcxh END AS amount,
       CASE WHEN {htxh_wins} THEN NULL ELSE x.basis END AS basis,
       x.tcxh, x.htxh
FROM x WHERE x.tcxh > 0 OR x.htxh > 0""", p)
    return p


def compute_care(conn, engine: Engine, month: int | str, persons_filter: str = "") -> None:
    """Fill ``temp.pay_care`` with the month's care support (CSND, §5), one row per carer.

    Mirrors ``btxh.rules.care``: each entitlement on its own (window, the carer's and the
    cared-for person's life, the code's age bounds and band), C3/C4 reduced to the higher
    one per carer. Needs :func:`prepare` (or :func:`compute`) for the same month first.
    """
    m = as_month(month)
    coefficients = engine.coefficients
    conn.execute("DROP TABLE IF EXISTS temp.pay_care_band")
    conn.execute("CREATE TEMP TABLE pay_care_band (code TEXT, age INTEGER, tenths INTEGER, lo INTEGER, hi INTEGER,"
                 " PRIMARY KEY (code, age)) WITHOUT ROWID")
    rows = []
    for code in sorted(coefficients.codes("CSND")):
        category = coefficients.category(code)
        for age in range(MAX_AGE + 1):
            band = coefficients.band(code, None, age, m)
            if band is not None:
                rows.append((code, age, band.tenths, category.min_age, category.max_age))
    conn.executemany("INSERT INTO pay_care_band VALUES (?, ?, ?, ?, ?)", rows)
    where = f"AND ({persons_filter})" if persons_filter else ""
    conn.execute("DROP TABLE IF EXISTS temp.pay_care")
    conn.execute(f"""CREATE TEMP TABLE pay_care AS
WITH e AS (
  SELECT e.id, e.code, e.carer_person_id AS carer, pe.commune_code, c.province_code, cp.death_date,
         {_birth('cp.birth_date')}
  FROM care_entitlements e
  JOIN persons pe ON pe.id = e.carer_person_id
  JOIN communes c ON c.code = pe.commune_code
  LEFT JOIN persons cp ON cp.id = e.cared_person_id
  WHERE e.valid_from <= date(:first_day, '+1 month', '-1 day')
    AND (e.valid_to IS NULL OR e.valid_to >= :first_day)
    AND (pe.death_date IS NULL OR pe.death_date >= :first_day)
    AND (cp.death_date IS NULL OR cp.death_date >= :first_day) {where}
),
a AS (
  SELECT e.*,
         CASE WHEN by IS NULL THEN NULL
              WHEN death_date IS NOT NULL AND substr(death_date, 1, 7) = :m THEN {_age_on_death()}
              ELSE {_age_end(':y', ':mo', ':leap')} END AS age,
         CASE WHEN by IS NULL THEN NULL ELSE {_age_end(':yp', ':mop', ':leapp')} END AS age_prev
  FROM e
),
ok AS (
  SELECT a.id, a.code, a.carer, a.commune_code, a.province_code, band.tenths
  FROM a JOIN pay_cat cat ON cat.code = a.code
  JOIN pay_care_band band ON band.code = a.code AND band.age = CASE
       WHEN a.by IS NULL THEN 0
       WHEN cat.hi IS NOT NULL AND a.age >= cat.hi THEN min(cat.hi - 1, :maxage)
       ELSE min(a.age, :maxage) END
  WHERE (a.by IS NULL AND cat.lo IS NULL AND cat.hi IS NULL)
     OR (a.by IS NOT NULL AND a.by * 12 + a.bm - 1 <= :mi AND (cat.lo IS NULL OR a.age >= cat.lo)
         AND (cat.hi IS NULL OR a.age_prev < cat.hi))
),
priced AS (
  SELECT ok.*, b.tcxh AS base, {_money(engine.rules, 'b.tcxh', 'ok.tenths')} AS amount
  FROM ok JOIN pay_base b ON b.province = ok.province_code WHERE b.tcxh > 0
),
kept AS (
  SELECT id, code, carer, commune_code, base, amount FROM priced WHERE code NOT IN ('C3', 'C4')
  UNION ALL
  SELECT id, code, carer, commune_code, base, amount
  FROM (SELECT *, row_number() OVER (PARTITION BY carer ORDER BY tenths DESC, id) AS rn
        FROM priced WHERE code IN ('C3', 'C4')) WHERE rn = 1
),
codes AS (
  SELECT carer, group_concat(code, '+') AS basis
  FROM (SELECT DISTINCT carer, code FROM kept WHERE amount > 0 ORDER BY carer, code) GROUP BY carer
)
SELECT k.carer AS person_id, k.commune_code, sum(k.amount) AS amount, max(k.base) AS base, c.basis
FROM kept k LEFT JOIN codes c ON c.carer = k.carer
GROUP BY k.carer HAVING sum(k.amount) > 0""", prepare_params(engine, m))


def prepare_params(engine: Engine, month: int | str) -> dict:
    """The named parameters of the month (as :func:`prepare` returns, without temp tables)."""
    m = as_month(month)
    rules = engine.rules
    year, mo = divmod(m, 12)
    pyear, pmo = divmod(m - 1, 12)
    f29m, f29d = rules.feb29
    yom, yod = rules.year_only
    return {
        "m": month_str(m), "mi": m, "y": year, "mo": mo + 1, "leap": _leap(year),
        "yp": pyear, "mop": pmo + 1, "leapp": _leap(pyear), "first_day": month_str(m) + "-01",
        "f29m": f29m, "f29d": f29d, "yom": yom, "yod": yod, "mod": rules.month_only_birth_day,
        "k4age": rules.k4_child_age, "study": rules.study_age_limit, "maxage": MAX_AGE,
    }
