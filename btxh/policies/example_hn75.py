"""EXAMPLE province policy — illustrative figures, not a real decision. OFF by default.

Shows the two things a province may do without a code change (ND 20 Art. 4, ND 76/2024):

* **a higher base level from a date**: province ``01`` (Hà Nội) pays TCXH on a base of
  600.000 đ from 2025-01-01 (rules.md §2: used only because it is higher);
* **a local category with its own coefficient and condition**: ``L75``, people aged 75 to
  80 in a poor or near-poor household of province 01 living outside the national K5b areas,
  coefficient 1,0 from 2025-01-01. The household status is a fact the membership asserts;
  the plugin's condition checks the province and that the person has no K5b membership
  (a K5b membership means they live in a K5b area). Only the highest applies (ND 20
  Art. 6(2): "theo các văn bản khác nhau … chỉ được hưởng một mức cao nhất").

The amounts, the date, the code and the decision number are ILLUSTRATIVE: a province
writing its own policy copies this module with the figures of its People's Council
resolution. Enable it with ``pm.register(btxh.policies.example_hn75)`` or an entry point::

    [project.entry-points.btxh]
    hn75 = "btxh.policies.example_hn75"
"""

from __future__ import annotations

from btxh.policies import hookimpl

PROVINCE = "01"
CODE = "L75"
BASIS = "Nghị quyết HĐND tỉnh (minh hoạ, không phải văn bản thật)"


def outside_k5b_areas(case, membership, month, age) -> bool:
    """Province 01's residents without a K5b membership (illustrative condition)."""
    return case.province == PROVINCE and not any(m.category == "K5b" for m in case.memberships)


@hookimpl
def btxh_base_levels(program):
    if program != "TCXH":
        return []
    return [{"program": "TCXH", "jurisdiction": PROVINCE, "valid_from": "2025-01-01",
             "amount": 600000, "legal_basis": BASIS}]


@hookimpl
def btxh_categories():
    return [{
        "code": CODE, "program": "TCXH", "sort_order": 101, "sensitive": 0,
        "label": "Người từ đủ 75 đến dưới 80 tuổi thuộc hộ nghèo, cận nghèo ngoài vùng K5b (minh hoạ)",
        "min_age": 75, "max_age": 80, "legal_basis": BASIS,
        "condition": outside_k5b_areas,
        "condition_text": "cư trú tại tỉnh 01 và không thuộc diện K5b",
    }]


@hookimpl
def btxh_coefficients():
    return [{"category": CODE, "level": None, "min_age": 75, "max_age": 80, "tenths": 10,
             "per_child": 0, "valid_from": "2025-01-01", "legal_basis": BASIS}]
