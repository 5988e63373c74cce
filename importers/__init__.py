"""Source formats: each module parses one kind of file into plain rows (pure, no database).

``read(data, filename)`` picks the module by the file's first bytes (not only its name):
XLSX/ODS are ZIP archives, legacy XLS is an OLE2 compound file, anything else is read as
delimited text (CSV). Hostile files (too big, zip bombs, a cell at XFD1048576) are refused
by ``limits`` before any reader allocates for them. Every module returns a :class:`Workbook` — sheets of rows of raw
cell values, row and column indices as in the file (0-based) — or raises
:class:`FileRefused` with a Vietnamese message naming the file. What the rows *mean*
(headers, dates, categories, communes) is decided in ``btxh.importing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileRefused(ValueError):
    """The whole file cannot be read; the message is for staff (Vietnamese)."""


@dataclass
class Sheet:
    name: str | None  # None for CSV (a file with no sheets)
    rows: list[list]  # rows[i][j]: the cell of file row i+1, column j (0-based), "" when empty
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


@dataclass
class Workbook:
    filename: str
    format: str  # "xlsx" | "xls" | "ods" | "csv"
    sheets: list[Sheet]


def read(data: bytes, filename: str) -> Workbook:
    """Parse a file's bytes; the format comes from its magic bytes, then its extension."""
    from . import delimited, excel, limits  # noqa: PLC0415 (keeps `import importers` cheap)

    name = PurePath(filename).name
    if not data:
        raise FileRefused(f"«{name}»: tệp rỗng (0 byte). Không có gì được ghi.")
    limits.check_size(len(data), name)
    if data.startswith(ZIP_MAGIC):
        limits.check_zip(data, name)  # before calamine allocates anything (issue 11)
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC):
        return excel.parse(data, name)
    suffix = PurePath(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise FileRefused(f"«{name}»: không phải tệp Excel hợp lệ (phần đầu tệp không đúng định dạng "
                          f"{suffix[1:].upper()}; tệp có thể bị hỏng hoặc chỉ đổi tên đuôi). "
                          "Không có gì được ghi.")
    return delimited.parse(data, name)
