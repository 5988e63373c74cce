"""CSV (comma, semicolon or tab separated) as saved by Excel or LibreOffice.

Only Unicode is accepted: UTF-8 (with or without BOM) or UTF-16 (Excel's "Unicode
Text"). A file in a legacy Vietnamese 8-bit encoding (TCVN3/ABC, VNI) is refused with
instructions to convert it; see ``btxh.importing.cells.legacy_encoding``.
"""

from __future__ import annotations

import csv
import io

from . import FileRefused, Sheet, Workbook, limits

CONVERT_HOW = ("Hãy chuyển sang Unicode: mở Unikey → «Công cụ…» (Ctrl+Shift+F6) → Bảng mã nguồn: {src}, "
               "Bảng mã đích: Unicode → «Chuyển mã»; hoặc mở tệp bằng Excel và lưu lại dạng "
               "«CSV UTF-8» hay «Excel Workbook (.xlsx)». Không có gì được ghi.")


def legacy_refusal(name: str, encoding: str) -> FileRefused:
    src = "TCVN3 (ABC)" if encoding == "TCVN3" else "VNI Windows"
    return FileRefused(f"«{name}»: tệp dùng bảng mã cũ {src}, không phải Unicode: chữ tiếng Việt sẽ bị sai. "
                       + CONVERT_HOW.format(src=src))


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from btxh.importing.cells import legacy_encoding  # noqa: PLC0415

    found = legacy_encoding(data.decode("cp1252", errors="replace"))
    if found:
        raise legacy_refusal(name, found)
    raise FileRefused(f"«{name}»: không đọc được tệp: không phải văn bản Unicode (UTF-8). "
                      "Hãy mở bằng Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)». Không có gì được ghi.")


def parse(data: bytes, name: str) -> Workbook:
    text = _decode(data, name)
    if "\x00" in text:
        raise FileRefused(f"«{name}»: không phải tệp CSV hay Excel (có byte nhị phân). Không có gì được ghi.")
    first = text.split("\n", 20)[:20]
    sample = "\n".join(first)
    delimiter = max((";", ",", "\t"), key=lambda d: sum(line.count(d) for line in first))
    if not any(d in sample for d in ";,\t"):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > limits.MAX_ROWS or len(row) > limits.MAX_COLUMNS:
                limits.check_extent(name, None, len(rows), len(row))
    except csv.Error as e:
        raise FileRefused(f"«{name}», dòng {reader.line_num}: dấu ngoặc kép không đóng hoặc dòng không đọc "
                          f"được ({e}); tệp có thể bị cắt cụt. Không có gì được ghi.") from e
    return Workbook(name, "csv", [Sheet(None, rows)])
