"""`btxh report …`: rebuild the report summaries, export a form (thin over btxh.reports)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .. import store
from ..scoping import Scope
from . import build, forms, periods, protect, render, summary

DEFAULT_DB = "btxh.db"


def _db(path: str):
    if not Path(path).exists():
        raise click.ClickException(f"{path}: không tìm thấy cơ sở dữ liệu. Hãy chạy `btxh init {path}` trước.")
    database = store.open_db(path, create=False)
    if not store.is_initialised(database):
        raise click.ClickException(f"{path}: cơ sở dữ liệu chưa được nâng cấp. Hãy chạy `btxh init {path}` trước.")
    return database


@click.group(name="report")
def report_group():
    """Periodic reports (forms 10a–10d) and their summary tables."""


@report_group.command(name="rebuild")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="Database file")
def rebuild(db):
    """Summarise every payroll run again and project the budget of every closed one (the run and
    `btxh payroll close` do this themselves; use after a restore).

    \b
    Example:
        btxh report rebuild --db btxh.db
    """
    database = _db(db)
    started = time.perf_counter()
    ids = summary.rebuild(database)
    click.echo(f"Đã tổng hợp số liệu báo cáo cho {len(ids)} kỳ chi trả ({time.perf_counter() - started:.1f} giây).")


@report_group.command(name="export")
@click.argument("form", type=click.Choice(sorted(forms.FORMS)))
@click.option("--period", required=True, help="2026-H1, 2026-H2, 2026 or 2026-11")
@click.option("--province", help="2-digit province code (default: the whole country)")
@click.option("--commune", help="5-digit commune code")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="Output format")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (default: standard output)")
@click.option("--an-toan", "safe", is_flag=True,
              help="Hide every cell that could be an HIV count, as the report pages do for province staff "
                   "and analysts (small cells, complementary cells; a commune's HIV rows always)")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="Database file")
def export(form, period, province, commune, fmt, output, safe, db):
    """Write FORM (10a, 10b, 10c, 10d) for a period and unit as CSV or XLSX.

    The operator runs this on the database file, so the figures are exact: form 10a then
    holds counts of people with HIV (rows 3 and III.3), and a warning says so. With
    --an-toan the file hides them as the report pages do for whoever may not know.

    \b
    Example:
        btxh report export 10a --period 2026-H2 --province 08 --format xlsx -o mau-10a.xlsx
        btxh report export 10a --period 2026-H2 --commune 02398 --an-toan -o mau-10a.csv
    """
    database = _db(db)
    chosen = forms.FORMS[form]
    try:
        p = periods.parse(period)
        where = build.where_for(database, Scope(everything=True), province, commune)
        fig = build.figures(database, p, where)
        rows = build.rows(chosen, fig)
        if safe:
            rows = protect.for_reader(database, chosen, fig, rows)
    except periods.ReportError as e:
        raise click.ClickException(str(e)) from e
    if protect.has_hiv_rows(chosen) and not safe:
        click.echo("Cảnh báo: tệp này có số người nhiễm HIV chính xác (mẫu 10a dòng 3 và III.3) — chỉ gửi cho "
                   "người có thẩm quyền (Luật Phòng, chống HIV/AIDS 2006 Điều 8); dùng --an-toan để ẩn.", err=True)
    body = render.render(chosen, fig, rows, fmt)
    if output:
        Path(output).write_bytes(body)
        click.echo(f"Đã ghi {output}.")
    else:
        sys.stdout.buffer.write(body)
