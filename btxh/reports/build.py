"""A form's figures for a period and a set of communes, and the next year's budget estimate.

Reads only the summary tables (``report_cells``, ``report_budget``, ``report_inputs``) and
the small reference tables, so a national six-month report reads a few hundred thousand rows,
never the ledger. The run that counts for a commune and month is the one its payment list
uses (btxh.paylist: the latest closed run, else the latest open one). People are counted in
the last month of the period that has a run (a six-monthly snapshot); money is the sum over
every month of the period of what those runs pay: regular amounts, arrears and funeral
support (recoveries are reported apart, never deducted) — docs/decisions/010-reports.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..disclosure import FOLDED_LEAF_SQL
from ..scoping import Scope
from . import forms
from .periods import Period, ReportError, million, scaled


# -- where: a set of communes -------------------------------------------------------

@dataclass(frozen=True)
class Where:
    """The communes a report covers: everything, one province, or a list of communes."""
    label: str
    province: str | None = None
    communes: tuple[str, ...] | None = None  # None: every commune (of the province if set)

    def cells_sql(self, column: str = "commune_code") -> tuple[str, list]:
        if self.communes is not None:
            return f"{column} IN ({', '.join('?' * len(self.communes))})", list(self.communes)
        if self.province is not None:
            return f"{column} IN (SELECT code FROM communes WHERE province_code = ?)", [self.province]
        return "1", []

    def inputs_sql(self) -> tuple[str, list]:
        if self.communes is not None:
            return self.cells_sql("commune_code")
        if self.province is not None:
            return "province_code = ?", [self.province]  # the province's own figures too
        return "1", []


def where_for(db, scope: Scope, province: str | None = None, commune: str | None = None) -> Where:
    """The communes asked for, within what ``scope`` may see; ReportError otherwise."""
    province, commune = (province or "").strip() or None, (commune or "").strip() or None
    if scope.nothing:
        raise ReportError("Tài khoản này không được giao xã hay tỉnh nào: không có số liệu để báo cáo.")
    if commune:
        row = db.execute("SELECT c.name, c.province_code, p.name FROM communes c JOIN provinces p"
                         " ON p.code = c.province_code WHERE c.code = ?", [commune]).fetchone()
        if row is None:
            raise ReportError(f"Mã xã «{commune}» không có trong danh mục đơn vị hành chính từ 01/07/2025.")
        if province and province != row[1]:
            raise ReportError(f"Xã «{commune}» không thuộc tỉnh «{province}».")
        if not scope.includes(commune, row[1]):
            raise ReportError(f"Tài khoản này không được xem số liệu của {row[0]}.")
        return Where(f"{row[0]}, {row[2]}", row[1], (commune,))
    if province:
        row = db.execute("SELECT name FROM provinces WHERE code = ?", [province]).fetchone()
        if row is None:
            raise ReportError(f"Mã tỉnh «{province}» không có trong danh mục 34 tỉnh, thành phố.")
        if scope.everything or scope.province == province:
            return Where(row[0], province, None)
        mine = tuple(c for c in scope.communes if db.execute(
            "SELECT 1 FROM communes WHERE code = ? AND province_code = ?", [c, province]).fetchone())
        if not mine:
            raise ReportError(f"Tài khoản này không được xem số liệu của {row[0]}.")
        return _communes_where(db, mine)
    if scope.everything:
        return Where("Toàn quốc")
    if scope.province and not scope.communes:
        return where_for(db, scope, province=scope.province)
    return _communes_where(db, scope.communes, scope.province)


def _communes_where(db, communes, province=None) -> Where:
    codes = set(communes)
    if province:
        codes.update(r[0] for r in db.execute("SELECT code FROM communes WHERE province_code = ?", [province]))
    codes = tuple(sorted(codes))
    names = [r[0] for r in db.execute(
        f"SELECT name FROM communes WHERE code IN ({', '.join('?' * len(codes))}) ORDER BY name", codes)]
    label = names[0] if len(names) == 1 else f"{len(names)} xã, phường được giao"
    return Where(label, province, codes)


# -- the figures ----------------------------------------------------------------------

_BEST = """
WITH rc AS (SELECT DISTINCT month, commune_code, run_id FROM report_cells
            WHERE month BETWEEN ? AND ? AND {where}),
best AS (SELECT rc.month, rc.commune_code, rc.run_id, row_number() OVER (
            PARTITION BY rc.month, rc.commune_code
            ORDER BY r.status = 'closed' DESC, r.created_at DESC, r.id DESC) AS rn
         FROM rc JOIN payroll_runs r ON r.id = rc.run_id)
"""


@dataclass
class Figures:
    """Per leaf and sex: people (in ``snapshot``), money in đồng; plus inputs and recoveries."""
    period: Period
    where: Where
    snapshot: str | None
    runs: list[dict]
    persons: dict = field(default_factory=lambda: defaultdict(int))   # (leaf, sex) → people
    money: dict = field(default_factory=lambda: defaultdict(int))     # (leaf, sex) → đồng paid
    arrears: int = 0
    recovery: int = 0
    funeral: int = 0
    inputs: dict = field(default_factory=dict)                        # leaf → [total, male, female, amount]

    @property
    def total_money(self) -> int:
        return sum(self.money.values())


def _check_summaries(db, period: Period) -> None:
    missing = [r for r in db.execute(
        "SELECT id, month FROM payroll_runs WHERE month BETWEEN ? AND ?"
        " AND id NOT IN (SELECT run_id FROM report_runs) ORDER BY month", [period.first, period.last])]
    if missing:
        listing = ", ".join(f"kỳ {i} (tháng {m})" for i, m in missing)
        raise ReportError(f"Chưa tổng hợp số liệu báo cáo cho {listing}: chạy `btxh report rebuild` "
                          "rồi xem lại. Báo cáo không hiển thị số liệu thiếu.")


def figures(db, period: Period, where: Where, fold: bool = False) -> Figures:
    """The figures of ``where`` over ``period``; ``fold``: K3/K8 people counted in the leaves
    btxh.disclosure.fold_leaf moves them to (for readers who may not know HIV status)."""
    _check_summaries(db, period)
    leaf = FOLDED_LEAF_SQL if fold else "c.leaf"
    clause, params = where.cells_sql()
    head = _BEST.format(where=clause)
    args = [period.first, period.last, *params]
    runs = [dict(zip(("month", "run_id", "status", "communes"), r)) for r in db.execute(
        head + "SELECT b.month, b.run_id, r.status, count(*) FROM best b JOIN payroll_runs r ON r.id = b.run_id"
        " WHERE b.rn = 1 GROUP BY 1, 2, 3 ORDER BY 1, 2", args)]
    snapshot = max((r["month"] for r in runs), default=None)
    out = Figures(period, where, snapshot, runs)
    for leaf, sex, month, persons, regular, arrears, recovery, funeral in db.execute(
            head + f"SELECT {leaf}, c.sex, c.month, sum(c.persons), sum(c.regular), sum(c.arrears),"
            " sum(c.recovery), sum(c.funeral) FROM best b JOIN report_cells c"
            " ON c.run_id = b.run_id AND c.commune_code = b.commune_code AND c.month = b.month"
            " WHERE b.rn = 1 GROUP BY 1, 2, 3", args):
        if month == snapshot:
            out.persons[(leaf, sex)] += persons
        out.money[(leaf, sex)] += regular + arrears + funeral
        out.arrears += arrears
        out.recovery += recovery
        out.funeral += funeral
    if period.takes_inputs:
        clause, params = where.inputs_sql()
        for leaf, *values in db.execute(
                "SELECT leaf, sum(total), sum(male), sum(female), sum(amount) FROM report_inputs"
                f" WHERE period = ? AND {clause} GROUP BY leaf", [period.code, *params]):
            out.inputs[leaf] = [v or 0 for v in values]
    return out


def hiv_counts(db, period: Period, where: Where) -> list[tuple]:
    """(province, month, K3, K3 aged 4-16, K8) people of the counted runs of ``where`` in every
    month of ``period``: btxh.reports.protect shows money that folds them in only where none is 1-4."""
    clause, params = where.cells_sql()
    return db.execute(
        _BEST.format(where=clause) + "SELECT co.province_code, c.month,"
        " coalesce(sum(CASE WHEN c.category = 'K3' THEN c.persons END), 0),"
        " coalesce(sum(CASE WHEN c.category = 'K3' AND c.leaf = 'I.3.2' THEN c.persons END), 0),"
        " coalesce(sum(CASE WHEN c.category = 'K8' THEN c.persons END), 0)"
        " FROM best b JOIN report_cells c ON c.run_id = b.run_id AND c.commune_code = b.commune_code"
        " AND c.month = b.month JOIN communes co ON co.code = c.commune_code"
        " WHERE b.rn = 1 AND c.leaf <> 'IV' GROUP BY 1, 2", [period.first, period.last, *params]).fetchall()


def figures_by_province(db, period: Period, leaves) -> dict[str, Figures]:
    """The figures of ``leaves`` only, for every province at once (each with its own snapshot
    month, as its own report has): what btxh.reports.protect needs for a country report."""
    _check_summaries(db, period)
    head = _BEST.format(where="1")
    args = [period.first, period.last]
    marks = ", ".join("?" * len(leaves))
    snapshots = dict(db.execute(
        head + "SELECT co.province_code, max(b.month) FROM best b JOIN communes co ON co.code = b.commune_code"
        " WHERE b.rn = 1 GROUP BY 1", args).fetchall())
    out = {p: Figures(period, Where(p, p, None), month, []) for p, month in snapshots.items()}
    for province, leaf, sex, month, persons, paid in db.execute(
            head + "SELECT co.province_code, c.leaf, c.sex, c.month, sum(c.persons),"
            " sum(c.regular + c.arrears + c.funeral) FROM best b JOIN report_cells c"
            " ON c.run_id = b.run_id AND c.commune_code = b.commune_code AND c.month = b.month"
            f" JOIN communes co ON co.code = b.commune_code WHERE b.rn = 1 AND c.leaf IN ({marks})"
            " GROUP BY 1, 2, 3, 4", [*args, *sorted(leaves)]):
        fig = out[province]
        if month == fig.snapshot:
            fig.persons[(leaf, sex)] += persons
        fig.money[(leaf, sex)] += paid
    if period.takes_inputs:
        for province, leaf, *values in db.execute(
                "SELECT province_code, leaf, sum(total), sum(male), sum(female), sum(amount) FROM report_inputs"
                f" WHERE period = ? AND leaf IN ({marks}) GROUP BY 1, 2", [period.code, *sorted(leaves)]):
            fig = out.setdefault(province, Figures(period, Where(province, province, None), None, []))
            fig.inputs[leaf] = [v or 0 for v in values]
    return out


# -- a form's rows --------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    stt: str
    label: str
    unit: str
    level: int
    measure: str
    total: int
    male: int
    female: int
    amount: int  # đồng (10a cost; 10c/10d money rows; 10b money rows)
    masks: tuple = ()  # (cell, text) shown instead of the number (btxh.reports.protect)

    def shown(self, name: str):
        """A cell as published: its number, or the text that hides it («dưới 5», «không công bố»)."""
        return dict(self.masks).get(name, getattr(self, name))

    def values(self, form: forms.Form) -> list:
        """The row's cells in the form's columns after Số TT and Chỉ tiêu (presentation)."""
        if self.masks:
            return self._masked(form)
        if form.code == "10a":
            return [self.total, self.male, self.female, million(self.amount)]
        if form.code == "10b":
            if self.unit == "tỷ đồng":
                return [self.unit, scaled(self.amount, 1_000_000_000)]
            if self.unit == "tấn":
                return [self.unit, scaled(self.total, 1000)]
            return [self.unit, self.total if self.measure else None]
        if self.measure == "money":
            return [self.unit, million(self.amount), million(self.male), million(self.female)]
        return [self.unit, self.total, self.male, self.female]

    def _masked(self, form: forms.Form) -> list:
        shown = self.shown
        if form.code == "10a":
            return [shown("total"), shown("male"), shown("female"), shown("amount")]
        return [self.unit, shown("total"), shown("male"), shown("female")]


def rows(form: forms.Form, fig: Figures) -> list[Row]:
    """The printed rows of ``form`` from the figures: each row sums its leaves."""
    out = []
    for line in form.lines:
        total = male = female = amount = 0
        for leaf in line.leaves:
            if leaf in form.inputs:
                t, m, f, a = fig.inputs.get(leaf, (0, 0, 0, 0))
                total, male, female, amount = total + t, male + m, female + f, amount + a
                continue
            pm, pf = fig.persons.get((leaf, "nam"), 0), fig.persons.get((leaf, "nu"), 0)
            mm, mf = fig.money.get((leaf, "nam"), 0), fig.money.get((leaf, "nu"), 0)
            if line.measure == "money":
                total, male, female, amount = total + mm + mf, male + mm, female + mf, amount + mm + mf
            else:
                total, male, female, amount = total + pm + pf, male + pm, female + pf, amount + mm + mf
        out.append(Row(line.stt, line.label, line.unit, line.level,
                       line.measure if line.leaves else "", total, male, female, amount))
    return out


# -- budget estimate for the next year ------------------------------------------------

_BUDGET_LABELS = {"HTXH": "Trợ cấp hưu trí xã hội", "CSND": "Hỗ trợ chăm sóc, nuôi dưỡng"}


@dataclass(frozen=True)
class BudgetRow:
    program: str
    category: str
    label: str
    persons_first: int
    persons_last: int
    person_months: int
    current: int   # đồng, at the run's base levels
    expected: int  # đồng, at max(expected base, the commune's base) for TCXH and CSND
    masks: tuple = ()  # (cell, text) shown instead of the number (btxh.reports.protect)

    def shown(self, name: str):
        return dict(self.masks).get(name, getattr(self, name))


def _half_up(numerator: int, denominator: int) -> int:
    """Non-negative integer division rounded half up (the canned query's ``(n + 5) / 10``)."""
    return (numerator + denominator // 2) // denominator


_BUDGET_SNAPSHOT = """
SELECT max(r.month) FROM payroll_runs r
WHERE r.status = 'closed' AND r.month <= ? AND EXISTS (SELECT 1 FROM report_cells c WHERE c.run_id = r.id AND {where})
"""

# the run a commune's budget comes from: its latest closed run of the snapshot month (as btxh.paylist)
_BUDGET_BEST = """
WITH rc AS (SELECT DISTINCT c.commune_code, c.run_id FROM report_cells c JOIN payroll_runs r ON r.id = c.run_id
            WHERE c.month = ? AND r.status = 'closed' AND {where}),
best AS (SELECT rc.commune_code, rc.run_id, row_number() OVER (
            PARTITION BY rc.commune_code ORDER BY r.created_at DESC, r.id DESC) AS rn
         FROM rc JOIN payroll_runs r ON r.id = rc.run_id)
"""


def budget_snapshot(db, period: Period, where: Where) -> str | None:
    """The month the budget is projected from: the last month up to the end of ``period``
    with a closed run for these communes (an open run may still be re-run: ADR 010 §6)."""
    clause, params = where.cells_sql("c.commune_code")
    return db.execute(_BUDGET_SNAPSHOT.format(where=clause), [period.last, *params]).fetchone()[0]


def budget(db, period: Period, where: Where, new_base: int | None = None) -> tuple[int | None, list[BudgetRow]]:
    """(year, rows): the calendar year after the snapshot month (``budget_snapshot``), per
    program and category, from the projection each closed run got at its close;
    ``new_base`` (đồng) replaces the base of TCXH and CSND where it is higher (a province's
    own higher base is kept). ``current``/``expected`` are Σ tenths × base / 10 per commune
    and month, rounded half up to the đồng."""
    _check_summaries(db, period)
    snap = budget_snapshot(db, period, where)
    if snap is None:
        return None, []
    clause, params = where.cells_sql("c.commune_code")
    head = _BUDGET_BEST.format(where=clause)
    args = [snap, *params]
    missing = [r[0] for r in db.execute(
        head + "SELECT DISTINCT run_id FROM best WHERE rn = 1"
        " AND run_id NOT IN (SELECT run_id FROM report_budget_runs) ORDER BY 1", args)]
    if missing:
        raise ReportError(f"Chưa có dự toán của kỳ {', '.join(map(str, missing))} (tháng {snap}): chạy "
                          "`btxh report rebuild` rồi xem lại. Báo cáo không hiển thị số liệu thiếu.")
    labels = dict(db.execute("SELECT code, label FROM categories").fetchall())
    order = dict(db.execute("SELECT code, sort_order FROM categories").fetchall())
    year = int(snap[:4]) + 1
    acc: dict = {}
    for program, category, month, persons, tenths, base in db.execute(
            head + "SELECT g.program, g.category, g.month, sum(g.persons), sum(g.tenths), g.base"
            " FROM best b JOIN report_budget g ON g.run_id = b.run_id AND g.commune_code = b.commune_code"
            " WHERE b.rn = 1 GROUP BY 1, 2, 3, 6", args):
        row = acc.setdefault((program, category), [0, 0, 0, 0, 0])
        if month.endswith("-01"):
            row[0] += persons
        if month.endswith("-12"):
            row[1] += persons
        row[2] += persons
        row[3] += _half_up(tenths * base, 10)
        expected_base = base if program == "HTXH" or not new_base else max(base, new_base)
        row[4] += _half_up(tenths * expected_base, 10)
    out = [BudgetRow(p, c, _BUDGET_LABELS.get(p) if p != "CSND" and p != "TCXH" else labels.get(c, c),
                     *v) for (p, c), v in acc.items()]
    out.sort(key=lambda r: (("TCXH", "CSND", "HTXH").index(r.program) if r.program in ("TCXH", "CSND", "HTXH")
                            else 9, order.get(r.category, 999), r.category))
    return year, out
