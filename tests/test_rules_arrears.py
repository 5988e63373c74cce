"""Arrears and recovery (rules.md §8): recomputed due minus paid, month by month."""

import pytest

from btxh import reference
from btxh.rules import Case, Decision, Membership, arrears, build_engine, totals

ROWS = {t: reference.read_rows(reference.DATA / f"{t}.csv") for t in ("coefficients", "categories", "base_levels")}


@pytest.mark.parametrize("due,paid,before,expected", [
    ({"2025-01": 500000}, {"2025-01": 500000}, "2025-02", []),
    ({"2025-01": 500000}, {}, "2025-02", [("2025-01", "truy_linh", 500000)]),
    ({}, {"2025-01": 500000}, "2025-02", [("2025-01", "truy_thu", -500000)]),
    ({"2025-01": 500000, "2025-02": 500000}, {"2025-01": 500000}, "2025-02", []),
    ({"2025-03": 1000000, "2025-01": 1000000}, {"2025-01": 720000, "2025-03": 1000000}, "2025-04",
     [("2025-01", "truy_linh", 280000)]),
    ({"2025-01": 0, "2025-02": 0}, {"2025-01": 750000, "2025-02": 750000}, "2025-03",
     [("2025-01", "truy_thu", -750000), ("2025-02", "truy_thu", -750000)]),
], ids=["paid-as-due", "late-decision-truy-linh", "late-death-truy-thu", "current-month-not-arrears",
        "base-raised-retroactively", "death-reported-late"])
def test_lines(due, paid, before, expected):
    lines = arrears(due, paid, before=before)
    assert [(line.month, line.kind, line.amount) for line in lines] == expected
    for line in lines:
        assert line.amount == line.due - line.paid and line.reason


def test_recovery_is_reported_not_deducted():
    [line] = arrears({"2025-01": 0}, {"2025-01": 750000}, before="2025-02")
    assert "không tự khấu trừ" in line.reason
    assert totals(arrears({"2025-01": 1000, "2025-02": 0}, {"2025-02": 300}, before="2025-03")) == (1000, 300)


def test_money_must_be_integer():
    with pytest.raises(TypeError):
        arrears({"2025-01": 500000.0}, {}, before="2025-02")


def test_a_base_row_added_afterwards_produces_arrears():
    case = Case("a", "1980-01-01", [Membership("K6", "2020-01-01", level="DBN")], decision=Decision("2021-07"))
    months = ["2026-06", "2026-07", "2026-08"]
    before = build_engine(ROWS["coefficients"], ROWS["categories"], ROWS["base_levels"])
    paid = {r.month: r.amount for r in before.evaluate_months(case, months)}
    raised = ROWS["base_levels"] + [{"program": "TCXH", "jurisdiction": "VN", "valid_from": "2026-07-01",
                                     "amount": 540000, "legal_basis": "reported, unverified"}]
    now = build_engine(ROWS["coefficients"], ROWS["categories"], raised)
    due = {r.month: r.amount for r in now.evaluate_months(case, months)}
    lines = arrears(due, paid, before="2026-09")
    assert [(line.month, line.amount) for line in lines] == [("2026-07", 80000), ("2026-08", 80000)]


def test_a_lifted_suspension_pays_the_suspended_months():
    paid = {"2025-01": 1000000, "2025-02": 0, "2025-03": 0}
    due = {"2025-01": 1000000, "2025-02": 1000000, "2025-03": 1000000}
    assert totals(arrears(due, paid, before="2025-04")) == (2000000, 0)
