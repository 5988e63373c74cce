"""Vietnamese wording of the reasons a commune officer reads (numbers written the Vietnamese way)."""

from __future__ import annotations

import datetime as dt

from .dates import PartialDate, month_vn

# Short descriptions used inside a reason; a category not listed uses its table label.
# K3 and K8 are never described (HIV status is sensitive, rules.md §10): only the code shows.
SHORT = {
    "K1": "trẻ em không có nguồn nuôi dưỡng",
    "K2": "từ 16 tuổi đang đi học",
    "K4": "đơn thân nghèo nuôi con",
    "K5a": "người cao tuổi hộ nghèo không có người phụng dưỡng",
    "K5b": "người từ 75 tuổi ở vùng đặc biệt khó khăn",
    "K5c": "người từ 80 tuổi không có lương hưu, trợ cấp",
    "K5d": "người cao tuổi được chăm sóc tại cộng đồng",
    "K7": "trẻ em dưới 3 tuổi ở vùng đặc biệt khó khăn",
    ("K6", "DBN"): "khuyết tật đặc biệt nặng",
    ("K6", "NANG"): "khuyết tật nặng",
    "C1": "nhận chăm sóc trẻ em dưới 4 tuổi",
    "C2": "nhận chăm sóc trẻ em từ 4 tuổi hoặc người cao tuổi",
    "C3": "người khuyết tật mang thai hoặc nuôi con dưới 36 tháng",
    "C4": "người khuyết tật mang thai và nuôi con, hoặc nuôi từ hai con dưới 36 tháng",
    "C5": "hộ gia đình chăm sóc người khuyết tật đặc biệt nặng",
    "C6": "nhận chăm sóc người khuyết tật đặc biệt nặng",
    "C7": "nhận chăm sóc trẻ em khuyết tật đặc biệt nặng",
}


def money(amount: int) -> str:
    """``1250000`` → ``"1.250.000 đ"``."""
    return f"{amount:,}".replace(",", ".") + " đ"


def coef(tenths: int) -> str:
    """``25`` → ``"2,5"``."""
    return f"{tenths // 10},{tenths % 10}"


def day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def month(index: int) -> str:
    return month_vn(index)


def describe(code: str, level: str | None, category) -> str:
    """``"Diện K6 (khuyết tật đặc biệt nặng)"``, or just ``"Diện K8"`` for a sensitive category."""
    if category is not None and category.sensitive:
        return f"Diện {code}"
    label = SHORT.get((code, level)) or SHORT.get(code) or (category.label if category else "")
    return f"Diện {code} ({label})" if label else f"Diện {code}"


def partial_birth(birth: PartialDate, resolved: dt.date) -> str:
    """The note every result of a case with a partial birth date carries (§3)."""
    if birth.precision == "year":
        return f"Ngày sinh chỉ có năm, tính từ {day(resolved)} (cần rà soát)."
    return f"Ngày sinh chỉ có tháng và năm, tính từ {day(resolved)} (cần rà soát)."
