"""Payroll runs: one month's money into the ledger, all or nothing (rules.md §8).

A run for month M, for all communes or a list of them, writes in one transaction:

* ``thuong_xuyen`` — every person's TCXH or HTXH due for M (fastpath.py, set-based) and
  every care support (CSND) due for M (the pure rules: they are few);
* ``truy_linh`` / ``truy_thu`` — for earlier months, the recomputed due minus what closed
  runs paid (``ledger_settled``), for the people whose facts changed since (the
  ``payroll_dirty`` queue filled by triggers) and, when a base level was added
  afterwards, for everyone in scope over the months it touches;
* ``mai_tang`` — funeral support for deaths not yet supported (a death reported late too).

Months before a commune's first closed run (its opening) belong to the spreadsheets the
registry replaced: they are never recomputed, except for a decision created after the
opening whose start month is earlier (docs/decisions/006-payroll.md). Re-running an open
month replaces it; ``close`` freezes it (triggers refuse any later change) and later
corrections go into the next run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from .. import clock, engines, store
from ..rules import Engine, RuleError, evaluate_care
from ..rules.dates import month_str, parse_month
from . import fastpath, parallel, registry
from ..reports import summary as report_summary


class PayrollError(ValueError):
    """A refused payroll command, worded for staff (Vietnamese)."""


@dataclass
class RunSummary:
    run_id: int
    month: str
    lines: dict
    totals: dict


def engine_for(db: Database, scope=None, pm=None) -> Engine:
    """The rule engine of the provinces a run covers (``scope``: commune codes, None for all)."""
    try:
        return engines.engine_for_scope(db, scope, pm)
    except engines.MixedRuleSets as e:
        raise PayrollError(str(e)) from e


def compute_due(conn, engine: Engine, month: int, provinces: list[str], persons_filter: str = "") -> None:
    """Fill ``temp.pay_due`` for a month: the SQL fast path, or the pure rules person by
    person when a policy adds what SQL cannot express (a local category's condition)."""
    if fastpath.supported(engine):
        fastpath.compute(conn, engine, month, provinces, persons_filter)
        return
    conn.execute("DROP TABLE IF EXISTS temp.pay_due")
    conn.execute("CREATE TEMP TABLE pay_due (person_id INTEGER, commune_code TEXT, program TEXT, tenths INTEGER,"
                 " base INTEGER, amount INTEGER, basis TEXT, tcxh INTEGER, htxh INTEGER)")
    where = f"WHERE {persons_filter}" if persons_filter else ""
    ids = [r[0] for r in conn.execute(f"SELECT pe.id FROM persons pe {where}")]
    facts = registry.load(conn, ids)
    rows = []
    for pid in ids:
        r = registry.evaluate(engine, facts[pid], month)
        if r.amount:
            rows.append((pid, facts[pid].commune_code, r.program, r.tenths, r.base, r.amount,
                         "+".join(r.basis) or None, r.tcxh_amount, r.htxh_amount))
    conn.executemany("INSERT INTO pay_due VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _scope(db: Database, communes) -> list[str] | None:
    if not communes:
        return None
    codes = sorted(set(communes))
    known = {r[0] for r in db.execute(
        f"SELECT code FROM communes WHERE code IN ({','.join('?' * len(codes))})", codes)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise PayrollError(f"Mã xã không có trong danh mục từ 01/07/2025: {', '.join(unknown)}. "
                           "Không có gì được ghi.")
    return codes


def _covers(scope_json: str | None, scope: list[str] | None) -> bool:
    if scope_json is None or scope is None:
        return True
    return bool(set(json.loads(scope_json)) & set(scope))


def _check(db: Database, engine: Engine, m: int, scope) -> None:
    rules = engine.rules
    if m < rules.first_month_index:
        raise PayrollError(f"Tháng {month_str(m)} trước tháng {rules.first_month}: bộ quy tắc "
                           f"{rules.name} không tính các tháng trước đó. Không có gì được ghi.")
    if engine.base_levels.lookup("TCXH", m) is None:
        raise PayrollError(f"Chưa có mức chuẩn trợ giúp xã hội cho tháng {month_str(m)}. Không có gì được ghi.")
    for run_id, month, status, scope_json in db.execute(
            "SELECT id, month, status, scope FROM payroll_runs ORDER BY id"):
        if not _covers(scope_json, scope):
            continue
        if month == month_str(m) and status == "closed":
            raise PayrollError(f"Kỳ chi trả tháng {month} đã chốt (kỳ số {run_id}): không chạy lại được; "
                               "các điều chỉnh sẽ vào kỳ sau. Không có gì được ghi.")
        if month == month_str(m) and status == "open" and scope_json != (
                None if scope is None else json.dumps(scope)):
            raise PayrollError(f"Đã có kỳ chi trả tháng {month} đang mở (kỳ số {run_id}) cho phạm vi khác "
                               "chồng lên phạm vi này: chạy lại đúng phạm vi đó hoặc chốt nó trước. "
                               "Không có gì được ghi.")
        if month != month_str(m) and status == "open":
            raise PayrollError(f"Kỳ chi trả tháng {month} (kỳ số {run_id}) chưa chốt: hãy chốt "
                               f"(`btxh payroll close {month}`) trước khi chạy tháng khác. Không có gì được ghi.")
        if parse_month(month) > m and status == "closed":
            raise PayrollError(f"Đã chốt kỳ chi trả tháng {month}, sau tháng {month_str(m)}. Không có gì được ghi.")


def _openings(db: Database, scope) -> dict[str, tuple[str, int]]:
    """commune → (opening month, decisions seen by that run) for communes with a closed run."""
    out: dict[str, tuple[str, str]] = {}
    all_communes = None
    for month, created, scope_json in db.execute(
            "SELECT month, decisions_seen, scope FROM payroll_runs WHERE status = 'closed' ORDER BY month, id"):
        if scope_json is None:
            if all_communes is None:
                all_communes = [r[0] for r in db.execute("SELECT code FROM communes")]
            codes = all_communes
        else:
            codes = json.loads(scope_json)
        for code in codes:
            out.setdefault(code, (month, created))
    if scope is not None:
        out = {c: v for c, v in out.items() if c in scope}
    return out


def _scope_filter(scope) -> str:
    if scope is None:
        return ""
    return "pe.commune_code IN (" + ",".join(f"'{c}'" for c in scope) + ")"


def _insert_due(conn, run_id: int, month: str, kind_sql: str = "'thuong_xuyen'") -> None:
    conn.execute(
        "INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,"
        " coefficient_tenths, base, basis, reason)"
        f" SELECT ?, person_id, commune_code, program, ?, {kind_sql}, amount, 0, tenths, base, basis, NULL"
        " FROM temp.pay_due", [run_id, month])


def run(db: Database, month: str, communes=None, *, actor: str = "btxh-cli",
        engine: Engine | None = None, pm=None) -> RunSummary:
    """Compute month ``month`` into the ledger (replacing an open run of the same month and scope)."""
    try:
        m = parse_month(month)
    except (ValueError, RuleError) as e:
        raise PayrollError(f"Tháng «{month}» không hợp lệ: cần dạng YYYY-MM. Không có gì được ghi.") from e
    scope = _scope(db, communes)
    engine = engine or engine_for(db, scope, pm)
    _check(db, engine, m, scope)
    scope_json = None if scope is None else json.dumps(scope)
    provinces = [r[0] for r in db.execute("SELECT code FROM provinces")]
    conn = db.conn
    now = clock.now_iso()
    workers = parallel.workers_for(conn, scope) if fastpath.supported(engine) else 1
    if workers > 1:
        db_path = conn.execute("PRAGMA database_list").fetchone()[2]
        with parallel.Scratch(conn, workers) as scratch:
            return _run(db, engine, m, scope, scope_json, provinces, now, actor,
                        lambda run_id: _insert_scratch(conn, engine, run_id, m, provinces, scratch,
                                                       scratch.compute(db_path, engine, m, provinces)))

    def in_process(run_id: int) -> None:
        compute_due(conn, engine, m, provinces, _scope_filter(scope))
        _insert_due(conn, run_id, month_str(m))
        _care_lines(conn, engine, run_id, m, scope)

    return _run(db, engine, m, scope, scope_json, provinces, now, actor, in_process)


def _insert_scratch(conn, engine: Engine, run_id: int, m: int, provinces, scratch, workers: list[int]) -> list:
    """Insert the workers' lines; return their lines grouped for the report cells."""
    for k in workers:
        conn.execute(
            "INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,"
            " coefficient_tenths, base, basis, reason)"
            f" SELECT ?, person_id, commune_code, program, ?, 'thuong_xuyen', amount, 0, tenths, base, basis, NULL"
            f" FROM pay_w{k}.due", [run_id, month_str(m)])
        conn.execute(
            "INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,"
            " coefficient_tenths, base, basis, reason)"
            f" SELECT ?, person_id, commune_code, 'CSND', ?, 'thuong_xuyen', amount, 0, NULL, base, basis, NULL"
            f" FROM pay_w{k}.care", [run_id, month_str(m)])
    # the care lines and arrears below join the month's tables
    fastpath.prepare(conn, engine, m, provinces)
    return scratch.cells()  # grouped by the workers while the lines were inserted


def _run(db: Database, engine: Engine, m: int, scope, scope_json, provinces, now: str, actor: str,
         regular) -> RunSummary:
    conn = db.conn
    with db.atomic():
        for (old,) in db.execute("SELECT id FROM payroll_runs WHERE month = ? AND status = 'open' AND scope IS ?",
                                 [month_str(m), scope_json]).fetchall():
            conn.execute("DELETE FROM ledger WHERE run_id = ?", [old])
            conn.execute("DELETE FROM payroll_runs WHERE id = ?", [old])
        seen = conn.execute("SELECT (SELECT coalesce(max(id), 0) FROM base_levels),"
                            " (SELECT coalesce(max(id), 0) FROM decisions)").fetchone()
        run_id = conn.execute(
            "INSERT INTO payroll_runs (month, scope, status, rule_set, created_at, created_by,"
            " base_levels_seen, decisions_seen) VALUES (?, ?, 'open', ?, ?, ?, ?, ?)",
            [month_str(m), scope_json, engine.rules.name, now, actor, *seen]).lastrowid
        first_line = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM ledger").fetchone()[0]
        grouped = regular(run_id)  # thuong_xuyen lines: TCXH/HTXH and CSND (grouped by parallel workers)
        after_regular = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM ledger").fetchone()[0]
        openings = _openings(db, scope)
        if openings:
            _arrears(db, engine, run_id, m, scope, openings, provinces)
        _funerals(db, engine, run_id, m, scope, openings)
        report_summary.summarise_run(db, engine, run_id, first_line,  # forms 10a-10d (ADR 010)
                                     None if grouped is None else (after_regular, grouped))
        summary = _summary(db, run_id, month_str(m), first_line)
        store.audit(db, actor=actor, action="payroll_run", table="payroll_runs", row_id=run_id,
                    after={"month": month_str(m), "scope": scope, **summary.totals})
    return summary


def compute_care(conn, engine: Engine, month: int, persons_filter: str = "") -> None:
    """Fill ``temp.pay_care`` (carer, commune, amount, base, basis): SQL, or the pure rules."""
    if fastpath.supported(engine):
        fastpath.compute_care(conn, engine, month, persons_filter)
        return
    conn.execute("DROP TABLE IF EXISTS temp.pay_care")
    conn.execute("CREATE TEMP TABLE pay_care (person_id INTEGER, commune_code TEXT, amount INTEGER,"
                 " base INTEGER, basis TEXT)")
    where = f"AND {persons_filter}" if persons_filter else ""
    ids = [r[0] for r in conn.execute(
        f"SELECT DISTINCT pe.id FROM care_entitlements e JOIN persons pe ON pe.id = e.carer_person_id WHERE 1 {where}")]
    facts = registry.load(conn, ids)
    rows = []
    for pid in ids:
        f = facts[pid]
        results = evaluate_care([e for _, _, e in f.care], month, engine, f.province)
        due = sum(r.amount for r in results)
        if due:
            rows.append((pid, f.commune_code, due, engine.base_levels.amount("TCXH", month, f.province),
                         "+".join(sorted({r.code for r in results if r.amount}))))
    conn.executemany("INSERT INTO pay_care VALUES (?, ?, ?, ?, ?)", rows)


def _care_lines(conn, engine: Engine, run_id: int, m: int, scope) -> None:
    """CSND lines for month m: one per carer (§5, §6 step 8; never merged into TCXH)."""
    compute_care(conn, engine, m, _scope_filter(scope))
    conn.execute("""INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,
                                        coefficient_tenths, base, basis, reason)
                    SELECT ?, person_id, commune_code, 'CSND', ?, 'thuong_xuyen', amount, 0, NULL, base, basis, NULL
                    FROM temp.pay_care""", [run_id, month_str(m)])


def _arrears(db: Database, engine: Engine, run_id: int, m: int, scope, openings, provinces) -> None:
    """Truy lĩnh / truy thu for earlier months (rules.md §8)."""
    conn = db.conn
    conn.execute("DROP TABLE IF EXISTS temp.pay_target")
    conn.execute("CREATE TEMP TABLE pay_target (person_id INTEGER PRIMARY KEY, lower TEXT)")
    opening_by_commune = {c: v[0] for c, v in openings.items()}
    first_opening = min(opening_by_commune.values())
    # 1. a base level added after the last closed run: everyone in scope, months it touches
    seen = db.execute("SELECT max(base_levels_seen) FROM payroll_runs WHERE status = 'closed'").fetchone()[0]
    retro = db.execute("SELECT min(substr(valid_from, 1, 7)) FROM base_levels WHERE id > ?"
                       " AND substr(valid_from, 1, 7) < ?", [seen, month_str(m)]).fetchone()[0]
    targets = []
    for pid, commune, created_min, start_min in db.execute("""
            SELECT d.person_id, p.commune_code, NULL, NULL FROM payroll_dirty d JOIN persons p ON p.id = d.person_id"""):
        if commune in opening_by_commune:
            targets.append((pid, opening_by_commune[commune]))
    # a decision created after the opening may start earlier: arrears reach back to its start
    late = {pid: start for pid, start in db.execute("""
            SELECT d.person_id, min(d.start_month) FROM decisions d JOIN payroll_dirty q ON q.person_id = d.person_id
            WHERE d.kind IN ('grant', 'resume', 'move', 'adjust') AND d.start_month IS NOT NULL AND d.id > ?
            GROUP BY d.person_id""", [min(v[1] for v in openings.values())])}
    targets = [(pid, min(lower, late.get(pid, lower))) for pid, lower in targets]
    conn.executemany("INSERT OR REPLACE INTO pay_target VALUES (?, ?)", targets)
    if retro is not None:
        lower = max(retro, first_opening)
        conn.execute(f"""INSERT OR IGNORE INTO pay_target
                         SELECT pe.id, ? FROM persons pe {'WHERE ' + _scope_filter(scope) if scope else ''}""",
                     [lower])
        conn.execute("UPDATE pay_target SET lower = min(lower, ?)", [lower])
    start = conn.execute("SELECT min(lower) FROM pay_target").fetchone()[0]
    if start is None:
        return
    start = max(parse_month(start), engine.rules.first_month_index)
    for month in range(start, m):
        ms = month_str(month)
        targets = f"pe.id IN (SELECT person_id FROM temp.pay_target WHERE lower <= '{ms}')"
        compute_due(conn, engine, month, provinces, targets)
        compute_care(conn, engine, month, targets)
        conn.execute("""
            INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,
                                coefficient_tenths, base, basis, reason)
            SELECT ?, t.person_id, p.commune_code, t.program, ?, CASE WHEN t.diff > 0 THEN 'truy_linh' ELSE 'truy_thu' END,
                   t.diff, 0, t.tenths, t.base, t.basis,
                   'Tháng ' || ? || ': phải trả ' || t.due || ' đ, đã trả ' || t.paid || ' đ'
            FROM (
              SELECT k.person_id, k.program, coalesce(d.amount, 0) AS due, coalesce(s.amount, 0) AS paid,
                     coalesce(d.amount, 0) - coalesce(s.amount, 0) AS diff, d.tenths, d.base, d.basis
              FROM (SELECT person_id, program FROM temp.pay_due
                    UNION SELECT person_id, 'CSND' FROM temp.pay_care
                    UNION SELECT s.person_id, s.program FROM ledger_settled s
                          JOIN temp.pay_target t ON t.person_id = s.person_id AND t.lower <= ?
                          WHERE s.month = ? AND s.program IN ('TCXH', 'HTXH', 'CSND')) k
              LEFT JOIN (SELECT person_id, program, amount, tenths, base, basis FROM temp.pay_due
                         UNION ALL SELECT person_id, 'CSND', amount, NULL, base, basis FROM temp.pay_care) d
                     ON d.person_id = k.person_id AND d.program = k.program
              LEFT JOIN ledger_settled s ON s.person_id = k.person_id AND s.program = k.program AND s.month = ?
            ) t JOIN persons p ON p.id = t.person_id
            WHERE t.diff <> 0""", [run_id, ms, ms, ms, ms, ms])


def _funerals(db: Database, engine: Engine, run_id: int, m: int, scope, openings) -> None:
    """Funeral support (§7) for deaths up to M not yet supported, from the opening on."""
    where = "" if scope is None else f"AND p.commune_code IN ({','.join('?' * len(scope))})"
    rows = db.execute(f"""
        SELECT p.id, p.commune_code, substr(p.death_date, 1, 7) FROM persons p
        WHERE p.death_date IS NOT NULL AND substr(p.death_date, 1, 7) <= ? {where}
          AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.person_id = p.id AND l.kind = 'mai_tang')""",
                      [month_str(m), *(scope or [])]).fetchall()
    wanted = [(pid, commune, death) for pid, commune, death in rows
              if death >= openings.get(commune, (month_str(m),))[0]
              and parse_month(death) >= engine.rules.first_month_index]
    facts = registry.load(db.conn, [pid for pid, _, _ in wanted])
    lines = []
    for pid, commune, death in wanted:
        result = registry.evaluate(engine, facts[pid], death)
        if result.funeral:
            lines.append((run_id, pid, commune, "MAITANG", death, "mai_tang", result.funeral, 0, None,
                          engine.base_levels.amount("TCXH", death, facts[pid].province), None, result.reason))
    db.conn.executemany(
        "INSERT INTO ledger (run_id, person_id, commune_code, program, month, kind, due, paid,"
        " coefficient_tenths, base, basis, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)


def _summary(db: Database, run_id: int, month: str, first_line: int) -> RunSummary:
    lines, totals = {}, {}
    # the run's lines are the newest rows: a rowid range scan, not 3.5 M index lookups
    for kind, count, total in db.execute(
            "SELECT kind, count(*), sum(due) FROM ledger WHERE id >= ? AND run_id = ? GROUP BY kind",
            [first_line, run_id]):
        lines[kind] = count
        totals[kind] = total
    return RunSummary(run_id, month, lines, totals)


def close(db: Database, month: str, *, actor: str = "btxh-cli") -> list[int]:
    """Freeze the open run(s) of ``month``; what they paid becomes ``ledger_settled``."""
    runs = db.execute("SELECT id, scope FROM payroll_runs WHERE month = ? AND status = 'open'", [month]).fetchall()
    if not runs:
        raise PayrollError(f"Không có kỳ chi trả tháng {month} nào đang mở để chốt. Không có gì được ghi.")
    now = clock.now_iso()
    with db.atomic():
        for run_id, scope_json in runs:
            engine = engine_for(db, None if scope_json is None else json.loads(scope_json))
            db.execute("""
                INSERT INTO ledger_settled (person_id, program, month, amount)
                SELECT person_id, program, month, sum(due) FROM ledger
                WHERE run_id = ? AND kind <> 'mai_tang' GROUP BY person_id, program, month
                ON CONFLICT (person_id, program, month) DO UPDATE SET amount = amount + excluded.amount""",
                       [run_id])
            if scope_json is None:
                db.execute("DELETE FROM payroll_dirty")
            else:
                codes = json.loads(scope_json)
                db.execute(f"DELETE FROM payroll_dirty WHERE person_id IN (SELECT id FROM persons WHERE "
                           f"commune_code IN ({','.join('?' * len(codes))}))", codes)
            db.execute("UPDATE payroll_runs SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ?",
                       [now, actor, run_id])
            report_summary.summarise_budget(db, engine, run_id)  # next year's projection (ADR 010 §6)
            store.audit(db, actor=actor, action="payroll_close", table="payroll_runs", row_id=run_id,
                        before={"status": "open"}, after={"status": "closed"})
    return [r[0] for r in runs]


def add_rate(db: Database, *, from_month: str, amount: int, basis: str, province: str | None = None,
             program: str = "TCXH", actor: str = "btxh-cli") -> int:
    """Add a base level (even one already in force): the next run pays the arrears."""
    problems = []
    try:
        parse_month(from_month)
    except (ValueError, RuleError):
        problems.append(f"--from «{from_month}» không hợp lệ: cần dạng YYYY-MM.")
    if amount is None or amount <= 0:
        problems.append("--amount phải là số tiền dương (đồng).")
    if not (basis or "").strip():
        problems.append("--basis phải ghi căn cứ pháp lý (số văn bản).")
    if program not in ("TCXH", "HTXH"):
        problems.append("--program phải là TCXH hoặc HTXH.")
    jurisdiction = "VN"
    if province is not None:
        if not db.execute("SELECT 1 FROM provinces WHERE code = ?", [province]).fetchone():
            problems.append(f"--province «{province}» không có trong danh mục 34 tỉnh, thành phố.")
        jurisdiction = province
    if not problems and db.execute(
            "SELECT 1 FROM base_levels WHERE program = ? AND jurisdiction = ? AND valid_from = ?",
            [program, jurisdiction, from_month + "-01"]).fetchone():
        problems.append(f"Đã có mức chuẩn {program} của {jurisdiction} từ {from_month}.")
    if problems:
        raise PayrollError("\n".join(problems) + "\nKhông có gì được ghi.")
    row = {"program": program, "jurisdiction": jurisdiction, "valid_from": from_month + "-01",
           "amount": amount, "legal_basis": basis.strip(), "added_at": clock.now_iso(), "added_by": actor}
    with db.atomic():
        row_id = db["base_levels"].insert(row).last_pk
        store.audit(db, actor=actor, action="rate_add", table="base_levels", row_id=row_id, after=row)
    return row_id
