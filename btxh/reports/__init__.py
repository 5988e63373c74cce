"""Periodic reports: forms 10a–10d, canned figures and the next year's budget estimate.

* ``forms``   — the printed layout of each form as data, and which row a ledger line feeds;
* ``summary`` — summary tables each payroll run keeps up to date (no report scans the ledger);
* ``periods`` — report periods (``2026-H1``, ``2026``, ``2026-11``) and scopes;
* ``build``   — a form's figures for a period and a set of communes; the budget estimate;
* ``inputs``  — the figures staff enter for rows the registry cannot answer (audited);
* ``render``  — CSV and XLSX with the official headers.

No Datasette here (plugins/btxh_reports.py is the glue). Decisions: docs/decisions/010-reports.md.
"""
