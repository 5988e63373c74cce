"""The door's SQL small-cell rules held to the Python ones (differential, random counts).

Attack: a commune whose «khác» group holds 1–4 people, only K8, next to groups the public
page shows — the door's commune groups must hide exactly what btxh.disclosure.suppress hides,
and the door's money must never let the number of K3/K8 people of a province-month be solved
when it is 1–4.
"""

import random
import sqlite3

import pytest

from btxh import disclosure, door

GROUP_CATEGORY = {"tre_em_hoc_sinh": ("K1", "I.1.b"), "cao_tuoi": ("K5a", "I.5.1"),
                  "khuyet_tat": ("K6", "I.6.2.b"), "khac": ("K4", "I.4")}
HIV = {"tre_em_hoc_sinh": ("K3", "I.3.2"), "khac": ("K8", "I.3.3")}


def test_planted_categories_are_in_the_groups_the_door_is_held_to():
    for group, (category, _) in GROUP_CATEGORY.items():
        assert disclosure.commune_group(category) == group
    for group, (category, _) in HIV.items():
        assert disclosure.commune_group(category) == group


def _fill(db, rng, communes):
    db.execute("INSERT INTO payroll_runs (id, month, status, rule_set, created_at, created_by)"
               " VALUES (1, '2026-11', 'closed', 'nd20', '2026-11-01', 't')")
    expected = {}
    for code in communes:
        counts = {}
        for group, (category, leaf) in GROUP_CATEGORY.items():
            plain = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 30])
            hiv = rng.choice([0, 0, 1, 2, 5]) if group in HIV else 0
            counts[group] = plain + hiv
            for cat, lf, n in ((category, leaf, plain), (*HIV.get(group, ("", "")), hiv)):
                if n:
                    db.execute("INSERT INTO report_cells VALUES (1, '2026-11', ?, ?, ?, 'nu', ?, ?, 0, 0, 0)",
                               [code, lf, cat, n, n * 750000])
        expected[code] = counts
    return expected


@pytest.mark.parametrize("seed", range(5))
def test_commune_group_of_only_k8_under_5_is_hidden_exactly_as_on_the_public_page(ref_db, seed):
    rng = random.Random(seed)
    communes = [r[0] for r in ref_db.execute("SELECT code FROM communes ORDER BY code LIMIT 40")]
    expected = _fill(ref_db, rng, communes)
    conn = sqlite3.connect(ref_db.conn.execute("PRAGMA database_list").fetchone()[2])
    door.harden(conn)
    got = {}
    for code, group, persons in conn.execute(
            "SELECT commune_code, nhom, persons FROM door_commune_groups WHERE month = '2026-11'"):
        got.setdefault(code, {})[group] = persons
    for code, counts in expected.items():
        if not any(counts.values()):
            assert code not in got
            continue
        rule = {k: int(v) if v.isdigit() else None for k, v in disclosure.suppress(counts).items()}
        assert got[code] == rule, (code, counts)
    # money: a province-month's allowance total only where its K3 and K8 numbers are 0 or ≥ 5
    for province, regular in conn.execute("SELECT province_code, regular FROM door_province_money"
                                          " WHERE section = 'I'"):
        n3, n8 = ref_db.execute(
            "SELECT coalesce(sum(CASE WHEN category = 'K3' THEN persons END), 0),"
            " coalesce(sum(CASE WHEN category = 'K8' THEN persons END), 0) FROM report_cells c"
            " JOIN communes co ON co.code = c.commune_code WHERE co.province_code = ?", [province]).fetchone()
        assert (regular is None) == (1 <= n3 <= 4 or 1 <= n8 <= 4), (province, n3, n8)
