"""One case, one month: rules.md §6 steps 1–7, with §7's funeral support for the calc contract.

Build an :class:`Engine` once (coefficients, base levels, rule set), then call
``engine.evaluate(case, "2025-03")`` or ``engine.evaluate_months(case, months)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import text
from .bands import Coefficients
from .dates import (age_at_month_end, age_on, as_month, birthday_month, first_day, month_of,
                    month_str)
from .model import NATIONAL, Case, Membership, MonthResult, RuleError, RuleSet
from .pension import funeral_support, pension
from .rates import NATIONAL as VN
from .rates import BaseLevels


@dataclass(frozen=True)
class Engine:
    """The tables, indexed once, and the rule set: everything a month needs but the case."""

    coefficients: Coefficients
    base_levels: BaseLevels
    rules: RuleSet = NATIONAL

    def evaluate(self, case: Case, month: int | str) -> MonthResult:
        """What ``case`` gets for ``month`` (index or ``YYYY-MM``); RuleError before the rule set."""
        return _evaluate(case, _Person(case, self.rules), as_month(month), self)

    def evaluate_months(self, case: Case, months) -> list[MonthResult]:
        """:meth:`evaluate` for several months, in the order given."""
        person = _Person(case, self.rules)
        return [_evaluate(case, person, as_month(m), self) for m in months]


class _Person:
    """What does not change from month to month: the resolved birth date, death month."""

    __slots__ = ("birth", "born", "died", "note")

    def __init__(self, case: Case, rules: RuleSet):
        self.birth = rules.resolve_birth(case.birth)
        self.born = month_of(self.birth)
        self.died = month_of(case.death) if case.death else None
        self.note = text.partial_birth(case.birth, self.birth) if case.birth.precision != "day" else ""


@dataclass(frozen=True, slots=True)
class _Payable:
    code: str  # as reported (K5b at 80 reports K5c)
    tenths: int
    order: int
    text: str
    note: str = ""


def _evaluate(case: Case, person: _Person, m: int, engine: Engine) -> MonthResult:
    rules = engine.rules
    if m < rules.first_month_index:
        raise RuleError(f"Tháng {text.month(m)} trước tháng {text.month(rules.first_month_index)}: "
                        f"bộ quy tắc {rules.name} không tính các tháng trước đó.")
    base = engine.base_levels.lookup("TCXH", m, case.province)
    base_amount = base.amount if base else 0

    def result(program, amount, tenths, shown_base, basis, funeral, reasons, tcxh=0, htxh=0):
        reason = " ".join(r for r in (*reasons, person.note) if r)
        return MonthResult(case.id, month_str(m), program, amount, tenths, shown_base, basis, funeral,
                           reason, tcxh, htxh, bool(person.note))

    if m < person.born:
        return result("TCXH", 0, None, base_amount, (), 0, [f"Chưa sinh (ngày sinh {text.day(person.birth)})."])
    if person.died is not None and m > person.died:
        return result("TCXH", 0, None, base_amount, (), 0, [
            f"Đã chết từ tháng {text.month(person.died)} (ngày {text.day(case.death)}): "
            f"thôi hưởng từ tháng {text.month(person.died + 1)}."])
    feb29 = rules.feb29
    age = age_on(person.birth, case.death, feb29) if person.died == m else age_at_month_end(person.birth, m, feb29)
    age_prev = age_at_month_end(person.birth, m - 1, feb29)

    refusals, payable = [], {}
    blocked = _decision_refusal(case, m)
    if base is None:
        refusals.append(f"Chưa có mức chuẩn trợ giúp xã hội cho tháng {text.month(m)}.")
    elif blocked:
        refusals.append(blocked)
    else:
        for membership in case.memberships:
            outcome = _membership(case, membership, m, age, age_prev, person, engine)
            if isinstance(outcome, str):
                refusals.append(outcome)
            elif outcome.code not in payable or outcome.tenths > payable[outcome.code].tenths:
                payable[outcome.code] = outcome
    chosen, others = _highest(payable, rules)
    tcxh = rules.money(base_amount, chosen[0]) if chosen else 0

    htxh, pension_base, pension_note = pension(case, m, engine.base_levels, rules)
    reasons = []
    if chosen:
        reasons.append(f"{chosen[2]} × mức chuẩn {text.money(base_amount)}{_where(base)} = {text.money(tcxh)}.")
        reasons += [p.note for p in payable.values() if p.code in chosen[1] and p.note]
        if others:
            reasons.append("Chỉ hưởng một mức cao nhất (Điều 6 khoản 2); không hưởng thêm: "
                           + ", ".join(f"{p.code} ({text.coef(p.tenths)})" for p in others) + ".")
        if refusals:
            reasons.append("Không tính: " + " ".join(refusals))
    elif not case.memberships:
        reasons.append("Hồ sơ không có diện hưởng trợ cấp xã hội hằng tháng nào.")
    else:
        reasons.append(f"Không có diện nào được hưởng trong tháng {text.month(m)}: " + " ".join(refusals))

    pension_wins = htxh > 0 and (htxh > tcxh or (htxh == tcxh and rules.pension_tie_keeps == "HTXH"))
    if htxh and pension_wins:
        reasons.insert(0, f"Hưởng trợ cấp hưu trí xã hội {text.money(htxh)}{_where(pension_base)}"
                          + (f", cao hơn trợ cấp xã hội {text.money(tcxh)}; không hưởng đồng thời." if chosen else "."))
    elif htxh and chosen:
        word = "bằng" if htxh == tcxh else "thấp hơn"
        reasons.append(f"Trợ cấp hưu trí xã hội {text.money(htxh)} {word} trợ cấp xã hội: giữ trợ cấp xã hội"
                       " (không hưởng đồng thời).")
    elif pension_note:
        reasons.append(pension_note)

    funeral = 0
    if person.died == m:
        funeral, note = funeral_support(case, bool(chosen) or htxh > 0, base_amount, rules)
        reasons.append(note)
    if pension_wins:
        return result("HTXH", htxh, None, htxh, (), funeral, reasons, tcxh, htxh)
    if chosen:
        return result("TCXH", tcxh, chosen[0], base_amount, chosen[1], funeral, reasons, tcxh, htxh)
    return result("TCXH", 0, None, base_amount, (), funeral, reasons, 0, htxh)


def _decision_refusal(case: Case, m: int) -> str:
    decision = case.decision
    if decision is None:
        return ""
    if decision.stop is not None and decision.stop <= decision.start:
        return (f"Quyết định có tháng thôi hưởng ({text.month(decision.stop)}) không sau tháng bắt đầu: "
                "không chi trả tháng nào.")
    if m < decision.start:
        return f"Chưa đến tháng bắt đầu hưởng theo quyết định ({text.month(decision.start)})."
    if decision.stop is not None and m >= decision.stop:
        return f"Đã thôi hưởng theo quyết định từ tháng {text.month(decision.stop)}."
    return ""


def _membership(case: Case, ms: Membership, m: int, age: int, age_prev: int, person: _Person,
                engine: Engine) -> _Payable | str:
    """Step 1–3 for one membership: a payable coefficient, or why not (a sentence)."""
    rules, code = engine.rules, ms.category
    category = engine.coefficients.category(code)
    name = text.describe(code, ms.level, category)
    if category is None:
        return f"{name}: không có trong danh mục."
    if m < month_of(ms.start):
        return f"{name}: chưa đến tháng bắt đầu của diện ({text.month(month_of(ms.start))})."
    if ms.end is not None and m > month_of(ms.end):
        return f"{name}: đã hết hạn từ tháng {text.month(month_of(ms.end) + 1)}."
    lower = category.min_age
    upper = rules.study_age_limit if code == rules.study_category else category.max_age
    if lower is not None and age < lower:
        since = birthday_month(person.birth, lower, rules.feb29)
        return f"{name}: chưa đủ {lower} tuổi (đủ {lower} tuổi vào tháng {text.month(since)})."
    if upper is not None and age_prev >= upper:
        reached = birthday_month(person.birth, upper, rules.feb29)
        return (f"Hết tuổi hưởng diện {code} từ tháng {text.month(reached + 1)} "
                f"(đủ {upper} tuổi vào tháng {text.month(reached)}).")
    note = ""
    band_age = age
    if upper is not None and age >= upper:
        band_age = upper - 1
        note = (f"Tháng {text.month(m)} là tháng đủ {upper} tuổi: vẫn hưởng diện {code} tháng này, "
                f"thôi từ tháng {text.month(m + 1)}.")
    band = engine.coefficients.band(code, ms.level, band_age, m)
    if band is None:
        return f"{name}: chưa có hệ số áp dụng cho tháng {text.month(m)}."
    if category.condition is not None and not category.condition(case, ms, m, age):
        return f"{name}: không đáp ứng điều kiện ({category.condition_text or 'điều kiện của chính sách địa phương'})."
    if band.per_child:
        count, child_note = _children(ms, m, rules)
        if not count:
            return (f"{name}: không còn con nào đủ điều kiện (dưới {rules.k4_child_age} tuổi, hoặc dưới "
                    f"{rules.study_age_limit} tuổi và đang đi học).")
        tenths = band.tenths * count
        return _Payable(code, tenths, category.sort_order,
                        f"{name}, {count} con đủ điều kiện{child_note}: hệ số {text.coef(tenths)}", note)
    reported = code
    for source, at_age, target in rules.reported_from_age:
        if code == source and age >= at_age:
            reported = target
            note = f"Diện {source} từ đủ {at_age} tuổi được tính là diện {target} (cùng hệ số)."
    shown = engine.coefficients.category(reported) or category
    return _Payable(reported, band.tenths, shown.sort_order,
                    f"{text.describe(reported, ms.level, shown)}, {age} tuổi: hệ số {text.coef(band.tenths)}", note)


def _children(ms: Membership, m: int, rules: RuleSet) -> tuple[int, str]:
    """Step 3: how many of a K4 membership's children qualify in month m."""
    count, notes, first = 0, [], first_day(m)
    for number, child in enumerate(ms.children, 1):
        birth = rules.resolve_birth(child.birth)
        if month_of(birth) > m:
            continue
        prev = age_at_month_end(birth, m - 1, rules.feb29)
        studying = child.studying_until is not None and child.studying_until >= first
        if prev < rules.k4_child_age or (prev < rules.study_age_limit and studying):
            count += 1
            if child.birth.precision != "day":
                notes.append(f"con thứ {number} chỉ có {'năm' if child.birth.precision == 'year' else 'tháng, năm'}"
                             f" sinh, tính từ {text.day(birth)}")
    return count, (" (" + "; ".join(notes) + ")") if notes else ""


def _highest(payable: dict[str, _Payable], rules: RuleSet):
    """Step 4: (tenths, basis, sentence) of the highest candidate, and the payable ones left out."""
    if not payable:
        return None, []
    if len(payable) == 1:
        [only] = payable.values()
        return (only.tenths, (only.code,), only.text), []
    candidates = [(p.tenths, False, p.order, 0, (p.code,), p.text) for p in payable.values()]
    k4 = payable.get(rules.single_parent_category)
    if k4 is not None:
        for p in payable.values():
            if p.code in rules.single_parent_partners:
                candidates.append((k4.tenths + p.tenths, True, p.order, 0, (k4.code, p.code),
                                   f"Đơn thân nuôi con được hưởng thêm diện khác (Điều 6 khoản 2): {k4.text} "
                                   f"cộng {p.text[0].lower()}{p.text[1:]}, tổng hệ số {text.coef(k4.tenths + p.tenths)}"))
    tenths, _, _, _, basis, sentence = min(candidates, key=lambda c: (-c[0], c[1], c[2]))
    others = sorted((p for p in payable.values() if p.code not in basis), key=lambda p: p.order)
    return (tenths, basis, sentence), others


def _where(base) -> str:
    if base is None or base.jurisdiction == VN:
        return ""
    return f" (mức của tỉnh {base.jurisdiction}, cao hơn mức quốc gia)"
