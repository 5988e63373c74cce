"""Care support (CSND, ND 20 Art. 20), rules.md §5 and §6 step 8.

Each entitlement C1…C7 is computed on its own, month by month, the way §6 computes a
category: its window, the life of the carer and of the cared-for person, the age bounds of
its category row (C1 < 4, C7 < 16: paid through the month of that birthday), and the band
of its coefficient rows. It is never merged into anyone's TCXH. C3/C4 (the disabled parent)
is paid once, the higher one, per call: pass both spouses' C3/C4 entitlements together to
get one support per couple.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import text
from .dates import (PartialDate, age_at_month_end, age_on, as_month, birthday_month, month_of,
                    month_str, parse_date, parse_partial)
from .model import RuleError, RuleSet
from .month import Engine

PARENT_SUPPORT = ("C3", "C4")


@dataclass(frozen=True, slots=True)
class CareEntitlement:
    """One care support record: the code, its window (dates, inclusive) and the people."""

    code: str
    start: dt.date | str
    end: dt.date | str | None = None
    cared_birth: PartialDate | str | None = None
    cared_death: dt.date | str | None = None
    carer_death: dt.date | str | None = None
    id: str = ""

    def __post_init__(self):
        for name in ("start", "end", "cared_death", "carer_death"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, parse_date(value))
        if isinstance(self.cared_birth, str):
            object.__setattr__(self, "cared_birth", parse_partial(self.cared_birth))


@dataclass(frozen=True, slots=True)
class CareResult:
    id: str
    code: str
    month: str
    amount: int
    tenths: int | None
    base: int
    reason: str


def evaluate_care(entitlements, month: int | str, engine: Engine, province: str | None = None) -> list[CareResult]:
    """One result per entitlement, in order; C3/C4 reduced to the single highest (§5)."""
    m = as_month(month)
    rules = engine.rules
    if m < rules.first_month_index:
        raise RuleError(f"Tháng {text.month(m)} trước tháng {text.month(rules.first_month_index)}: không tính.")
    base = engine.base_levels.lookup("TCXH", m, province)
    amount = base.amount if base else 0
    results = [_one(e, m, amount, engine) for e in entitlements]
    parents = [i for i, r in enumerate(results) if r.code in PARENT_SUPPORT and r.amount > 0]
    if len(parents) > 1:
        keep = max(parents, key=lambda i: (results[i].tenths, -i))
        for i in parents:
            if i != keep:
                r = results[i]
                results[i] = CareResult(r.id, r.code, r.month, 0, None, amount,
                                        f"Chỉ hưởng một mức hỗ trợ cao nhất ({results[keep].code}, "
                                        "một khoản cho mỗi cặp vợ chồng, Điều 20 khoản 2).")
    return results


def _one(e: CareEntitlement, m: int, base: int, engine: Engine) -> CareResult:
    rules = engine.rules
    category = engine.coefficients.category(e.code)
    name = text.describe(e.code, None, category)

    def zero(reason: str) -> CareResult:
        return CareResult(e.id, e.code, month_str(m), 0, None, base, f"{name}: {reason}")

    if category is None or category.program != "CSND":
        return zero("không phải mã hỗ trợ chăm sóc, nuôi dưỡng.")
    if not base:
        return zero(f"chưa có mức chuẩn cho tháng {text.month(m)}.")
    if m < month_of(e.start):
        return zero(f"chưa đến tháng bắt đầu ({text.month(month_of(e.start))}).")
    if e.end is not None and m > month_of(e.end):
        return zero(f"đã hết hạn từ tháng {text.month(month_of(e.end) + 1)}.")
    for who, death in (("Người chăm sóc", e.carer_death), ("Người được chăm sóc", e.cared_death)):
        if death is not None and m > month_of(death):
            return zero(f"{who} đã chết từ tháng {text.month(month_of(death))}.")
    lower, upper = category.min_age, category.max_age
    age = band_age = 0
    note = ""
    if e.cared_birth is not None:
        birth = rules.resolve_birth(e.cared_birth)
        if month_of(birth) > m:
            return zero("người được chăm sóc chưa sinh.")
        cared_dies_now = e.cared_death is not None and month_of(e.cared_death) == m
        age = band_age = (age_on(birth, e.cared_death, rules.feb29) if cared_dies_now
                          else age_at_month_end(birth, m, rules.feb29))
        age_prev = age_at_month_end(birth, m - 1, rules.feb29)
        if lower is not None and age < lower:
            return zero(f"người được chăm sóc chưa đủ {lower} tuổi.")
        if upper is not None and age_prev >= upper:
            reached = birthday_month(birth, upper, rules.feb29)
            return zero(f"hết tuổi hưởng từ tháng {text.month(reached + 1)} (đủ {upper} tuổi vào tháng "
                        f"{text.month(reached)}).")
        if upper is not None and age >= upper:
            band_age = upper - 1
            note = f" Tháng đủ {upper} tuổi: vẫn hưởng tháng này, thôi từ tháng {text.month(m + 1)}."
    elif lower is not None or upper is not None:
        return zero("thiếu ngày sinh của người được chăm sóc.")
    band = engine.coefficients.band(e.code, None, band_age, m)
    if band is None:
        return zero(f"chưa có hệ số áp dụng cho tháng {text.month(m)}.")
    amount = rules.money(base, band.tenths)
    who = f", người được chăm sóc {age} tuổi" if e.cared_birth is not None else ""
    return CareResult(e.id, e.code, month_str(m), amount, band.tenths, base,
                      f"{name}{who}: hệ số {text.coef(band.tenths)} × mức chuẩn {text.money(base)} = "
                      f"{text.money(amount)}.{note}")


def parent_support_code(pregnant: bool, children, month: int | str, rules: RuleSet) -> str | None:
    """§5 C3/C4 from the facts: C4 when pregnant and raising a child under 36 months, or raising
    two or more; C3 when pregnant or raising one; None otherwise (only the higher one).

    A child counts while under ``rules.care_child_age`` years (through the month of that
    birthday, as §6 treats every upper bound). ``children`` are birth dates: dates, PartialDates or strings.
    """
    m = as_month(month)
    young = 0
    for child in children:
        if isinstance(child, str):
            child = parse_partial(child)
        birth = child if isinstance(child, dt.date) else rules.resolve_birth(child)
        if month_of(birth) <= m and age_at_month_end(birth, m - 1, rules.feb29) < rules.care_child_age:
            young += 1
    if (pregnant and young >= 1) or young >= 2:
        return "C4"
    if pregnant or young == 1:
        return "C3"
    return None
