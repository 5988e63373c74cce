"""Imports: commune spreadsheets, payment results and one-off support lists (issue 7).

``importers`` parses a file's format into rows of cells; the modules here give the
rows their meaning, validate everything, plan the changes against the database and
write them all in one transaction, or nothing (docs/decisions/011-imports.md):

* :mod:`.beneficiaries` — ``btxh import doi-tuong``: the registry from commune lists;
* :mod:`.payments` — ``btxh import chi-tra``: what the paying agent paid, or did not;
* :mod:`.support` — ``btxh import ho-tro``: one-off support lists (NQ 42 style).

No Datasette here; the CLI (btxh/cli.py) and the upload page (plugins/btxh_import.py)
are thin glue over ``plan`` and ``apply``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from importers import FileRefused, Workbook, read  # noqa: F401  (re-exported)

from .table import Problem  # noqa: F401


@dataclass
class Outcome:
    """What an import did or would do, row by row, and the problems that stop it."""

    kind: str
    filename: str
    sha256: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list = field(default_factory=list)  # Problem: any of them refuses the whole file
    warnings: list = field(default_factory=list)  # str: shown, not blocking
    actions: list = field(default_factory=list)  # (row label, "them" | "sua" | "giu", description)
    notes: list = field(default_factory=list)  # str: extra reports (listed twice, proposals, …)
    written: bool = False
    payload: object = None  # what apply() writes (kept between the dry run and the write)

    @property
    def rejected_rows(self) -> int:
        return len({(p.sheet, p.row) for p in self.problems if p.row is not None})

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (f"Đã đọc {self.rows_read} dòng: thêm mới {self.inserted}, cập nhật {self.updated}, "
                f"không đổi {self.unchanged}, bị từ chối {self.rejected_rows}.")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


ACTION_LABELS = {"them": "thêm mới", "sua": "cập nhật", "giu": "không đổi"}
