"""One truth: the SQL fast path (btxh/payroll/fastpath.py) pays exactly what the pure rules pay.

On random registry populations (tests/payroll_population.py: every TCXH category, K6 at
both levels, several memberships per person, K4 children, partial and 29-February births,
deaths around birthdays, decisions of every kind, social pensions, province base levels
higher and lower than the national one) and in every boundary month, ``fastpath.compute``
must produce, for every person, the program, amount, coefficient, base, basis and the two
program amounts that ``registry.evaluate`` (the oracle: btxh.rules) produces whenever the
oracle's amount is positive, and no line otherwise.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from btxh import engines, plugins
from btxh.payroll import fastpath, registry
from btxh.policies import hookimpl
from btxh.rules import NATIONAL, build_engine
from btxh.rules.dates import parse_month

from payroll_population import EVAL_MONTHS, populate

PERSONS = 1500
SEEDS = [11, 22, 33]
SHOW = 20


def _engine(db, rules=NATIONAL):
    return build_engine([dict(r) for r in db["coefficients"].rows], [dict(r) for r in db["categories"].rows],
                        [dict(r) for r in db["base_levels"].rows], rules=rules)


def _provinces(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM provinces ORDER BY code")]


def _fast(conn, engine, month, provinces, persons_filter="") -> dict[int, tuple]:
    """person id -> (program, amount, tenths, base, basis, tcxh, htxh, commune) of temp.pay_due."""
    fastpath.compute(conn, engine, month, provinces, persons_filter)
    rows = conn.execute("SELECT person_id, program, amount, tenths, base, basis, tcxh, htxh, commune_code"
                        " FROM temp.pay_due").fetchall()
    out = {}
    for pid, program, amount, tenths, base, basis, tcxh, htxh, commune in rows:
        assert pid not in out, f"{month}: two fast-path lines for person {pid}"
        out[pid] = (program, amount, tenths, base, basis or "", tcxh, htxh, commune)
    return out


def _oracle(result, commune: str) -> tuple | None:
    """The oracle's line in the fast path's shape, or None when it pays nothing."""
    if result.amount <= 0:
        return None
    return (result.program, result.amount, result.tenths, result.base, "+".join(result.basis),
            result.tcxh_amount, result.htxh_amount, commune)


def _describe(db, facts: registry.Facts) -> str:
    lines = [f"person {facts.id}: born {facts.birth}, died {facts.death or '-'}, "
             f"commune {facts.commune_code} (province {facts.province})"]
    for mid, ms in facts.memberships:
        kids = "".join(f" child({c.birth}, studying_until={c.studying_until})" for c in ms.children)
        lines.append(f"  membership {mid}: {ms.category}{'/' + ms.level if ms.level else ''} "
                     f"{ms.start}..{ms.end or ''}{kids}")
    for did, mid, kind, program, start, stop in db.execute(
            "SELECT id, membership_id, kind, program, start_month, stop_month FROM decisions"
            " WHERE person_id = ? ORDER BY id", [facts.id]):
        lines.append(f"  decision {did} {program} {kind} start={start} stop={stop} "
                     f"-> {'membership ' + str(mid) if mid else 'ALL memberships'}")
    for p in facts.pensions:
        lines.append(f"  HTXH {registry.month_str(p.start)}..{registry.month_str(p.end) if p.end else ''}")
    return "\n".join(lines)


def _report(db, mismatches, facts, checked, months) -> str:
    """The first SHOW mismatches, one person at a time first (then their other months)."""
    first, rest, seen, per_person = [], [], set(), {}
    for m in mismatches:
        per_person[m[1]] = per_person.get(m[1], 0) + 1
        (rest if m[1] in seen else first).append(m)
        seen.add(m[1])
    shown = (first + rest)[:SHOW]
    out = [f"{len(mismatches)} mismatches ({len(per_person)} persons) in {checked} person-months over "
           f"{len(months)} months; first {len(shown)}, as (program, amount, tenths, base, basis, tcxh, htxh, commune):",
           f"{'month':8} {'person':>6}  fast | oracle | oracle reason"]
    for month, pid, fast, oracle, reason in shown:
        out.append(f"{month:8} {pid:>6}  {fast} | {oracle} | {reason}")
    out.append("Facts:")
    for pid in dict.fromkeys(pid for _, pid, *_ in shown):
        if pid in facts:
            out.append(f"{_describe(db, facts[pid])}\n  ({per_person[pid]} mismatching months)")
    return "\n".join(out)


def differences(db, engine, months, persons_filter="") -> tuple[list, dict, int, int]:
    """(mismatches, facts, person-months checked, person-months paid) of the fast path
    against the oracle."""
    conn = db.conn
    provinces = _provinces(db)
    ids = [r[0] for r in db.execute("SELECT id FROM persons")]
    facts = registry.load(conn, ids)
    mismatches, checked, paid = [], 0, 0
    for month in months:
        fast = _fast(conn, engine, month, provinces, persons_filter)
        for pid in sorted(set(fast) - set(facts)):
            mismatches.append((month, pid, fast[pid], None, "(unknown person)"))
        for pid, f in facts.items():
            result = registry.evaluate(engine, f, month)
            oracle = _oracle(result, f.commune_code)
            checked += 1
            paid += oracle is not None
            if fast.get(pid) != oracle:
                mismatches.append((month, pid, fast.get(pid), oracle, result.reason))
    return mismatches, facts, checked, paid


def _months(population, rules, seed) -> list[str]:
    extra = population.birthday_months(rules, random.Random(seed))
    return sorted(set(EVAL_MONTHS) | set(extra), key=parse_month)


def _coverage(db) -> None:
    """The population holds what the test claims to cover."""
    q = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    for category in ("K1", "K2", "K3", "K4", "K5a", "K5b", "K5c", "K5d", "K7", "K8"):
        assert q(f"SELECT count(*) FROM memberships WHERE category = '{category}'") > 10, category
    for level in ("DBN", "NANG"):
        assert q(f"SELECT count(*) FROM memberships WHERE category = 'K6' AND disability_level = '{level}'") > 10
    assert q("SELECT count(*) FROM (SELECT person_id FROM memberships GROUP BY person_id, category"
             " HAVING count(*) > 1)") > 5
    assert q("SELECT count(*) FROM (SELECT person_id FROM memberships GROUP BY person_id"
             " HAVING sum(category = 'K4') > 0 AND sum(category IN ('K5a','K5b','K5c','K5d','K6','K8')) > 0)") > 5
    assert q("SELECT count(*) FROM (SELECT person_id FROM memberships GROUP BY person_id"
             " HAVING sum(category = 'K6') > 0 AND sum(category = 'K8') > 0)") > 2
    assert q("SELECT count(*) FROM persons WHERE length(birth_date) = 4") > 50
    assert q("SELECT count(*) FROM persons WHERE length(birth_date) = 7") > 50
    assert q("SELECT count(*) FROM persons WHERE birth_date LIKE '%-02-29'") > 20
    assert q("SELECT count(*) FROM persons WHERE death_date IS NOT NULL") > 50
    assert q("SELECT count(*) FROM membership_children WHERE length(birth_date) < 10") > 5
    for kind in ("grant", "stop", "suspend", "resume", "move", "adjust"):
        assert q(f"SELECT count(*) FROM decisions WHERE kind = '{kind}'") > 5, kind
    assert q("SELECT count(*) FROM decisions WHERE membership_id IS NULL") > 20
    assert q("SELECT count(*) FROM decisions WHERE stop_month = start_month") > 5
    assert q("SELECT count(*) FROM social_pensions WHERE from_month < '2025-07'") > 20
    assert q("SELECT count(DISTINCT c.province_code) FROM persons p JOIN communes c ON c.code = p.commune_code") >= 4


@pytest.mark.parametrize("seed", SEEDS)
def test_fast_path_equals_rules_on_random_population(ref_db, seed):
    population = populate(ref_db, seed, PERSONS)
    _coverage(ref_db)
    engine = _engine(ref_db)
    months = _months(population, engine.rules, seed)
    mismatches, facts, checked, paid = differences(ref_db, engine, months)
    if mismatches:
        pytest.fail(_report(ref_db, mismatches, facts, checked, months), pytrace=False)
    assert len(months) >= len(EVAL_MONTHS) + 10
    assert paid > checked // 8          # not vacuous: a good share of person-months is paid


CUSTOM = dataclasses.replace(NATIONAL, name="thử nghiệm", feb29_birthday="03-01", rounding="down",
                             pension_tie_keeps="HTXH", year_only_birth="07-01")
# Every other parameter the fast path reads: a month-only birth standing for the last day
# of its month (31, clamped: 30 April, 28/29 February), studies to 23, K4 children to 18,
# K5b reported as K5c from 85, fewer K4 partners, the pension from 2025-10, rounding up.
CUSTOM_2 = dataclasses.replace(NATIONAL, name="thử nghiệm 2", feb29_birthday="03-01", month_only_birth_day=31,
                               study_age_limit=23, k4_child_age=18, reported_from_age=(("K5b", 85, "K5c"),),
                               single_parent_partners=("K5a", "K6"), pension_first_month="2025-10",
                               rounding="up", year_only_birth="12-31")


@pytest.mark.parametrize("rules, seed", [(CUSTOM, 44), (CUSTOM_2, 45)], ids=["custom", "custom_2"])
def test_fast_path_honours_rule_set_parameters(ref_db, rules, seed):
    population = populate(ref_db, seed, PERSONS)
    engine = _engine(ref_db, rules)
    months = _months(population, rules, seed)
    mismatches, facts, checked, paid = differences(ref_db, engine, months)
    if mismatches:
        pytest.fail(_report(ref_db, mismatches, facts, checked, months), pytrace=False)
    assert paid > checked // 8
    # the parameters matter in this population: the national rules pay other amounts
    national = _engine(ref_db)
    changed = sum(_oracle(registry.evaluate(national, f, m), "") != _oracle(registry.evaluate(engine, f, m), "")
                  for m in months for f in facts.values())
    assert changed > 50


@pytest.mark.parametrize("persons_filter, keep", [
    ("pe.commune_code IN ('00004')", lambda facts: facts.commune_code == "00004"),
    ("pe.id % 3 = 0", lambda facts: facts.id % 3 == 0),
])
def test_persons_filter_returns_exactly_the_subset(ref_db, persons_filter, keep):
    populate(ref_db, 55, 900)
    engine = _engine(ref_db)
    conn, provinces = ref_db.conn, _provinces(ref_db)
    facts = registry.load(conn, [r[0] for r in ref_db.execute("SELECT id FROM persons")])
    wanted = {pid for pid, f in facts.items() if keep(f)}
    assert 0 < len(wanted) < len(facts)
    for month in ("2024-07", "2025-07", "2026-01"):
        everyone = _fast(conn, engine, month, provinces)
        subset = _fast(conn, engine, month, provinces, persons_filter)
        assert subset, month
        assert subset == {pid: line for pid, line in everyone.items() if pid in wanted}, month


@pytest.mark.parametrize("month", ["2021-07", "2023-02", "2024-07", "2025-07", "2026-10", "2026-11"])
def test_fast_path_equals_rules_on_the_demo_registry(demo_db_path, month):
    """Realistic decisions (moves, suspensions, stops) and care support, as `btxh demo` makes them."""
    import sqlite_utils

    from btxh.payroll import fastpath, registry
    from btxh.rules import build_engine, evaluate_care

    db = sqlite_utils.Database(demo_db_path)
    conn = db.conn
    rows = lambda t: [dict(r) for r in db[t].rows]  # noqa: E731
    engine = build_engine(rows("coefficients"), rows("categories"), rows("base_levels"))
    provinces = [r[0] for r in conn.execute("SELECT code FROM provinces")]
    facts = registry.load(conn, [r[0] for r in conn.execute("SELECT id FROM persons")])
    fastpath.compute(conn, engine, month, provinces)
    fastpath.compute_care(conn, engine, month)
    fast = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT person_id, program, amount FROM temp.pay_due")}
    fast_care = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT person_id, amount, basis FROM temp.pay_care")}
    oracle, oracle_care = {}, {}
    for pid, f in facts.items():
        result = registry.evaluate(engine, f, month)
        if result.amount:
            oracle[pid] = (result.program, result.amount)
        if f.care:
            care = evaluate_care([e for _, _, e in f.care], month, engine, f.province)
            due = sum(r.amount for r in care)
            if due:
                oracle_care[pid] = (due, "+".join(sorted({r.code for r in care if r.amount})))
    assert fast == oracle
    assert fast_care == oracle_care
    assert oracle  # the month is not empty


class _ProvincePolicy:
    """A province policy answering CUSTOM_2 for one province (``btxh_rule_set``)."""

    def __init__(self, province):
        self.province = province

    @hookimpl
    def btxh_rule_set(self, province):
        return CUSTOM_2 if province == self.province else None


def test_fast_path_of_a_province_run_equals_the_rules_of_that_province(ref_db):
    """The payroll's engine for one province's communes (btxh.engines, as payroll.run builds
    it) pays in SQL what the pure rules pay under that province's own rule set."""
    population = populate(ref_db, 46, PERSONS)
    province = ref_db.execute("SELECT c.province_code FROM persons p JOIN communes c ON c.code = p.commune_code"
                              " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    pm.register(_ProvincePolicy(province))
    communes = [r[0] for r in ref_db.execute("SELECT code FROM communes WHERE province_code = ?", [province])]
    engine = engines.engine_for_scope(ref_db, communes, pm)
    assert engine.rules is CUSTOM_2
    in_province = f"pe.commune_code IN (SELECT code FROM communes WHERE province_code = '{province}')"
    facts = {pid: f for pid, f in registry.load(ref_db.conn, [r[0] for r in ref_db.execute(
        f"SELECT pe.id FROM persons pe WHERE {in_province}")]).items()}
    months = _months(population, CUSTOM_2, 46)
    own = {p: engines.engine_for_province(ref_db, p, pm) for p in {f.province for f in facts.values()}}
    national = _engine(ref_db)
    mismatches, paid, changed = [], 0, 0
    for month in months:
        fast = _fast(ref_db.conn, engine, month, _provinces(ref_db), in_province)
        assert set(fast) <= set(facts)
        for pid, f in facts.items():
            oracle = _oracle(registry.evaluate(own[f.province], f, month), f.commune_code)  # the person's province
            paid += oracle is not None
            changed += oracle != _oracle(registry.evaluate(national, f, month), f.commune_code)
            if fast.get(pid) != oracle:
                mismatches.append((month, pid, fast.get(pid), oracle, ""))
    if mismatches:
        pytest.fail(_report(ref_db, mismatches, facts, len(facts) * len(months), months), pytrace=False)
    assert paid > 100 and changed > 10  # not vacuous: the province's rules pay other amounts
