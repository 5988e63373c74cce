"""XLSX, XLSM, ODS and legacy XLS (BIFF8) through python-calamine (fast, reads all four).

Cells come back as Python values: str, int/float (numbers, also Excel date serials in
cells without a date format), datetime.date/datetime (date-formatted cells), bool.
Merged ranges (XLSX, XLS) are kept so header rows can be read as a person sees them.
"""

from __future__ import annotations

import io

import python_calamine

from . import OLE_MAGIC, FileRefused, Sheet, Workbook, limits

BROKEN = ("tệp bị hỏng hoặc không đầy đủ (có thể tải về hoặc sao chép chưa xong). Hãy mở tệp bằng "
          "Excel, lưu lại rồi nhập lại. Không có gì được ghi.")


def parse(data: bytes, name: str) -> Workbook:
    fmt = "xls" if data.startswith(OLE_MAGIC) else ("ods" if name.lower().endswith(".ods") else "xlsx")
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        limits.check_sheet_count(name, len(book.sheet_names))
        sheets = []
        for sheet_name in book.sheet_names:
            sheet = book.get_sheet_by_name(sheet_name)
            # XLSX/ODS were measured before (limits.check_zip); an XLS grid is at most 65,536 × 256
            # in calamine's own cells: refuse it here, before it becomes Python rows
            limits.check_extent(name, sheet_name, sheet.height, sheet.width)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            sheets.append(Sheet(sheet_name, rows, list(sheet.merged_cell_ranges or [])))
    except FileRefused:
        raise
    except python_calamine.PasswordError as e:
        raise FileRefused(f"«{name}»: tệp có mật khẩu; hãy bỏ mật khẩu rồi nhập lại. "
                          "Không có gì được ghi.") from e
    except Exception as e:  # ZipError, XmlError, CalamineError, …: all mean "cannot read it"
        raise FileRefused(f"«{name}»: {BROKEN} (chi tiết: {e})") from e
    return Workbook(name, fmt, sheets)
