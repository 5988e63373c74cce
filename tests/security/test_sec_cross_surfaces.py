"""Cross-surface linkage (issue 11): no combination of surfaces reveals an HIV count.

Each surface was made safe on its own; the attack combines them. On a demo with payroll runs
(2026-08 … 2026-11 closed, 2026-12 open) and planted K3/K8 people in five communes of one
province (HIV counts 7, 1, 2, 3 — the only ones in their fold group — and 4 where K1 and K4
are 0; tests/security/sec_cross_site.py), an analyst and province staff gather every count
they can obtain about the province and its communes:

* public pages: each commune's age groups and total, the province page's commune totals;
* report pages 10a and du-toan in JSON, for every period kind (month, half year, year) and
  every scope the role may ask (each commune, the province, the country);
* the analyst: every row of every door view (the canned queries read only these views, so
  they can say nothing the views do not: btxh.door's authorizer);
* province staff: the number of monthly-allowance lines of each payment list.

Each number becomes an equation over the unknowns: per commune (the other provinces as one
unit) and month, people by 10a leaf, category, sex and — for the month the public pages show —
public age group; for the budget, people by program and category. The public pages count
current memberships, which the attacker is granted to equal the latest payroll (a stronger
attacker than the truth). Exact Gaussian elimination (fractions), pivoting on non-HIV unknowns
first, then finds every linear combination of published numbers that counts only K3/K8 people:
there must be none. Money is not modelled (ADR 013 states how it is hidden), nor decision
counts (the door folds and merges them; the public decision pages give no category), nor the
niêm yết and hỗ trợ pages' counts (postings by kind, one-off support by program: no category;
checked to name none).
"""

import asyncio
import csv
import io
import re
import sqlite3
from fractions import Fraction

import pytest

from btxh import door
from btxh.disclosure import commune_group, fold_category, fold_leaf
from btxh.reports import forms
from sec_cross_site import build

FORM = forms.FORM_10A
MONTHS = ("2026-08", "2026-09", "2026-10", "2026-11", "2026-12")
PERIODS = MONTHS + ("2026-H2", "2026")  # every kind of period: month, half year, year
HIV = ("K3", "K8")
AGES = ("tre_em", "16_60", "cao_tuoi")
REST = "rest"  # every commune of the other provinces, as one unit
# (leaf, category) of the monthly allowance a person can be counted in (btxh.reports.forms.leaf_for)
PAIRS = ([("I.1.a", "K1"), ("I.1.b", "K1"), ("I.2", "K2"), ("I.3.1", "K3"), ("I.3.2", "K3"), ("I.3.1", "K8"),
          ("I.3.2", "K8"), ("I.3.3", "K8"), ("I.4", "K4"), ("I.5.1", "K5a"), ("I.5.2.n", "K5c"),
          ("I.5.2.k", "K5c"), ("I.5.3", "K5d"), ("I.7.1", "K5b"), ("I.7.2", "K7"), ("I.7.3", "LOCAL")]
         + [(f"I.6.{k}.{b}", "K6") for k in "12" for b in "abc"])
OTHER_LEAVES = ("II.1.a", "II.1.b", "II.2.a", "II.2.b", "II.2.c", "II.3", "II.4", "IV", "V")
INPUT_LEAVES = FORM.inputs
BUDGET_CATEGORIES = ("K1", "K2", "K3", "K4", "K5a", "K5b", "K5c", "K5d", "K6", "K7", "K8", "LOCAL")
SEXES = ("nam", "nu")


@pytest.fixture(scope="module")
def site(tmp_path_factory, reference_db_path):
    return build(tmp_path_factory.mktemp("cross"), reference_db_path)


def get(site, who, path, **params):
    cookies = site["cookies"][who] if who else None
    return asyncio.run(site["ds"].client.get(path, params=params or None, cookies=cookies))


# -- the unknowns ------------------------------------------------------------------------------

class System:
    """Equations over named unknowns: Σ coefficients × unknowns = a published number."""

    def __init__(self, units):
        self.units = units
        self.rows: dict[frozenset, str] = {}  # coefficient set → where it was published

    def add(self, variables, source: str) -> None:
        key = frozenset(variables)
        if key:
            self.rows.setdefault(key, source)

    def hiv_only_combinations(self) -> list[tuple[str, dict]]:
        """Every independent combination of the equations whose unknowns are all K3/K8 people:
        elimination pivots on a non-HIV unknown whenever the reduced row has one."""
        pivots: list[tuple[tuple, dict]] = []
        found = []
        for key, source in self.rows.items():
            row = {v: Fraction(1) for v in key}
            for var, prow in pivots:
                f = row.get(var)
                if f:
                    for k, c in prow.items():
                        row[k] = row.get(k, 0) - f * c
                    row = {k: c for k, c in row.items() if c}
            if not row:
                continue
            plain = [v for v in row if not is_hiv(v)]
            var = plain[0] if plain else next(iter(row))
            if not plain:
                found.append((source, row))
            pivot = {k: c / row[var] for k, c in row.items()}
            pivots.append((var, pivot))
        return found


def is_hiv(var) -> bool:
    """A count of K3 or K8 people (payroll ``x`` or budget ``b``: the category is 5th)."""
    return var[0] in ("x", "b") and var[4] in HIV


def people(units, month, *, leaves=None, categories=None, sex=None, ages=None, public_month=None,
           raw_leaf=False):
    """The unknowns counted by a published cell: section I people of ``units`` in ``month``
    whose (folded, unless ``raw_leaf``) leaf is in ``leaves`` and whose category passes
    ``categories`` (a predicate), of ``sex``; plus the other programs' leaves and the inputs."""
    out = []
    age_split = month == public_month
    for u in units:
        for leaf, cat in PAIRS:
            shown = leaf if raw_leaf else fold_leaf(leaf, cat)
            if leaves is not None and shown not in leaves:
                continue
            if categories is not None and not categories(cat):
                continue
            for s in SEXES if sex is None else (sex,):
                for age in (AGES if age_split else ("*",)):
                    if ages is None or age in ages:
                        out.append(("x", u, month, leaf, cat, s, age))
        if ages is not None or categories is not None:
            continue
        for leaf in OTHER_LEAVES:
            if leaves is None or leaf in leaves:
                out.extend(("y", u, month, leaf, s) for s in SEXES if sex in (None, s))
        for leaf in INPUT_LEAVES:
            if leaves is not None and leaf in leaves:
                out.extend(("z", u, leaf, s) for s in SEXES if sex in (None, s))
    return out


def budget(units, snap, program, category, measure):
    """The budget unknowns a row of ``category`` counts («K1+K3»: both; as the row says)."""
    cats = [c for c in BUDGET_CATEGORIES if fold_category(c) == category] if "+" in category else [category]
    return [("b", u, snap, program, c, measure) for u in units for c in cats]


# -- the surfaces --------------------------------------------------------------------------------

def _number(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def gather_reports(site, system, who, scopes, public_month):
    for period in PERIODS:
        for units, args in scopes:
            body = get(site, who, "/-/btxh/bao-cao/10a.json", period=period, **args)
            assert body.status_code == 200, (period, args, body.text[:200])
            body = body.json()
            snap, raw = body["snapshot_month"], not body.get("folded")  # what the page says it counts
            for line, row in zip(FORM.lines, body["rows"]):
                for cell, sex in (("total", None), ("male", "nam"), ("female", "nu")):
                    if line.leaves and _number(row[cell]) is not None:
                        system.add(people(units, snap, leaves=set(line.leaves), sex=sex, public_month=public_month,
                                          raw_leaf=raw),
                                   f"{who} 10a {period} {args} {line.stt} {line.label} {cell}")
            body = get(site, who, "/-/btxh/bao-cao/du-toan.json", period=period, **args)
            if body.status_code != 200:
                continue
            snap = budget_snapshot(site, period)
            for row in body.json()["rows"]:
                for measure in ("persons_first", "persons_last", "person_months"):
                    if _number(row[measure]) is not None:
                        system.add(budget(units, snap, row["program"], row["category"], measure),
                                   f"{who} du-toan {period} {args} {row['category']} {measure}")


def budget_snapshot(site, period):
    last = period[5:] if len(period) == 7 else "12"
    with sqlite3.connect(site["path"]) as db:
        return db.execute("SELECT max(month) FROM payroll_runs WHERE status = 'closed' AND month <= ?",
                          [f"{period[:4]}-{last}"]).fetchone()[0]


def gather_door(site, system, province_units, unit_of, public_month):
    rows = {}
    for view in sorted(door.VIEWS):
        body = get(site, "x_pt", f"/phan_tich/{view}.json", _shape="array", _size="max")
        assert body.status_code == 200, view
        rows[view] = body.json()
    sums: dict[tuple, int] = {}
    for r in rows["door_province_cells"]:
        if r["persons"] is None:
            continue
        units = province_units if r["province_code"] == site["province"] else [REST]
        if r["leaf"].startswith("I."):
            key = (tuple(units), r["month"], r["leaf"], r["dien"], r["sex"])
        else:  # other programs: their categories are not modelled, only their sum
            key = (tuple(units), r["month"], r["leaf"], None, r["sex"])
        sums[key] = sums.get(key, 0) + r["persons"]
    for units, month, leaf, dien, sex in sums:
        if dien is None:
            system.add(people(units, month, leaves={leaf}, sex=sex, public_month=public_month),
                       f"door_province_cells {month} {leaf} {sex}")
        else:
            system.add(people(units, month, leaves={leaf}, sex=sex, public_month=public_month,
                              categories=lambda c, d=dien: fold_category(c) == d),
                       f"door_province_cells {month} {leaf} {dien} {sex}")
    for r in rows["door_commune_groups"]:
        if r["persons"] is not None and r["commune_code"] in unit_of:
            system.add(people([r["commune_code"]], r["month"], public_month=public_month,
                              leaves={leaf for leaf, _ in PAIRS},
                              categories=lambda c, g=r["nhom"]: commune_group(c) == g),
                       f"door_commune_groups {r['month']} {r['commune_code']} {r['nhom']}")
    for r in rows["door_commune_cells"]:
        if r["persons"] is not None and r["commune_code"] in unit_of:
            system.add(people([r["commune_code"]], r["month"], leaves={r["leaf"]}, sex=r["sex"],
                              public_month=public_month),
                       f"door_commune_cells {r['month']} {r['commune_code']} {r['leaf']} {r['sex']}")
    for r in rows["door_report_inputs"]:
        for cell, sex in (("male", "nam"), ("female", "nu")):
            if r[cell] is not None and r["leaf"] in INPUT_LEAVES:
                unit = [r["commune_code"]] if r["commune_code"] else province_units
                system.add([("z", u, r["leaf"], sex) for u in unit], f"door_report_inputs {r}")
    budget_sums: dict[tuple, int] = {}
    for r in rows["door_budget"]:
        if r["persons"] is None or r["province_code"] != site["province"]:
            continue
        key = (r["run_month"], r["program"], r["dien"])
        budget_sums[key] = budget_sums.get(key, 0) + 1
        for measure, month in (("persons_first", "-01"), ("persons_last", "-12")):
            if r["month"].endswith(month):
                system.add(budget(province_units, r["run_month"], r["program"], r["dien"], measure),
                           f"door_budget {key} {measure}")
    for run_month, program, dien in budget_sums:  # Σ of the months: person-months
        system.add(budget(province_units, run_month, program, dien, "person_months"), f"door_budget Σ {dien}")
    return rows


def _public_numbers(text):
    """(label, published text) of the cells of a public summary table."""
    cells = re.findall(r"<tr[^>]*>\s*<t[dh][^>]*>([^<]*)</t[dh]>\s*<td[^>]*>(?:<strong>)?([^<]*)<", text)
    return [(a.strip(), b.strip()) for a, b in cells]


def gather_public(site, system, communes, public_month):
    labels = {"Trẻ em (dưới 16 tuổi)": "tre_em", "Người từ 16 đến dưới 60 tuổi": "16_60",
              "Người cao tuổi (từ 60 tuổi)": "cao_tuoi"}
    for code in communes:
        page = get(site, None, f"/cong-khai/xa/{code}").text
        for label, value in _public_numbers(page):
            if label in labels and value.isdigit():
                system.add(people([code], public_month, ages={labels[label]}, public_month=public_month,
                                  leaves={leaf for leaf, _ in PAIRS}), f"public {code} {label}")
            if label == "Tổng số":
                _public_total(system, code, value, public_month)
        for notice in ("quyet-dinh/2026-11", "quyet-dinh/2026-10", "niem-yet", "ho-tro"):
            text = re.sub(r"<footer.*</footer>", "", get(site, None, f"/cong-khai/xa/{code}/{notice}").text, flags=re.S)
            assert not re.search(r"\bK[38]\b|HIV", text), (code, notice)
    page = get(site, None, f"/cong-khai/{site['province']}").text
    for code in communes:
        name = _commune_name(site, code)
        found = re.search(re.escape(name) + r"</a></td>\s*<td[^>]*>([^<]*)</td>", page)
        assert found, name
        _public_total(system, code, found.group(1).strip(), public_month)


def _public_total(system, code, value, public_month):
    everyone = {leaf for leaf, _ in PAIRS}
    if value.isdigit():
        system.add(people([code], public_month, ages=set(AGES), leaves=everyone, public_month=public_month),
                   f"public total {code}")
    elif re.fullmatch(r"\d+ và dưới 5 trẻ em", value):  # adults listed, children apart
        system.add(people([code], public_month, ages={"16_60", "cao_tuoi"}, leaves=everyone,
                          public_month=public_month), f"public adults {code}")


def _commune_name(site, code):
    with sqlite3.connect(site["path"]) as db:
        return db.execute("SELECT name FROM communes WHERE code = ?", [code]).fetchone()[0]


def gather_payment_lists(site, system, communes, public_month):
    for code in communes:
        for month in MONTHS:
            body = get(site, "x_tinh", f"/-/btxh/chi-tra/{code}/{month}.csv")
            if body.status_code != 200:
                continue
            lines = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
            if any(r.get("Diện hưởng") == "Trợ cấp xã hội hằng tháng" for r in lines):
                system.add(people([code], month, leaves={leaf for leaf, _ in PAIRS}, public_month=public_month),
                           f"payment list {code} {month}")


# -- the attack -----------------------------------------------------------------------------------

def _units(site):
    with sqlite3.connect(site["path"]) as db:
        communes = [r[0] for r in db.execute(
            "SELECT DISTINCT commune_code FROM report_cells c JOIN communes co ON co.code = c.commune_code"
            " WHERE co.province_code = ? UNION SELECT DISTINCT commune_code FROM memberships m"
            " JOIN communes co ON co.code = m.commune_code WHERE co.province_code = ? ORDER BY 1",
            [site["province"], site["province"]])]
    return communes


def _describe(found):
    """The combinations found, those about fewer communes than the whole province first."""
    told = [(len({v[1] for v in row}), source, sorted({(v[1], v[2], v[4]) for v in row})) for source, row in found]
    return sorted(told)[:5]


@pytest.fixture(scope="module")
def communes(site):
    return _units(site)


def test_analyst_combining_door_reports_and_public_pages_learns_no_hiv_count(site, communes):
    """The analyst: door views, report pages of every commune, the province and the country
    for every period, and the public pages — no combination counts only K3/K8 people."""
    public_month = MONTHS[-1]
    system = System(communes)
    scopes = ([([c], {"commune": c}) for c in communes] + [(communes, {"province": site["province"]}),
                                                          (communes + [REST], {})])
    gather_reports(site, system, "x_pt", scopes, public_month)
    gather_door(site, system, communes, set(communes), public_month)
    gather_public(site, system, communes, public_month)
    found = system.hiv_only_combinations()
    assert not found, _describe(found)


def test_province_staff_combining_reports_payment_lists_and_public_pages_learn_no_hiv_count(site, communes):
    """Province staff: report pages of every commune of their province and of the province
    for every period, payment-list line counts, and the public pages."""
    public_month = MONTHS[-1]
    system = System(communes)
    scopes = [([c], {"commune": c}) for c in communes] + [(communes, {})]
    gather_reports(site, system, "x_tinh", scopes, public_month)
    gather_payment_lists(site, system, communes, public_month)
    gather_public(site, system, communes, public_month)
    found = system.hiv_only_combinations()
    assert not found, _describe(found)


def test_the_attack_model_holds_the_registry_numbers_it_reads(site, communes):
    """The equations are the surfaces' real definitions: every report and door equation holds
    on the registry's own cells (so a finding above, or its absence, is not a modelling slip)."""
    with sqlite3.connect(site["path"]) as db:
        cells = db.execute(
            "SELECT c.month, c.commune_code, c.leaf, c.category, c.sex, c.persons FROM report_cells c"
            " JOIN door_runs b ON b.run_id = c.run_id AND b.commune_code = c.commune_code AND b.month = c.month"
            ).fetchall()
    truth: dict[tuple, int] = {}
    for month, commune, leaf, category, sex, n in cells:
        if leaf.startswith("I."):
            cat = category if category in {c for _, c in PAIRS} else "LOCAL"
            key = ("x", commune, month, leaf, cat, sex)
        else:
            key = ("y", commune, month, leaf, sex)
        truth[key] = truth.get(key, 0) + n
    system = System(communes)
    gather_reports(site, system, "x_pt", [([c], {"commune": c}) for c in communes]
                   + [(communes, {"province": site["province"]})], None)
    door_rows = gather_door(site, system, communes, set(communes), None)
    assert system.rows
    # the same numbers, read again with their values: each equation's value is the truth's sum
    for view, rows in door_rows.items():
        if view != "door_commune_groups":
            continue
        for r in rows:
            if r["persons"] is None or r["commune_code"] not in communes:
                continue
            keys = people([r["commune_code"]], r["month"], leaves={leaf for leaf, _ in PAIRS},
                          categories=lambda c, g=r["nhom"]: commune_group(c) == g)
            assert sum(truth.get(k[:6], 0) for k in keys) == r["persons"], r
    for c in communes:
        body = get(site, "x_pt", "/-/btxh/bao-cao/10a.json", period="2026-11", commune=c).json()
        for line, row in zip(FORM.lines, body["rows"]):
            if line.leaves and _number(row["total"]) is not None and not set(line.leaves) & set(INPUT_LEAVES):
                keys = people([c], body["snapshot_month"], leaves=set(line.leaves), raw_leaf=not body.get("folded"))
                assert sum(truth.get(k[:6] if k[0] == "x" else k, 0) for k in set(keys)) == row["total"], line
