"""Dates, months and ages (rules.md §3, §6), as plain values.

A month is an integer index ``year * 12 + month - 1`` so that ``M - 1`` and ``M + 1`` are
arithmetic; :func:`parse_month` and :func:`month_str` convert from and to ``YYYY-MM``.
A partial birth date (``1941`` or ``1941-05``) is a :class:`PartialDate`; the rule set
decides which day it stands for (a §3 CHOICE), never this module.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\Z")


@lru_cache(maxsize=4096)
def parse_month(text: str) -> int:
    """``"2025-03"`` → month index; ValueError for anything else."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValueError(f"tháng không hợp lệ {text!r} (cần dạng YYYY-MM)")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def as_month(value: int | str) -> int:
    """A month index from an index or a ``YYYY-MM`` string."""
    return value if isinstance(value, int) else parse_month(value)


def month_str(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_vn(index: int) -> str:
    """``"03/2025"``: how a month is written for staff."""
    return f"{index % 12 + 1:02d}/{index // 12:04d}"


def month_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def first_day(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def last_day(index: int) -> dt.date:
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@lru_cache(maxsize=65536)
def parse_date(text: str) -> dt.date:
    """A full ``YYYY-MM-DD`` date; ValueError for a malformed or impossible one."""
    match = _DATE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"ngày không hợp lệ {text!r} (cần dạng YYYY-MM-DD)")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"ngày không hợp lệ {text!r}") from None


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A birth date known to the year, the month or the day (§3)."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def earliest(self) -> dt.date:
        """The first day the date can stand for (used to refuse a death before birth)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def resolve(self, year_only: tuple[int, int] = (1, 1), month_only_day: int = 1) -> dt.date:
        """The day this date stands for, under the §3 CHOICE given as arguments."""
        if self.day:
            return dt.date(self.year, self.month, self.day)
        if self.month:
            last = calendar.monthrange(self.year, self.month)[1]
            return dt.date(self.year, self.month, min(month_only_day, last))
        return dt.date(self.year, *year_only)

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p]
        return "-".join(parts)


@lru_cache(maxsize=65536)
def parse_partial(text: str) -> PartialDate:
    """``"1941"``, ``"1941-05"`` or ``"1941-05-17"``; ValueError for anything else."""
    match = _PARTIAL.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"ngày sinh không hợp lệ {text!r} (cần YYYY, YYYY-MM hoặc YYYY-MM-DD)")
    year, month, day = (int(g) if g else None for g in match.groups())
    if year < 1 or (month is not None and not 1 <= month <= 12):
        raise ValueError(f"ngày sinh không hợp lệ {text!r}")
    if day is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            raise ValueError(f"ngày sinh không hợp lệ {text!r}") from None
    return PartialDate(year, month, day)


def birthday_in(birth: dt.date, year: int, feb29: tuple[int, int] = (2, 28)) -> tuple[int, int]:
    """(month, day) of the birthday in ``year``; 29 February moves to ``feb29`` in a common year."""
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return feb29
    return birth.month, birth.day


def age_on(birth: dt.date, day: dt.date, feb29: tuple[int, int] = (2, 28)) -> int:
    """Full years completed on ``day`` (negative before birth)."""
    years = day.year - birth.year
    if (day.month, day.day) < birthday_in(birth, day.year, feb29):
        years -= 1
    return years


def age_at_month_end(birth: dt.date, index: int, feb29: tuple[int, int] = (2, 28)) -> int:
    """Age on the last day of month ``index``: the age reached during that month."""
    year, month = index // 12, index % 12 + 1
    birthday_month = birthday_in(birth, year, feb29)[0]
    return year - birth.year - (1 if birthday_month > month else 0)


def birthday_month(birth: dt.date, age: int, feb29: tuple[int, int] = (2, 28)) -> int:
    """The month index in which the person reaches ``age``."""
    year = birth.year + age
    return year * 12 + birthday_in(birth, year, feb29)[0] - 1
