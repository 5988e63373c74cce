"""Forms 10a–10d as CSV and XLSX, laid out as on the official form.

CSV follows the payment lists' conventions (btxh.paylist: UTF-8 with BOM, CRLF, the
form's headers); 10a's CSV adds the cost in đồng beside the cost in million đồng so a
spreadsheet can re-add it exactly. XLSX: the national heading, the form's two header rows
with merged cells ("Trong đó: Nam, Nữ"), number formats (people ``#,##0``, million đồng
``#,##0.000``), indented row labels, A4 portrait.
"""

from __future__ import annotations

import io
from decimal import Decimal

from .. import exports, xlsx
from ..paylist import CONTENT_TYPES, month_label  # noqa: F401  (re-exported for the glue)
from . import forms
from .build import Figures, Row

_DETAILS = {"10a": ("Tổng số (Người)", "Nam (Người)", "Nữ (Người)", "Kinh phí (triệu đồng)")}


def heading(form: forms.Form, fig: Figures) -> list[str]:
    lines = [f"Kỳ báo cáo: {fig.period.label} ({fig.period.first} đến {fig.period.last})",
             f"Đơn vị: {fig.where.label}"]
    if fig.snapshot:
        lines.append(f"Số người tính tại {month_label(fig.snapshot).lower()} (tháng cuối kỳ có bảng lương); "
                     "kinh phí cộng mọi tháng trong kỳ.")
    else:
        lines.append("Chưa có bảng lương nào trong kỳ: số liệu từ sổ chi trả để trống.")
    return lines


def filename(form: forms.Form, fig: Figures, fmt: str) -> str:
    unit = fig.where.communes[0] if fig.where.communes and len(fig.where.communes) == 1 else (
        fig.where.province or "toan-quoc")
    return f"mau-{form.code}-{fig.period.code}-{unit}.{fmt}"


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    return "" if value is None else value


def to_csv(form: forms.Form, fig: Figures, rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = exports.csv_writer(out)  # formula-like text prefixed with '
    header = list(form.columns)
    if form.code == "10a":
        header.append("Kinh phí (đồng)")
    writer.writerow(header)
    for row in rows:
        values = [row.stt, row.label, *[_plain(v) for v in row.values(form)]]
        if form.code == "10a":
            values.append(row.shown("amount"))
        writer.writerow(values)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(form: forms.Form, fig: Figures, rows: list[Row]) -> bytes:
    sheet = xlsx.Sheet(f"Mau {form.code}", f"{form.subtitle}: {form.title.capitalize()} — {fig.period.label}")
    put, centre = sheet.put, sheet.centre
    ncols = len(form.columns)

    put(1, 1, fig.where.label.upper(), to=2, bold=True, align=centre)
    put(1, 3, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", to=ncols, bold=True, align=centre)
    put(2, 3, "Độc lập - Tự do - Hạnh phúc", to=ncols, bold=True, align=centre)
    put(3, ncols, form.subtitle, italic=True, align=sheet.align(horizontal="right"))
    put(4, 1, form.title, to=ncols, bold=True, size=13, align=centre)
    r = 5
    for text in heading(form, fig):
        put(r, 1, text, to=ncols, italic=True, align=centre)
        r += 1
    head = r + 1
    # two header rows: "Trong đó" spans Nam and Nữ; every other heading spans both rows
    split = {"10a": 4, "10c": 5, "10d": 5}.get(form.code)
    for c, title in enumerate(form.columns, start=1):
        if split and c in (split, split + 1):
            put(head + 1, c, title, bold=True, align=centre, border=True)
        else:
            put(head, c, title, down=head + 1, bold=True, align=centre, border=True)
    if split:
        put(head, split, "Trong đó", to=split + 1, bold=True, align=centre, border=True)
    for c in range(1, ncols + 1):  # the form's column numbers (1), (2), …
        put(head + 2, c, f"({c})", italic=True, align=centre, border=True)
    r = head + 3
    for row in rows:
        bold = row.level == 0
        put(r, 1, row.stt, bold=bold, align=centre, border=True)
        put(r, 2, row.label, bold=bold, italic=row.level == 3, indent=min(row.level, 3), border=True)
        for c, value in enumerate(row.values(form), start=3):
            fmt = "#,##0.000" if isinstance(value, Decimal) else "#,##0"
            if isinstance(value, Decimal):
                value = float(value)  # presentation only: the exact đồng are in the CSV
            put(r, c, value, bold=bold, fmt=None if isinstance(value, str) else fmt,
                align=centre if isinstance(value, str) else None, border=True)
        r += 1
    r += 1
    put(r, ncols - 2 if ncols > 4 else 3, "……, ngày …… tháng …… năm ……", to=ncols, italic=True, align=centre)
    put(r + 1, 1, "Người lập biểu", to=2, bold=True, align=centre)
    put(r + 1, ncols - 2 if ncols > 4 else 3, "Thủ trưởng cơ quan, đơn vị", to=ncols, bold=True, align=centre)
    put(r + 2, ncols - 2 if ncols > 4 else 3, "(Ký, ghi rõ họ tên, đóng dấu)", to=ncols, italic=True, align=centre)
    sheet.widths([7, 58] + [14] * (ncols - 2))
    sheet.print_a4("portrait", f"{head}:{head + 2}", (head + 3, 3))
    return sheet.save()


def render(form: forms.Form, fig: Figures, rows: list[Row], fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(form, fig, rows)
    if fmt == "xlsx":
        return to_xlsx(form, fig, rows)
    raise ValueError(f"unknown format {fmt!r}")
