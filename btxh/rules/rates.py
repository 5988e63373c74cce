"""Base levels (mức chuẩn), rules.md §2.

Rows ``(program, jurisdiction, valid_from, amount, legal_basis)``; jurisdiction is ``VN`` or a
province code. The base for month M is the row in force on the first day of M; a province
row in force for M replaces the national one only when it is higher (ND 76/2024).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping

from .dates import as_month, month_of, parse_date

NATIONAL = "VN"


@dataclass(frozen=True, slots=True)
class Base:
    """The base level that applies to a month, and where it comes from."""

    amount: int
    jurisdiction: str
    valid_from: dt.date
    legal_basis: str


class BaseLevels:
    """Base-level rows indexed once by (program, jurisdiction); lookups cached by month."""

    def __init__(self, rows: Iterable[Mapping]):
        self._series: dict[tuple[str, str], tuple[list[int], list[Base]]] = {}
        self._cache: dict = {}
        grouped: dict[tuple[str, str], dict[dt.date, Base]] = {}
        for row in rows:
            base = Base(
                amount=int(row["amount"]), jurisdiction=str(row["jurisdiction"]),
                valid_from=_day(row["valid_from"]), legal_basis=row.get("legal_basis") or "",
            )
            grouped.setdefault((row["program"], base.jurisdiction), {})[base.valid_from] = base
        for key, by_day in grouped.items():
            bases = [by_day[d] for d in sorted(by_day)]
            self._series[key] = ([_first_month_in_force(b.valid_from) for b in bases], bases)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping]) -> "BaseLevels":
        """Build from rows shaped like base_levels.csv (a later row for the same day wins)."""
        return cls(rows)

    def _in_force(self, program: str, jurisdiction: str, month: int) -> Base | None:
        series = self._series.get((program, jurisdiction))
        if not series:
            return None
        i = bisect.bisect_right(series[0], month) - 1
        return series[1][i] if i >= 0 else None

    def lookup(self, program: str, month: int | str, province: str | None = None) -> Base | None:
        """The base of ``program`` for ``month`` (index or ``YYYY-MM``) in ``province``."""
        month = as_month(month)
        key = (program, month, province)
        if key in self._cache:
            return self._cache[key]
        base = self._in_force(program, NATIONAL, month)
        if province and province != NATIONAL:
            local = self._in_force(program, province, month)
            if local is not None and (base is None or local.amount > base.amount):
                base = local
        self._cache[key] = base
        return base

    def amount(self, program: str, month: int | str, province: str | None = None) -> int | None:
        base = self.lookup(program, month, province)
        return None if base is None else base.amount


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else parse_date(str(value)[:10])


def _first_month_in_force(valid_from: dt.date) -> int:
    """The first month whose first day the row is in force on."""
    return month_of(valid_from) + (0 if valid_from.day == 1 else 1)
