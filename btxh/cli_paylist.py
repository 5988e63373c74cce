"""`btxh payroll list`: a commune's payment list for a month, as CSV, XLSX or HTML.

Registered by btxh/cli.py (``payroll.add_command(paylist)``); the command is named ``list``.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import paylist as core
from . import store

FORMATS = ("csv", "xlsx", "html")


@click.command(name="list")
@click.argument("month", metavar="YYYY-MM")
@click.option("--commune", required=True, metavar="CODE",
              help="5-digit 2025 commune code (mã xã), e.g. 00004")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv (UTF-8 with BOM), xlsx (A4 landscape) or html (print-ready); "
                   "default: from the --output suffix, else csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="File to write ('-' for standard output); default chi-tra-CODE-YYYY-MM.FORMAT")
@click.option("--db", default="btxh.db", show_default=True, type=click.Path(dir_okay=False),
              help="The btxh database")
def paylist(month, commune, fmt, output, db):
    """Write the payment list (danh sách chi trả) of COMMUNE for MONTH.

    The list comes from the month's closed payroll run (else its latest open run): one
    row per person with the monthly amount, arrears and funeral support, village
    subtotals, the total in words and a signature column. Recoveries (truy thu) are
    listed apart and never deducted.

    \b
    Example:
        btxh payroll list 2026-11 --commune 00004 --format xlsx -o chi-tra.xlsx
        btxh payroll list 2026-11 --commune 00004 -o chi-tra.csv
    """
    if fmt is None:
        suffix = Path(output).suffix.lstrip(".").lower() if output and output != "-" else ""
        fmt = suffix if suffix in FORMATS else "csv"
    try:
        database = store.open_db(db, create=False)
    except store.StoreError as e:
        raise click.ClickException(str(e)) from e
    try:
        pl = core.build(database, commune, month)
        body = core.render(pl, fmt)
    except core.PaylistError as e:
        raise click.ClickException(f"{e} Không có tệp nào được ghi.") from e
    finally:
        database.conn.close()
    if output == "-":
        stream = click.get_binary_stream("stdout")
        stream.write(body)
        stream.flush()
        return
    target = Path(output or pl.filename(fmt))
    target.write_bytes(body)
    click.echo(f"{target}: {pl.month_label.lower()}, {pl.commune_name} — {len(pl.rows)} người, "
               f"tổng {core.money(pl.total)} đồng ({pl.run_label.lower()}).")
