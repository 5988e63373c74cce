"""Cell values as offices type them → plain values, or a Vietnamese explanation. Pure.

Dates arrive as text (dd/mm/yyyy, mm/yyyy, yyyy, with /, - or . between), as numbers
(a year, or an Excel date serial in a cell without a date format) or as dates (a
date-formatted cell). Birth dates may be partial (rules.md §3); the parsing of text
reuses ``btxh.cases.parse_birth`` so the web form and the import say the same thing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from ..cases import check_cccd, parse_birth
from ..rules.dates import PartialDate

EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_RANGE = (2, 80000)  # 1900-01-01 … 2119: beyond that a number is not a date serial

# Characters that Vietnamese Unicode text never contains but that TCVN3 (ABC) text,
# read as Windows-1252/Latin-1, is full of ("NguyÔn V¨n" = Nguyễn Văn, "Hä vµ tªn").
TCVN3_ONLY = set("µ¶·¸¹¨¼½¾©®ª¬ÆÇËÎÏÐÑ×ØÜÞßæç÷þ¡¢£¤¥¦§±²³´")
# Characters of VNI Windows text read as Windows-1252 that Vietnamese Unicode never has
# ("Nguyeãn Vaên", "Tröôøng", "Ñoã"); å, ä, ë, ï, ö, ø, û, ü, ñ are shared with TCVN3.
VNI_ONLY = set("åäëïöøûüñÑÖØÛÏÅÄËÜ")
_VNI_PAIR = re.compile(r"[aeouyAEOUY][ùøûõïâêôöùåäã]|[oO]ô|[uU]ö")


def text(value) -> str:
    """A cell as NFC text with single spaces; numbers without a trailing .0."""
    if value.__class__ is str:
        if not value:
            return ""
        if (value[0] != " " and value[-1] != " " and "  " not in value and "\n" not in value
                and "\t" not in value and (value.isascii() or unicodedata.is_normalized("NFC", value))):
            return value
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = (value.date() if isinstance(value, dt.datetime) else value).strftime("%d/%m/%Y")
    s = str(value)
    if s.isascii():
        return " ".join(s.split())
    return unicodedata.normalize("NFC", " ".join(s.split()))


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Lower case, no diacritics, đ → d, single spaces: for matching headers and labels."""
    s = unicodedata.normalize("NFD", value.lower().replace("đ", "d").replace("Đ", "d"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


def legacy_weight(value: str) -> int:
    """How strongly a text looks like TCVN3/VNI: distinctive characters plus VNI letter pairs."""
    return sum(1 for c in value if c in TCVN3_ONLY or c in VNI_ONLY) + len(_VNI_PAIR.findall(value))


def legacy_encoding(value: str) -> str | None:
    """'TCVN3' or 'VNI' when a text looks like legacy 8-bit Vietnamese read as Latin-1."""
    chars = set(value)
    if chars & TCVN3_ONLY:
        return "TCVN3"
    if chars & VNI_ONLY or len(_VNI_PAIR.findall(value)) >= 2:
        return "VNI"
    return None


class _Collect:
    """Stands in for btxh.cases' problem list: keeps the explanation only."""

    def __init__(self):
        self.items: list[str] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(message)


_SEP = re.compile(r"[.\-]")
_SERIAL_TEXT = re.compile(r"\d{5}(\.0+)?\Z")


def _serial(number: float) -> dt.date | None:
    if not number.is_integer() or not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def partial_date(value) -> tuple[PartialDate | None, str | None]:
    """A birth date cell → (PartialDate, None) or (None, explanation)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return PartialDate(value.year, value.month, value.day), None
    if isinstance(value, bool):
        return None, f"«{value}» không phải ngày"
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 1880 <= value <= 2100:
            return PartialDate(int(value)), None
        day = _serial(float(value))
        if day is None:
            return None, f"«{text(value)}» không phải năm sinh hay ngày tháng năm"
        return PartialDate(day.year, day.month, day.day), None
    s = text(value)
    if _SERIAL_TEXT.match(s):
        return partial_date(float(s))
    if not s.isascii() or len(s) > 10:
        return None, f"«{s}» không đúng dạng: nhập ngày/tháng/năm, tháng/năm hoặc năm"
    collect = _Collect()
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", s):
        s = _SEP.sub("/", s)
    found = parse_birth(collect, s)
    if collect.items:
        return None, collect.items[0].replace("chưa nhập", "trống")
    return found, None


def full_date(value) -> tuple[dt.date | None, str | None]:
    """A date that must name the day (a decision's date)."""
    found, problem = partial_date(value)
    if problem:
        return None, problem
    if found.precision != "day":
        return None, f"«{text(value)}» thiếu ngày: cần đủ ngày/tháng/năm (ví dụ 05/09/2025)"
    return dt.date(found.year, found.month, found.day), None


_MONEY_TEXT = re.compile(r"\d{1,3}([.,\s]\d{3})+\Z|\d+\Z")


def money(value) -> tuple[int | None, str | None]:
    """An amount in đồng: 1250000, 1.250.000, "1,250,000 đ" → int; never a float."""
    if isinstance(value, bool):
        return None, f"«{value}» không phải số tiền"
    if isinstance(value, (int, float)):
        if float(value).is_integer() and value >= 0:
            return int(value), None
        return None, f"«{text(value)}» không phải số tiền nguyên (đồng)"
    s = text(value).lower().replace("đồng", "").replace("đ", "").replace("vnd", "").strip()
    if _MONEY_TEXT.match(s):
        return int(re.sub(r"\D", "", s)), None
    return None, f"«{text(value)}» không phải số tiền (chỉ chữ số, ví dụ 750000 hoặc 750.000)"


def whole(value, low: int, high: int) -> tuple[int | None, str | None]:
    """A small whole number (months, a year) in [low, high]."""
    s = text(value)
    if re.fullmatch(r"\d+", s) and low <= int(s) <= high:
        return int(s), None
    if re.fullmatch(r"\d+", s):
        return None, f"«{s}» phải từ {low} đến {high}"
    return None, f"«{s}» không phải số nguyên"


def id_number(value, birth: PartialDate | None, sex: str | None) -> tuple[str | None, str | None, str | None, list[str]]:
    """CCCD (12 digits) or old CMND (9 digits) → (cccd, cmnd, problem, warnings)."""
    s = text(value).replace(" ", "").replace(".", "")
    if isinstance(value, float) and not value.is_integer():
        return None, None, f"«{text(value)}» không phải số định danh", []
    if s.isdigit() and len(s) == 9:
        return None, s, None, []
    collect = _Collect()
    warnings = check_cccd(collect, s, birth, sex or "")
    if collect.items:
        problem = f"«{text(value)}»: {collect.items[0]}"
        if s.isdigit() and len(s) == 11:
            problem += ("; có thể Excel đã bỏ số 0 ở đầu — hãy định dạng cột là «Text» (Văn bản) "
                        "và nhập lại đủ 12 chữ số")
        return None, None, problem, []
    return s, None, None, warnings
