"""The `btxh` command: thin click commands over the core.

Every command refuses bad input with a message a commune officer understands, a non-zero
exit status, and the database left as it was.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import click

from . import clock, migrations, reference, serving, store, users
from . import calc as calc_core
from .cli_paylist import paylist
from .payroll import run as payroll_core
from .reports import summary as report_summary

DEFAULT_DB = "btxh.db"
DEMO_PASSWORD = "btxh-demo-2025"
DEMO_PAYROLL_MONTH = "2026-11"  # the synthetic data's "today" is 2026-11-01 (bench/synth.py)


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def _open(path: str, *, create: bool = True):
    try:
        return store.open_db(path, create=create)
    except store.StoreError as e:
        raise _fail(str(e)) from e


def _init(db) -> dict:
    applied = migrations.apply(db)
    counts = reference.load(db)
    report_summary.rebuild_missing(db)  # the data steps migrations m009/m011 leave to the code
    return {"applied": applied, "counts": counts}


@click.group()
@click.version_option(package_name="btxh")
def cli():
    """btxh — sổ đối tượng và chi trả bảo trợ xã hội (registry and payroll for
    Vietnam's social assistance).

    \b
    Quick start:
        btxh serve              # builds a demo btxh.db if missing, then serves it
        btxh user add an --role can_bo_xa --commune 00004
    """


@cli.command()
@click.argument("db", default=DEFAULT_DB, type=click.Path(dir_okay=False))
def init(db):
    """Create or upgrade the schema of DB and load the reference data (idempotent).

    \b
    Example:
        btxh init btxh.db
    """
    database = _open(db)
    try:
        result = _init(database)
    except Exception as e:  # a migration or load failure rolls back its transaction
        raise _fail(f"{db}: không khởi tạo được cơ sở dữ liệu: {e}") from e
    applied = ", ".join(result["applied"]) or "không có (đã cập nhật)"
    click.echo(f"{db}: lược đồ — các bước đã áp dụng: {applied}")
    c = result["counts"]
    click.echo(
        f"{db}: danh mục — {c['provinces']} tỉnh, {c['communes']} xã (từ 01/07/2025); "
        f"{c['legacy_provinces']} tỉnh, {c['legacy_districts']} huyện, {c['legacy_communes']} xã (trước đó)"
    )


def _load_synth(name: str = "synth"):
    path = serving.ROOT / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"btxh_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_REGISTRY_TABLES = (
    "support_awards", "support_listings", "support_groups", "support_programs", "applications",
    "ledger", "ledger_settled", "payroll_dirty", "payroll_runs", "decisions", "social_pensions", "care_entitlements",
    "membership_children", "memberships", "persons", "household_poverty", "households",
    "area_flags", "villages",
)


def build_demo(db_path: str, *, scale: str, seed: int, province: str | None, force: bool,
               echo=click.echo, payroll_until: str | None = None) -> dict:
    """Initialise DB if needed and fill it with synthetic data (the `demo` command)."""
    database = _open(db_path)
    if not store.registry_is_empty(database):
        if not force:
            raise _fail(
                f"{db_path}: cơ sở dữ liệu đã có dữ liệu đối tượng. Dùng --force để xoá và tạo lại "
                "dữ liệu minh hoạ (tài khoản và danh mục được giữ nguyên). Không có gì bị thay đổi."
            )
        with database.atomic():
            # a demo reset: closed runs are reopened so the ledger's guard lets them go
            database.execute("UPDATE payroll_runs SET status = 'open'")
            for table in _REGISTRY_TABLES:
                database.execute(f"DELETE FROM {table}")
    _init(database)
    synth = _load_synth()
    total = synth.expected_persons(scale)
    started = time.perf_counter()
    with click.progressbar(length=total, label=f"Tạo dữ liệu minh hoạ ({scale})",
                           file=sys.stderr) as bar:
        counts = synth.generate(database, scale=scale, seed=seed, province=province,
                                progress=bar.update)
    if scale != "national":
        counts.update(_load_synth("synth_notices").add_notices(database, seed, clock.today()))
    elapsed = time.perf_counter() - started
    with database.atomic():
        store.audit(database, actor="btxh demo", action="demo_build", table="persons", row_id=None,
                    after={"scale": scale, "seed": seed, "province": province, "counts": counts})
    database.execute("DELETE FROM payroll_dirty")  # demo history predates the ledger
    demo_users = _demo_users(database, synth, province)
    echo(f"{db_path}: {counts.get('persons', 0):,} người, {counts.get('memberships', 0):,} diện hưởng, "
         f"{counts.get('decisions', 0):,} quyết định — {elapsed:.1f} giây")
    for name, role, where in demo_users:
        echo(f"  tài khoản minh hoạ: {name} / {DEMO_PASSWORD}  ({role}{where})")
    if payroll_until:
        _demo_payroll(database, payroll_until, echo)
    database.conn.close()
    return counts


def _demo_payroll(database, last: str, echo) -> None:
    """Two closed months and an open one, so the demo has payment lists to show."""
    year, month = map(int, last.split("-"))
    months = []
    for back in (2, 1, 0):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        months.append(f"{y:04d}-{m + 1:02d}")
    for i, m in enumerate(months):
        summary = payroll_core.run(database, m, actor="btxh-demo")
        if i < len(months) - 1:
            payroll_core.close(database, m, actor="btxh-demo")
        echo(f"  kỳ chi trả minh hoạ tháng {m}: {_n(sum(summary.totals.values()))} đồng"
             + (" (đã chốt)" if i < len(months) - 1 else " (đang mở)"))


def _demo_users(database, synth, province) -> list[tuple[str, str, str]]:
    """Demo accounts, one per role (password DEMO_PASSWORD), created once."""
    province = synth.pick_province(database, province)
    commune = database.execute(
        "SELECT commune_code FROM persons WHERE commune_code IN "
        "(SELECT code FROM communes WHERE province_code = ?) "
        "GROUP BY commune_code ORDER BY commune_code LIMIT 1", [province]
    ).fetchone()
    commune = commune[0] if commune else database.execute(
        "SELECT commune_code FROM persons ORDER BY id LIMIT 1").fetchone()[0]
    wanted = [
        ("quantri", "quan_tri", [], None, ""),
        ("tinh", "tinh", [], province, f", tỉnh {province}"),
        ("xa", "can_bo_xa", [commune], None, f", xã {commune}"),
        ("phantich", "phan_tich", [], None, ""),
    ]
    made = []
    for name, role, communes, prov, where in wanted:
        if database.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone() is None:
            users.add_user(database, username=name, role=role, password=DEMO_PASSWORD,
                           communes=communes, province=prov, full_name=f"Tài khoản minh hoạ {name}",
                           actor="btxh-demo")
        made.append((name, role, where))
    return made


@cli.command()
@click.argument("db", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("--scale", type=click.Choice(["commune", "province", "national"]), default="province",
              show_default=True, help="commune ≈ 300, province ≈ 20,000, national ≈ 3.5 million beneficiaries")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (same seed, same data)")
@click.option("--province", help="2-digit province code for the commune/province scales")
@click.option("--force", is_flag=True, help="Replace the registry data of a non-empty database")
@click.option("--payroll-until", metavar="YYYY-MM",
              help="Also run the payroll: two closed months before this one and this one open")
def demo(db, scale, seed, province, force, payroll_until):
    """Fill DB with deterministic synthetic data and create demo accounts.

    \b
    Examples:
        btxh demo demo.db --scale province --seed 7
        btxh demo national.db --scale national
    """
    build_demo(db, scale=scale, seed=seed, province=province, force=force, payroll_until=payroll_until)


@cli.command()
@click.argument("db", default=DEFAULT_DB, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to listen on")
@click.option("--scale", type=click.Choice(["commune", "province", "national"]), default="province",
              show_default=True, help="Scale of the demo data built when DB is missing")
def serve(db, host, port, scale):
    """Serve DB with Datasette, our metadata, plugins and templates.

    Builds a demo database first when DB does not exist.

    \b
    Example:
        btxh serve                      # http://127.0.0.1:8001/
    """
    path = Path(db)
    if not path.exists():
        click.echo(f"{db} chưa có: tạo cơ sở dữ liệu minh hoạ…", err=True)
        build_demo(db, scale=scale, seed=1, province=None, force=False,
                   payroll_until=None if scale == "national" else DEMO_PAYROLL_MONTH)
    else:
        database = _open(db)
        _init(database)
        database.conn.close()
    env = dict(os.environ, DATASETTE_SECRET=serving.secret_for(path), **serving.server_env())
    click.echo(f"btxh: http://{host}:{port}/", err=True)
    argv = [sys.executable, "-m", "datasette", *serving.datasette_argv(path, host, port)]
    # exec: Datasette replaces this process, so a signal to `btxh serve` reaches it
    os.execve(sys.executable, argv, env)


@cli.command()
@click.argument("cases", metavar="CASES.json", type=click.File("r", encoding="utf-8"))
@click.option("--month", required=True, metavar="YYYY-MM[..YYYY-MM]",
              help="Month, or inclusive range of months, to compute (2021-07 or later)")
@click.option("--db", type=click.Path(dir_okay=False),
              help="Database whose base levels (province rows included), coefficients and categories "
                   "are used; without it, the reference data shipped with btxh")
def calc(cases, month, db):
    """Compute each case's monthly allowance from a JSON array of cases ("-": standard input).

    Prints a JSON array, one object per case and month (rules.md §11). Bad input is refused
    with one line per problem on standard error, exit status 2 and nothing printed.

    \b
    Example:
        btxh calc --month 2025-03 cases.json
        btxh calc --month 2025-01..2025-12 cases.json --db btxh.db
    """
    if db and not Path(db).exists():
        click.echo(f"{db}: không tìm thấy cơ sở dữ liệu; dùng mức chuẩn và hệ số đi kèm btxh.", err=True)
    try:
        answers = calc_core.calculate(cases.read(), month, calc_core.Calculator.build(db), source=cases.name)
    except UnicodeDecodeError:
        answers = None
        click.echo(f"{cases.name}: không đọc được tệp (cần văn bản UTF-8).", err=True)
    except calc_core.CalcInputError as e:
        answers = None
        click.echo("\n".join(e.problems), err=True)
    if answers is None:
        raise SystemExit(2)
    click.echo(calc_core.dumps(answers))


@cli.group()
def payroll():
    """Monthly payroll: compute, close, and print payment lists."""


def _n(value: int) -> str:
    """1234567 → "1.234.567" (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def _payroll_db(db: str):
    if not Path(db).exists():
        raise _fail(f"{db}: không tìm thấy cơ sở dữ liệu. Hãy chạy `btxh init {db}` trước.")
    database = _open(db, create=False)
    if not store.is_initialised(database):
        raise _fail(f"{db}: cơ sở dữ liệu chưa được khởi tạo. Hãy chạy `btxh init {db}` trước.")
    return database


@payroll.command(name="run")
@click.argument("month", metavar="YYYY-MM")
@click.option("--commune", "communes", multiple=True, help="5-digit 2025 commune code (repeatable; default: all)")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="Database file")
def payroll_run(month, communes, db):
    """Compute MONTH into the ledger: regular lines, arrears, recovery, funeral support.

    One transaction; re-running an open month replaces it.

    \b
    Example:
        btxh payroll run 2026-11 --commune 00004
    """
    database = _payroll_db(db)
    started = time.perf_counter()
    try:
        summary = payroll_core.run(database, month, list(communes))
    except payroll_core.PayrollError as e:
        raise _fail(str(e)) from e
    elapsed = time.perf_counter() - started
    labels = {"thuong_xuyen": "hằng tháng", "truy_linh": "truy lĩnh", "truy_thu": "truy thu",
              "mai_tang": "mai táng"}
    click.echo(f"Kỳ chi trả số {summary.run_id}, tháng {summary.month} ({elapsed:.1f} giây):")
    for kind, label in labels.items():
        if kind in summary.lines:
            click.echo(f"  {label}: {_n(summary.lines[kind])} dòng, {_n(summary.totals[kind])} đồng")


@payroll.command(name="close")
@click.argument("month", metavar="YYYY-MM")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="Database file")
def payroll_close(month, db):
    """Close (freeze) the open run(s) of MONTH; later corrections go into the next run.

    \b
    Example:
        btxh payroll close 2026-11
    """
    database = _payroll_db(db)
    try:
        closed = payroll_core.close(database, month)
    except payroll_core.PayrollError as e:
        raise _fail(str(e)) from e
    click.echo(f"Đã chốt kỳ chi trả tháng {month}: kỳ số {', '.join(map(str, closed))}.")


payroll.add_command(paylist)


@cli.group()
def rates():
    """Base levels (mức chuẩn trợ giúp xã hội)."""


@rates.command(name="add")
@click.option("--from", "from_month", required=True, metavar="YYYY-MM", help="First month the level applies")
@click.option("--amount", required=True, type=int, help="Amount in đồng, e.g. 540000")
@click.option("--basis", required=True, help="Legal basis, e.g. \"Nghị định 335/2026/NĐ-CP\"")
@click.option("--province", help="2-digit province code for a province's (higher) level; default national")
@click.option("--program", type=click.Choice(["TCXH", "HTXH"]), default="TCXH", show_default=True,
              help="TCXH (monthly social allowance) or HTXH (social pension)")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False), help="Database file")
def rates_add(from_month, amount, basis, province, program, db):
    """Add a base level from a month (even one already in force): the next run pays arrears.

    \b
    Example:
        btxh rates add --from 2026-07 --amount 540000 --basis "Nghị định 335/2026/NĐ-CP"
    """
    database = _payroll_db(db)
    try:
        payroll_core.add_rate(database, from_month=from_month, amount=amount, basis=basis,
                              province=province, program=program)
    except payroll_core.PayrollError as e:
        raise _fail(str(e)) from e
    where = f"tỉnh {province}" if province else "toàn quốc"
    click.echo(f"Đã thêm mức chuẩn {program} {_n(amount)} đồng ({where}) từ {from_month}.")


from .importing.cli import import_group  # noqa: E402  (issue 7: btxh import …)

cli.add_command(import_group)

from .reports.cli import report_group  # noqa: E402  (issue 6: btxh report …)

cli.add_command(report_group)


@cli.group()
def user():
    """Staff accounts (kept in the database, passwords hashed)."""


@user.command(name="add")
@click.argument("name")
@click.option("--role", required=True, help="can_bo_xa | tinh | phan_tich | quan_tri")
@click.option("--commune", "communes", multiple=True, help="5-digit 2025 commune code (repeatable)")
@click.option("--province", help="2-digit 2025 province code (province staff)")
@click.option("--full-name", help="Full name shown in the app")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="Database file")
@click.password_option(envvar="BTXH_PASSWORD", help="Password (prompted if not given; env BTXH_PASSWORD)")
def user_add(name, role, communes, province, full_name, db, password):
    """Create a staff account NAME with a ROLE and, for commune officers, their communes.

    \b
    Examples:
        btxh user add lan --role can_bo_xa --commune 00004
        btxh user add minh --role tinh --province 08
    """
    if not Path(db).exists():
        raise _fail(f"{db}: không tìm thấy cơ sở dữ liệu. Hãy chạy `btxh init {db}` trước.")
    database = _open(db, create=False)
    if not store.is_initialised(database):
        raise _fail(f"{db}: cơ sở dữ liệu chưa được khởi tạo. Hãy chạy `btxh init {db}` trước.")
    try:
        actor = users.add_user(database, username=name, role=role, password=password,
                               communes=list(communes), province=province, full_name=full_name)
    except users.UserError as e:
        raise _fail(f"Không tạo được tài khoản «{name}»:\n{e}") from e
    where = f", xã {', '.join(actor['communes'])}" if actor["communes"] else ""
    click.echo(f"Đã tạo tài khoản {name} ({role}{where}).")


def _open_users_db(db: str):
    """The database of an account command, refused in Vietnamese if missing or uninitialised."""
    if not Path(db).exists():
        raise _fail(f"{db}: không tìm thấy cơ sở dữ liệu. Hãy chạy `btxh init {db}` trước.")
    database = _open(db, create=False)
    if not store.is_initialised(database):
        raise _fail(f"{db}: cơ sở dữ liệu chưa được khởi tạo. Hãy chạy `btxh init {db}` trước.")
    return database


def _must_exist(database, name: str) -> None:
    if not database.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
        raise _fail(f"Không có tài khoản «{name}».")


_DB_OPTION = click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
                          help="Database file")


@user.command(name="disable")
@click.argument("name")
@_DB_OPTION
def user_disable(name, db):
    """Deactivate the account NAME and end all its sessions at once (audited).

    \b
    Example:
        btxh user disable lan
    """
    try:
        ended = users.disable(_open_users_db(db), name)
    except users.UserError as e:
        raise _fail(str(e)) from e
    click.echo(f"Đã khoá tài khoản {name}; đã kết thúc {ended} phiên đăng nhập.")


@user.command(name="set-communes")
@click.argument("name")
@click.option("--commune", "communes", multiple=True, help="5-digit 2025 commune code (repeatable)")
@click.option("--province", help="2-digit 2025 province code (province staff)")
@_DB_OPTION
def user_set_communes(name, communes, province, db):
    """Replace the communes (and province) of the account NAME; its sessions end (audited).

    \b
    Examples:
        btxh user set-communes lan --commune 00004 --commune 00007
        btxh user set-communes minh --province 08
    """
    try:
        actor, ended = users.set_communes(_open_users_db(db), name, list(communes), province)
    except users.UserError as e:
        raise _fail(f"Không đổi được địa bàn của «{name}»:\n{e}") from e
    where = ", ".join(actor["communes"]) if actor and actor["communes"] else "không có xã"
    click.echo(f"Đã đổi địa bàn của {name}: {where}; tỉnh {actor and actor['province'] or '—'};"
               f" đã kết thúc {ended} phiên đăng nhập.")


@user.command(name="sessions")
@click.argument("name")
@_DB_OPTION
def user_sessions(name, db):
    """List the live sessions of the account NAME (no session id is shown).

    \b
    Example:
        btxh user sessions lan
    """
    from . import sessions

    database = _open_users_db(db)
    _must_exist(database, name)
    rows = sessions.live(database, name)
    if not rows:
        click.echo(f"Tài khoản {name} không có phiên đăng nhập nào đang mở.")
    for r in rows:
        click.echo(f"{r['ref']}  bắt đầu {r['created_at']}  gần nhất {r['last_seen_at']}"
                   f"  hết hạn {r['expires_at']}  {r['address'] or ''}  {r['user_agent'] or ''}".rstrip())


@user.command(name="logout-all")
@click.argument("name")
@_DB_OPTION
def user_logout_all(name, db):
    """End every session of the account NAME now (e.g. a lost phone); audited.

    \b
    Example:
        btxh user logout-all lan
    """
    from . import sessions

    database = _open_users_db(db)
    _must_exist(database, name)
    ended = sessions.revoke_all(database, name, "logout_all")
    click.echo(f"Đã kết thúc {ended} phiên đăng nhập của {name}.")


from .cli_publish import publish as _publish, publish_verify as _publish_verify  # noqa: E402

cli.add_command(_publish)
cli.add_command(_publish_verify)


if __name__ == "__main__":
    cli()
