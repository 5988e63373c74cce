"""What a published or shared count may say: the small-cell rule and complementary suppression.

One rule for every number that leaves btxh for someone who may not know every person's HIV
status (the public pages, the reports shown to province staff and analysts): a count of 1–4
reads «dưới 5», and when a total is published beside its parts, a second cell is hidden
(«không công bố») so that the small one cannot be recovered by subtraction
(docs/decisions/009-public-pages.md, 010-reports.md). Pure: no SQL, no Datasette.
"""

from __future__ import annotations

MIN_CELL = 5
SMALL = "dưới 5"
HIDDEN = "không công bố"

# Categories that are HIV status (Decree 20 Art. 5(3) and 5(8)): who is in them may be known
# only to the admin and the commune officer of the person's commune (btxh.access.may_know_hiv).
HIV_CATEGORIES = frozenset({"K3", "K8"})


def is_small(n: int) -> bool:
    return 0 < n < MIN_CELL


def cell(n: int) -> str:
    """A published count: "dưới 5" for 1–4, the number otherwise."""
    return SMALL if is_small(n) else str(n)


def suppress(counts: dict[str, int]) -> dict[str, str]:
    """Published cells of a table whose total is also published.

    1–4 reads "dưới 5". When exactly one cell is so suppressed, the total would give it away
    (total − the others), so the smallest other non-zero cell is hidden too ("không công
    bố") — the usual complementary suppression.
    """
    shown = {k: cell(n) for k, n in counts.items()}
    small = [k for k, n in counts.items() if is_small(n)]
    if len(small) == 1:
        others = sorted((n, k) for k, n in counts.items() if n >= MIN_CELL)
        if others:
            shown[others[0][1]] = HIDDEN
    return shown


def complement(hidden: set, parts: dict, total_shown: bool = True) -> set:
    """Keys to hide among ``parts`` (key → count) that add up to a published total, given
    the keys already ``hidden``: when exactly one non-zero part is hidden and the total is
    shown, the smallest other non-zero part is hidden too. Returns the enlarged set."""
    out = set(hidden)
    if not total_shown:
        return out
    gone = [k for k in parts if k in out and parts[k]]
    if len(gone) == 1:
        others = sorted((n, str(k), k) for k, n in parts.items() if k not in out and n)
        if others:
            out.add(others[0][2])
    return out


# -- folding: the one home of how K3/K8 disappear into larger cells --------------------------
#
# For a reader who may not know HIV status, every surface that gives commune, province or
# country figures by category (the analysts' door, report pages 10a and du-toan) folds K3
# into K1 and K8 into K4, in the same cells, so that no difference of two surfaces is a
# count of HIV categories (ADR 013, "Across surfaces"). The door's SQL (migration
# m014_door_views) is held to these definitions by tests/security/test_sec_cross_folding.py.

FOLDS = {"K1": "K1+K3", "K3": "K1+K3", "K4": "K4+K8", "K8": "K4+K8"}
# 10a leaves of K3/K8 people and where a fold moves them: every K8 person to K4's leaf
# (I.4), a K3 child under 4 to K1's under-4 leaf (I.1.a), the other K3 children to K1's
# other leaf (I.1.b). A folded cell (leaf, folded category) always holds the people of the
# category it is folded with, never K3 or K8 alone (a K8 child under 4 in I.1.a would be)
FOLDED_AWAY_LEAVES = frozenset({"I.3.1", "I.3.2", "I.3.3"})
FOLDED_INTO_LEAVES = frozenset({"I.1.a", "I.1.b", "I.4"})

# The per-commune groups of the monthly allowance the door publishes (door_commune_groups),
# by folded category; any other category is in "khac"
COMMUNE_GROUPS = (
    ("tre_em_hoc_sinh", ("K1+K3", "K2", "K7")),
    ("cao_tuoi", ("K5a", "K5b", "K5c", "K5d")),
    ("khuyet_tat", ("K6",)),
    ("khac", ()),
)
_GROUP_OF = {code: key for key, codes in COMMUNE_GROUPS for code in codes}


def fold_category(category: str) -> str:
    """The category a reader who may not know HIV status sees: K1+K3, K4+K8, or itself."""
    return FOLDS.get(category, category)


def fold_leaf(leaf: str, category: str) -> str:
    """The 10a leaf a K3/K8 cell is counted in for such a reader (other leaves unchanged)."""
    if leaf not in FOLDED_AWAY_LEAVES:
        return leaf
    if category == "K3":
        return "I.1.a" if leaf == "I.3.1" else "I.1.b"
    return "I.4"


def commune_group(category: str) -> str:
    """The door's per-commune group of a (raw or folded) category."""
    return _GROUP_OF.get(fold_category(category), "khac")


# The same fold in SQL over report_cells aliased ``c`` (btxh.reports.build.figures)
FOLDED_LEAF_SQL = ("CASE WHEN c.leaf NOT IN ('I.3.1', 'I.3.2', 'I.3.3') THEN c.leaf"
                   " WHEN c.category <> 'K3' THEN 'I.4'"
                   " WHEN c.leaf = 'I.3.1' THEN 'I.1.a' ELSE 'I.1.b' END")
