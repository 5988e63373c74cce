"""``btxh import ho-tro``: one-off support lists (chương trình hỗ trợ một lần, NQ 42 style).

Every submitted row is kept in ``support_listings`` (a person may be listed in several
groups); each person gets one ``support_awards`` row: the listing with the highest total
(amount per month × months; on a tie, the first listed) — "only the highest", domain.md §9,
Q9. Persons listed more than once are reported. Re-importing the same list changes nothing.
"""

from __future__ import annotations

import re

from importers import FileRefused
from sqlite_utils import Database

from .. import clock
from . import Outcome, sha256
from .cells import fold, id_number, money, partial_date, text, whole
from .common import Transaction, audit_rows, check_legacy, problem_at, record_batch, sheet_records
from .table import Field
from .units import Units

KIND = "ho_tro"
FIELDS = [
    Field("stt", "STT", ("stt", "tt", "so tt")),
    Field("full_name", "Họ và tên", ("ho va ten", "ho ten", "ho va ten nguoi duoc ho tro", "ho ten nguoi nhan"),
          ("Họ và tên",)),
    Field("birth", "Năm sinh", ("nam sinh", "ngay sinh", "ngay thang nam sinh")),
    Field("cccd", "CCCD", ("cccd", "so cccd", "cmnd cccd", "so cmnd cccd", "so dinh danh", "cmnd", "so cmnd")),
    Field("village", "Thôn", ("thon", "thon xom to dan pho", "thon to dan pho", "dia chi")),
    Field("commune", "Xã", ("xa", "ma xa", "xa phuong")),
    Field("group", "Nhóm", ("nhom", "nhom doi tuong", "doi tuong", "dien", "nhom ho tro", "dien ho tro"),
          ("Nhóm", "Nhóm đối tượng")),
    Field("amount", "Mức hỗ trợ/tháng", ("muc ho tro thang", "muc ho tro", "so tien thang", "muc ho tro dong thang",
                                         "so tien ho tro thang", "muc ho tro moi thang", "dinh muc thang"),
          ("Mức hỗ trợ/tháng",)),
    Field("months", "Số tháng", ("so thang", "so thang ho tro", "so thang huong", "thoi gian ho tro thang"),
          ("Số tháng",)),
]
REQUIRED = [("full_name",), ("group",), ("amount",), ("months",)]


def _program(db, program, name, basis, first_month, months):
    row = db.execute("SELECT code, months FROM support_programs WHERE code = ?", [program]).fetchone()
    if row:
        return {"code": row[0], "months": row[1], "new": None}
    problems = []
    if not re.fullmatch(r"[A-Z0-9]{2,30}", program or ""):
        problems.append(f"--program «{program}»: mã chương trình chỉ gồm chữ in hoa và chữ số (2–30 ký tự)")
    for option, value in (("--name", name), ("--basis", basis), ("--first-month", first_month),
                          ("--months", months)):
        if not value:
            problems.append(f"chương trình «{program}» chưa có: cần {option}")
    if first_month and not re.fullmatch(r"[12]\d{3}-(0[1-9]|1[0-2])", first_month):
        problems.append(f"--first-month «{first_month}» không hợp lệ: cần dạng YYYY-MM")
    if months is not None and not 1 <= months <= 24:
        problems.append("--months phải từ 1 đến 24")
    if problems:
        raise FileRefused("\n".join(problems) + "\nKhông có gì được ghi.")
    return {"code": program, "months": months, "new": {"code": program, "name": name.strip(),
                                                       "legal_basis": basis.strip(), "first_month": first_month,
                                                       "months": months}}


def plan(db: Database, data: bytes, filename: str, *, program: str, name=None, basis=None, first_month=None,
         months=None, commune=None, scope=None, progress=None, book=None) -> Outcome:
    from importers import read  # noqa: PLC0415

    book = book or read(data, filename)
    check_legacy(book)
    prog = _program(db, program, name, basis, first_month, months)
    units = Units(db)
    if commune and commune not in units.communes:
        raise FileRefused(f"--commune «{commune}»: mã xã không có trong danh mục từ 01/07/2025. Không có gì được ghi.")
    outcome = Outcome(KIND, book.filename, sha256(data))
    groups = {code: (gname, amount) for code, gname, amount in db.execute(
        "SELECT code, name, amount_per_month FROM support_groups WHERE program_code = ?", [program])}
    new_groups: dict = {}
    listings = {(g, k): (lid, c, n, a, m) for lid, g, k, c, n, a, m in db.execute(
        "SELECT id, group_code, person_key, commune_code, full_name, amount_per_month, months FROM support_listings"
        " WHERE program_code = ?", [program])}
    rows, seen = [], {}
    for sheet, names, columns, number, cells in sheet_records(book, FIELDS, REQUIRED, "full_name", outcome,
                                                             progress):
        before = len(outcome.problems)
        bad = lambda key, message: outcome.problems.append(  # noqa: E731
            problem_at(book, sheet, names, columns, number, key, cells, message))
        person = text(cells.get("full_name"))
        if not person:
            bad("full_name", "trống")
        year = None
        if text(cells.get("birth")):
            born, problem = partial_date(cells["birth"])
            if problem:
                bad("birth", problem)
            else:
                year = born.year
        cccd = None
        if text(cells.get("cccd")):
            cccd, cmnd, problem, _ = id_number(cells["cccd"], None, None)
            if problem:
                bad("cccd", problem)
            cccd = cccd or cmnd
        code, _, problem = units.resolve(cells.get("commune"), default=commune)
        if problem:
            bad("commune" if "commune" in cells else None, problem)
        elif commune and code != commune:
            bad("commune", f"thuộc xã {code}, không phải xã của tệp ({commune})")
        elif scope is not None and not scope.includes(code, units.province_of(code)):
            bad("commune", f"tài khoản của bạn không được giao xã {code}")
        group_text = text(cells.get("group"))
        group = fold(group_text).upper().replace(" ", "_")[:30]
        if not group:
            bad("group", "trống")
        amount, problem = money(cells.get("amount")) if text(cells.get("amount")) else (None, "trống")
        if problem:
            bad("amount", problem)
        elif amount == 0:
            bad("amount", "phải lớn hơn 0")
        n_months, problem = whole(cells.get("months"), 1, prog["months"] or 24)
        if problem:
            bad("months", problem + (f" (chương trình có {prog['months']} tháng)" if prog["months"] else ""))
        if len(outcome.problems) > before:
            continue
        known = groups.get(group) or new_groups.get(group)
        if known and known[1] != amount:
            bad("amount", f"nhóm «{group_text}» có mức {known[1]:,} đồng/tháng; dòng này ghi {amount:,}"
                .replace(",", "."))
            continue
        if not known:
            new_groups[group] = (group_text, amount)
        key = cccd or f"{fold(person)}|{year or ''}|{code}"
        if (group, key) in seen:
            bad("cccd" if cccd else "full_name", f"trùng với dòng {seen[(group, key)]}: cùng người, cùng nhóm "
                                                 f"«{group_text}» (không tự gộp: xoá một dòng)")
            continue
        seen[(group, key)] = number
        label = f"«{book.filename}»" + (f", trang «{sheet}»" if sheet else "") + f", dòng {number}"
        row = {"group": group, "key": key, "commune": code, "name": person, "year": year, "cccd": cccd,
               "village": text(cells.get("village")) or None, "months": n_months, "amount": amount,
               "row": number, "label": label}
        old = listings.get((group, key))
        if old is None:
            row["action"] = "them"
            outcome.inserted += 1
        elif old[1:] == (code, person, amount, n_months):
            row["action"] = "giu"
            outcome.unchanged += 1
        else:
            row["action"], row["id"] = "sua", old[0]
            outcome.updated += 1
        outcome.actions.append((label, row["action"], f"{person}: nhóm «{group_text}», {amount:,} đồng × {n_months} "
                                "tháng".replace(",", ".")))
        rows.append(row)
    if outcome.problems:
        return outcome
    by_person: dict = {}
    for r in rows:
        by_person.setdefault(r["key"], []).append(r)
    for (g, k), (lid, c, n, a, m) in listings.items():
        if k in by_person and not any(r["group"] == g for r in by_person[k]):
            by_person[k].append({"group": g, "key": k, "commune": c, "name": n, "amount": a, "months": m,
                                 "id": lid, "action": "db", "label": "đã có trong sổ"})
    twice = {k: v for k, v in by_person.items() if len(v) > 1}
    for k, v in twice.items():
        best = max(v, key=lambda r: r["amount"] * r["months"])
        outcome.notes.append(f"{v[0]['name']} có tên trong {len(v)} nhóm ("
                             + "; ".join(f"{r['label']}: «{r['group']}» {r['amount'] * r['months']:,} đồng"
                                         .replace(",", ".") for r in v)
                             + f"): chỉ hưởng mức cao nhất, nhóm «{best['group']}».")
    outcome.payload = {"program": prog, "new_groups": new_groups, "rows": rows, "by_person": by_person}
    return outcome


def apply(db: Database, outcome: Outcome, actor: str) -> Outcome:
    if outcome.problems:
        raise ValueError("a plan with problems is never written")
    w = outcome.payload
    changing = [r for r in w["rows"] if r["action"] in ("them", "sua")]
    if not changing and not w["program"]["new"]:
        return outcome
    conn = db.conn
    now = clock.now_iso()
    code = w["program"]["code"]
    with Transaction(conn):
        audit = []
        if w["program"]["new"]:
            record = {**w["program"]["new"], "created_at": now, "created_by": actor}
            conn.execute(f"INSERT INTO support_programs ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
                         list(record.values()))
            audit.append(("support_program_add", "support_programs", code, None, None, record))
        for group, (gname, amount) in w["new_groups"].items():
            record = {"program_code": code, "code": group, "name": gname, "amount_per_month": amount,
                      "max_months": w["program"]["months"]}
            conn.execute("INSERT INTO support_groups VALUES (?, ?, ?, ?, ?)", list(record.values()))
            audit.append(("support_group_add", "support_groups", f"{code}/{group}", None, None, record))
        cccds = [r["cccd"] for r in changing if r["cccd"]]
        person_ids = {}
        for i in range(0, len(cccds), 500):
            chunk = cccds[i:i + 500]
            person_ids.update(conn.execute(f"SELECT cccd, id FROM persons WHERE cccd IN ({','.join('?' * len(chunk))})",
                                           chunk).fetchall())
        for r in changing:
            record = {"program_code": code, "group_code": r["group"], "commune_code": r["commune"],
                      "person_id": person_ids.get(r["cccd"]), "person_key": r["key"], "full_name": r["name"],
                      "birth_year": r["year"], "cccd": r["cccd"], "village": r["village"], "months": r["months"],
                      "amount_per_month": r["amount"], "source_file": outcome.filename, "source_row": r["row"],
                      "created_at": now, "created_by": actor}
            if r["action"] == "them":
                r["id"] = conn.execute(f"INSERT INTO support_listings ({', '.join(record)}) VALUES "
                                       f"({', '.join('?' * len(record))})", list(record.values())).lastrowid
                audit.append(("support_listing_add", "support_listings", r["id"], r["commune"], None, record))
            else:
                change = {k: record[k] for k in ("commune_code", "full_name", "months", "amount_per_month",
                                                 "source_file", "source_row")}
                conn.execute(f"UPDATE support_listings SET {', '.join(f'{k} = ?' for k in change)} WHERE id = ?",
                             [*change.values(), r["id"]])
                audit.append(("support_listing_update", "support_listings", r["id"], r["commune"], None, change))
        for key in {r["key"] for r in changing}:
            candidates = [r for r in w["by_person"][key] if "id" in r]
            best = max(candidates, key=lambda r: (r["amount"] * r["months"], -r["id"]))
            total = best["amount"] * best["months"]
            award = conn.execute("SELECT id, listing_id, amount, paid_date FROM support_awards WHERE program_code = ?"
                                 " AND person_key = ?", [code, key]).fetchone()
            if award and (award[1], award[2]) == (best["id"], total):
                continue
            if award and award[3]:
                raise FileRefused(f"{best['name']}: khoản hỗ trợ đã chi ngày {award[3]}, không thay đổi được. "
                                  "Không có gì được ghi.")
            record = {"program_code": code, "commune_code": best["commune"], "person_key": key,
                      "listing_id": best["id"], "amount": total}
            if award:
                conn.execute("UPDATE support_awards SET commune_code = ?, listing_id = ?, amount = ? WHERE id = ?",
                             [best["commune"], best["id"], total, award[0]])
                audit.append(("support_award_update", "support_awards", award[0], best["commune"], None, record))
            else:
                aid = conn.execute("INSERT INTO support_awards (program_code, commune_code, person_key, listing_id,"
                                   " amount) VALUES (?, ?, ?, ?, ?)", list(record.values())).lastrowid
                audit.append(("support_award_add", "support_awards", aid, best["commune"], None, record))
        audit_rows(conn, actor, audit)
        record_batch(conn, outcome, actor, changing[0]["commune"] if changing and len(
            {r["commune"] for r in changing}) == 1 else None)
    outcome.written = True
    return outcome
