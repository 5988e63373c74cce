"""Care support C1–C7 (rules.md §5, §6 step 8): each entitlement on its own; C3/C4 the higher only."""

import pytest

from btxh import reference
from btxh.rules import CareEntitlement, RuleError, RuleSet, build_engine, evaluate_care, parent_support_code

ROWS = {t: reference.read_rows(reference.DATA / f"{t}.csv") for t in ("coefficients", "categories", "base_levels")}
ENGINE = build_engine(ROWS["coefficients"], ROWS["categories"], ROWS["base_levels"])


def care(code, cared_birth=None, start="2020-01-01", end=None, **kw):
    return CareEntitlement(code, start, end, cared_birth, **kw)


@pytest.mark.parametrize("entitlement,month,amount,tenths", [
    pytest.param(care("C1", "2021-06-15"), "2025-05", 1250000, 25, id="c1-child-age-3"),
    pytest.param(care("C1", "2021-06-15"), "2025-06", 1250000, 25, id="c1-turns-4-paid-through-that-month"),
    pytest.param(care("C1", "2021-06-15"), "2025-07", 0, None, id="c1-stops-after-4"),
    pytest.param(care("C2", "2015-06-15"), "2025-06", 750000, 15, id="c2-k1-child"),
    pytest.param(care("C2", "1950-01-01"), "2025-06", 750000, 15, id="c2-k5d-person"),
    pytest.param(care("C3", "1990-01-01"), "2025-06", 750000, 15, id="c3-disabled-parent"),
    pytest.param(care("C4", "1990-01-01"), "2025-06", 1000000, 20, id="c4-disabled-parent"),
    pytest.param(care("C5", "1970-01-01"), "2025-06", 500000, 10, id="c5-household-dbn"),
    pytest.param(care("C5"), "2025-06", 500000, 10, id="c5-needs-no-age"),
    pytest.param(care("C6", "1970-01-01"), "2025-06", 750000, 15, id="c6-adult-dbn"),
    pytest.param(care("C7", "2010-03-20"), "2026-03", 1250000, 25, id="c7-turns-16-still-paid"),
    pytest.param(care("C7", "2010-03-20"), "2026-04", 0, None, id="c7-stops-after-16"),
    pytest.param(care("C7"), "2025-06", 0, None, id="c7-needs-the-birth-date"),
    pytest.param(care("C6", "1970-01-01"), "2024-06", 540000, 15, id="c6-base-360000"),
    pytest.param(care("C2", "1950-01-01", start="2025-07-31"), "2025-06", 0, None, id="before-window"),
    pytest.param(care("C2", "1950-01-01", end="2025-05-01"), "2025-06", 0, None, id="after-window"),
    pytest.param(care("C2", "1950-01-01", cared_death="2025-06-30"), "2025-06", 750000, 15, id="cared-dies-in-month"),
    pytest.param(care("C2", "1950-01-01", cared_death="2025-05-30"), "2025-06", 0, None, id="cared-died-before"),
    pytest.param(care("C2", "1950-01-01", carer_death="2025-05-30"), "2025-06", 0, None, id="carer-died-before"),
    pytest.param(care("K1", "2020-01-01"), "2025-06", 0, None, id="not-a-care-code"),
])
def test_each_entitlement_on_its_own(entitlement, month, amount, tenths):
    [r] = evaluate_care([entitlement], month, ENGINE)
    assert (r.amount, r.tenths) == (amount, tenths), r.reason
    assert r.reason


def test_several_entitlements_are_independent():
    results = evaluate_care([care("C1", "2023-01-01"), care("C7", "2015-01-01"), care("C5", "1980-01-01")],
                            "2025-06", ENGINE)
    assert [r.amount for r in results] == [1250000, 1250000, 500000]


def test_c3_and_c4_only_the_higher():
    results = evaluate_care([care("C3", "1990-01-01", id="vo"), care("C4", "1988-01-01", id="chong")],
                            "2025-06", ENGINE)
    assert [(r.id, r.amount) for r in results] == [("vo", 0), ("chong", 1000000)]
    assert "C4" in results[0].reason


def test_one_support_per_couple():
    results = evaluate_care([care("C3", "1990-01-01"), care("C3", "1988-01-01")], "2025-06", ENGINE)
    assert [r.amount for r in results] == [750000, 0]


@pytest.mark.parametrize("pregnant,children,month,code", [
    (True, [], "2025-06", "C3"),
    (False, ["2024-01-01"], "2025-06", "C3"),
    (True, ["2024-01-01"], "2025-06", "C4"),
    (False, ["2024-01-01", "2023-01-01"], "2025-06", "C4"),
    (False, ["2022-06-10"], "2025-06", "C3"),
    (False, ["2022-06-10"], "2025-07", None),
    (False, [], "2025-06", None),
    (False, ["2025-07-01"], "2025-06", None),
], ids=["pregnant", "one-young-child", "pregnant-and-child", "two-young-children", "child-turns-36-months-counts",
        "child-over-36-months", "nothing", "child-not-yet-born"])
def test_parent_support_code(pregnant, children, month, code):
    assert parent_support_code(pregnant, children, month, RuleSet()) == code


def test_care_before_the_rule_set_is_refused():
    with pytest.raises(RuleError):
        evaluate_care([care("C5")], "2021-06", ENGINE)
