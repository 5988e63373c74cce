"""``btxh import …``: spreadsheets in, every problem named, nothing half-loaded (issue 7).

Exit status 2 for invalid input (like ``btxh calc``): every problem on standard error,
one line each, and the database byte-for-byte unchanged. ``--dry-run`` shows what would
be inserted, updated or left unchanged and writes nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from importers import limits

from .. import store
from . import ACTION_LABELS, FileRefused, Outcome, read
from .common import gc_paused

DEFAULT_DB = "btxh.db"
MAX_ACTIONS_SHOWN = 2000


def _database(db: str):
    if not Path(db).exists():
        raise click.ClickException(f"{db}: không tìm thấy cơ sở dữ liệu. Hãy chạy `btxh init {db}` trước.")
    try:
        database = store.open_db(db, create=False)
    except store.StoreError as e:
        raise click.ClickException(str(e)) from e
    if not store.is_initialised(database):
        raise click.ClickException(f"{db}: cơ sở dữ liệu chưa được khởi tạo. Hãy chạy `btxh init {db}` trước.")
    return database


def _refuse(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(2)


def _read(path: str) -> bytes:
    try:
        limits.check_size(Path(path).stat().st_size, Path(path).name)  # before reading it into memory
        return Path(path).read_bytes()
    except FileRefused as e:
        _refuse([str(e)])
    except OSError as e:
        _refuse([f"«{Path(path).name}»: không mở được tệp ({e.strerror}). Không có gì được ghi."])


def _report(outcome: Outcome, dry_run: bool, elapsed: float) -> None:
    """Problems (exit 2), or the actions (dry run) and the summary."""
    if outcome.problems:
        _refuse([str(p) for p in outcome.problems]
                + [outcome.summary() + " Không có gì được ghi: sửa các lỗi trên rồi nhập lại cả tệp."])
    for w in outcome.warnings[:200]:
        click.echo(f"Lưu ý — {w}", err=True)
    if len(outcome.warnings) > 200:
        click.echo(f"Lưu ý — … và {len(outcome.warnings) - 200} lưu ý khác.", err=True)
    if dry_run:
        shown = [a for a in outcome.actions if a[1] != "giu"]
        for label, action, text in shown[:MAX_ACTIONS_SHOWN]:
            click.echo(f"{label}: {ACTION_LABELS[action]} — {text}")
        if len(shown) > MAX_ACTIONS_SHOWN:
            click.echo(f"… và {len(shown) - MAX_ACTIONS_SHOWN} dòng thêm mới hoặc cập nhật khác.")
    for note in outcome.notes:
        click.echo(note)
    rate = f" ({outcome.rows_read / elapsed:,.0f} dòng/giây)".replace(",", ".") if elapsed > 0 else ""
    click.echo(outcome.summary() + f" Thời gian {elapsed:.1f} giây{rate}.")
    if dry_run:
        click.echo("Chạy thử (--dry-run): không có gì được ghi.")
    elif outcome.written:
        click.echo("Đã ghi vào cơ sở dữ liệu (một giao dịch, có nhật ký).")
    else:
        click.echo("Không có thay đổi nào: cơ sở dữ liệu giữ nguyên.")


def _run(module, path: str, db: str, dry_run: bool, actor: str, **options) -> None:
    data = _read(path)
    database = _database(db)
    started = time.perf_counter()
    try:
        with gc_paused():  # the workbook's cells: a million objects the collector need not walk
            book = read(data, Path(path).name)
        total = sum(len(s.rows) for s in book.sheets)
        with click.progressbar(length=total, label="Đọc và kiểm tra", file=sys.stderr,
                               show_pos=True) as bar:
            outcome = module.plan(database, data, Path(path).name, progress=bar.update, book=book, **options)
        if not outcome.problems and not dry_run:
            module.apply(database, outcome, actor)
    except FileRefused as e:
        _refuse([str(e)])
    finally:
        database.conn.close()
    _report(outcome, dry_run, time.perf_counter() - started)


@click.group(name="import")
def import_group():
    """Import spreadsheets: beneficiary lists, payment results, one-off support lists."""


_db = click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
                   help="Database file")
_dry = click.option("--dry-run", is_flag=True, help="Validate and show what would change; write nothing")
_actor = click.option("--actor", envvar="BTXH_ACTOR", default="btxh-cli", show_default=True,
                      help="Who is importing, for the audit log (env BTXH_ACTOR)")


@import_group.command(name="doi-tuong")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--commune", help="5-digit 2025 commune code the whole file belongs to (rows may then omit it)")
@_dry
@_actor
@_db
def import_beneficiaries(file, commune, dry_run, actor, db):
    """Import a beneficiary list (XLSX, XLS or CSV) into the registry, all or nothing.

    Every row is validated first; any problem refuses the whole file (exit status 2) with
    file, sheet, row, column and value. Re-importing the same file changes nothing.

    \b
    Example:
        btxh import doi-tuong danh-sach-xa.xlsx --commune 00004 --dry-run
        btxh import doi-tuong danh-sach-xa.xlsx --commune 00004
    """
    from . import beneficiaries

    _run(beneficiaries, file, db, dry_run, actor, commune=commune)


@import_group.command(name="chi-tra")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--commune", required=True, help="5-digit 2025 commune code of the payment list")
@click.option("--month", required=True, metavar="YYYY-MM", help="Month of the (closed) payment list")
@_dry
@_actor
@_db
def import_payments(file, commune, month, dry_run, actor, db):
    """Import the paying agent's returned list: paid, not paid, returned, with dates.

    Not paid or returned amounts roll forward (the next run pays them as truy lĩnh);
    persons not paid three months running are listed for a suspension proposal.

    \b
    Example:
        btxh import chi-tra ket-qua-chi-tra-11-2026.xlsx --commune 00004 --month 2026-11
    """
    from . import payments

    _run(payments, file, db, dry_run, actor, commune=commune, month=month)


@import_group.command(name="ho-tro")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--program", required=True, help="Program code, e.g. NQ42 (created when new)")
@click.option("--name", help="Program name (needed when the program is new)")
@click.option("--basis", help="Legal basis, e.g. \"Nghị quyết 42/NQ-CP\" (needed when new)")
@click.option("--first-month", metavar="YYYY-MM", help="First month the support covers (needed when new)")
@click.option("--months", type=int, help="Number of months the program covers (needed when new)")
@click.option("--commune", help="5-digit 2025 commune code the whole list belongs to")
@_dry
@_actor
@_db
def import_support(file, program, name, basis, first_month, months, commune, dry_run, actor, db):
    """Import a one-off support list (NQ 42 style): name, CCCD, group, amount per month, months.

    A person listed in several groups is paid only the highest (reported, never silent).

    \b
    Example:
        btxh import ho-tro nq42-xa.xlsx --program NQ42 --name "Hỗ trợ COVID-19" \\
            --basis "Nghị quyết 42/NQ-CP" --first-month 2020-04 --months 3 --commune 00004
    """
    from . import support

    _run(support, file, db, dry_run, actor, program=program, name=name, basis=basis,
         first_month=first_month, months=months, commune=commune)
