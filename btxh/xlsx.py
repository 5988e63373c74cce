"""The few spreadsheet helpers our printed XLSX share (payment lists, forms 10a–10d).

``Sheet`` wraps an openpyxl workbook's only sheet: ``put`` writes one cell in Times New Roman,
optionally merged across (``to``) and down (``down``), boxed, aligned and number-formatted;
``print_a4`` sets what every printed form needs (A4, fit to width, repeated header rows,
frozen panes, "Trang x/y" footer); ``save`` returns the file's bytes. Every cell goes through
``exports.xlsx_cell``: a name such as ``=HYPERLINK(…)`` is written as text, never as a formula. openpyxl is imported
only when a sheet is made, so the CSV paths never load it.
"""

from __future__ import annotations

import io

from . import exports

FONT = "Times New Roman"
MONEY = "#,##0"


class Sheet:
    """One worksheet of a new workbook, titled ``name``, with ``title`` in its properties."""

    def __init__(self, name: str, title: str):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, Side

        self._font, self._alignment = Font, Alignment
        self.wb = Workbook()
        self.ws = self.wb.active
        self.ws.title = name
        self.wb.properties.title = title
        self.wb.properties.creator = "btxh"
        thin = Side(style="thin")
        self.box = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.wrap = Alignment(vertical="center", wrap_text=True)

    def align(self, **kwargs):
        """An openpyxl Alignment (e.g. ``align(horizontal="right")``)."""
        return self._alignment(**kwargs)

    def put(self, row: int, col: int, value=None, *, to: int | None = None, down: int | None = None,
            bold: bool = False, italic: bool = False, size: int = 11, align=None, fmt: str | None = None,
            border: bool = False, indent: int = 0):
        """Write one cell; ``to``/``down``: merge up to that column/row (each cell of the merged
        block gets the border); ``indent`` (without ``align``): a wrapped label indented."""
        ws = self.ws
        cell = exports.xlsx_cell(ws.cell(row=row, column=col, value=value))  # formula-like text stays text
        cell.font = self._font(name=FONT, bold=bold, italic=italic, size=size)
        if align is not None:
            cell.alignment = align
        elif indent:
            cell.alignment = self._alignment(vertical="center", wrap_text=True, indent=indent)
        if fmt:
            cell.number_format = fmt
        if (to and to > col) or (down and down > row):
            ws.merge_cells(start_row=row, start_column=col, end_row=down or row, end_column=to or col)
        if border:
            for r in range(row, (down or row) + 1):
                for c in range(col, (to or col) + 1):
                    ws.cell(row=r, column=c).border = self.box
        return cell

    def widths(self, widths) -> None:
        """Column widths, from column A."""
        from openpyxl.utils import get_column_letter

        for col, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(col)].width = width

    def print_a4(self, orientation: str, title_rows: str, freeze: tuple[int, int]) -> None:
        """A4 in ``orientation``, fit to one page wide, ``title_rows`` (e.g. "8:9") repeated on
        every page, panes frozen at (row, column), page numbers in the footer."""
        ws = self.ws
        ws.freeze_panes = ws.cell(row=freeze[0], column=freeze[1])
        ws.print_title_rows = title_rows
        ws.page_setup.orientation = orientation
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.center.text = "Trang &P/&N"

    def save(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()
