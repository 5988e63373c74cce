"""Exported cells that a spreadsheet would run as formulas are made inert (issue 11, finding 8).

A beneficiary named ``=HYPERLINK("http://…")`` or ``@SUM(…)`` becomes a formula when the
payment list is opened in Excel or LibreOffice (CSV injection). ``formula_like`` is the one
rule: text starting with ``= + - @``, a tab or a carriage return, or their full-width forms
``＝ ＋ － ＠``. Every CSV writer goes through ``csv_writer`` (such text gets a leading ``'``,
as OWASP recommends) and every XLSX cell through ``xlsx_cell`` (written as a string with the
quote-prefix style, the file form of typing ``'`` in Excel). Numbers are never touched, so
amounts stay numbers: neither int values nor text that is only a number ("-750000", as in
Datasette's own CSV, where every value is text). Datasette's table and query CSV is rewritten
by ``inert_csv`` (plugins/btxh_exports.py).
"""

from __future__ import annotations

import csv
import io
import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def formula_like(value) -> bool:
    """True for text a spreadsheet would read as a formula (the one rule for every export)."""
    return isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value)


def csv_value(value):
    return "'" + value if formula_like(value) else value


class _InertWriter:
    """A ``csv.writer`` whose rows are made inert first."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([csv_value(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, lineterminator: str = "\r\n", **options) -> _InertWriter:
    """The CSV writer of every export: Excel's CRLF lines, formula-like text prefixed with ``'``."""
    return _InertWriter(out, lineterminator=lineterminator, **options)


def xlsx_cell(cell):
    """An openpyxl cell whose formula-like text is kept as text (openpyxl would write a formula)."""
    if formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def inert_csv(text: str) -> str:
    """A CSV text written by someone else (Datasette), rewritten through ``csv_writer``."""
    out = io.StringIO()
    csv_writer(out).writerows(csv.reader(io.StringIO(text, newline="")))
    return out.getvalue()
