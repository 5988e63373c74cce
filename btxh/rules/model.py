"""The values the rules take and return: frozen dataclasses, integer đồng, tenths.

Months are month indexes (see :mod:`btxh.rules.dates`); constructors also accept
``YYYY-MM`` strings and ISO dates so that a caller can pass what the database holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from .dates import PartialDate, as_month, parse_date, parse_month, parse_partial


class RuleError(ValueError):
    """A request the rule set refuses (e.g. a month before the rule set is in force)."""


def _date(value):
    return parse_date(value) if isinstance(value, str) else value


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class Child:
    """A child counted by a K4 membership (§6 step 3)."""

    birth: PartialDate | str
    studying_until: dt.date | str | None = None

    def __post_init__(self):
        if isinstance(self.birth, str):
            _set(self, "birth", parse_partial(self.birth))
        _set(self, "studying_until", _date(self.studying_until))


@dataclass(frozen=True, slots=True)
class Membership:
    """A category the record asserts, with its window by date (inclusive; end None = open)."""

    category: str
    start: dt.date | str
    end: dt.date | str | None = None
    level: str | None = None
    children: tuple[Child, ...] = ()

    def __post_init__(self):
        _set(self, "start", _date(self.start))
        _set(self, "end", _date(self.end))
        _set(self, "children", tuple(self.children))


@dataclass(frozen=True, slots=True)
class Decision:
    """The TCXH decision window: paid from ``start`` up to, not including, ``stop`` (months)."""

    start: int | str
    stop: int | str | None = None

    def __post_init__(self):
        _set(self, "start", as_month(self.start))
        if self.stop is not None:
            _set(self, "stop", as_month(self.stop))


@dataclass(frozen=True, slots=True)
class SocialPension:
    """The HTXH window, months inclusive (end None = open)."""

    start: int | str
    end: int | str | None = None

    def __post_init__(self):
        _set(self, "start", as_month(self.start))
        if self.end is not None:
            _set(self, "end", as_month(self.end))


@dataclass(frozen=True, slots=True)
class Case:
    """One person as the rules see them."""

    id: str
    birth: PartialDate | str
    memberships: tuple[Membership, ...] = ()
    death: dt.date | str | None = None
    death_cause: str | None = None
    province: str | None = None
    decision: Decision | None = None
    social_pension: SocialPension | None = None

    def __post_init__(self):
        if isinstance(self.birth, str):
            _set(self, "birth", parse_partial(self.birth))
        _set(self, "death", _date(self.death))
        _set(self, "memberships", tuple(self.memberships))


@dataclass(frozen=True, slots=True)
class MonthResult:
    """What one case gets for one month, and why (rules.md §6, §7, §11)."""

    id: str
    month: str
    program: str
    amount: int
    tenths: int | None
    base: int
    basis: tuple[str, ...]
    funeral: int
    reason: str
    tcxh_amount: int = 0
    htxh_amount: int = 0
    partial_birth: bool = False

    @property
    def coefficient(self) -> str | None:
        """``"2.5"``: the coefficient with one decimal, as the §11 answer writes it."""
        return None if self.tenths is None else f"{self.tenths // 10}.{self.tenths % 10}"


# A local category's extra condition: (case, membership, month index, age) -> eligible?
Condition = Callable[[Case, Membership, int, int], bool]


@dataclass(frozen=True)
class RuleSet:
    """Every parameter of the ND 20 rule set that rules.md leaves as a CHOICE, as data.

    A province policy returns a changed copy (``dataclasses.replace``) from the
    ``btxh_rule_set`` hook; nothing else in the engine needs to change.
    """

    name: str = "Nghị định 20/2021/NĐ-CP"

    first_month: str = "2021-07"
    """§6 step 7: the first month these rules compute; earlier months are refused."""

    feb29_birthday: str = "02-28"
    """§3 CHOICE: someone born on 29 February reaches a new age on 28 February in a common
    year (``"03-01"`` would read it as 1 March)."""

    year_only_birth: str = "01-01"
    """§3 CHOICE (ND 135/2020 Art. 3(3), ND 158/2025 Art. 12): a birth date with only a year
    stands for this day (month-day) of that year."""

    month_only_birth_day: int = 1
    """§3 CHOICE: a birth date with month and year stands for this day of the month."""

    study_age_limit: int = 22
    """§4 CHOICE: "tối đa không quá 22 tuổi" ends at the 22nd birthday, paid through that month
    (§6). It is K2's upper bound (it overrides ``categories.max_age`` of
    ``study_category``) and the limit for a K4 child in education (§6 step 3). A province
    reading it as "while aged 22" sets 23."""

    study_category: str = "K2"
    """§4: the category whose upper bound is ``study_age_limit``."""

    k4_child_age: int = 16
    """§6 step 3: a K4 child counts while age(M−1) < 16 (or is studying, below)."""

    reported_from_age: tuple[tuple[str, int, str], ...] = (("K5b", 80, "K5c"),)
    """§4 K5b row: from the 80th birthday the same K5b membership counts as K5c (same
    coefficient): ``(category, age, reported category)``."""

    single_parent_partners: tuple[str, ...] = ("K5a", "K5b", "K5c", "K5d", "K6", "K8")
    """§6 step 4 (ND 20 Art. 6(2)): categories a K4 parent may receive in addition to K4."""

    single_parent_category: str = "K4"
    """§6 step 4: the single-parent category of the exception."""

    pension_first_month: str = "2025-07"
    """§6 step 6: HTXH (social pension) is payable from this month (ND 176/2025)."""

    pension_tie_keeps: str = "TCXH"
    """§6 step 6 CHOICE: when TCXH and HTXH amounts are equal, the TCXH is kept."""

    funeral_multiple: int = 20
    """§7: funeral support is 20 × the TCXH base of the month of death."""

    funeral_multiple_disaster: int = 50
    """§7 (ND 20 Art. 14): 50 × the base for a death by disaster, fire, epidemic or serious
    accident (``death_cause`` ``"thien_tai"``)."""

    rounding: str = "half_up"
    """Money rule (rules.md preamble): ``base * tenths // 10`` is exact for every national
    base; when a province base makes it inexact the amount is rounded half up to the đồng
    (``"down"`` and ``"up"`` are the other accepted values)."""

    care_child_age: int = 3
    """§5 C3/C4: a child counts while under 36 months (through the month of the 3rd birthday)."""

    local: tuple = field(default=(), compare=False)
    """Free slot for a province policy's own parameters (not read by the engine)."""

    def __post_init__(self):
        parse_month(self.first_month)
        parse_month(self.pension_first_month)
        if self.feb29_birthday not in ("02-28", "03-01"):
            raise ValueError("feb29_birthday phải là '02-28' hoặc '03-01'")
        if self.rounding not in ("half_up", "down", "up"):
            raise ValueError("rounding phải là 'half_up', 'down' hoặc 'up'")
        if self.pension_tie_keeps not in ("TCXH", "HTXH"):
            raise ValueError("pension_tie_keeps phải là 'TCXH' hoặc 'HTXH'")
        month, day = (int(p) for p in self.year_only_birth.split("-"))
        dt.date(2001, month, day)

    @cached_property
    def first_month_index(self) -> int:
        return parse_month(self.first_month)

    @cached_property
    def pension_first_month_index(self) -> int:
        return parse_month(self.pension_first_month)

    @cached_property
    def feb29(self) -> tuple[int, int]:
        return tuple(int(p) for p in self.feb29_birthday.split("-"))

    @cached_property
    def year_only(self) -> tuple[int, int]:
        return tuple(int(p) for p in self.year_only_birth.split("-"))

    def resolve_birth(self, birth: PartialDate) -> dt.date:
        """The day a (possibly partial) birth date stands for under this rule set (§3)."""
        return birth.resolve(self.year_only, self.month_only_birth_day)

    def money(self, base: int, tenths: int) -> int:
        """``base × tenths / 10`` in đồng, rounded as :attr:`rounding` says."""
        whole, rest = divmod(base * tenths, 10)
        if self.rounding == "half_up":
            return whole + (rest >= 5)
        if self.rounding == "up":
            return whole + (rest > 0)
        return whole


NATIONAL = RuleSet()
