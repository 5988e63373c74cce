"""Report periods and money shown in million đồng (pure).

A period is written ``2026-H1`` (six months to June: the commune reports before 15 June),
``2026-H2`` (to December: before 15 December), ``2026`` (the year) or ``2026-11`` (one
month, for payroll figures). Staff inputs are kept for six-month and annual periods only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


class ReportError(ValueError):
    """A refused report request, worded for staff (Vietnamese)."""


_PERIOD = re.compile(r"^(?P<year>[12]\d{3})(?:-(?:H(?P<half>[12])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    code: str
    first: str  # YYYY-MM
    last: str   # YYYY-MM

    @property
    def months(self) -> list[str]:
        y1, m1 = map(int, self.first.split("-"))
        y2, m2 = map(int, self.last.split("-"))
        return [f"{k // 12:04d}-{k % 12 + 1:02d}" for k in range(y1 * 12 + m1 - 1, y2 * 12 + m2)]

    @property
    def takes_inputs(self) -> bool:
        return len(self.code) == 4 or self.code[5] == "H"

    @property
    def label(self) -> str:
        year = self.code[:4]
        if len(self.code) == 4:
            return f"Năm {year}"
        if self.code[5] == "H":
            return f"6 tháng {'đầu' if self.code[6] == '1' else 'cuối'} năm {year}"
        return f"Tháng {self.code[5:7]}/{year}"


def parse(code: str | None) -> Period:
    """``"2026-H1"`` → Period('2026-H1', '2026-01', '2026-06'); ReportError otherwise."""
    code = (code or "").strip().upper()
    match = _PERIOD.match(code)
    if match is None:
        raise ReportError(f"Kỳ báo cáo «{code}» không hợp lệ: ghi 2026-H1 (6 tháng đầu năm), "
                          "2026-H2 (6 tháng cuối năm), 2026 (cả năm) hoặc 2026-11 (một tháng).")
    year = match["year"]
    if match["half"]:
        first, last = ("01", "06") if match["half"] == "1" else ("07", "12")
        return Period(code, f"{year}-{first}", f"{year}-{last}")
    if match["month"]:
        return Period(code, code, code)
    return Period(code, f"{year}-01", f"{year}-12")


def current(month: str) -> str:
    """The six-month period a month belongs to (the default on the report pages)."""
    return f"{month[:4]}-H{1 if int(month[5:7]) <= 6 else 2}"


_THOUSANDTH = Decimal("0.001")


def million(dong: int) -> Decimal:
    """Integer đồng → million đồng with three decimals, rounded half up (to the thousand đồng).

    Only for presentation: sums are made in đồng first, then rounded once per cell."""
    return (Decimal(int(dong)) / Decimal(1_000_000)).quantize(_THOUSANDTH, rounding=ROUND_HALF_UP)


def scaled(value: int, divisor: int) -> Decimal:
    """kg → tấn (1000), đồng → tỷ đồng (10⁹): three decimals, half up (10b)."""
    return (Decimal(int(value)) / Decimal(divisor)).quantize(_THOUSANDTH, rounding=ROUND_HALF_UP)
