"""After the grant: suspend, resume, stop (with a death), adjust (btxh.cases) and the person page;
the two-sided move between communes is in tests/test_transfers.py."""

import asyncio
import re

import pytest

from btxh import cases, store
from btxh.payroll import run as payroll
from conftest import case_site

A, B = "00004", "00008"  # Phường Ba Đình, Phường Ngọc Hà (Hà Nội)
OFFICER = {"id": "xa_a", "role": "can_bo_xa", "communes": [A]}
OFFICER_B = {"id": "xa_b", "role": "can_bo_xa", "communes": [B]}
TINH = {"id": "tinh", "role": "tinh", "province": "01"}
TABLES = ("persons", "memberships", "decisions", "audit_log")
SIGN = ("10/12/2025", "Trần Văn Bình", "Chủ tịch UBND phường")
PAY = 750_000  # K6 nặng, 40 years old: 1.5 × 500,000


@pytest.fixture
def db(ref_db, monkeypatch):
    monkeypatch.setenv("BTXH_NOW", "2026-03-01T08:00:00")
    ref_db.execute("INSERT INTO villages (id, commune_code, name, kind, valid_from) VALUES"
                   " (1, ?, 'Tổ 1', 'Tổ dân phố', '2025-07-01'), (2, ?, 'Tổ 9', 'Tổ dân phố', '2025-07-01')",
                   [A, B])
    ref_db.conn.commit()
    return ref_db


def counts(db):
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def granted(db):
    """A K6 (nặng) person of commune A paid from 08/2025; (person id, membership id)."""
    app_id = cases.new_application(db, OFFICER, {
        "commune_code": A, "category": "K6", "submitted_date": "01/09/2025", "full_name": "Nguyễn Văn An",
        "sex": "nam", "birth_date": "17/05/1985", "cccd": "001085012345", "village_id": "1",
        "disability_level": "NANG", "disability_cert_date": "10/08/2025"})
    cases.post(db, OFFICER, app_id, "03/09/2025", "05/09/2025")
    decision = cases.grant(db, OFFICER, app_id, "12/QĐ-UBND", "10/09/2025", "Trần Văn Bình",
                           "Chủ tịch UBND phường", "08/2025")
    return db.execute("SELECT person_id, membership_id FROM decisions WHERE id = ?", [decision]).fetchone()


def run_close(db, *months):
    for month in months:
        payroll.run(db, month)
        payroll.close(db, month)


def paid(db, pid):
    return db.execute("SELECT month, kind, program, commune_code, due FROM ledger WHERE person_id = ?"
                      " ORDER BY run_id, month, kind", [pid]).fetchall()


def do_suspend(db, mid, actor=OFFICER, number="20/QĐ-UBND", stop_month="10/2025", reason="Đi cai nghiện"):
    return cases.suspend(db, actor, mid, number, *SIGN, stop_month, reason)


def do_resume(db, mid, actor=OFFICER, number="21/QĐ-UBND", start_month="12/2025", reason="Đã trở về"):
    return cases.resume(db, actor, mid, number, *SIGN, start_month, reason)


def do_stop(db, mid, actor=OFFICER, number="22/QĐ-UBND", stop_month="11/2025", reason="Chết",
            death_date=None, death_cause=None):
    return cases.stop(db, actor, mid, number, *SIGN, stop_month, reason, death_date, death_cause)


# --- refusals: exact messages, nothing written ---------------------------------------------------

REFUSALS = [
    pytest.param(None, lambda db, pid, mid: do_suspend(db, mid, actor=OFFICER_B),
                 "Xã: tài khoản của bạn không được giao xã «00004»", id="suspend-other-commune"),
    pytest.param(None, lambda db, pid, mid: do_suspend(db, mid, actor=TINH),
                 "Tài khoản: chỉ cán bộ xã và quản trị hệ thống được ghi hồ sơ", id="suspend-by-province"),
    pytest.param(None, lambda db, pid, mid: do_suspend(db, mid, number="12/QĐ-UBND"),
                 "Số quyết định: xã đã có quyết định số «12/QĐ-UBND»", id="suspend-number-taken"),
    pytest.param(None, lambda db, pid, mid: do_suspend(db, mid, stop_month="13/2025"),
                 "Tháng dừng hưởng: «13/2025» không đúng dạng tháng/năm (ví dụ 09/2025)", id="bad-month"),
    pytest.param(None, lambda db, pid, mid: do_suspend(db, mid, stop_month="07/2025"),
                 "Tháng dừng hưởng: trước tháng bắt đầu hưởng 08/2025", id="suspend-before-start"),
    pytest.param(None, lambda db, pid, mid: do_suspend(db, mid, reason=" "), "Lý do: chưa nhập",
                 id="no-reason"),
    pytest.param(None, lambda db, pid, mid: cases.suspend(db, OFFICER, mid, "9/QĐ", "31/02/2025", "X", "Y",
                                                          "10/2025", "Z"),
                 "Ngày ký: ngày 31/02/2025 không tồn tại", id="impossible-signed-date"),
    pytest.param(None, lambda db, pid, mid: cases.suspend(db, OFFICER, mid, "9/QĐ", "02/03/2026", "X", "Y",
                                                          "10/2025", "Z"),
                 "Ngày ký: ngày 02/03/2026 ở tương lai", id="future-signed-date"),
    pytest.param(None, lambda db, pid, mid: do_suspend(db, 999999), "Diện hưởng: không có diện hưởng số 999999",
                 id="unknown-membership"),
    pytest.param(lambda db, pid, mid: do_stop(db, mid), lambda db, pid, mid: do_suspend(db, mid),
                 "Trạng thái: diện hưởng đã thôi hưởng, không tạm dừng được", id="suspend-stopped"),
    pytest.param(lambda db, pid, mid: do_suspend(db, mid), lambda db, pid, mid: do_suspend(db, mid, number="9"),
                 "Trạng thái: diện hưởng đang tạm dừng, không tạm dừng được", id="suspend-twice"),
    pytest.param(None, lambda db, pid, mid: do_resume(db, mid),
                 "Trạng thái: chỉ tiếp tục được diện đang tạm dừng (diện này đang hưởng)", id="resume-not-suspended"),
    pytest.param(lambda db, pid, mid: do_suspend(db, mid), lambda db, pid, mid: do_resume(db, mid, start_month="09/2025"),
                 "Tháng bắt đầu hưởng: trước tháng tạm dừng 10/2025", id="resume-before-suspension"),
    pytest.param(lambda db, pid, mid: do_stop(db, mid, death_date="20/10/2025", death_cause="khac"),
                 lambda db, pid, mid: do_stop(db, mid, number="30"),
                 "Trạng thái: người hưởng đã chết, không thôi hưởng được", id="stop-the-dead"),
    pytest.param(None, lambda db, pid, mid: do_stop(db, mid, death_date="20/10/2025", death_cause="khac",
                                                    stop_month="10/2025"),
                 "Tháng dừng hưởng: người chết trong tháng 10/2025 được hưởng hết tháng đó; tháng dừng hưởng "
                 "phải là 11/2025", id="death-stop-month"),
    pytest.param(None, lambda db, pid, mid: do_stop(db, mid, death_date="20/10/2025", death_cause="benh"),
                 "Nguyên nhân chết: chọn «thiên tai, hỏa hoạn, dịch bệnh, tai nạn nghiêm trọng» hoặc «khác»",
                 id="death-cause"),
    pytest.param(None, lambda db, pid, mid: do_stop(db, mid, death_cause="khac"),
                 "Ngày chết: có nguyên nhân chết thì phải nhập ngày chết", id="cause-without-date"),
    pytest.param(None, lambda db, pid, mid: do_stop(db, mid, death_date="20/10/1980", death_cause="khac",
                                                    stop_month="11/1980"),
                 "Ngày chết: trước ngày sinh", id="death-before-birth"),
]


@pytest.mark.parametrize("setup,action,message", REFUSALS)
def test_refusals_change_nothing(db, setup, action, message):
    pid, mid = granted(db)
    if setup:
        setup(db, pid, mid)
    before = counts(db)
    person = db.execute("SELECT * FROM persons WHERE id = ?", [pid]).fetchall()
    with pytest.raises(cases.CaseError) as refused:
        action(db, pid, mid)
    assert message in refused.value.problems, refused.value.problems
    assert counts(db) == before
    assert db.execute("SELECT * FROM persons WHERE id = ?", [pid]).fetchall() == person


# --- happy paths against the payroll -------------------------------------------------------------

def test_suspension_stops_payment_from_the_stop_month(db):
    pid, mid = granted(db)
    before = counts(db)
    decision = do_suspend(db, mid)
    assert db.execute("SELECT kind, membership_id, stop_month, start_month FROM decisions WHERE id = ?",
                      [decision]).fetchone() == ("suspend", mid, "2025-10", None)
    assert {t: counts(db)[t] - before[t] for t in TABLES} == {
        "persons": 0, "memberships": 0, "decisions": 1, "audit_log": 1}
    run_close(db, "2025-08", "2025-09", "2025-10", "2025-11")
    assert paid(db, pid) == [("2025-08", "thuong_xuyen", "TCXH", A, PAY), ("2025-09", "thuong_xuyen", "TCXH", A, PAY)]


def test_resume_with_an_earlier_start_pays_arrears(db):
    pid, mid = granted(db)
    do_suspend(db, mid)
    run_close(db, "2025-08", "2025-09", "2025-10", "2025-11")
    do_resume(db, mid, start_month="10/2025")
    payroll.run(db, "2025-12")
    assert paid(db, pid)[2:] == [("2025-10", "truy_linh", "TCXH", A, PAY), ("2025-11", "truy_linh", "TCXH", A, PAY),
                                 ("2025-12", "thuong_xuyen", "TCXH", A, PAY)]


def test_resume_from_a_later_month_leaves_the_gap(db):
    pid, mid = granted(db)
    do_suspend(db, mid)
    do_resume(db, mid, start_month="12/2025")
    run_close(db, "2025-08", "2025-09", "2025-10", "2025-11", "2025-12")
    assert [r[0] for r in paid(db, pid)] == ["2025-08", "2025-09", "2025-12"]


@pytest.mark.parametrize("cause,funeral", [("khac", 20 * 500_000), ("thien_tai", 50 * 500_000)])
def test_death_paid_for_its_month_with_funeral_support_and_nothing_after(db, cause, funeral):
    pid, mid = granted(db)
    run_close(db, "2025-08", "2025-09")
    before = counts(db)
    do_stop(db, mid, death_date="20/10/2025", death_cause=cause)
    assert {t: counts(db)[t] - before[t] for t in TABLES} == {
        "persons": 0, "memberships": 0, "decisions": 1, "audit_log": 2}
    audit = db.execute("SELECT before, after FROM audit_log WHERE action = 'person_death'").fetchone()
    assert '"death_date": null' in audit[0] and '"death_date": "2025-10-20"' in audit[1]
    run_close(db, "2025-10", "2025-11", "2025-12")
    assert paid(db, pid)[2:] == [("2025-10", "mai_tang", "MAITANG", A, funeral),
                                 ("2025-10", "thuong_xuyen", "TCXH", A, PAY)]


def test_stop_without_death(db):
    pid, mid = granted(db)
    do_stop(db, mid, stop_month="10/2025", reason="Hết điều kiện hưởng")
    run_close(db, "2025-08", "2025-09", "2025-10")
    assert [r[0] for r in paid(db, pid)] == ["2025-08", "2025-09"]
    assert db.execute("SELECT death_date FROM persons WHERE id = ?", [pid]).fetchone() == (None,)


# moves between communes: tests/test_transfers.py (two-sided, ADR 014)


# --- pages ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def env(tmp_path_factory, demo_db_path):
    def granted(db, officer, app_id):
        cases.post(db, officer, app_id, "03/09/2025", "05/09/2025")
        decision = cases.grant(db, officer, app_id, "LIFE-1/QĐ-UBND", "10/09/2025", "Đỗ Văn Dũng",
                               "Chủ tịch UBND xã", "08/2025")
        pid, mid = db.execute("SELECT person_id, membership_id FROM decisions WHERE id = ?", [decision]).fetchone()
        return {"person": pid, "membership": mid, "decision": decision}

    return case_site(tmp_path_factory.mktemp("life"), demo_db_path, "l", granted)


def get(env, user, path):
    return asyncio.run(env["ds"].client.get(path, cookies=env["cookies"][user]))


_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def post(env, user, action, data):
    """POST a person-page form as ``user`` with the CSRF token of ``user``'s own session (tokens
    are bound to the session: the home page's menu carries the user's own token)."""
    page_path = f"/-/btxh/doi-tuong/{env['person']}"

    async def go():
        page = await env["ds"].client.get("/", cookies=env["cookies"][user])
        token = _CSRF.search(page.text).group(1)
        return await env["ds"].client.post(
            f"{page_path}/{action}", data={**data, "csrftoken": token},
            cookies={**env["cookies"][user], "ds_csrftoken": page.cookies["ds_csrftoken"]})
    return asyncio.run(go())


def suspend_form(env, **changes):
    return {"membership_id": str(env["membership"]), "number": "LIFE-2/QĐ-UBND", "signed_date": "10/12/2025",
            "signer_name": "Đỗ Văn Dũng", "signer_title": "Chủ tịch UBND xã", "stop_month": "12/2025",
            "reason": "Đi cai nghiện bắt buộc", **changes}


@pytest.mark.parametrize("user,status", [("l_xa", 200), ("l_qt", 200), ("l_tinh", 403), ("l_xa_khac", 403),
                                         ("l_pt", 403)])
def test_person_page_access(env, user, status):
    assert get(env, user, f"/-/btxh/doi-tuong/{env['person']}").status_code == status


def test_person_page_shows_memberships_decisions_and_forms(env):
    text = get(env, "l_xa", f"/-/btxh/doi-tuong/{env['person']}").text
    assert "Lê Thị Hoa" in text and f'href="/-/btxh/quyet-dinh/{env["decision"]}"' in text
    for action in ("tam-dung", "tiep-tuc", "thoi-huong", "chuyen-di", "dieu-chinh"):
        assert f'action="/-/btxh/doi-tuong/{env["person"]}/{action}"' in text
    reader = get(env, "l_xa", "/").text  # the menu's logout form has one too
    assert text.count('name="csrftoken"') - reader.count('name="csrftoken"') == 5


def test_unknown_person_is_404(env):
    assert get(env, "l_qt", "/-/btxh/doi-tuong/99999999").status_code == 404


def test_province_officer_is_refused_the_person_page(env):
    """The page shows category and article; province staff may not learn HIV status (issue 11)."""
    response = get(env, "l_tinh", f"/-/btxh/doi-tuong/{env['person']}")
    assert response.status_code == 403 and "Lê Thị Hoa" not in response.text


@pytest.mark.parametrize("user", ["l_tinh", "l_xa_khac", "l_pt"])
def test_others_cannot_post(env, user):
    assert post(env, user, "tam-dung", suspend_form(env)).status_code == 403


def test_post_without_csrftoken_is_refused(env):
    response = asyncio.run(env["ds"].client.post(
        f"/-/btxh/doi-tuong/{env['person']}/tam-dung", data=suspend_form(env), cookies=env["cookies"]["l_xa"]))
    assert response.status_code == 403


def test_invalid_form_is_rendered_again_with_messages_and_values(env):
    response = post(env, "l_xa", "tam-dung", suspend_form(env, stop_month="13/2025", number=""))
    assert response.status_code == 400
    assert "Tháng dừng hưởng: «13/2025» không đúng dạng tháng/năm (ví dụ 09/2025)" in response.text
    assert "Số quyết định: chưa nhập" in response.text
    assert 'value="Đi cai nghiện bắt buộc"' in response.text
    moved = post(env, "l_xa", "chuyen-di", {"to_commune": "99999", "stop_month": "12/2025", "number": "X",
                                            "signed_date": "10/12/2025", "signer_name": "A", "signer_title": "B",
                                            "reason": "C"})
    assert moved.status_code == 400 and "Xã chuyển đến: mã xã «99999» không có trong danh mục" in moved.text


def test_membership_of_another_person_is_refused(env):
    response = post(env, "l_xa", "tam-dung", suspend_form(env, membership_id="0"))
    assert response.status_code == 400 and "Diện hưởng: chọn một diện hưởng của người này" in response.text


def test_officer_suspends_and_resumes_through_the_page(env):
    page = f"/-/btxh/doi-tuong/{env['person']}"
    suspended = post(env, "l_xa", "tam-dung", suspend_form(env))
    assert suspended.status_code == 302 and suspended.headers["location"] == page
    resumed = post(env, "l_qt", "tiep-tuc", {**suspend_form(env), "number": "LIFE-3/QĐ-UBND",
                                             "start_month": "01/2026", "reason": "Đã trở về"})
    assert resumed.status_code == 302
    text = get(env, "l_xa", page).text
    assert "LIFE-2/QĐ-UBND" in text and "LIFE-3/QĐ-UBND" in text and "Tạm dừng" in text
    db = store.open_db(env["path"], create=False)
    try:
        kinds = db.execute("SELECT kind, stop_month, start_month FROM decisions WHERE person_id = ? ORDER BY id",
                           [env["person"]]).fetchall()
    finally:
        db.conn.close()
    assert kinds == [("grant", None, "2025-08"), ("suspend", "2025-12", None), ("resume", None, "2026-01")]


def do_adjust(db, mid, actor=OFFICER, number="24/QĐ-UBND", start_month="10/2025", level="DBN",
              reason="Giám định lại mức độ khuyết tật"):
    return cases.adjust(db, actor, mid, number, *SIGN, start_month, level, reason)


def test_adjustment_pays_the_new_level_from_its_month(db):
    pid, mid = granted(db)                       # K6 NANG adult: 750,000
    run_close(db, "2025-08", "2025-09")
    before = counts(db)
    decision = do_adjust(db, mid)                # → DBN from 10/2025: 1,000,000
    assert {t: counts(db)[t] - before[t] for t in TABLES} == {
        "persons": 0, "memberships": 1, "decisions": 1, "audit_log": 3}
    assert db.execute("SELECT kind, start_month FROM decisions WHERE id = ?", [decision]).fetchone() == (
        "adjust", "2025-10")
    run_close(db, "2025-10", "2025-11")
    assert [(r[0], r[4]) for r in paid(db, pid)] == [
        ("2025-08", PAY), ("2025-09", PAY), ("2025-10", 1000000), ("2025-11", 1000000)]


def test_backdated_adjustment_pays_the_difference_as_arrears(db):
    pid, mid = granted(db)
    run_close(db, "2025-08", "2025-09", "2025-10")
    do_adjust(db, mid, start_month="09/2025")
    payroll.run(db, "2025-11")
    assert paid(db, pid)[3:] == [("2025-09", "truy_linh", "TCXH", A, 250000),
                                 ("2025-10", "truy_linh", "TCXH", A, 250000),
                                 ("2025-11", "thuong_xuyen", "TCXH", A, 1000000)]


@pytest.mark.parametrize("kwargs,field,message", [
    pytest.param(dict(level="NANG"), "level", "trùng mức độ khuyết tật hiện tại", id="same-level"),
    pytest.param(dict(level="X"), "level", "phải là DBN", id="unknown-level"),
    pytest.param(dict(start_month="08/2025"), "start_month", "phải sau tháng bắt đầu", id="not-after-start"),
    pytest.param(dict(start_month="13/2025"), "start_month", "", id="malformed-month"),
])
def test_adjustment_refused_and_nothing_written(db, kwargs, field, message):
    pid, mid = granted(db)
    before = counts(db)
    with pytest.raises(cases.CaseError) as refused:
        do_adjust(db, mid, **kwargs)
    assert field in refused.value.fields and message in " ".join(refused.value.fields[field])
    assert counts(db) == before
