"""A move between communes is two-sided (btxh.transfers, ND 335 Art. 8(3), ADR 014): the old
commune stops and sends the file; the new commune accepts and decides in its own register, or
refuses; the payroll pays each month once across the move."""

import pytest

from btxh import cases, transfers
from btxh.payroll import run as payroll
from test_case_life import (A, B, OFFICER, OFFICER_B, PAY, SIGN, TABLES, counts, db, do_resume,  # noqa: F401
                            do_stop, do_suspend, granted, paid, run_close)

QT = {"id": "qt", "role": "quan_tri"}


def send(db, pid, actor=OFFICER, to=B, number="23/QĐ-UBND", stop_month="10/2025", reason="Chuyển nơi cư trú"):
    return transfers.send(db, actor, pid, to, number, SIGN[0], SIGN[1], SIGN[2], stop_month, reason)


def accept(db, tid, actor=OFFICER_B, village="2", number="7/QĐ-UBND", signed_date="15/12/2025",
           signer=("Phạm Thị Cúc", "Chủ tịch UBND phường")):
    return transfers.accept(db, actor, tid, number, signed_date, *signer, village)


def other_province(db):
    """(commune, village id) in another province than Hà Nội, with a village of its own."""
    code = db.execute("SELECT code FROM communes WHERE province_code <> '01' AND valid_to IS NULL"
                      " ORDER BY code LIMIT 1").fetchone()[0]
    db.execute("INSERT INTO villages (id, commune_code, name, kind, valid_from) VALUES"
               " (3, ?, 'Thôn 3', 'Thôn', '2025-07-01')", [code])
    db.conn.commit()
    officer = {"id": "xa_c", "role": "can_bo_xa", "communes": [code]}
    return code, officer


def transfer(db, tid):
    return db.execute("SELECT status, from_commune, to_commune, stop_month, decision_id FROM transfers WHERE id = ?",
                      [tid]).fetchone()


def months_paid(db, pid):
    """month → (total paid for it, the communes that paid it), TCXH only."""
    out = {}
    for month, kind, program, commune, due in paid(db, pid):
        total, communes = out.get(month, (0, set()))
        out[month] = (total + due, communes | {commune})
    return out


# --- sending: the old commune writes only in its own register -----------------------------------

def test_send_stops_in_the_old_register_and_writes_nothing_in_the_new(db):
    pid, mid = granted(db)
    before = counts(db)
    tid = send(db, pid)
    assert {t: counts(db)[t] - before[t] for t in TABLES} == {
        "persons": 0, "memberships": 0, "decisions": 1, "audit_log": 3}
    assert transfer(db, tid) == ("cho_tiep_nhan", A, B, "2025-10", None)
    assert db.execute("SELECT kind, commune_code, membership_id, stop_month, signer_name FROM decisions"
                      " WHERE person_id = ? ORDER BY id DESC LIMIT 1", [pid]).fetchone() == (
        "stop", A, mid, "2025-10", SIGN[1])
    assert db.execute("SELECT count(*) FROM decisions WHERE commune_code = ?", [B]).fetchone() == (0,)
    assert db.execute("SELECT commune_code, village_id FROM persons WHERE id = ?", [pid]).fetchone() == (A, 1)
    assert db.execute("SELECT valid_to FROM memberships WHERE id = ?", [mid]).fetchone() == (None,)
    ms = db.execute("SELECT * FROM memberships WHERE id = ?", [mid]).fetchone()
    assert cases.membership_state(db, dict(zip([c[0] for c in db.execute("SELECT * FROM memberships LIMIT 0")
                                                .description], ms))) == "chuyen_di"


SEND_REFUSALS = [
    pytest.param(None, lambda db, pid, mid: send(db, pid, actor=OFFICER_B),
                 "Xã: tài khoản của bạn không được giao xã «00004»", id="needs-the-old-commune"),
    pytest.param(None, lambda db, pid, mid: send(db, pid, to=A), "Xã chuyển đến: trùng xã đang cư trú",
                 id="same-commune"),
    pytest.param(None, lambda db, pid, mid: send(db, pid, to="99999"),
                 "Xã chuyển đến: mã xã «99999» không có trong danh mục", id="unknown-commune"),
    pytest.param(None, lambda db, pid, mid: send(db, pid, stop_month="08/2025"),
                 "Tháng dừng hưởng: phải sau tháng bắt đầu hưởng 08/2025 của diện K6", id="too-early"),
    pytest.param(None, lambda db, pid, mid: send(db, pid, number="12/QĐ-UBND"),
                 "Số quyết định: xã đã có quyết định số «12/QĐ-UBND»", id="number-taken"),
    pytest.param(lambda db, pid, mid: do_suspend(db, mid), lambda db, pid, mid: send(db, pid),
                 "Trạng thái: diện K6 đang tạm dừng: quyết định tiếp tục hưởng hoặc thôi hưởng trước khi chuyển",
                 id="suspended"),
    pytest.param(lambda db, pid, mid: do_stop(db, mid, stop_month="10/2025", reason="Hết điều kiện"),
                 lambda db, pid, mid: send(db, pid),
                 "Trạng thái: người này không có diện đang hưởng tại xã để chuyển", id="nothing-paid"),
    pytest.param(lambda db, pid, mid: send(db, pid), lambda db, pid, mid: send(db, pid, number="24/QĐ"),
                 "Trạng thái: người này đang có phiếu chuyển số 1 chờ xã nơi đến tiếp nhận", id="already-pending"),
]


@pytest.mark.parametrize("setup,action,message", SEND_REFUSALS)
def test_send_refusals_change_nothing(db, setup, action, message):
    pid, mid = granted(db)
    if setup:
        setup(db, pid, mid)
    before = counts(db)
    with pytest.raises(cases.CaseError) as refused:
        action(db, pid, mid)
    assert message in refused.value.problems, refused.value.problems
    assert counts(db) == before


# --- receiving: only the new commune decides, in its own register --------------------------------

def test_accept_within_a_province_pays_each_month_once_first_old_commune_then_new(db):
    pid, mid = granted(db)
    run_close(db, "2025-08", "2025-09")
    tid = send(db, pid)
    before = counts(db)
    decision = accept(db, tid)
    assert {t: counts(db)[t] - before[t] for t in TABLES} == {
        "persons": 0, "memberships": 1, "decisions": 1, "audit_log": 6}
    new_mid = db.execute("SELECT membership_id FROM decisions WHERE id = ?", [decision]).fetchone()[0]
    assert db.execute("SELECT kind, commune_code, start_month, signer_name, created_by FROM decisions WHERE id = ?",
                      [decision]).fetchone() == ("move", B, "2025-10", "Phạm Thị Cúc", "xa_b")
    assert transfer(db, tid) == ("da_tiep_nhan", A, B, "2025-10", decision)
    assert db.execute("SELECT valid_to FROM memberships WHERE id = ?", [mid]).fetchone() == ("2025-09-30",)
    assert db.execute("SELECT commune_code, category, valid_from, valid_to, disability_level FROM memberships"
                      " WHERE id = ?", [new_mid]).fetchone() == (B, "K6", "2025-10-01", None, "NANG")
    assert db.execute("SELECT commune_code, village_id FROM persons WHERE id = ?", [pid]).fetchone() == (B, 2)
    run_close(db, "2025-10", "2025-11", "2025-12")
    assert paid(db, pid) == [("2025-08", "thuong_xuyen", "TCXH", A, PAY), ("2025-09", "thuong_xuyen", "TCXH", A, PAY),
                             ("2025-10", "thuong_xuyen", "TCXH", B, PAY), ("2025-11", "thuong_xuyen", "TCXH", B, PAY),
                             ("2025-12", "thuong_xuyen", "TCXH", B, PAY)]
    # the new commune's officer now manages the case; the old one no longer can
    do_suspend(db, new_mid, actor=OFFICER_B, number="8/QĐ-UBND", stop_month="01/2026")
    with pytest.raises(cases.CaseError):
        do_suspend(db, mid, number="9/QĐ-UBND", stop_month="01/2026")


def test_across_provinces_the_waiting_months_are_paid_once_by_the_new_commune_after_acceptance(db):
    pid, mid = granted(db)
    code, officer_c = other_province(db)
    run_close(db, "2025-08", "2025-09")
    tid = send(db, pid, to=code)
    run_close(db, "2025-10", "2025-11")            # the transfer waits: nobody pays
    assert [r[0] for r in paid(db, pid)] == ["2025-08", "2025-09"]
    with pytest.raises(cases.CaseError):             # the old commune cannot accept for the new one
        accept(db, tid, actor=OFFICER, village="3")
    accept(db, tid, actor=officer_c, village="3")
    run_close(db, "2025-12")
    payroll.run(db, "2026-01")
    lines = paid(db, pid)
    assert [(r[0], r[1], r[3]) for r in lines] == [
        ("2025-08", "thuong_xuyen", A), ("2025-09", "thuong_xuyen", A),
        ("2025-10", "truy_linh", code), ("2025-11", "truy_linh", code), ("2025-12", "thuong_xuyen", code),
        ("2026-01", "thuong_xuyen", code)]
    months = months_paid(db, pid)
    assert all(total == PAY for total, _ in months.values()), months  # no gap, no double month
    assert all(len(communes) == 1 for _, communes in months.values())


ACCEPT_REFUSALS = [
    pytest.param(None, lambda db, tid: accept(db, tid, actor=OFFICER),
                 "Xã: tài khoản của bạn không được giao xã «00008»", id="source-officer-cannot-accept"),
    pytest.param(None, lambda db, tid: accept(db, tid, village="1"),
                 "Thôn/tổ dân phố nơi đến: không thuộc xã chuyển đến", id="village-of-the-old-commune"),
    pytest.param(None, lambda db, tid: accept(db, tid, signed_date="01/12/2025"),
                 "Ngày ký: trước ngày xã nơi đi ký quyết định thôi chi trả 10/12/2025", id="before-the-stop"),
    pytest.param(None, lambda db, tid: accept(db, tid, number=" "), "Số quyết định: chưa nhập", id="no-number"),
    pytest.param(accept, lambda db, tid: accept(db, tid, number="8/QĐ"),
                 "Trạng thái: phiếu chuyển đã ở trạng thái «Đã tiếp nhận», không xử lý lại được", id="twice"),
    pytest.param(None, lambda db, tid: transfers.refuse(db, OFFICER, tid, "Không cư trú"),
                 "Xã: tài khoản của bạn không được giao xã «00008»", id="source-officer-cannot-refuse"),
    pytest.param(None, lambda db, tid: transfers.refuse(db, OFFICER_B, tid, "  "), "Lý do từ chối: chưa nhập",
                 id="refusal-needs-a-reason"),
    pytest.param(None, lambda db, tid: transfers.cancel(db, OFFICER_B, tid),
                 "Xã: tài khoản của bạn không được giao xã «00004»", id="destination-cannot-cancel"),
    pytest.param(lambda db, tid: transfers.refuse(db, OFFICER_B, tid, "Không cư trú"),
                 lambda db, tid: transfers.cancel(db, OFFICER, tid),
                 "Trạng thái: phiếu chuyển đã ở trạng thái «Xã nơi đến từ chối», không xử lý lại được",
                 id="cancel-after-refusal"),
    pytest.param(None, lambda db, tid: transfers.cancel(db, OFFICER, 999),
                 "Phiếu chuyển: không có phiếu chuyển số 999", id="unknown-transfer"),
]


@pytest.mark.parametrize("setup,action,message", ACCEPT_REFUSALS)
def test_receive_and_cancel_refusals_change_nothing(db, setup, action, message):
    pid, mid = granted(db)
    tid = send(db, pid)
    if setup:
        setup(db, tid)
    before = counts(db), transfer(db, tid)
    with pytest.raises(cases.CaseError) as refused:
        action(db, tid)
    assert message in refused.value.problems, refused.value.problems
    assert (counts(db), transfer(db, tid)) == before


def test_number_taken_in_the_new_commune_is_refused(db):
    pid, mid = granted(db)
    tid = send(db, pid)
    db["decisions"].insert({
        "number": "7/QĐ-UBND", "kind": "grant", "program": "TCXH", "person_id": pid, "commune_code": B,
        "signed_date": "2025-09-01", "signer_name": "X", "signer_title": "Y", "authority_level": "xa",
        "legal_basis": "Nghị định 20/2021/NĐ-CP", "created_at": "2025-09-01T00:00:00Z", "created_by": "t"})
    with pytest.raises(cases.CaseError) as refused:
        accept(db, tid)
    assert "Số quyết định: xã đã có quyết định số «7/QĐ-UBND»" in refused.value.problems


@pytest.mark.parametrize("close", [
    pytest.param(lambda db, tid: transfers.refuse(db, OFFICER_B, tid, "Người này không cư trú tại phường"),
                 id="refused"),
    pytest.param(lambda db, tid: transfers.cancel(db, OFFICER, tid), id="cancelled"),
])
def test_refused_or_cancelled_transfer_lets_the_old_commune_resume_with_arrears(db, close):
    pid, mid = granted(db)
    run_close(db, "2025-08", "2025-09")
    tid = send(db, pid)
    run_close(db, "2025-10", "2025-11")
    close(db, tid)
    assert db.execute("SELECT count(*) FROM decisions WHERE commune_code = ?", [B]).fetchone() == (0,)
    assert db.execute("SELECT commune_code FROM persons WHERE id = ?", [pid]).fetchone() == (A,)
    ms = dict(zip([c[0] for c in db.execute("SELECT * FROM memberships LIMIT 0").description],
                  db.execute("SELECT * FROM memberships WHERE id = ?", [mid]).fetchone()))
    assert cases.membership_state(db, ms) == "tra_ve"
    with pytest.raises(cases.CaseError) as refused:
        do_resume(db, mid, start_month="09/2025")
    assert "Tháng bắt đầu hưởng: trước tháng dừng hưởng 10/2025" in refused.value.problems
    do_resume(db, mid, start_month="10/2025", reason="Không chuyển đi")
    payroll.run(db, "2025-12")
    assert paid(db, pid)[2:] == [("2025-10", "truy_linh", "TCXH", A, PAY), ("2025-11", "truy_linh", "TCXH", A, PAY),
                                 ("2025-12", "thuong_xuyen", "TCXH", A, PAY)]
    assert send(db, pid, number="30/QĐ-UBND", stop_month="01/2026")  # and may send again later


def test_administrator_may_accept_and_every_step_is_audited(db):
    pid, mid = granted(db)
    tid = send(db, pid)
    accept(db, tid, actor=QT)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE table_name LIKE 'transfer%' ORDER BY id")]
    assert actions == ["transfer_send", "transfer_membership_add", "transfer_membership_accept",
                       "transfer_da_tiep_nhan"]
    before, after = db.execute("SELECT before, after FROM audit_log WHERE action = 'transfer_da_tiep_nhan'").fetchone()
    assert '"status": "cho_tiep_nhan"' in before and '"status": "da_tiep_nhan"' in after


def test_two_officers_acting_at_once_cannot_both_close_a_transfer(db, monkeypatch):
    """The second one read the transfer while it was still pending (a stale read)."""
    pid, mid = granted(db)
    tid = send(db, pid)
    stale = dict(zip([c[0] for c in db.execute("SELECT * FROM transfers LIMIT 0").description],
                     db.execute("SELECT * FROM transfers WHERE id = ?", [tid]).fetchone()))
    transfers.refuse(db, OFFICER_B, tid, "Không cư trú tại phường")
    monkeypatch.setattr(transfers, "_transfer", lambda db, p, transfer_id: stale)
    before = counts(db), transfer(db, tid)
    with pytest.raises(cases.CaseError) as refused:
        accept(db, tid)
    assert refused.value.fields["status"] == [
        "Trạng thái: phiếu chuyển vừa được xử lý bởi người khác; hãy tải lại trang"]
    assert (counts(db), transfer(db, tid)) == before
