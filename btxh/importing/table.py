"""Finding the header row of a sheet and reading its rows as records. Pure.

Offices put a title, a date and merged group headers above the real header, number the
columns "(1) (2) …" under it and sign below the data. The header row is the row (among
the first 30) whose cells name the most known columns; a cell is read together with the
cell above it, so a two-row header ("Quyết định" merged over "Số" | "Ngày", "Năm sinh"
over "Nam" | "Nữ") is understood, and a header cell merged down over two rows too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from importers import Sheet

from .cells import fold, text

HEADER_SCAN_ROWS = 30
FOOTER_WORDS = ("tong cong", "tong so", "cong ", "nguoi lap", "xac nhan", "ky ten", "thu truong", "ke toan",
                "chu tich", "ngay thang nam")
_NUMBERING = re.compile(r"\(?\s*\d{1,2}\s*\)?\Z")


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # how the column is named in messages when the file has none
    aliases: tuple[str, ...]  # folded header texts
    examples: tuple[str, ...] = ()  # header texts shown when the column is missing


@dataclass
class Problem:
    """One problem, located as precisely as the file allows."""

    file: str
    sheet: str | None
    row: int | None  # 1-based, as Excel shows it
    column: str | None  # the header as written in the file
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [f"«{self.file}»"]
        if self.sheet is not None:
            where.append(f"trang «{self.sheet}»")
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column is not None:
            where.append(f"cột «{self.column}»")
        return ", ".join(where) + ": " + self.message


@dataclass
class Header:
    row: int  # 0-based index of the header row (data starts below)
    columns: dict[str, int]  # field key → column index
    names: dict[int, str]  # column index → header text as written
    problems: list[str] = field(default_factory=list)


def _filled(sheet: Sheet, last: int) -> list[list[str]]:
    """The first rows as text, merged ranges filled with their top-left value."""
    rows = [[text(c) for c in r] for r in sheet.rows[:last]]
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 >= last:
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, last - 1) + 1):
            row = rows[r]
            row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
    return rows


def _key(label: str) -> str:
    return fold(re.sub(r"\([^)]*\)|\[[^]]*\]", " ", label))


def _candidates(rows: list[list[str]], r: int) -> list[tuple[int, list[str], str]]:
    """(column, header keys to try, header text) for row r: "above + own", own, above."""
    own, above = rows[r], rows[r - 1] if r > 0 else []
    out, carried = [], ""
    for c in range(max(len(own), len(above))):
        mine = own[c] if c < len(own) else ""
        up = above[c] if c < len(above) else ""
        if up:
            carried = up
        elif mine:
            up = carried  # a group header merged across without merge information (CSV, some XLS)
        keys = []
        if up and mine and up != mine:
            keys.append(_key(f"{up} {mine}"))
        if mine:
            keys.append(_key(mine))
        elif up:
            keys.append(_key(up))
        shown = f"{up} {mine}" if (up and mine and up != mine and len(keys) and keys[0]) else (mine or up)
        if keys:
            out.append((c, keys, shown))
    return out


def find_header(sheet: Sheet, fields: list[Field]) -> Header | None:
    """The best header row, or None when no row names at least two known columns."""
    rows = _filled(sheet, min(HEADER_SCAN_ROWS, len(sheet.rows)))
    lookup = {alias: f.key for f in fields for alias in f.aliases}
    best = None
    for r in range(len(rows)):
        if rows[r] and all(_NUMBERING.match(c) or not c for c in rows[r]):
            continue  # the "(1) (2) (3) …" row under a header is not a header
        columns: dict[str, list[int]] = {}
        names = {}
        for c, keys, shown in _candidates(rows, r):
            for k in keys:
                if k in lookup:
                    columns.setdefault(lookup[k], []).append(c)
                    names[c] = shown if k == keys[0] else (rows[r][c] if c < len(rows[r]) and rows[r][c] else shown)
                    break
        score = len(columns)
        if score >= 2 and (best is None or score >= best[0]):
            best = (score, r, columns, names)
    if best is None:
        return None
    _, r, columns, names = best
    header = Header(r, {k: v[0] for k, v in columns.items()}, names)
    for key, cols in columns.items():
        if len(cols) > 1:
            shown = " và ".join(f"«{names[c]}»" for c in cols)
            header.problems.append(f"có {len(cols)} cột cùng là {_label(fields, key)}: {shown}; hãy giữ một cột")
    return header


def _label(fields: list[Field], key: str) -> str:
    return next(f"«{f.label}»" for f in fields if f.key == key)


def missing(header: Header, fields: list[Field], required: list[tuple[str, ...]]) -> list[str]:
    """Messages for required fields (each a tuple of alternatives) the header lacks."""
    out = []
    by_key = {f.key: f for f in fields}
    for alternatives in required:
        if not any(k in header.columns for k in alternatives):
            f = by_key[alternatives[0]]
            examples = ", ".join(f"«{a}»" for a in f.examples)
            out.append(f"thiếu cột «{f.label}»" + (f" (có thể đặt tên: {examples})" if examples else ""))
    return out


def is_blank(row: list) -> bool:
    for c in row:
        if c is None or c == "":
            continue
        if c.__class__ is not str or c.strip():
            return False
    return True


def records(sheet: Sheet, header: Header, name_key: str):
    """(row number, {field: raw cell}) for each data row; blank rows, the "(1) (2) …"
    numbering row and the signature footer are skipped. Yields ("blank", n) markers too."""
    width = max(header.columns.values()) + 1
    keys = tuple(header.columns)
    picks = tuple(header.columns.values())
    name_col = header.columns.get(name_key)
    for i in range(header.row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        if is_blank(row):
            yield i + 1, None
            continue
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        name_cell = text(row[name_col]) if name_col is not None else ""
        if _NUMBERING.match(name_cell) and all(_NUMBERING.match(text(c)) or text(c) == "" for c in row):
            continue
        first = next(c for c in row if c is not None and c != "" and (c.__class__ is not str or c.strip()))
        # a number (the STT column) never starts a footer: only text is folded and compared
        if first.__class__ is not int and first.__class__ is not float:
            first = text(first)
            if (fold(first) + " ").startswith(FOOTER_WORDS) and not _NUMBERING.match(first):
                break
        yield i + 1, dict(zip(keys, [row[c] for c in picks]))
