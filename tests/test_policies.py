"""Policy plugins: the national rules are the default plugin; a province policy raises the
base from a date and adds a local category, without a code change."""

import importlib.metadata
import json

import pytest

from btxh import calc, plugins
from btxh.policies import example_hn75, hookimpl, national
from btxh.rules import NATIONAL, RuleSet


@pytest.fixture
def pm():
    return plugins.get_plugin_manager(load_entrypoints=False)


@pytest.fixture
def hn75(pm):
    pm.register(example_hn75)
    return pm


def run(pm, cases, month):
    return calc.calculate(json.dumps(cases), month, calc.Calculator.build(pm=pm))


def test_national_default_is_registered_and_hooks_are_spelt_right(pm):
    assert pm.get_plugin("btxh.policies.national") is national
    pm.check_pending()
    assert plugins.rule_set(pm) is NATIONAL
    assert plugins.extra_rows(pm) == {"base_levels": [], "categories": [], "coefficients": []}


def test_factory_makes_a_new_manager_each_time():
    assert plugins.get_plugin_manager(load_entrypoints=False) is not plugins.get_plugin_manager(load_entrypoints=False)


def test_example_policy_is_off_by_default(pm):
    assert not pm.is_registered(example_hn75)
    with pytest.raises(calc.CalcInputError) as e:
        run(pm, [{"id": "a", "birth_date": "1949-01-01", "province": "01",
                  "memberships": [{"category": "L75", "from": "2025-01-01"}]}], "2025-02")
    assert 'ca "a": memberships[0].category' in e.value.problems[0]


def test_example_policy_hooks_are_spelt_right(hn75):
    hn75.check_pending()


@pytest.mark.parametrize("province,month,amount,base", [
    ("01", "2024-12", 1000000, 500000), ("01", "2025-01", 1200000, 600000), ("02", "2025-01", 1000000, 500000),
], ids=["before-the-province-date", "province-base-from-its-date", "other-province-national"])
def test_province_raises_the_base_from_a_date(hn75, province, month, amount, base):
    [answer] = run(hn75, [{"id": "a", "birth_date": "1980-01-01", "province": province,
                           "memberships": [{"category": "K6", "level": "DBN", "from": "2020-01-01"}]}], month)
    assert (answer["amount"], answer["base"]) == (amount, base)


@pytest.mark.parametrize("case,month,amount,basis", [
    ({"birth_date": "1949-03-01", "province": "01"}, "2025-02", 600000, ["L75"]),
    ({"birth_date": "1949-03-01", "province": "01"}, "2024-03", 0, []),
    ({"birth_date": "1951-03-01", "province": "01"}, "2025-02", 0, []),
    ({"birth_date": "1945-03-01", "province": "01"}, "2025-03", 600000, ["L75"]),
    ({"birth_date": "1945-03-01", "province": "01"}, "2025-04", 0, []),
    ({"birth_date": "1949-03-01", "province": "02"}, "2025-02", 0, []),
], ids=["local-category-paid", "before-its-coefficient", "under-75", "turns-80-still-paid", "after-80",
        "outside-the-province"])
def test_local_category_with_its_own_coefficient_and_condition(hn75, case, month, amount, basis):
    raw = dict(case, id="b", memberships=[{"category": "L75", "from": "2024-01-01"}])
    [answer] = run(hn75, [raw], month)
    assert (answer["amount"], answer["basis"]) == (amount, basis), answer["reason"]


def test_local_category_condition_excludes_k5b_and_only_the_highest_applies(hn75):
    [answer] = run(hn75, [{"id": "c", "birth_date": "1949-03-01", "province": "01",
                           "memberships": [{"category": "L75", "from": "2024-01-01"},
                                           {"category": "K5b", "from": "2024-01-01"}]}], "2025-02")
    assert answer["basis"] == ["K5b"] and answer["amount"] == 600000
    assert "không thuộc diện K5b" in answer["reason"]


class ProvinceChoice:
    """A province that reads 29 February birthdays as 1 March (a §3 CHOICE)."""

    @hookimpl
    def btxh_rule_set(self, province):
        return RuleSet(feb29_birthday="03-01") if province == "01" else None


def test_a_province_rule_set_wins_for_its_cases_only(pm):
    pm.register(ProvinceChoice())
    assert plugins.rule_set(pm, "01").feb29_birthday == "03-01"
    assert plugins.rule_set(pm, "02") is NATIONAL
    cases = [{"id": p, "birth_date": "1948-02-29", "province": p, "memberships": [{"category": "K5b", "from": "2020-01-01"}]}
             for p in ("01", "02")]
    assert [a["amount"] for a in run(pm, cases, "2023-02")] == [0, 360000]


class _Dist:
    metadata = {"name": "btxh-hn75-test"}
    entry_points = [importlib.metadata.EntryPoint("hn75", "btxh.policies.example_hn75", "btxh")]


def test_example_policy_enabled_by_an_entry_point(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [_Dist()])
    pm = plugins.get_plugin_manager()
    assert pm.get_plugin("hn75") is example_hn75
    pm.check_pending()
    assert "L75" in calc.Calculator.build(pm=pm).coefficients.codes("TCXH")


def test_every_hook_is_documented():
    from btxh import hookspecs
    names = [n for n in dir(hookspecs) if n.startswith("btxh_")]
    assert names and all(getattr(hookspecs, n).__doc__ for n in names)
