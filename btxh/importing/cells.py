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

import vn_ident

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
    cls = value.__class__
    if cls is int:
        return str(value)
    if cls is float and value.is_integer():
        return str(int(value))
    if cls is dt.datetime:
        value = value.date()
        cls = dt.date
    if cls is dt.date and value.year >= 1000:
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if cls is str:
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
    """A birth date cell → (PartialDate, None) or (None, explanation).

    Cached by value and type: a list repeats the same dates (decision dates above all), and
    the answer is immutable (PartialDate is frozen), so one parse serves every row."""
    try:
        return _partial_date(value)
    except TypeError:  # an unhashable cell: never from our readers, parse it anyway
        return _partial_date.__wrapped__(value)


@lru_cache(maxsize=131072, typed=True)
def _partial_date(value) -> tuple[PartialDate | None, str | None]:
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
    try:
        return _full_date(value)
    except TypeError:
        return _full_date.__wrapped__(value)


@lru_cache(maxsize=131072, typed=True)
def _full_date(value) -> tuple[dt.date | None, str | None]:
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
    if len(s) == 12 and s.isdigit():
        # province, century, sex and birth year are the first six digits: the last six never
        # change the answer, so one check serves every card of the same prefix, year and sex
        item, warnings = _check_prefix(s[:6], birth.year if birth is not None else None, sex or "")
    else:
        collect = _Collect()
        warnings = check_cccd(collect, s, birth, sex or "")
        item = collect.items[0] if collect.items else None
    if item:
        problem = f"«{text(value)}»: {item}"
        if s.isdigit() and len(s) == 11:
            problem += ("; có thể Excel đã bỏ số 0 ở đầu — hãy định dạng cột là «Text» (Văn bản) "
                        "và nhập lại đủ 12 chữ số")
        return None, None, problem, []
    return s, None, None, list(warnings)


@lru_cache(maxsize=65536)
def _check_prefix(prefix: str, birth_year: int | None, sex: str) -> tuple[str | None, tuple[str, ...]]:
    collect = _Collect()
    birth = PartialDate(birth_year) if birth_year is not None else None
    warnings = check_cccd(collect, prefix + "000000", birth, sex)
    return (collect.items[0] if collect.items else None), tuple(warnings)


@lru_cache(maxsize=4096)
def cccd_sex(prefix: str) -> str | None:
    """"nam"/"nu" from a CCCD's fourth digit (its first six digits given), or None."""
    card = vn_ident.parse_cccd(prefix + "000000")
    return card and {"male": "nam", "female": "nu"}.get(str(getattr(card.gender, "value", card.gender)).lower())
