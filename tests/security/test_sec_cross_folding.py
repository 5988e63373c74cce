"""The fold has one home (btxh.disclosure) and the door's SQL is held to it.

Attack: a folded cell that holds only K3 or K8 people is an HIV count under another name —
the door once moved K8 children under 4 (10a leaf I.3.1) to K1's leaf I.1.a but left them in
«K4+K8», so the door's (I.1.a, «K4+K8») cell counted K8 children alone. And a door fold that
differs from the report pages' fold lets one be subtracted from the other.
"""

import itertools
import sqlite3

from btxh import disclosure
from btxh.reports import forms

# (leaf, category) pairs a monthly-allowance person can be counted in (forms.leaf_for)
CATEGORIES = ("K1", "K2", "K3", "K4", "K5a", "K5b", "K5c", "K5d", "K6", "K7", "K8", "LOCAL")


def _pairs():
    out = set()
    for category, level, band, poor in itertools.product(CATEGORIES, ("DBN", "NANG"), range(4), (True, False)):
        out.add((forms.leaf_for("TCXH", category, level, band, poor), category))
    return sorted(out)


def test_no_folded_cell_can_hold_only_k3_or_k8_people():
    pairs = _pairs()
    folded = {(disclosure.fold_leaf(leaf, cat), disclosure.fold_category(cat)) for leaf, cat in pairs
              if cat not in disclosure.HIV_CATEGORIES}
    for leaf, cat in pairs:
        if cat in disclosure.HIV_CATEGORIES:
            cell = (disclosure.fold_leaf(leaf, cat), disclosure.fold_category(cat))
            assert cell in folded, (leaf, cat, cell)  # shared with people of another category
            assert cell[0] not in disclosure.FOLDED_AWAY_LEAVES


def test_door_fold_differing_from_the_report_fold_would_let_one_be_subtracted_from_the_other(ref_db):
    """Every (leaf, category) through door_folded_cells, through the reports' SQL fold and
    through btxh.disclosure's: the same leaf and folded category."""
    ref_db.execute("INSERT INTO payroll_runs (id, month, status, rule_set, created_at, created_by)"
                   " VALUES (1, '2026-11', 'closed', 'nd20', '2026-11-01', 't')")
    commune = ref_db.execute("SELECT code FROM communes ORDER BY code LIMIT 1").fetchone()[0]
    pairs = _pairs()
    for i, (leaf, cat) in enumerate(pairs, 1):
        ref_db.execute("INSERT INTO report_cells VALUES (1, '2026-11', ?, ?, ?, 'nu', ?, 0, 0, 0, 0)",
                       [commune, leaf, cat, 2 ** i])
    conn = sqlite3.connect(ref_db.conn.execute("PRAGMA database_list").fetchone()[2])
    door = {n: (leaf, dien) for leaf, dien, n in conn.execute("SELECT leaf, dien, persons FROM door_folded_cells")}
    sql = {n: leaf for leaf, n in conn.execute(f"SELECT {disclosure.FOLDED_LEAF_SQL}, persons FROM report_cells c")}
    for i, (leaf, cat) in enumerate(pairs, 1):
        expected = (disclosure.fold_leaf(leaf, cat), disclosure.fold_category(cat))
        assert door[2 ** i] == expected, (leaf, cat)
        assert sql[2 ** i] == expected[0], (leaf, cat)
    # the door's commune groups are btxh.disclosure's
    groups = {nhom: n for nhom, n in conn.execute(
        "SELECT nhom, persons FROM door_commune_groups WHERE commune_code = ?", [commune])}
    for nhom, n in groups.items():
        assert n == sum(2 ** i for i, (_, cat) in enumerate(pairs, 1) if disclosure.commune_group(cat) == nhom)
