"""``btxh import chi-tra``: the paying agent's returned list, reconciled with the ledger.

Each row says whether a person on a *closed* run's payment list was paid (đã nhận), not
paid (chưa nhận) or the money was returned (trả lại), and when. The result is recorded in
``payment_outcomes``; for not paid or returned, the person's paid lines of that run are
taken out of ``ledger_settled`` and the person is queued (``payroll_dirty``), so the next
payroll run pays them again as truy lĩnh — closed runs are never changed
(docs/decisions/012-payment-results.md). Persons not paid three months running are
proposed for suspension (TT 02/2021/TT-BLĐTBXH Art. 2(3)); staff decide.
"""

from __future__ import annotations

import re

from importers import FileRefused
from sqlite_utils import Database

from .. import clock
from ..rules.dates import month_str, parse_month
from . import Outcome, sha256
from .cells import fold, full_date, money, text
from .common import Transaction, audit_rows, check_legacy, problem_at, record_batch, sheet_records
from .table import Field, Problem

KIND = "chi_tra"
PAID_KINDS = ("thuong_xuyen", "truy_linh", "mai_tang")
FIELDS = [
    Field("stt", "STT", ("stt", "tt", "so tt")),
    Field("person_id", "Mã đối tượng", ("ma doi tuong", "ma nguoi", "ma so", "ma dt", "ma nguoi huong")),
    Field("full_name", "Họ và tên", ("ho va ten", "ho ten", "ho va ten nguoi nhan", "ho ten nguoi nhan",
                                     "ho va ten doi tuong"), ("Họ và tên",)),
    Field("birth_year", "Năm sinh", ("nam sinh", "ngay sinh")),
    Field("cccd", "CCCD", ("cccd", "so cccd", "cmnd cccd", "so dinh danh", "so dinh danh ca nhan")),
    Field("village", "Thôn", ("thon", "thon to dan pho", "thon xom to dan pho")),
    Field("amount", "Số tiền", ("so tien", "tong so tien", "so tien da nhan", "so tien chi tra", "tong cong")),
    Field("status", "Trạng thái", ("trang thai", "ket qua", "tinh trang", "ket qua chi tra", "trang thai chi tra",
                                   "da nhan chua nhan"), ("Trạng thái", "Kết quả")),
    Field("date", "Ngày nhận", ("ngay nhan", "ngay chi tra", "ngay", "ngay chi", "ngay tra lai", "ngay linh")),
]
REQUIRED = [("full_name",), ("status",)]
STATUSES = {
    "da nhan": "da_nhan", "da chi tra": "da_nhan", "da chi": "da_nhan", "da linh": "da_nhan", "x": "da_nhan",
    "da tra": "da_nhan", "chua nhan": "chua_nhan", "chua chi tra": "chua_nhan", "chua linh": "chua_nhan",
    "khong nhan": "chua_nhan", "chua chi": "chua_nhan", "vang": "chua_nhan", "tra lai": "tra_lai",
    "hoan tra": "tra_lai", "da tra lai": "tra_lai", "da hoan tra": "tra_lai", "thu hoi": "tra_lai",
}
STATUS_LABELS = {"da_nhan": "đã nhận", "chua_nhan": "chưa nhận", "tra_lai": "trả lại"}
SUSPENSION_BASIS = "Thông tư 02/2021/TT-BLĐTBXH Điều 2 khoản 3"


def _run_and_list(db: Database, commune: str, month: str):
    if not re.fullmatch(r"[12]\d{3}-(0[1-9]|1[0-2])", month or ""):
        raise FileRefused(f"--month «{month}» không hợp lệ: cần dạng YYYY-MM. Không có gì được ghi.")
    if not db.execute("SELECT 1 FROM communes WHERE code = ?", [commune]).fetchone():
        raise FileRefused(f"--commune «{commune}»: mã xã không có trong danh mục từ 01/07/2025. "
                          "Không có gì được ghi.")
    run = db.execute("SELECT r.id FROM payroll_runs r WHERE r.month = ? AND r.status = 'closed' AND EXISTS"
                     " (SELECT 1 FROM ledger l WHERE l.run_id = r.id AND l.commune_code = ?)"
                     " ORDER BY r.closed_at DESC, r.id DESC LIMIT 1", [month, commune]).fetchone()
    if run is None:
        raise FileRefused(f"Xã {commune} chưa có bảng lương tháng {month[5:]}/{month[:4]} đã chốt: chỉ nhập kết quả "
                          "chi trả của danh sách đã chốt. Không có gì được ghi.")
    run_id = run[0]
    people = {}
    for pid, name, year, cccd, village in db.execute(
            "SELECT p.id, p.full_name, p.birth_year, p.cccd, v.name FROM persons p LEFT JOIN villages v"
            " ON v.id = p.village_id WHERE p.id IN (SELECT person_id FROM ledger WHERE run_id = ?"
            " AND commune_code = ?)", [run_id, commune]):
        people[pid] = {"id": pid, "name": name, "year": year, "cccd": cccd, "village": village, "total": 0,
                       "lines": {}, "funeral": 0}
    for pid, program, line_month, kind, due in db.execute(
            "SELECT person_id, program, month, kind, due FROM ledger WHERE run_id = ? AND commune_code = ?",
            [run_id, commune]):
        if kind in PAID_KINDS:
            people[pid]["total"] += due
        if kind == "mai_tang":
            people[pid]["funeral"] += due
        elif kind in ("thuong_xuyen", "truy_linh"):
            key = (program, line_month)
            people[pid]["lines"][key] = people[pid]["lines"].get(key, 0) + due
    return run_id, {pid: p for pid, p in people.items() if p["total"] > 0}


def plan(db: Database, data: bytes, filename: str, *, commune: str, month: str, scope=None, progress=None,
         book=None) -> Outcome:
    """Validate a returned list against the closed run of ``month`` in ``commune``; write nothing."""
    from importers import read  # noqa: PLC0415

    book = book or read(data, filename)
    check_legacy(book)
    run_id, people = _run_and_list(db, commune, month)
    outcome = Outcome(KIND, book.filename, sha256(data))
    by_cccd = {p["cccd"]: pid for pid, p in people.items() if p["cccd"]}
    by_name: dict = {}
    for pid, p in people.items():
        by_name.setdefault(p["name"].lower(), []).append(pid)
    existing = {pid: (status, day) for pid, status, day in db.execute(
        "SELECT person_id, status, outcome_date FROM payment_outcomes WHERE run_id = ? AND commune_code = ?",
        [run_id, commune])}
    seen: dict[int, int] = {}
    new = []
    today = clock.today()
    for sheet, names, columns, number, cells in sheet_records(book, FIELDS, REQUIRED, "full_name", outcome,
                                                             progress):
        bad = lambda key, message: outcome.problems.append(  # noqa: E731
            problem_at(book, sheet, names, columns, number, key, cells, message))
        pid = None
        name = text(cells.get("full_name"))
        if text(cells.get("person_id")):
            raw = text(cells["person_id"])
            if not raw.isdigit() or int(raw) not in people:
                bad("person_id", f"không có người mã «{raw}» trong danh sách chi trả tháng {month[5:]}/{month[:4]}")
                continue
            pid = int(raw)
        elif text(cells.get("cccd")) and text(cells["cccd"]) in by_cccd:
            pid = by_cccd[text(cells["cccd"])]
        else:
            found = by_name.get(name.lower(), [])
            year = text(cells.get("birth_year"))[-4:]
            if year and len(found) > 1:
                found = [f for f in found if str(people[f]["year"]) == year]
            if len(found) != 1:
                bad("full_name", (f"có {len(found)} người tên «{name}» trong danh sách chi trả: thêm cột «Mã đối "
                                  "tượng» hoặc «Năm sinh»") if found else
                    f"«{name}» không có trong danh sách chi trả tháng {month[5:]}/{month[:4]} của xã")
                continue
            pid = found[0]
        person = people[pid]
        if name and name.lower() != person["name"].lower():
            bad("full_name", f"mã {pid} trong danh sách là «{person['name']}», khác họ tên trong tệp")
            continue
        if pid in seen:
            bad("full_name", f"{person['name']} đã có kết quả ở dòng {seen[pid]}: mỗi người một dòng")
            continue
        seen[pid] = number
        status_text = text(cells.get("status"))
        status = STATUSES.get(fold(status_text))
        if status is None:
            bad("status", f"«{status_text}»: ghi «Đã nhận», «Chưa nhận» hoặc «Trả lại»")
            continue
        day = None
        if text(cells.get("date")):
            day, problem = full_date(cells["date"])
            if problem:
                bad("date", problem)
                continue
            if day > today:
                bad("date", f"ngày {day:%d/%m/%Y} ở tương lai")
                continue
        elif status == "da_nhan":
            bad("date" if "date" in cells else "status", "đã nhận thì phải ghi ngày nhận")
            continue
        if text(cells.get("amount")):
            amount, problem = money(cells["amount"])
            if problem:
                bad("amount", problem)
                continue
            if amount != person["total"]:
                bad("amount", f"{amount:,} đồng khác số tiền trong danh sách chi trả ({person['total']:,} đồng)"
                    .replace(",", "."))
                continue
        label = f"«{book.filename}»" + (f", trang «{sheet}»" if sheet else "") + f", dòng {number}"
        iso = day.isoformat() if day else None
        if pid in existing:
            if existing[pid] == (status, iso):
                outcome.unchanged += 1
                outcome.actions.append((label, "giu", f"{person['name']}: {STATUS_LABELS[status]}"))
                continue
            bad("status", f"đã ghi kết quả «{STATUS_LABELS[existing[pid][0]]}»"
                          f"{' ngày ' + existing[pid][1] if existing[pid][1] else ''} cho {person['name']}: "
                          "kết quả đã ghi không sửa được bằng nhập lại")
            continue
        outcome.inserted += 1
        outcome.actions.append((label, "them", f"{person['name']} (mã {pid}): {STATUS_LABELS[status]}"
                                + (f", chuyển {sum(person['lines'].values()):,} đồng sang kỳ sau".replace(",", ".")
                                   if status != "da_nhan" else "")))
        if status != "da_nhan" and person["funeral"]:
            outcome.warnings.append(f"{label}: {person['name']} chưa nhận hỗ trợ mai táng "
                                    f"{person['funeral']:,} đồng: chi lại ngoài bảng lương".replace(",", "."))
        new.append({"person_id": pid, "status": status, "date": iso, "amount": person["total"],
                    "lines": person["lines"], "row": number})
    if outcome.problems:
        return outcome
    missing = [p["name"] for pid, p in people.items() if pid not in seen and pid not in existing]
    if missing:
        outcome.notes.append(f"{len(missing)} người trong danh sách chi trả chưa có kết quả trong tệp: "
                             + ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""))
    outcome.notes += _proposals(db, commune, month, new, people)
    outcome.payload = {"run_id": run_id, "commune": commune, "month": month, "new": new}
    return outcome


def _proposals(db, commune: str, month: str, new: list[dict], people: dict) -> list[str]:
    """Persons not paid in month and the two before: proposed for suspension."""
    m = parse_month(month)
    before = (month_str(m - 1), month_str(m - 2))
    out = []
    for row in new:
        if row["status"] == "da_nhan":
            continue
        unpaid = db.execute("SELECT count(DISTINCT month) FROM payment_outcomes WHERE person_id = ? AND"
                            " status <> 'da_nhan' AND month IN (?, ?)", [row["person_id"], *before]).fetchone()[0]
        if unpaid == 2:
            p = people[row["person_id"]]
            out.append(f"Đề nghị tạm dừng ({SUSPENSION_BASIS}): {p['name']} (mã {p['id']}) không nhận trợ cấp 3 "
                       f"tháng liên tục {before[1][5:]}/{before[1][:4]}–{month[5:]}/{month[:4]}; cán bộ xã xem xét, "
                       f"lập quyết định tạm dừng trên trang đối tượng.")
    return out


def apply(db: Database, outcome: Outcome, actor: str) -> Outcome:
    """Record the outcomes and roll unpaid money forward, all or nothing."""
    if outcome.problems:
        raise ValueError("a plan with problems is never written")
    w = outcome.payload
    if not w["new"]:
        return outcome
    conn = db.conn
    now = clock.now_iso()
    with Transaction(conn):
        batch = record_batch(conn, outcome, actor, w["commune"])
        audit = []
        for row in w["new"]:
            rolled = 0 if row["status"] == "da_nhan" else sum(row["lines"].values())
            record = {"run_id": w["run_id"], "person_id": row["person_id"], "commune_code": w["commune"],
                      "month": w["month"], "status": row["status"], "amount": row["amount"],
                      "outcome_date": row["date"], "rolled_forward": rolled, "batch_id": batch,
                      "source_row": row["row"], "created_at": now, "created_by": actor}
            oid = conn.execute(f"INSERT INTO payment_outcomes ({', '.join(record)}) VALUES "
                               f"({', '.join('?' * len(record))})", list(record.values())).lastrowid
            audit.append(("payment_outcome_add", "payment_outcomes", oid, w["commune"], None, record))
            if rolled:
                for (program, line_month), due in row["lines"].items():
                    conn.execute("UPDATE ledger_settled SET amount = amount - ? WHERE person_id = ? AND program = ?"
                                 " AND month = ?", [due, row["person_id"], program, line_month])
                conn.execute("INSERT OR IGNORE INTO payroll_dirty (person_id) VALUES (?)", [row["person_id"]])
        audit_rows(conn, actor, audit)
    outcome.written = True
    return outcome
