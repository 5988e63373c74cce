"""Report cells that could be HIV counts, for readers who may not know HIV status.

Form 10a has rows of people with HIV (I.3 "Người bị nhiễm HIV thuộc hộ nghèo" = K3 and K8;
III.3, the same in facilities), and the budget estimate a row per category (K3, K8). Who may
know HIV status is decided by ``btxh.access.may_know_hiv``; everyone else (province staff,
analysts, a commune officer looking beyond their communes) gets, through ``for_reader`` /
``budget_for_reader``, the same figures the analysts' door gives (ADR 013, "Across surfaces"):

* **folded**: K3 people are counted in K1's rows and K8 people in K4's, exactly as the door
  folds them (btxh.disclosure.fold_leaf / fold_category); the I.3 rows read «không công bố»
  and every other row is the exact sum of its folded leaves, so no row, total or difference
  of two surfaces is a count of K3/K8 people;
* **money that folds them in** (the amount of K1's and K4's rows and of the rows adding them
  up; the budget's K1+K3 and K4+K8 rows and total) is hidden for a commune (or list of
  communes) always, and for a province or the country when some month of the period has 1-4
  K3, K3 aged 4-16 or K8 people in a province (their coefficients differ from K1's and K4's,
  so the amount could be solved for their number) — the door's rule for door_province_money;
* III.3 (figures staff entered for residents of facilities) keeps the small-cell rule: hidden
  for a commune whatever its value, for a province or the country when a people cell is 1-4,
  with complementary suppression and the rows that add it up (III, TỔNG CỘNG); a country
  report also hides what some province's report hides.

A hidden row hides all its cells (people, men, women, money) — docs/decisions/010-reports.md §3.
"""

from __future__ import annotations

from dataclasses import replace

from ..disclosure import FOLDED_AWAY_LEAVES, FOLDED_INTO_LEAVES, FOLDS, HIDDEN, SMALL, fold_category, is_small
from . import forms

COMMUNE, PROVINCE, COUNTRY = "commune", "province", "country"
CELLS = ("total", "male", "female", "amount")


def level_of(where) -> str:
    if where.communes is not None:
        return COMMUNE
    return PROVINCE if where.province else COUNTRY


def _folded_away(line) -> bool:
    """A row of K3/K8 people only whose people a fold moves to other rows (10a I.3)."""
    return bool(line.leaves) and set(line.leaves) <= FOLDED_AWAY_LEAVES


def _hiv_line(line) -> bool:
    """A row of people with HIV that no fold empties (10a III.3: figures staff entered)."""
    return bool(line.leaves) and set(line.leaves) <= forms.HIV_LEAVES and not _folded_away(line)


def _folds_in(line) -> bool:
    """A row whose money includes folded K3/K8 people."""
    return bool(FOLDED_INTO_LEAVES & set(line.leaves))


def _is_small_row(row) -> bool:
    return any(is_small(v) for v in (row.total, row.male, row.female)) or (row.total == 0 and row.amount > 0)


def hidden_rows(form, rows, level: str, also=frozenset()) -> set[int]:
    """Indexes (in ``form.lines``) of the rows to hide whole for a reader who may not know:
    the folded-away rows, and the III.3 rows by the small-cell rule with what adds them up."""
    lines = form.lines
    hiv = [i for i, line in enumerate(lines) if _hiv_line(line)]
    hidden = {i for i in hiv if level == COMMUNE or _is_small_row(rows[i])} | set(also)
    for parent in hiv:
        kids = [i for i in hiv if i != parent and set(lines[i].leaves) < set(lines[parent].leaves)]
        gone = [i for i in kids if i in hidden and (rows[i].total or rows[i].amount)]
        if parent not in hidden and len(gone) == 1:
            others = sorted((rows[i].total, rows[i].amount, i) for i in kids
                            if i not in hidden and (rows[i].total or rows[i].amount))
            if others:
                hidden.add(others[0][2])
            else:
                hidden.add(parent)
    for i in [i for i in hidden if _hiv_line(lines[i])]:
        leaves = set(lines[i].leaves)
        hidden.update(j for j, line in enumerate(lines) if not _hiv_line(line) and leaves <= set(line.leaves))
    return hidden | {i for i, line in enumerate(lines) if _folded_away(line)}


def _mask(row, cells, people, tell_small: bool):
    """Every cell of a hidden row: «dưới 5» for a people cell of 1–4 when the small-cell rule
    hid it, «không công bố» otherwise (hidden by the commune rule or to protect another)."""
    return replace(row, masks=tuple(
        (c, SMALL if tell_small and c in people and is_small(getattr(row, c)) else HIDDEN) for c in cells))


def form_rows(form, rows, level: str, also=frozenset(), money_shown: bool = False) -> list:
    """Folded ``rows`` as shown: hidden rows masked (``hidden_rows``); unless ``money_shown``,
    the amount of every row that folds K3/K8 people in reads «không công bố»."""
    hidden = hidden_rows(form, rows, level, also)
    out = []
    for i, (line, row) in enumerate(zip(form.lines, rows)):
        if i in hidden:
            row = _mask(row, CELLS, CELLS[:3], level != COMMUNE and _hiv_line(line) and _is_small_row(row))
        elif not money_shown and _folds_in(line):
            row = replace(row, masks=(("amount", HIDDEN),))
        out.append(row)
    return out


def money_shown(db, period, where) -> bool:
    """Whether money that folds K3/K8 people in may be shown (see the module docstring)."""
    from .build import hiv_counts

    if level_of(where) == COMMUNE:
        return False
    return not any(is_small(n) for _, _, *counts in hiv_counts(db, period, where) for n in counts)


def hidden_in_provinces(db, form, period) -> set[int]:
    """Rows of ``form`` hidden in the report of at least one province (for a country report)."""
    from .build import figures_by_province, rows as build_rows

    if not any(_hiv_line(line) for line in form.lines):
        return set()
    out: set[int] = set()
    for fig in figures_by_province(db, period, forms.HIV_LEAVES).values():
        out |= hidden_rows(form, build_rows(form, fig), PROVINCE)
    return out


# -- the budget estimate ------------------------------------------------------------------

BUDGET_CELLS = ("persons_first", "persons_last", "person_months", "current", "expected")


FOLDED_LABELS = {"K1+K3": "Diện K1 và K3 (số liệu gộp)", "K4+K8": "Diện K4 và K8 (số liệu gộp)"}
_FOLDED = frozenset(FOLDS.values())


def fold_budget(rows) -> list:
    """Budget rows with K3 added into K1's row and K8 into K4's (as the door's door_budget),
    in the order of the rows they come from."""
    acc: dict = {}
    for r in rows:
        category = fold_category(r.category)
        key = (r.program, category)
        if key not in acc:
            acc[key] = replace(r, category=category, label=FOLDED_LABELS.get(category, r.label))
        elif category in _FOLDED:
            acc[key] = replace(acc[key], **{c: getattr(acc[key], c) + getattr(r, c) for c in BUDGET_CELLS})
    return list(acc.values())


def budget_rows(rows, money: bool = False) -> tuple[list, bool]:
    """(folded rows with the money of folded rows masked unless ``money``, whether the total
    may be shown: not when a masked amount is in it)."""
    out = []
    for r in fold_budget(rows):
        if not money and r.category in _FOLDED and (r.current or r.expected):
            r = replace(r, masks=(("current", HIDDEN), ("expected", HIDDEN)))
        out.append(r)
    return out, not any(r.masks for r in out)


# -- entry points for the glue and the CLI ----------------------------------------------------

def for_reader(db, form, fig, rows) -> list:
    """The rows of ``form`` as a reader who may not know HIV status sees them (``rows``, the
    exact ones, are not used: the figures are read again, folded)."""
    if not has_hiv_rows(form):
        return rows
    from .build import figures, rows as build_rows

    level = level_of(fig.where)
    folded = build_rows(form, figures(db, fig.period, fig.where, fold=True))
    also = hidden_in_provinces(db, form, fig.period) if level == COUNTRY else set()
    return form_rows(form, folded, level, also, money_shown(db, fig.period, fig.where))


def budget_for_reader(db, period, where, rows) -> tuple[list, bool]:
    """The budget rows (and whether the total may be shown) for a reader who may not know."""
    return budget_rows(rows, money_shown(db, period, where))


def has_hiv_rows(form) -> bool:
    return any(set(line.leaves) & forms.HIV_LEAVES for line in form.lines)
