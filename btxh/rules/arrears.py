"""Arrears (truy lĩnh) and recovery (truy thu), rules.md §8. Pure: amounts in, lines out.

A payroll run for month M pays what is due for M plus, for every earlier month m, the
difference between ``due(m)`` as recomputed now and what was paid for m: a positive
difference is a truy lĩnh line, a negative one a truy thu line that is reported, never
deducted silently. Whatever caused the difference (a late decision, a lifted suspension, a
base level added afterwards, a corrected birth date or category) the arithmetic is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from . import text
from .dates import as_month, month_str

ARREARS = "truy_linh"
RECOVERY = "truy_thu"


@dataclass(frozen=True, slots=True)
class ArrearsLine:
    """One ledger line: ``amount`` is positive for truy lĩnh and negative for truy thu."""

    program: str
    month: str
    kind: str
    amount: int
    due: int
    paid: int
    reason: str


def arrears(due: Mapping, paid: Mapping, *, before: int | str, program: str = "TCXH") -> list[ArrearsLine]:
    """Lines for every month earlier than ``before`` where recomputed ``due`` differs from ``paid``.

    ``due`` and ``paid`` map months (index or ``YYYY-MM``) to đồng; a month missing from one
    side counts as 0 there. Lines come in month order.
    """
    limit = as_month(before)
    due_by = _by_month(due)
    paid_by = _by_month(paid)
    lines = []
    for m in sorted(set(due_by) | set(paid_by)):
        if m >= limit:
            continue
        owed, given = due_by.get(m, 0), paid_by.get(m, 0)
        difference = owed - given
        if difference == 0:
            continue
        lines.append(ArrearsLine(program, month_str(m), ARREARS if difference > 0 else RECOVERY,
                                 difference, owed, given, _reason(m, owed, given, difference)))
    return lines


def totals(lines) -> tuple[int, int]:
    """(total truy lĩnh, total truy thu as a positive number)."""
    plus = sum(line.amount for line in lines if line.amount > 0)
    minus = -sum(line.amount for line in lines if line.amount < 0)
    return plus, minus


def _by_month(amounts: Mapping) -> dict[int, int]:
    out: dict[int, int] = {}
    for month, amount in amounts.items():
        if isinstance(amount, float):
            raise TypeError("số tiền phải là số nguyên đồng, không dùng số thực")
        key = as_month(month)
        out[key] = out.get(key, 0) + int(amount)
    return out


def _reason(m: int, owed: int, given: int, difference: int) -> str:
    if difference > 0:
        return (f"Truy lĩnh tháng {text.month(m)}: phải trả {text.money(owed)} (tính lại), "
                f"đã trả {text.money(given)}, còn thiếu {text.money(difference)}.")
    return (f"Truy thu tháng {text.month(m)}: đã trả {text.money(given)}, phải trả {text.money(owed)} "
            f"(tính lại), trả thừa {text.money(-difference)} — báo cáo để thu hồi, không tự khấu trừ.")
