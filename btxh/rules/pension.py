"""The social pension overlap (rules.md §6 step 6) and funeral support (§7, as the calc
contract has it) for one case and month."""

from __future__ import annotations

from . import text
from .dates import month_of
from .model import Case, RuleSet
from .rates import BaseLevels


def pension(case: Case, m: int, base_levels: BaseLevels, rules: RuleSet):
    """Step 6: the HTXH amount payable in m (0 if none), its base row and a note when refused."""
    window = case.social_pension
    if window is None or m < window.start or (window.end is not None and m > window.end):
        return 0, None, ""
    if m < rules.pension_first_month_index:
        return 0, None, (f"Trợ cấp hưu trí xã hội chỉ chi trả từ tháng "
                         f"{text.month(rules.pension_first_month_index)}.")
    base = base_levels.lookup("HTXH", m, case.province)
    if base is None:
        return 0, None, f"Chưa có mức trợ cấp hưu trí xã hội cho tháng {text.month(m)}."
    return base.amount, base, ""


def funeral_support(case: Case, paid: bool, base: int, rules: RuleSet) -> tuple[int, str]:
    """§7 as the calc contract has it: only when TCXH or HTXH was payable in the month of death."""
    stop = text.month(month_of(case.death) + 1)
    if not paid:
        return 0, (f"Chết ngày {text.day(case.death)}, thôi hưởng từ tháng {stop}; không có hỗ trợ mai táng "
                   "vì không hưởng trợ cấp trong tháng chết.")
    if case.death_cause == "thien_tai":
        times, why = rules.funeral_multiple_disaster, " do thiên tai, hỏa hoạn, dịch bệnh hoặc tai nạn nghiêm trọng"
    else:
        times, why = rules.funeral_multiple, ""
    return base * times, (f"Chết ngày {text.day(case.death)}{why}: hỗ trợ mai táng {times} × mức chuẩn "
                          f"{text.money(base)} = {text.money(base * times)}; thôi hưởng từ tháng {stop}.")
