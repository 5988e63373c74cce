"""Communes and villages named in a file → 2025 units (docs/decisions/002, 011).

A commune is given by code or by name, before or after the 2025 reorganisation. A code
is read as a 2025 code unless the column says "cũ" (old) or no 2025 commune has it; an old
commune is carried to its 2025 successor through ``commune_succession``. An old commune
divided between several new ones is resolved only when the file's commune (``--commune``)
is one of them: otherwise the row is refused, never guessed (ADR 002's "suggestion").
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlite_utils import Database

from .cells import fold, text

_PREFIX = re.compile(r"^(xa|phuong|thi tran|dac khu)\s+")
VILLAGE_KINDS = (("to dan pho", "Tổ dân phố"), ("tdp", "Tổ dân phố"), ("khu pho", "Khu phố"),
                 ("thon", "Thôn"), ("ban", "Bản"), ("ap", "Ấp"))


def _bare(name: str) -> str:
    return _PREFIX.sub("", fold(name))


class Units:
    """Reference units read once per import."""

    def __init__(self, db: Database):
        self.communes = {code: (name, province) for code, name, province in
                         db.execute("SELECT code, name, province_code FROM communes")}
        self.legacy = {code: (name, district) for code, name, district in
                       db.execute("SELECT code, name, district_code FROM legacy_communes")}
        self.districts = {code: name for code, name in db.execute("SELECT code, name FROM legacy_districts")}
        self.successors: dict[str, list[tuple[str, int]]] = {}
        for old, new, primary in db.execute(
                "SELECT legacy_commune_code, commune_code, is_primary FROM commune_succession"):
            self.successors.setdefault(old, []).append((new, primary))
        self.by_name: dict[str, list[str]] = {}
        for code, (name, _) in self.communes.items():
            self.by_name.setdefault(_bare(name), []).append(code)
        self.legacy_by_name: dict[str, list[str]] = {}
        for code, (name, _) in self.legacy.items():
            self.legacy_by_name.setdefault(_bare(name), []).append(code)
        self._cache: dict[tuple, tuple] = {}

    def province_of(self, commune: str) -> str:
        return self.communes[commune][1]

    def resolve(self, value, *, default: str | None, legacy_column: bool = False,
                district: str = "") -> tuple[str | None, str | None, str | None]:
        """(2025 commune code, legacy commune code or None, problem or None)."""
        key = (text(value), default, legacy_column, district)
        if key not in self._cache:
            self._cache[key] = self._resolve(text(value), default, legacy_column, district)
        return self._cache[key]

    def _resolve(self, value: str, default, legacy_column: bool, district: str):
        if not value:
            if default:
                return default, None, None
            return None, None, "trống: ghi mã hoặc tên xã, hoặc chọn xã của cả tệp (--commune)"
        if value.isdigit():
            code = value.zfill(5)
            if not legacy_column and code in self.communes:
                return code, None, None
            if code in self.legacy:
                return self._carry(code, default, value)
            return None, None, f"mã xã «{value}» không có trong danh mục (cả trước và sau 01/07/2025)"
        bare = _bare(value)
        province = self.province_of(default) if default else None
        if not legacy_column:
            found = [c for c in self.by_name.get(bare, []) if province is None or self.communes[c][1] == province]
            if default in found:
                return default, None, None
            if len(found) == 1:
                return found[0], None, None
            if len(found) > 1:
                return None, None, (f"có {len(found)} xã mang tên «{value}» ({', '.join(sorted(found))}): "
                                    "ghi mã xã thay cho tên")
        olds = self.legacy_by_name.get(bare, [])
        if district:
            olds = [c for c in olds if _bare(self.districts.get(self.legacy[c][1], "")).endswith(
                _PREFIX.sub("", re.sub(r"^(huyen|quan|thi xa|thanh pho)\s+", "", fold(district))))]
        if province is not None:
            olds = [c for c in olds if any(self.communes[n][1] == province for n, _ in self.successors.get(c, []))]
        if len(olds) == 1:
            return self._carry(olds[0], default, value)
        if len(olds) > 1:
            return None, None, (f"có {len(olds)} xã cũ mang tên «{value}» ({', '.join(sorted(olds))}): "
                                "ghi mã xã, hoặc thêm cột «Huyện»")
        return None, None, f"không có xã «{value}» trong danh mục (cả trước và sau 01/07/2025)"

    def _carry(self, old: str, default, value: str):
        news = self.successors.get(old, [])
        codes = [n for n, _ in news]
        if len(codes) == 1:
            return codes[0], old, None
        if default in codes:
            return default, old, None
        names = ", ".join(f"{c} {self.communes[c][0]}" for c in sorted(codes))
        return None, old, (f"xã cũ «{value}» ({self.legacy[old][0]}) đã được chia cho nhiều xã mới ({names}): "
                           "chọn xã của tệp (--commune) để biết người này thuộc xã nào")


@lru_cache(maxsize=65536)
def village_parts(value: str) -> tuple[str, str]:
    """"Thôn Đông" → ("Thôn", "Đông"); "Xóm 3" → ("Thôn", "Xóm 3"); the first part of an address."""
    value = text(value).split(",")[0].strip()
    folded = fold(value)
    for prefix, kind in VILLAGE_KINDS:
        if folded.startswith(prefix + " ") and len(folded) > len(prefix) + 1:
            words = len(prefix.split()) if prefix != "tdp" else 1
            return kind, " ".join(value.split()[words:])
    return "Thôn", value


def village_key(name: str) -> str:
    return fold(name)
