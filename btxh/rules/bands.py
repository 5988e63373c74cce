"""Categories and their coefficients as data (rules.md §4, §5).

:class:`Coefficients` is built once from rows shaped like ``btxh/data/categories.csv`` and
``coefficients.csv`` (or the tables of the same name) plus any rows a policy plugin adds,
then answers "which band applies to this category, level, age and month" from memory.
Nothing here knows a number of the law: the numbers are in the rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping

from .dates import first_day, parse_date
from .model import Condition


def _int(value) -> int | None:
    return None if value is None or value == "" else int(value)


def _day(value) -> dt.date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, dt.date) else parse_date(str(value)[:10])


@dataclass(frozen=True, slots=True)
class Category:
    """A category row: the age bounds the engine enforces, and its place in the §4 table."""

    code: str
    program: str
    label: str
    min_age: int | None
    max_age: int | None
    sort_order: int
    sensitive: bool = False
    legal_basis: str = ""
    condition: Condition | None = None
    condition_text: str = ""

    @classmethod
    def from_row(cls, row: Mapping) -> "Category":
        return cls(
            code=row["code"], program=row.get("program") or "TCXH", label=row.get("label") or row["code"],
            min_age=_int(row.get("min_age")), max_age=_int(row.get("max_age")),
            sort_order=_int(row.get("sort_order")) or 0, sensitive=bool(_int(row.get("sensitive"))),
            legal_basis=row.get("legal_basis") or "", condition=row.get("condition"),
            condition_text=row.get("condition_text") or "",
        )


@dataclass(frozen=True, slots=True)
class Band:
    """One coefficient row: ``tenths`` for ages in [min_age, max_age), in force from valid_from."""

    min_age: int
    max_age: int | None
    tenths: int
    per_child: bool
    valid_from: dt.date
    valid_to: dt.date | None
    legal_basis: str

    @classmethod
    def from_row(cls, row: Mapping) -> "Band":
        return cls(
            min_age=_int(row.get("min_age")) or 0, max_age=_int(row.get("max_age")),
            tenths=int(row["tenths"]), per_child=bool(_int(row.get("per_child"))),
            valid_from=_day(row["valid_from"]), valid_to=_day(row.get("valid_to")),
            legal_basis=row.get("legal_basis") or "",
        )


class Coefficients:
    """The category and coefficient tables, indexed once; lookups are cached by month."""

    def __init__(self, categories: Iterable[Category], bands: Mapping[tuple[str, str | None], list[Band]]):
        self._categories = {c.code: c for c in categories}
        self._bands = {key: sorted(rows, key=lambda b: (b.valid_from, b.min_age)) for key, rows in bands.items()}
        self._in_force: dict = {}
        self._by_age: dict = {}
        self._levels: dict[str, frozenset[str]] = {}
        self._per_child: set[str] = set()
        for (code, level), rows in self._bands.items():
            if level:
                self._levels[code] = self._levels.get(code, frozenset()) | {level}
            if any(b.per_child for b in rows):
                self._per_child.add(code)

    @classmethod
    def from_rows(cls, coefficient_rows: Iterable[Mapping], category_rows: Iterable[Mapping]) -> "Coefficients":
        """Build from rows shaped like coefficients.csv and categories.csv (later rows win)."""
        categories = {}
        for row in category_rows:
            categories[row["code"]] = Category.from_row(row)
        bands: dict[tuple[str, str | None], list[Band]] = {}
        for row in coefficient_rows:
            key = (row["category"], row.get("level") or None)
            bands.setdefault(key, []).append(Band.from_row(row))
        return cls(categories.values(), bands)

    def category(self, code: str) -> Category | None:
        return self._categories.get(code)

    def codes(self, program: str | None = None) -> frozenset[str]:
        """Known category codes, optionally of one program (``TCXH``, ``CSND``)."""
        return frozenset(c.code for c in self._categories.values() if program in (None, c.program))

    def levels(self, code: str) -> frozenset[str]:
        """The levels a category's coefficients distinguish (``DBN``/``NANG`` for K6)."""
        return self._levels.get(code, frozenset())

    def counts_children(self, code: str) -> bool:
        """True when a coefficient of the category is per child (K4): it needs its children."""
        return code in self._per_child

    def bands(self, code: str, level: str | None, month: int) -> tuple[Band, ...]:
        """The bands in force on the first day of ``month``, ordered by min_age.

        Of several rows with the same min_age in force, the latest valid_from wins.
        """
        key = (code, level, month)
        found = self._in_force.get(key)
        if found is None:
            rows = self._bands.get((code, level)) or self._bands.get((code, None)) or []
            day = first_day(month)
            by_age = {}
            for band in rows:
                if band.valid_from <= day and (band.valid_to is None or band.valid_to >= day):
                    by_age[band.min_age] = band
            found = tuple(by_age[a] for a in sorted(by_age))
            self._in_force[key] = found
        return found

    def band(self, code: str, level: str | None, age: int, month: int) -> Band | None:
        """The band for ``age``: the in-force row with the largest min_age ≤ age.

        Bands are contiguous; who is eligible at all is decided by the category's bounds
        (§6), so max_age only documents the row.
        """
        key = (code, level, age, month)
        try:
            return self._by_age[key]
        except KeyError:
            pass
        rows = self.bands(code, level, month)
        i = bisect.bisect_right([b.min_age for b in rows], age) - 1
        found = self._by_age[key] = rows[i] if rows and i >= 0 else None
        return found
