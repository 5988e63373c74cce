"""A province's rule set (``btxh_rule_set``) is the one its payroll, documents and budget use."""

from __future__ import annotations

import pytest

from btxh import engines, plugins
from btxh.payroll import run as payroll
from btxh.policies import example_hn75, hookimpl
from btxh.rules import NATIONAL, RuleSet
from test_payroll import COMMUNE, add_person, lines


class ProvinceChoice:
    """Province 01 reads 29 February birthdays as 1 March (a §3 CHOICE)."""

    @hookimpl
    def btxh_rule_set(self, province):
        return RuleSet(feb29_birthday="03-01") if province == "01" else None


@pytest.fixture
def db(ref_db):
    ref_db.execute("DELETE FROM payroll_dirty")
    return ref_db


@pytest.fixture
def pm():
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    pm.register(example_hn75)
    pm.register(ProvinceChoice())
    return pm


def other_province_commune(db) -> str:
    return db.execute("SELECT min(code) FROM communes WHERE province_code <> '01'").fetchone()[0]


@pytest.mark.parametrize("month,amount", [
    pytest.param("2023-02", 0, id="k5b-feb29-not-yet-80-in-february-under-the-province-rule"),
    pytest.param("2023-03", 360000, id="k5b-feb29-paid-from-march-under-the-province-rule"),
])
def test_payroll_of_a_province_commune_uses_the_province_rule_set(db, pm, month, amount):
    pid = add_person(db, birth="1948-02-29", category="K5b", start="2021-07", valid_from="2020-01-01")
    summary = payroll.run(db, month, [COMMUNE], pm=pm)
    assert [row[4] for row in lines(db, summary.run_id, person_id=pid)] == ([amount] if amount else [])


def test_province_policy_base_is_paid_by_the_payroll(db, pm):
    pid = add_person(db, birth="1970-01-10", category="K6", level="DBN", start="2021-07")
    summary = payroll.run(db, "2025-01", [COMMUNE], pm=pm)
    assert lines(db, summary.run_id, person_id=pid) == [(pid, "TCXH", "2025-01", "thuong_xuyen", 1200000)]


def test_scope_spanning_provinces_with_different_rule_sets_is_refused(db, pm):
    with pytest.raises(payroll.PayrollError, match="từng tỉnh"):
        payroll.run(db, "2025-01", [COMMUNE, other_province_commune(db)], pm=pm)
    assert db.execute("SELECT count(*) FROM payroll_runs").fetchone()[0] == 0


@pytest.mark.parametrize("province,feb29", [("01", "03-01"), ("02", NATIONAL.feb29_birthday), (None, NATIONAL.feb29_birthday)],
                         ids=["policy-province", "other-province", "no-province"])
def test_one_engine_factory_per_province(db, pm, province, feb29):
    assert engines.engine_for_province(db, province, pm).rules.feb29_birthday == feb29
