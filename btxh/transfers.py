"""A move between communes is two-sided (ND 335 Art. 8(3); docs/decisions/014-transfers.md).

The chairman of the old commune decides to stop paying there and sends the file; the
chairman of the new commune decides, in their own register, to pay from the month the old
commune stopped ("từ tháng thôi chi trả tại nơi cư trú cũ"): one payment a month across
the move. So:

* ``send`` (an officer of the old commune): a ``stop`` decision per paid membership in the
  old commune's register, stop month M, and a transfer ``cho_tiep_nhan``. Nothing is
  written in the new commune: no decision, no membership, the person stays where they are.
* ``accept`` (an officer of the new commune): the old memberships end on the last day of
  M−1, new ones (same facts, K4 children too) start on the 1st of M in the new commune under
  a ``move`` decision of the new commune (its number, its signer); the person's commune and
  village change. While the transfer waited nobody paid; the new commune's next payroll run
  pays the waiting months as arrears (a decision created after the opening with an earlier
  start month, docs/decisions/006-payroll.md).
* ``refuse`` (the new commune, with a reason) or ``cancel`` (the old commune): the old
  commune may then resume (btxh.cases.resume), with arrears from M if it resumes from M.

Every function validates first (Vietnamese messages keyed by field, btxh.cases.CaseError),
checks the actor against the commune in the database (never a commune from the form), and
writes all or nothing with audit rows.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from . import clock, store
from .access import may_know_hiv, role_of
from .cases import (CaseError, _active, _add_decision, _decision_row, _may_write, _month,
                    _number_free, _Problems, _signed, _vn, membership_state)
from .rules.dates import month_str, month_vn, parse_month
from .scoping import Scope

STATUSES = {"cho_tiep_nhan": "Chờ xã nơi đến tiếp nhận", "da_tiep_nhan": "Đã tiếp nhận",
            "tu_choi": "Xã nơi đến từ chối", "huy": "Xã nơi đi đã hủy"}


def _first_day(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def _holds(actor: dict | None, commune_code: str) -> bool:
    """May write in ``commune_code``'s register: its officer, or the administrator."""
    role = role_of(actor)
    return role == "quan_tri" or (role == "can_bo_xa" and commune_code in (actor.get("communes") or ()))


def may_receive(actor: dict | None, transfer: dict) -> bool:
    """Accept or refuse: an officer of the destination commune, or the administrator."""
    return _holds(actor, transfer["to_commune"])


def shows_categories(actor: dict | None, transfer: dict) -> bool:
    """Whether the transfer page may show the categories it carries (K3/K8 are HIV status): to
    who may know it for the source commune, always; for the destination, only while the file
    waits for it or once it accepted — a refused or withdrawn person never became theirs
    (``access.may_know_hiv``; docs/decisions/014-transfers.md)."""
    return may_know_hiv(actor, [transfer["from_commune"]]) or (
        transfer["status"] in ("cho_tiep_nhan", "da_tiep_nhan") and may_know_hiv(actor, [transfer["to_commune"]]))


def may_cancel(actor: dict | None, transfer: dict) -> bool:
    """Cancel: an officer of the source commune, or the administrator."""
    return _holds(actor, transfer["from_commune"])


def _transfer(db: Database, p: _Problems, transfer_id) -> dict | None:
    found = store.row(db, "SELECT * FROM transfers WHERE id = ?", [transfer_id])
    if found is None:
        p.add("transfer_id", f"không có phiếu chuyển số {transfer_id}")
    elif found["status"] != "cho_tiep_nhan":
        p.add("status", f"phiếu chuyển đã ở trạng thái «{STATUSES[found['status']]}», không xử lý lại được")
    return found


def _carried(db: Database, transfer_id: int) -> list[dict]:
    return store.rows(db, "SELECT tm.*, m.category, m.valid_from FROM transfer_memberships tm"
                          " JOIN memberships m ON m.id = tm.membership_id WHERE tm.transfer_id = ?"
                          " ORDER BY tm.membership_id", [transfer_id])


def send(db: Database, actor: dict, person_id, to_commune: str, number: str, signed_date: str,
         signer_name: str, signer_title: str, stop_month: str, reason: str) -> int:
    """The old commune stops paying from ``stop_month`` and sends the file; the transfer's id.

    Every membership paid in the person's commune gets a ``stop`` decision of that commune
    (``number``); a suspended one must be resumed or stopped first. The new commune must
    exist, differ and be in force on the 1st of ``stop_month``."""
    p = _Problems()
    to_commune = " ".join((to_commune or "").split())
    number, signed, signer_name, signer_title, reason = _signed(
        p, number, signed_date, signer_name, signer_title, reason)
    at = _month(p, "stop_month", stop_month)
    person = store.row(db, "SELECT * FROM persons WHERE id = ?", [person_id])
    moving = []
    if person is None:
        p.add("person_id", f"không có người mã «{person_id}»")
    else:
        _may_write(p, actor, person["commune_code"])
        if person["death_date"]:
            p.add("person_id", "người này đã chết")
        _number_free(db, p, "number", number, person["commune_code"])
        pending = db.execute("SELECT id FROM transfers WHERE person_id = ? AND status = 'cho_tiep_nhan'",
                             [person["id"]]).fetchone()
        if pending:
            p.add("status", f"người này đang có phiếu chuyển số {pending[0]} chờ xã nơi đến tiếp nhận")
        for ms in store.rows(db, "SELECT * FROM memberships WHERE person_id = ? AND commune_code = ?"
                                 " AND valid_to IS NULL ORDER BY id", [person["id"], person["commune_code"]]):
            state = membership_state(db, ms, person)
            if state == "tam_dung":
                p.add("status", f"diện {ms['category']} đang tạm dừng: quyết định tiếp tục hưởng hoặc thôi "
                                "hưởng trước khi chuyển")
            elif state == "huong":
                moving.append(ms)
                began = parse_month(ms["valid_from"][:7])
                if at is not None and at <= began:
                    p.add("stop_month", f"phải sau tháng bắt đầu hưởng {month_vn(began)} của diện {ms['category']}")
        if not moving and not person["death_date"] and not pending:
            p.add("status", "người này không có diện đang hưởng tại xã để chuyển")
    commune = store.row(db, "SELECT * FROM communes WHERE code = ?", [to_commune])
    if not to_commune:
        p.add("to_commune", "chưa chọn")
    elif commune is None:
        p.add("to_commune", f"mã xã «{to_commune}» không có trong danh mục")
    else:
        if person and to_commune == person["commune_code"]:
            p.add("to_commune", "trùng xã đang cư trú")
        if at is not None and not _active(commune, _first_day(at)):
            p.add("to_commune", f"{commune['name']} không còn hiệu lực vào ngày {_vn(_first_day(at))}")
    p.raise_if_any()

    now, old = clock.now_iso(), person["commune_code"]
    transfer = {"person_id": person["id"], "from_commune": old, "to_commune": to_commune,
                "stop_month": month_str(at), "reason": reason, "status": "cho_tiep_nhan",
                "sent_at": now, "sent_by": actor["id"]}
    with db.atomic():
        transfer_id = db["transfers"].insert(transfer).last_pk
        store.audit(db, actor=actor["id"], action="transfer_send", table="transfers", row_id=transfer_id,
                    after={"id": transfer_id, **transfer}, commune_code=old)
        for ms in moving:
            stop_id = _add_decision(db, actor, _decision_row(
                "stop", number, signed, signer_name, signer_title, person["id"], ms["id"], old,
                f"Chuyển đến {commune['name']}: {reason}", actor, stop_month=at))
            link = {"transfer_id": transfer_id, "membership_id": ms["id"], "stop_decision_id": stop_id}
            db["transfer_memberships"].insert(link)
            store.audit(db, actor=actor["id"], action="transfer_membership_add", table="transfer_memberships",
                        row_id=f"{transfer_id},{ms['id']}", after=link, commune_code=old)
    return transfer_id


def accept(db: Database, actor: dict, transfer_id, number: str, signed_date: str, signer_name: str,
           signer_title: str, to_village_id) -> int:
    """The new commune decides, in its own register, to pay from the old commune's stop month;
    the id of its (first) decision."""
    p = _Problems()
    number, signed, signer_name, signer_title, _ = _signed(p, number, signed_date, signer_name, signer_title, None)
    transfer = _transfer(db, p, transfer_id)
    village = person = None
    carried = []
    if transfer:
        new = transfer["to_commune"]
        at = parse_month(transfer["stop_month"])
        _may_write(p, actor, new)
        person = store.row(db, "SELECT * FROM persons WHERE id = ?", [transfer["person_id"]])
        if person["death_date"]:
            p.add("person_id", "người này đã chết: xã nơi đi quyết định thôi hưởng, không tiếp nhận được")
        elif person["commune_code"] != transfer["from_commune"]:
            p.add("status", "người này không còn cư trú tại xã nơi đi")
        _number_free(db, p, "number", number, new)
        carried = _carried(db, transfer["id"])
        stops = [r[0] for r in db.execute(
            "SELECT signed_date FROM decisions WHERE id IN (SELECT stop_decision_id FROM transfer_memberships"
            " WHERE transfer_id = ?)", [transfer["id"]])]
        if signed and stops and signed.isoformat() < max(stops):
            p.add("signed_date", f"trước ngày xã nơi đi ký quyết định thôi chi trả "
                                 f"{_vn(dt.date.fromisoformat(max(stops)))}")
        if not str(to_village_id or "").strip():
            p.add("to_village_id", "chưa chọn")
        else:
            village = store.row(db, "SELECT * FROM villages WHERE id = ? AND commune_code = ?",
                                [str(to_village_id).strip(), new])
            if village is None:
                p.add("to_village_id", "không thuộc xã chuyển đến")
            elif not _active(village, _first_day(at)):
                p.add("to_village_id", f"{village['name']} không còn hiệu lực vào ngày {_vn(_first_day(at))}")
    p.raise_if_any()

    old, first = transfer["from_commune"], _first_day(at)
    last_day, now = (first - dt.timedelta(days=1)).isoformat(), clock.now_iso()
    old_name = db.execute("SELECT name FROM communes WHERE code = ?", [old]).fetchone()[0]
    decisions = []
    with db.atomic():
        for link in carried:
            ms = store.row(db, "SELECT * FROM memberships WHERE id = ?", [link["membership_id"]])
            db["memberships"].update(ms["id"], {"valid_to": last_day})
            store.audit(db, actor=actor["id"], action="membership_end", table="memberships", row_id=ms["id"],
                        before=ms, after={**ms, "valid_to": last_day}, commune_code=old)
            row = {k: v for k, v in ms.items() if k != "id"}
            row.update(commune_code=new, valid_from=first.isoformat(), valid_to=None,
                       note=f"Chuyển từ xã {old} (diện số {ms['id']}, phiếu chuyển số {transfer['id']})")
            new_id = db["memberships"].insert(row).last_pk
            store.audit(db, actor=actor["id"], action="membership_add", table="memberships", row_id=new_id,
                        after={"id": new_id, **row}, commune_code=new)
            for child in store.rows(db, "SELECT * FROM membership_children WHERE membership_id = ?", [ms["id"]]):
                child = {k: v for k, v in child.items() if k != "id"}
                child.update(membership_id=new_id, commune_code=new)
                child_id = db["membership_children"].insert(child).last_pk
                store.audit(db, actor=actor["id"], action="membership_child_add", table="membership_children",
                            row_id=child_id, after={"id": child_id, **child}, commune_code=new)
            decision_id = _add_decision(db, actor, _decision_row(
                "move", number, signed, signer_name, signer_title, person["id"], new_id, new,
                f"Tiếp nhận từ {old_name} (phiếu chuyển số {transfer['id']})", actor, start_month=at))
            decisions.append(decision_id)
            db.execute("UPDATE transfer_memberships SET new_membership_id = ?, new_decision_id = ?"
                       " WHERE transfer_id = ? AND membership_id = ?", [new_id, decision_id, transfer["id"], ms["id"]])
            before = {k: link[k] for k in ("transfer_id", "membership_id", "stop_decision_id",
                                           "new_membership_id", "new_decision_id")}
            store.audit(db, actor=actor["id"], action="transfer_membership_accept", table="transfer_memberships",
                        row_id=f"{transfer['id']},{ms['id']}", before=before,
                        after={**before, "new_membership_id": new_id, "new_decision_id": decision_id},
                        commune_code=new)
        changes = {"commune_code": new, "village_id": village["id"], "updated_at": now}
        db["persons"].update(person["id"], changes)
        store.audit(db, actor=actor["id"], action="person_move", table="persons", row_id=person["id"],
                    before=person, after={**person, **changes}, commune_code=new)
        _close(db, actor, transfer, new, status="da_tiep_nhan", received_at=now, received_by=actor["id"],
               decision_id=decisions[0])
    return decisions[0]


def refuse(db: Database, actor: dict, transfer_id, refusal_reason: str) -> None:
    """The new commune refuses the file (with a reason); the old commune may then resume."""
    p = _Problems()
    text = " ".join((refusal_reason or "").split())
    if not text:
        p.add("refusal_reason", "chưa nhập")
    transfer = _transfer(db, p, transfer_id)
    if transfer:
        _may_write(p, actor, transfer["to_commune"])
    p.raise_if_any()
    with db.atomic():
        _close(db, actor, transfer, transfer["to_commune"], status="tu_choi", received_at=clock.now_iso(),
               received_by=actor["id"], refusal_reason=text)


def cancel(db: Database, actor: dict, transfer_id) -> None:
    """The old commune withdraws a transfer not yet received; it may then resume."""
    p = _Problems()
    transfer = _transfer(db, p, transfer_id)
    if transfer:
        _may_write(p, actor, transfer["from_commune"])
    p.raise_if_any()
    with db.atomic():
        _close(db, actor, transfer, transfer["from_commune"], status="huy", cancelled_at=clock.now_iso(),
               cancelled_by=actor["id"])


def _close(db: Database, actor: dict, transfer: dict, commune: str, **changes) -> None:
    """Leave ``cho_tiep_nhan`` — only if still there, so two officers acting at once cannot both
    succeed: the second raises and its transaction (the caller's ``atomic``) is rolled back."""
    sets = ", ".join(f"{k} = ?" for k in changes)
    cursor = db.execute(f"UPDATE transfers SET {sets} WHERE id = ? AND status = 'cho_tiep_nhan'",
                        [*changes.values(), transfer["id"]])
    if cursor.rowcount != 1:
        message = "Trạng thái: phiếu chuyển vừa được xử lý bởi người khác; hãy tải lại trang"
        raise CaseError([message], {"status": [message]})
    store.audit(db, actor=actor["id"], action=f"transfer_{changes['status']}", table="transfers",
                row_id=transfer["id"], before=transfer, after={**transfer, **changes}, commune_code=commune)


# --- reading: the inbox and one transfer (plugins/btxh_cases.py renders them) -------------------------

_SELECT = """SELECT t.*, p.full_name, p.sex, p.birth_date, p.cccd,
       f.name AS from_name, f.province_code AS from_province, d.name AS to_name, d.province_code AS to_province
FROM transfers t JOIN persons p ON p.id = t.person_id
JOIN communes f ON f.code = t.from_commune JOIN communes d ON d.code = t.to_commune"""


def listing(db: Database, scope: Scope) -> list[dict]:
    """The transfers into or out of the communes of ``scope``, newest first."""
    if scope.nothing:
        return []
    where, params = "", []
    if not scope.everything:
        codes = list(scope.communes)
        marks = ",".join("?" * len(codes)) or "NULL"
        where = (f" WHERE t.from_commune IN ({marks}) OR t.to_commune IN ({marks})"
                 " OR f.province_code = ? OR d.province_code = ?")
        params = [*codes, *codes, scope.province, scope.province]
    found = store.rows(db, _SELECT + where + " ORDER BY t.id DESC", params)
    for t in found:
        t["status_label"] = STATUSES[t["status"]]
        t["stop_month_vn"] = month_vn(parse_month(t["stop_month"]))
    return found


def load(db: Database, transfer_id) -> dict | None:
    """One transfer with the person, the memberships it carries and the destination's villages."""
    t = store.row(db, _SELECT + " WHERE t.id = ?", [transfer_id])
    if t is None:
        return None
    t["status_label"] = STATUSES[t["status"]]
    t["stop_month_vn"] = month_vn(parse_month(t["stop_month"]))
    t["memberships"] = store.rows(
        db, "SELECT tm.*, m.category, m.disability_level, m.valid_from, s.number AS stop_number,"
            " s.signed_date AS stop_signed, n.number AS new_number, n.signed_date AS new_signed"
            " FROM transfer_memberships tm JOIN memberships m ON m.id = tm.membership_id"
            " JOIN decisions s ON s.id = tm.stop_decision_id LEFT JOIN decisions n ON n.id = tm.new_decision_id"
            " WHERE tm.transfer_id = ? ORDER BY tm.membership_id", [transfer_id])
    t["villages"] = store.rows(
        db, "SELECT id, kind || ' ' || name AS name FROM villages WHERE commune_code = ? AND valid_from <= ?"
            " AND (valid_to IS NULL OR valid_to >= ?) ORDER BY name",
        [t["to_commune"], f"{t['stop_month']}-01", f"{t['stop_month']}-01"])
    return t

