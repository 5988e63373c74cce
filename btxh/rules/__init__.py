"""The allowance rules (rules.md §2–§8) as pure functions over plain values.

No I/O, no database, no clock: callers pass rows, cases and months, and get back values
that explain themselves (which category, which coefficient, which base, and why, in
Vietnamese). Money is integer đồng, coefficients are integer tenths.

    >>> engine = build_engine(coefficient_rows, category_rows, base_level_rows)   # once
    >>> engine.evaluate(Case("a1", "1946", [Membership("K5a", "2022-01-01")]), "2026-01").amount
    1000000
"""

from __future__ import annotations

from typing import Iterable, Mapping

from .arrears import ArrearsLine, arrears, totals
from .bands import Band, Category, Coefficients
from .care import CareEntitlement, CareResult, evaluate_care, parent_support_code
from .dates import (PartialDate, age_at_month_end, age_on, as_month, last_day, month_str, parse_date,
                    parse_month, parse_partial)
from .model import (NATIONAL, Case, Child, Decision, Membership, MonthResult, RuleError, RuleSet,
                    SocialPension)
from .month import Engine
from .rates import Base, BaseLevels


def build_engine(coefficient_rows: Iterable[Mapping], category_rows: Iterable[Mapping],
                 base_level_rows: Iterable[Mapping], rules: RuleSet = NATIONAL) -> Engine:
    """Index the three reference tables once; the engine then evaluates any number of months."""
    return Engine(Coefficients.from_rows(coefficient_rows, category_rows),
                  BaseLevels.from_rows(base_level_rows), rules)


__all__ = [
    "ArrearsLine", "Band", "Base", "BaseLevels", "CareEntitlement", "CareResult", "Case", "Category",
    "Child", "Coefficients", "Decision", "Engine", "Membership", "MonthResult", "NATIONAL",
    "PartialDate", "RuleError", "RuleSet", "SocialPension", "age_at_month_end", "age_on", "arrears",
    "as_month", "build_engine", "evaluate_care", "last_day", "month_str", "parent_support_code",
    "parse_date", "parse_month", "parse_partial", "totals",
]
