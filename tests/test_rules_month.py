"""One case, one month (rules.md §6, §7, §12): every worked example, then the boundaries."""

import dataclasses

import pytest

from btxh import reference
from btxh.rules import (BaseLevels, Case, Child, Coefficients, Decision, Engine, Membership, RuleError,
                        RuleSet, SocialPension, build_engine)

ROWS = {t: reference.read_rows(reference.DATA / f"{t}.csv") for t in ("coefficients", "categories", "base_levels")}
ENGINE = build_engine(ROWS["coefficients"], ROWS["categories"], ROWS["base_levels"])
PROVINCE_ROWS = [
    {"program": "TCXH", "jurisdiction": "01", "valid_from": "2025-01-15", "amount": 600000, "legal_basis": "test"},
    {"program": "TCXH", "jurisdiction": "02", "valid_from": "2025-01-01", "amount": 300000, "legal_basis": "test"},
    {"program": "TCXH", "jurisdiction": "03", "valid_from": "2025-01-01", "amount": 555555, "legal_basis": "test"},
    {"program": "HTXH", "jurisdiction": "01", "valid_from": "2025-07-01", "amount": 750000, "legal_basis": "test"},
]
WITH_PROVINCES = dataclasses.replace(ENGINE, base_levels=BaseLevels.from_rows(ROWS["base_levels"] + PROVINCE_ROWS))


def ms(category, start="2020-01-01", end=None, level=None, children=()):
    return Membership(category, start, end, level, tuple(Child(*c) if isinstance(c, tuple) else Child(c)
                                                          for c in children))


def person(birth, *memberships, **facts):
    return Case("c", birth, memberships, **facts)


K6_DBN_K8 = person("1980-01-10", ms("K6", level="DBN"), ms("K8"))
K1_2021 = person("2021-06-15", ms("K1", "2021-06-15"), decision=Decision("2022-01"))
K1_2010 = person("2010-03-20", ms("K1", "2015-01-01"))

# (case, month, amount, coefficient, basis) — rules.md §12, base 500000 unless stated
WORKED = [
    pytest.param(K1_2021, "2025-05", 1250000, "2.5", ["K1"], id="k1-under-4"),
    pytest.param(K1_2021, "2025-06", 750000, "1.5", ["K1"], id="k1-turns-4-in-june"),
    pytest.param(K1_2010, "2026-03", 750000, "1.5", ["K1"], id="k1-turns-16-in-march-still-paid"),
    pytest.param(K1_2010, "2026-04", 0, None, [], id="k1-stopped-month-after-16"),
    pytest.param(person("2010-05-01", ms("K1")), "2026-05", 750000, "1.5", ["K1"], id="k1-turns-16-on-1-may"),
    pytest.param(person("1946", ms("K5a")), "2026-01", 1000000, "2.0", ["K5a"], id="k5a-year-only-80-in-january"),
    pytest.param(person("1970-01-10", ms("K6", level="NANG"), ms("K4", children=["2014-09-01"])), "2025-01",
                 1250000, "2.5", ["K4", "K6"], id="single-parent-k4-plus-k6"),
    pytest.param(K6_DBN_K8, "2024-06", 720000, "2.0", ["K6"], id="k6-dbn-and-k8-base-360000"),
    pytest.param(K6_DBN_K8, "2024-07", 1000000, "2.0", ["K6"], id="k6-dbn-and-k8-base-500000"),
]


@pytest.mark.parametrize("case,month,amount,coefficient,basis", WORKED)
def test_worked_examples(case, month, amount, coefficient, basis):
    r = ENGINE.evaluate(case, month)
    assert (r.amount, r.coefficient, list(r.basis), r.program) == (amount, coefficient, basis, "TCXH")


def at(birth, category, month, amount, coefficient, level=None, basis=None, id=None, **facts):
    """One boundary row: a single membership of ``category`` for a person born ``birth``."""
    basis = basis if basis is not None else ([category] if amount else [])
    return pytest.param(person(birth, ms(category, level=level), **facts), month, amount, coefficient, basis, id=id)


def k4(children, month, amount, coefficient, id):
    return pytest.param(person("1985-01-01", ms("K4", children=children)), month, amount, coefficient,
                        ["K4"] if amount else [], id=id)


BOUNDARIES = [
    # K1 and K3: 4 (band) and 16 (upper bound, paid through the month of the birthday)
    at("2021-06-15", "K1", "2025-05", 1250000, "2.5", id="k1-age-3"),
    at("2021-06-15", "K1", "2025-06", 750000, "1.5", id="k1-turns-4-new-band-in-june"),
    at("2010-03-20", "K1", "2026-02", 750000, "1.5", id="k1-age-15"),
    at("2010-05-01", "K1", "2026-06", 0, None, id="k1-born-1-may-stops-june"),
    at("2021-06-15", "K3", "2025-05", 1250000, "2.5", id="k3-age-3"),
    at("2021-06-15", "K3", "2025-06", 1000000, "2.0", id="k3-turns-4"),
    at("2010-03-20", "K3", "2026-03", 1000000, "2.0", id="k3-turns-16-keeps-band-15"),
    at("2010-03-20", "K3", "2026-04", 0, None, id="k3-stops-after-16"),
    # K2: 16 (lower) and 22 (upper, CHOICE: through the month of the 22nd birthday)
    at("2006-03-20", "K2", "2022-02", 0, None, id="k2-age-15-not-yet"),
    at("2006-03-20", "K2", "2022-03", 540000, "1.5", id="k2-turns-16"),
    at("2000-03-20", "K2", "2022-03", 540000, "1.5", id="k2-turns-22-still-paid"),
    at("2000-03-20", "K2", "2022-04", 0, None, id="k2-stops-after-22"),
    # K5a 60 and 80, K5b 75 and K5c at 80, K5c 80, K5d 60
    at("1965-05-10", "K5a", "2025-04", 0, None, id="k5a-age-59"),
    at("1965-05-10", "K5a", "2025-05", 750000, "1.5", id="k5a-turns-60"),
    at("1945-05-10", "K5a", "2025-04", 750000, "1.5", id="k5a-age-79"),
    at("1945-05-10", "K5a", "2025-05", 1000000, "2.0", id="k5a-turns-80"),
    at("1950-05-10", "K5b", "2025-04", 0, None, id="k5b-age-74"),
    at("1950-05-10", "K5b", "2025-05", 500000, "1.0", id="k5b-turns-75"),
    at("1945-05-10", "K5b", "2025-04", 500000, "1.0", id="k5b-age-79-reports-k5b"),
    at("1945-05-10", "K5b", "2025-05", 500000, "1.0", basis=["K5c"], id="k5b-turns-80-reports-k5c"),
    at("1945-05-10", "K5c", "2025-04", 0, None, id="k5c-age-79"),
    at("1945-05-10", "K5c", "2025-05", 500000, "1.0", id="k5c-turns-80"),
    at("1965-05-10", "K5d", "2025-04", 0, None, id="k5d-age-59"),
    at("1965-05-10", "K5d", "2025-05", 1500000, "3.0", id="k5d-turns-60"),
    # K6: child < 16 and elderly >= 60, new band from the birthday month
    at("2009-05-10", "K6", "2025-04", 1250000, "2.5", level="DBN", id="k6-dbn-child-15"),
    at("2009-05-10", "K6", "2025-05", 1000000, "2.0", level="DBN", id="k6-dbn-turns-16-adult-band"),
    at("2009-05-10", "K6", "2025-04", 1000000, "2.0", level="NANG", id="k6-nang-child-15"),
    at("2009-05-10", "K6", "2025-05", 750000, "1.5", level="NANG", id="k6-nang-turns-16-adult-band"),
    at("1965-05-10", "K6", "2025-04", 1000000, "2.0", level="DBN", id="k6-dbn-age-59"),
    at("1965-05-10", "K6", "2025-05", 1250000, "2.5", level="DBN", id="k6-dbn-turns-60-elderly-band"),
    at("1965-05-10", "K6", "2025-04", 750000, "1.5", level="NANG", id="k6-nang-age-59"),
    at("1965-05-10", "K6", "2025-05", 1000000, "2.0", level="NANG", id="k6-nang-turns-60-elderly-band"),
    # K7: 3 (upper bound)
    at("2022-05-10", "K7", "2025-04", 750000, "1.5", id="k7-age-2"),
    at("2022-05-10", "K7", "2025-05", 750000, "1.5", id="k7-turns-3-still-paid"),
    at("2022-05-10", "K7", "2025-06", 0, None, id="k7-stops-after-3"),
    # K4 children: 16, and 22 while studying on or after the 1st of the month
    k4(["2009-05-10"], "2025-05", 500000, "1.0", id="k4-child-turns-16-counts"),
    k4(["2009-05-10"], "2025-06", 0, None, id="k4-child-16-not-studying-drops"),
    k4([("2009-05-10", "2025-05-31")], "2025-06", 0, None, id="k4-studying-until-before-1st"),
    k4([("2009-05-10", "2025-06-01")], "2025-06", 500000, "1.0", id="k4-studying-until-on-1st"),
    k4([("2009-05-10", "2025-09-30")], "2025-06", 500000, "1.0", id="k4-studying-until-after-1st"),
    k4([("2003-05-10", "2026-06-30")], "2025-05", 500000, "1.0", id="k4-studying-child-turns-22-counts"),
    k4([("2003-05-10", "2026-06-30")], "2025-06", 0, None, id="k4-studying-child-after-22-drops"),
    k4(["2015-01-01", "2018-01-01"], "2025-06", 1000000, "2.0", id="k4-two-children"),
    k4(["2025-06-20"], "2025-06", 500000, "1.0", id="k4-child-born-this-month"),
    k4(["2025-06-20"], "2025-05", 0, None, id="k4-child-not-yet-born"),
    k4(["2015"], "2025-06", 500000, "1.0", id="k4-child-year-only"),
    # partial birth dates
    at("1965", "K5a", "2025-01", 750000, "1.5", id="year-only-60-in-january"),
    at("1965", "K5a", "2024-12", 0, None, id="year-only-59-in-december"),
    at("1965-05", "K5a", "2025-05", 750000, "1.5", id="month-only-60-in-may"),
    at("1965-05", "K5a", "2025-04", 0, None, id="month-only-59-in-april"),
    # 29 February births: leap-year birthdays, and the 28 February CHOICE in common years
    at("1964-02-29", "K5a", "2024-02", 540000, "1.5", id="feb29-turns-60-in-leap-february"),
    at("1964-02-29", "K5a", "2024-01", 0, None, id="feb29-59-in-january"),
    at("2020-02-29", "K1", "2024-02", 540000, "1.5", id="feb29-k1-turns-4-in-leap-february"),
    at("2020-02-29", "K7", "2023-02", 540000, "1.5", id="feb29-k7-turns-3-on-28-feb-common-year"),
    at("2020-02-29", "K7", "2023-03", 0, None, id="feb29-k7-stops-march-common-year"),
    at("1948-02-29", "K5b", "2023-02", 360000, "1.0", id="feb29-k5b-75-on-28-feb-common-year"),
    at("2000-02-29", "K2", "2022-03", 0, None, id="feb29-k2-22-in-february-stops-march"),
    # membership windows by month: from on the last day, to on the first day
    pytest.param(person("1950-01-01", ms("K5a", "2025-03-31")), "2025-03", 750000, "1.5", ["K5a"],
                 id="membership-from-last-day-pays-that-month"),
    pytest.param(person("1950-01-01", ms("K5a", "2025-03-31")), "2025-02", 0, None, [], id="membership-before-from"),
    pytest.param(person("1950-01-01", ms("K5a", "2021-01-01", "2025-03-01")), "2025-03", 750000, "1.5", ["K5a"],
                 id="membership-to-first-day-pays-that-month"),
    pytest.param(person("1950-01-01", ms("K5a", "2021-01-01", "2025-03-01")), "2025-04", 0, None, [],
                 id="membership-after-to"),
    # decision window: start paid, stop is the first month not paid, stop == start pays nothing
    at("1950-01-01", "K5a", "2025-03", 750000, "1.5", decision=Decision("2025-03"), id="decision-start-month-paid"),
    at("1950-01-01", "K5a", "2025-02", 0, None, decision=Decision("2025-03"), id="decision-before-start"),
    at("1950-01-01", "K5a", "2025-05", 750000, "1.5", decision=Decision("2025-03", "2025-06"),
       id="decision-month-before-stop-paid"),
    at("1950-01-01", "K5a", "2025-06", 0, None, decision=Decision("2025-03", "2025-06"), id="decision-stop-not-paid"),
    at("1950-01-01", "K5a", "2025-03", 0, None, decision=Decision("2025-03", "2025-03"), id="decision-stop-equals-start"),
    at("1950-01-01", "K5a", "2021-07", 540000, "1.5", decision=Decision("2019-05"),
       id="decision-from-2019-pays-from-2021-07"),
    # base levels
    at("1990-01-01", "K6", "2024-06", 720000, "2.0", level="DBN", id="base-june-2024-360000"),
    at("1990-01-01", "K6", "2024-07", 1000000, "2.0", level="DBN", id="base-july-2024-500000"),
    # only the highest; single-parent pairs; ties
    pytest.param(person("1960-01-01", ms("K5a"), ms("K4", children=["2015-01-01"])), "2025-01", 1250000, "2.5",
                 ["K4", "K5a"], id="single-parent-k4-plus-k5a"),
    pytest.param(person("1980-01-01", ms("K8"), ms("K4", children=["2015-01-01"])), "2025-01", 1250000, "2.5",
                 ["K4", "K8"], id="single-parent-k4-plus-k8"),
    pytest.param(person("1990-01-01", ms("K6", level="DBN"), ms("K8"), ms("K4", children=["2015-01-01"])),
                 "2025-01", 1500000, "3.0", ["K4", "K6"], id="single-parent-best-partner"),
    pytest.param(person("2005-01-01", ms("K2"), ms("K4", children=["2024-01-01"])), "2022-01", 540000, "1.5",
                 ["K2"], id="k2-is-not-a-single-parent-partner"),
    pytest.param(person("2022-01-01", ms("K1"), ms("K8"), ms("K4", children=["2024-01-01"])), "2025-01",
                 1250000, "2.5", ["K1"], id="tie-single-k1-beats-pair-k4-k8"),
    pytest.param(person("1940-01-01", ms("K6", level="NANG"), ms("K5a")), "2025-01", 1000000, "2.0", ["K5a"],
                 id="tie-k5a-beats-k6-earlier-row"),
    pytest.param(person("1980-01-01", ms("K8"), ms("K6", level="NANG")), "2025-01", 750000, "1.5", ["K6"],
                 id="tie-k6-beats-k8-earlier-row"),
    pytest.param(person("1960-01-01", ms("K8"), ms("K5a"), ms("K4", children=["2015-01-01"])), "2025-01",
                 1250000, "2.5", ["K4", "K5a"], id="tie-pairs-ordered-by-partner"),
]


@pytest.mark.parametrize("case,month,amount,coefficient,basis", BOUNDARIES)
def test_boundaries(case, month, amount, coefficient, basis):
    r = ENGINE.evaluate(case, month)
    assert (r.amount, r.coefficient, list(r.basis)) == (amount, coefficient, basis), r.reason
    assert r.program == "TCXH" and r.funeral == 0
    assert r.reason


def test_there_are_at_least_fifty_boundaries():
    assert len(BOUNDARIES) >= 50


DIED = dict(death="2025-03-15")


@pytest.mark.parametrize("case,month,amount,funeral", [
    pytest.param(person("1940-01-01", ms("K5a"), **DIED), "2025-03", 1000000, 10000000, id="death-month-paid-funeral-20x"),
    pytest.param(person("1940-01-01", ms("K5a"), death="2025-03-15", death_cause="thien_tai"), "2025-03", 1000000,
                 25000000, id="death-by-disaster-funeral-50x"),
    pytest.param(person("1940-01-01", ms("K5a"), **DIED), "2025-04", 0, 0, id="nothing-after-death-month"),
    pytest.param(person("1940-01-01", ms("K5a"), death="2025-03-01"), "2025-03", 1000000, 10000000,
                 id="death-on-first-day-pays-month"),
    pytest.param(person("1940-01-01", ms("K5a"), death="2025-03-01"), "2025-02", 1000000, 0, id="month-before-death"),
    pytest.param(person("1940-01-01", ms("K5a"), decision=Decision("2025-05"), **DIED), "2025-03", 0, 0,
                 id="death-before-decision-no-funeral"),
    pytest.param(person("1965-05-20", ms("K5a"), death="2025-05-10"), "2025-05", 0, 0,
                 id="dies-before-60th-birthday-in-month"),
    pytest.param(person("1940-01-01", ms("K5a"), death="2024-06-10"), "2024-06", 720000, 7200000,
                 id="funeral-uses-base-of-death-month"),
])
def test_death_and_funeral(case, month, amount, funeral):
    r = ENGINE.evaluate(case, month)
    assert (r.amount, r.funeral) == (amount, funeral), r.reason


def test_funeral_when_only_the_pension_was_payable():
    case = person("1940-01-01", social_pension=SocialPension("2025-07"), death="2025-08-02")
    r = ENGINE.evaluate(case, "2025-08")
    assert (r.program, r.amount, r.funeral) == ("HTXH", 500000, 10000000)


@pytest.mark.parametrize("engine,case,month,program,amount,base", [
    pytest.param(ENGINE, person("1940-01-01", ms("K5c"), social_pension=SocialPension("2025-07")), "2025-07",
                 "TCXH", 500000, 500000, id="htxh-tie-keeps-tcxh"),
    pytest.param(ENGINE, person("1940-01-01", ms("K6", level="DBN"), social_pension=SocialPension("2025-07")),
                 "2025-07", "TCXH", 1250000, 500000, id="htxh-lower-keeps-tcxh"),
    pytest.param(WITH_PROVINCES, person("1940-01-01", ms("K5c"), province="01", social_pension=SocialPension("2025-07")),
                 "2025-07", "HTXH", 750000, 750000, id="htxh-higher-wins"),
    pytest.param(ENGINE, person("1940-01-01", social_pension=SocialPension("2025-07")), "2025-07", "HTXH", 500000,
                 500000, id="htxh-alone"),
    pytest.param(ENGINE, person("1940-01-01", social_pension=SocialPension("2025-01")), "2025-06", "TCXH", 0, 500000,
                 id="htxh-before-2025-07-not-payable"),
    pytest.param(ENGINE, person("1940-01-01", social_pension=SocialPension("2025-07", "2025-09")), "2025-10", "TCXH",
                 0, 500000, id="htxh-after-window"),
    pytest.param(ENGINE, person("1940-01-01", ms("K5a"), decision=Decision("2022-01", "2025-07"),
                                social_pension=SocialPension("2025-07")), "2025-07", "HTXH", 500000, 500000,
                 id="htxh-not-bounded-by-decision"),
    pytest.param(dataclasses.replace(ENGINE, rules=RuleSet(pension_tie_keeps="HTXH")),
                 person("1940-01-01", ms("K5c"), social_pension=SocialPension("2025-07")), "2025-07", "HTXH", 500000,
                 500000, id="htxh-tie-choice-changed"),
])
def test_social_pension_overlap(engine, case, month, program, amount, base):
    r = engine.evaluate(case, month)
    assert (r.program, r.amount, r.base) == (program, amount, base), r.reason
    if program == "HTXH":
        assert r.coefficient is None and r.basis == ()


@pytest.mark.parametrize("province,month,amount,base", [
    ("01", "2025-01", 1000000, 500000),
    ("01", "2025-02", 1200000, 600000),
    ("02", "2025-02", 1000000, 500000),
    (None, "2025-02", 1000000, 500000),
    ("03", "2025-02", 1111110, 555555),
], ids=["province-row-from-15th-not-in-force-on-1st", "province-row-higher-used", "province-row-lower-ignored",
        "no-province-national", "province-base-exact"])
def test_province_base(province, month, amount, base):
    r = WITH_PROVINCES.evaluate(person("1990-01-01", ms("K6", level="DBN"), province=province), month)
    assert (r.amount, r.base) == (amount, base)


@pytest.mark.parametrize("rounding,level,amount", [
    ("half_up", "NANG", 833333), ("down", "NANG", 833332), ("up", "NANG", 833333), ("half_up", "DBN", 1111110),
], ids=["half-up-rounds-up-at-half", "choice-down", "choice-up", "exact-needs-no-rounding"])
def test_rounding_when_a_province_base_is_inexact(rounding, level, amount):
    engine = dataclasses.replace(WITH_PROVINCES, rules=RuleSet(rounding=rounding))
    assert engine.evaluate(person("1990-01-01", ms("K6", level=level), province="03"), "2025-02").amount == amount


def test_feb29_march_reading_is_a_choice():
    engine = dataclasses.replace(ENGINE, rules=RuleSet(feb29_birthday="03-01"))
    case = person("1948-02-29", ms("K5b"))
    assert engine.evaluate(case, "2023-02").amount == 0
    assert engine.evaluate(case, "2023-03").amount == 360000


def test_k2_upper_age_is_a_choice():
    engine = dataclasses.replace(ENGINE, rules=RuleSet(study_age_limit=23))
    case = person("2000-03-20", ms("K2"))
    assert ENGINE.evaluate(case, "2022-04").amount == 0
    assert engine.evaluate(case, "2022-04").amount == 540000
    assert engine.evaluate(case, "2023-04").amount == 0


def test_k1_hands_over_to_k2_after_the_16th_birthday():
    case = person("2010-03-20", ms("K1"), ms("K2", "2026-03-01"))
    assert ENGINE.evaluate(case, "2026-03").basis == ("K1",)
    assert ENGINE.evaluate(case, "2026-04").basis == ("K2",)


def test_tie_between_single_and_pair_is_decided_by_data():
    rows = [dict(r, tenths=5) if r["category"] == "K8" else r for r in ROWS["coefficients"]]
    engine = dataclasses.replace(ENGINE, coefficients=Coefficients.from_rows(rows, ROWS["categories"]))
    case = person("2006-01-01", ms("K2"), ms("K8"), ms("K4", children=["2024-01-01"]))
    assert engine.evaluate(case, "2022-06").basis == ("K2",)


@pytest.mark.parametrize("month", ["2021-06", "2019-01"], ids=["month-before-2021-07", "2019"])
def test_months_before_the_rule_set_are_refused(month):
    with pytest.raises(RuleError):
        ENGINE.evaluate(person("1940-01-01", ms("K5a")), month)


@pytest.mark.parametrize("case,month,words", [
    (person("1946", ms("K5a")), "2026-01", ["ngày sinh chỉ có năm, tính từ 01/01/1946", "hệ số 2,0",
                                             "mức chuẩn 500.000 đ"]),
    (person("1941-05", ms("K5a")), "2025-01", ["chỉ có tháng và năm, tính từ 01/05/1941"]),
    (person("1980-01-01", ms("K6", level="DBN")), "2025-06", ["Diện K6 (khuyết tật đặc biệt nặng), 45 tuổi: hệ số 2,0 "
                                                             "× mức chuẩn 500.000 đ = 1.000.000 đ"]),
    (person("1950-01-01", ms("K5a"), decision=Decision("2025-03")), "2025-02",
     ["Chưa đến tháng bắt đầu hưởng theo quyết định (03/2025)"]),
    (person("1940-01-01", ms("K5a"), death="2025-03-15"), "2025-04", ["Đã chết từ tháng 03/2025"]),
    (K1_2010, "2026-04", ["Hết tuổi hưởng diện K1 từ tháng 04/2026"]),
    (K1_2010, "2026-03", ["đủ 16 tuổi", "thôi từ tháng 04/2026"]),
    (person("1940-01-01", ms("K5a"), death="2025-03-15", death_cause="thien_tai"), "2025-03",
     ["hỗ trợ mai táng 50 × mức chuẩn 500.000 đ = 25.000.000 đ", "thiên tai"]),
    (person("1980-01-01", ms("K8")), "2025-01", ["Diện K8, 45 tuổi"]),
    (person("1980-01-01"), "2025-01", ["không có diện hưởng"]),
    (person("1940-01-01", social_pension=SocialPension("2025-01")), "2025-06", ["chỉ chi trả từ tháng 07/2025"]),
], ids=["partial-year", "partial-month", "k6-amount", "decision-not-started", "dead", "aged-out", "last-month",
        "funeral-disaster", "hiv-category-not-described", "no-membership", "pension-too-early"])
def test_reasons_explain(case, month, words):
    reason = ENGINE.evaluate(case, month).reason
    for word in words:
        assert word.lower() in reason.lower(), reason


def test_sensitive_categories_are_never_described():
    reason = ENGINE.evaluate(person("2015-01-01", ms("K3")), "2025-01").reason
    assert "HIV" not in reason and "Diện K3," in reason


def test_a_range_is_the_months_in_order():
    results = ENGINE.evaluate_months(K1_2021, ["2025-05", "2025-06", "2025-07"])
    assert [(r.month, r.amount) for r in results] == [("2025-05", 1250000), ("2025-06", 750000), ("2025-07", 750000)]


def test_local_category_condition_and_engine_are_plain_values():
    rows = ROWS["categories"] + [{"code": "L1", "program": "TCXH", "label": "local", "min_age": 75, "max_age": None,
                                  "sort_order": 100, "condition": lambda case, m, month, age: case.province == "01",
                                  "condition_text": "ở tỉnh 01"}]
    coefs = ROWS["coefficients"] + [{"category": "L1", "level": None, "min_age": 75, "tenths": 12, "per_child": 0,
                                     "valid_from": "2025-01-01"}]
    engine = Engine(Coefficients.from_rows(coefs, rows), ENGINE.base_levels)
    assert engine.evaluate(person("1945-01-01", ms("L1"), province="01"), "2025-01").amount == 600000
    outside = engine.evaluate(person("1945-01-01", ms("L1"), province="02"), "2025-01")
    assert outside.amount == 0 and "ở tỉnh 01" in outside.reason
    assert engine.evaluate(person("1945-01-01", ms("L1"), province="01"), "2024-12").amount == 0
