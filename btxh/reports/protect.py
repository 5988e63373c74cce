"""Report cells that could be HIV counts, for readers who may not know HIV status.

Form 10a has rows of people with HIV (I.3 "Người bị nhiễm HIV thuộc hộ nghèo" = K3 and K8;
III.3, the same in facilities), and the budget estimate a row per category (K3, K8). Who may
know HIV status is decided by ``btxh.access.may_know_hiv``; for everyone else (province staff,
analysts, a commune officer looking beyond their communes) the glue passes the rows through
``form_rows`` / ``budget_rows``, which apply the public small-cell rule (btxh.disclosure):

* a report of one commune (or of a list of communes) hides every HIV row whatever its value
  (a commune's HIV count beside its public list of names narrows too much);
* a report of a province or of the country hides an HIV row when any of its people cells is
  1–4 (or it paid money to nobody counted at the snapshot), «dưới 5»;
* complementary suppression: when exactly one sub-row of an HIV row is hidden, the smallest
  other non-zero sub-row is hidden too; when a whole HIV row is hidden, every row that adds it
  up (I, III, TỔNG CỘNG) is hidden, so that no subtraction gives it back;
* a country report also hides every HIV row that is hidden in some province's report, so
  that the country minus the other provinces gives no province's small count.

A hidden row hides all its cells (people, men, women, money) — docs/decisions/010-reports.md §3.
Pure apart from ``hidden_in_provinces``, which reads the summaries per province.
"""

from __future__ import annotations

from dataclasses import replace

from ..disclosure import HIDDEN, HIV_CATEGORIES, SMALL, is_small
from . import forms

COMMUNE, PROVINCE, COUNTRY = "commune", "province", "country"
CELLS = ("total", "male", "female", "amount")


def level_of(where) -> str:
    if where.communes is not None:
        return COMMUNE
    return PROVINCE if where.province else COUNTRY


def _hiv_line(line) -> bool:
    return bool(line.leaves) and set(line.leaves) <= forms.HIV_LEAVES


def _is_small_row(row) -> bool:
    return any(is_small(v) for v in (row.total, row.male, row.female)) or (row.total == 0 and row.amount > 0)


def hidden_rows(form, rows, level: str, also=frozenset()) -> set[int]:
    """Indexes (in ``form.lines``) of the rows to hide for a reader who may not know."""
    lines = form.lines
    hiv = [i for i, line in enumerate(lines) if _hiv_line(line)]
    if not hiv:
        return set()
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
    return hidden


def _mask(row, cells, people, tell_small: bool):
    """Every cell of a hidden row: «dưới 5» for a people cell of 1–4 when the small-cell rule
    hid it, «không công bố» otherwise (hidden by the commune rule or to protect another)."""
    return replace(row, masks=tuple(
        (c, SMALL if tell_small and c in people and is_small(getattr(row, c)) else HIDDEN) for c in cells))


def form_rows(form, rows, level: str, also=frozenset()) -> list:
    """``rows`` with the hidden ones masked (see ``hidden_rows``)."""
    hidden = hidden_rows(form, rows, level, also)
    return [_mask(row, CELLS, CELLS[:3], level != COMMUNE and _hiv_line(form.lines[i]) and _is_small_row(row))
            if i in hidden else row for i, row in enumerate(rows)]


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


def _budget_small(row) -> bool:
    people = (row.persons_first, row.persons_last, row.person_months)
    return any(is_small(v) for v in people) or (not any(people) and (row.current or row.expected))


def budget_hidden(rows, level: str) -> set[int]:
    """Indexes of budget rows to hide: K3/K8 rows, by the same rule as form_rows."""
    return {i for i, r in enumerate(rows) if r.category in HIV_CATEGORIES
            and (level == COMMUNE or _budget_small(r))}


def budget_rows(rows, level: str, also=frozenset()) -> tuple[list, bool]:
    """(rows with hidden cells masked, whether the total may be shown). A hidden K3/K8 row
    takes the total with it: total − the other rows would give it back."""
    hidden = budget_hidden(rows, level) | {i for i, r in enumerate(rows) if (r.program, r.category) in also}
    out = [_mask(r, BUDGET_CELLS, BUDGET_CELLS[:3], level != COMMUNE and _budget_small(r))
           if i in hidden else r for i, r in enumerate(rows)]
    return out, not hidden


def hidden_budget_in_provinces(db, period) -> set[tuple[str, str]]:
    """(program, category) of the K3/K8 budget rows hidden in some province's estimate."""
    from .build import Where, budget
    from .periods import ReportError

    out: set[tuple[str, str]] = set()
    for (province,) in db.execute("SELECT code FROM provinces ORDER BY code"):
        try:
            _, rows = budget(db, period, Where(province, province, None))
        except ReportError:
            continue
        out |= {(rows[i].program, rows[i].category) for i in budget_hidden(rows, PROVINCE)}
    return out


# -- entry points for the glue and the CLI ----------------------------------------------------

def for_reader(db, form, fig, rows) -> list:
    """The rows of ``form`` as a reader who may not know HIV status sees them."""
    level = level_of(fig.where)
    also = hidden_in_provinces(db, form, fig.period) if level == COUNTRY else set()
    return form_rows(form, rows, level, also)


def budget_for_reader(db, period, where, rows) -> tuple[list, bool]:
    """The budget rows (and whether the total may be shown) for a reader who may not know."""
    level = level_of(where)
    also = hidden_budget_in_provinces(db, period) if level == COUNTRY else set()
    return budget_rows(rows, level, also)


def has_hiv_rows(form) -> bool:
    return any(_hiv_line(line) for line in form.lines)
