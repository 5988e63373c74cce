"""Applications → posting → grant (btxh.cases) and their pages (plugins/btxh_cases.py)."""

import asyncio
import re

import pytest

from btxh import cases
from btxh.payroll import run as payroll
from btxh.rules.dates import PartialDate
from conftest import case_site

A, B = "00004", "00008"  # Phường Ba Đình, Phường Ngọc Hà (Hà Nội)
OFFICER = {"id": "xa_a", "role": "can_bo_xa", "communes": [A]}
OTHER_OFFICER = {"id": "xa_b", "role": "can_bo_xa", "communes": [B]}
TABLES = ("persons", "memberships", "decisions", "applications", "audit_log")


@pytest.fixture
def db(ref_db):
    ref_db.execute("INSERT INTO villages (id, commune_code, name, kind, valid_from) VALUES"
                   " (1, ?, 'Tổ 1', 'Tổ dân phố', '2025-07-01'), (2, ?, 'Tổ 9', 'Tổ dân phố', '2025-07-01')",
                   [A, B])
    ref_db.conn.commit()
    return ref_db


def counts(db):
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def k6_form(**changes):
    form = {"commune_code": A, "category": "K6", "submitted_date": "01/09/2025",
            "full_name": "Nguyễn Văn An", "sex": "nam", "birth_date": "17/05/1985",
            "cccd": "001085012345", "village_id": "1", "disability_level": "NANG",
            "disability_cert_date": "10/08/2025"}
    return {**form, **changes}


@pytest.mark.parametrize("changes,actor,message", [
    pytest.param({"cccd": "00108501234"}, OFFICER, "Số CCCD: phải có đúng 12 chữ số (đã nhập 11)",
                 id="cccd-11-digits"),
    pytest.param({"cccd": "00108501234A"}, OFFICER,
                 "Số CCCD: chỉ được có chữ số 0–9, không có chữ cái hay ký tự khác", id="cccd-letters"),
    pytest.param({"cccd": "999085012345"}, OFFICER,
                 "Số CCCD: 3 chữ số đầu «999» không phải mã tỉnh nơi đăng ký khai sinh", id="cccd-province"),
    pytest.param({"birth_date": "30/02/1990"}, OFFICER, "Ngày sinh: ngày 30/02/1990 không tồn tại",
                 id="impossible-date"),
    pytest.param({"disability_level": ""}, OFFICER,
                 "Mức độ khuyết tật: diện K6 phải chọn «Đặc biệt nặng» hoặc «Nặng»", id="k6-without-level"),
    pytest.param({"disability_cert_date": ""}, OFFICER, "Ngày cấp giấy xác nhận khuyết tật: chưa nhập",
                 id="k6-without-certificate"),
    pytest.param({"category": "K1", "k1_subcase": "a", "birth_date": "01/03/2008", "cccd": "001208012345"},
                 OFFICER, "Ngày sinh: người 17 tuổi tại ngày nộp 01/09/2025 không thuộc diện K1 (dưới 16 tuổi)",
                 id="k1-aged-17"),
    pytest.param({"category": "K1", "birth_date": "2015", "cccd": ""}, OFFICER,
                 "Trường hợp (K1): diện K1 phải chọn một trong các điểm a, b, c, d, đ, e, g, h, i, k, l",
                 id="k1-without-subcase"),
    pytest.param({"village_id": "2"}, OFFICER, "Thôn/tổ dân phố: không thuộc xã đã chọn", id="unknown-village"),
    pytest.param({}, OTHER_OFFICER, "Xã: tài khoản của bạn không được giao xã «00004»",
                 id="commune-of-another-officer"),
    pytest.param({}, {"id": "tinh", "role": "tinh", "province": "01"},
                 "Tài khoản: chỉ cán bộ xã và quản trị hệ thống được ghi hồ sơ", id="province-cannot-write"),
    pytest.param({"submitted_date": "01/06/2025"}, OFFICER,
                 "Xã: Phường Ba Đình không còn hiệu lực vào ngày 01/06/2025", id="commune-not-yet-in-force"),
])
def test_refused_application_changes_nothing(db, changes, actor, message):
    before = counts(db)
    with pytest.raises(cases.CaseError) as refused:
        cases.new_application(db, actor, k6_form(**changes))
    assert message in refused.value.problems
    assert counts(db) == before


def test_every_problem_is_reported_at_once(db):
    with pytest.raises(cases.CaseError) as refused:
        cases.new_application(db, OFFICER, k6_form(cccd="123", birth_date="30/02/1990", village_id="2"))
    assert {"cccd", "birth_date", "village_id"} <= set(refused.value.fields)


def test_cccd_year_mismatch_is_a_warning_not_an_error(db):
    app_id = cases.new_application(db, OFFICER, k6_form(birth_date="17/05/1986"))
    facts = db.execute("SELECT facts FROM applications WHERE id = ?", [app_id]).fetchone()[0]
    assert "năm sinh 1985, khác năm sinh đã khai 1986" in facts


@pytest.mark.parametrize("text,stored,precision", [
    ("17/05/1985", "1985-05-17", "day"), ("05/1985", "1985-05", "month"), ("1985", "1985", "year"),
])
def test_birth_date_forms(db, text, stored, precision):
    app_id = cases.new_application(db, OFFICER, k6_form(birth_date=text, cccd=""))
    row = db.execute("SELECT birth_date, birth_precision, birth_year FROM persons p JOIN applications a"
                     " ON a.person_id = p.id WHERE a.id = ?", [app_id]).fetchone()
    assert row == (stored, precision, 1985)


@pytest.mark.parametrize("category,birth,cert,signed,expected", [
    pytest.param("K5b", "1950-05-17", None, "2025-09-10", "2025-05", id="k5b-75th-birthday"),
    pytest.param("K5c", "1945-12", None, "2025-12-20", "2025-12", id="k5c-80th-birthday"),
    pytest.param("K6", "1985-05-17", "2025-08-10", "2025-09-10", "2025-08", id="k6-certificate-month"),
    pytest.param("K1", "2015", None, "2025-09-10", "2025-09", id="k1-signed-month"),
    pytest.param("K6", "2010", "2009-03-01", "2025-09-10", "2009-03", id="k6-cert-before-birth-year-is-kept"),
])
def test_propose_start_month(category, birth, cert, signed, expected):
    import datetime as dt

    partial = PartialDate(*map(int, birth.split("-")))
    month, why = cases.propose_start_month(category, partial, dt.date.fromisoformat(signed),
                                           cert and dt.date.fromisoformat(cert))
    assert month == expected and why


def test_start_never_before_eligibility():
    import datetime as dt

    month, why = cases.propose_start_month("K5a", PartialDate(1965, 11, 3), dt.date(2025, 9, 10),
                                           min_age=60, eligible_from="2025-10")
    assert month == "2025-11" and "60" in why


def _granted(db, start_month="2025-08"):
    app_id = cases.new_application(db, OFFICER, k6_form())
    cases.post(db, OFFICER, app_id, "03/09/2025", "05/09/2025")
    return app_id, cases.grant(db, OFFICER, app_id, "12/QĐ-UBND", "10/09/2025", "Trần Văn Bình",
                               "Chủ tịch UBND phường", start_month)


def test_happy_path_reaches_the_payroll(db):
    before = counts(db)
    app_id, decision_id = _granted(db)
    after = counts(db)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "persons": 1, "memberships": 1, "decisions": 1, "applications": 1, "audit_log": 6}
    decision = db.execute("SELECT authority_level, legal_basis, start_month, membership_id FROM decisions"
                          " WHERE id = ?", [decision_id]).fetchone()
    assert decision[:3] == ("xa", "Nghị định 20/2021/NĐ-CP; Nghị định 147/2025/NĐ-CP", "2025-08")
    assert db.execute("SELECT status, decision_id FROM applications WHERE id = ?", [app_id]).fetchone() == (
        "duyet", decision_id)
    audited = db.execute("SELECT action, before IS NOT NULL, after IS NOT NULL FROM audit_log"
                         " WHERE actor = 'xa_a' ORDER BY id").fetchall()
    assert audited == [("person_add", 0, 1), ("application_add", 0, 1), ("application_post", 1, 1),
                       ("membership_add", 0, 1), ("decision_add", 0, 1), ("application_grant", 1, 1)]
    person_id = db.execute("SELECT person_id FROM applications WHERE id = ?", [app_id]).fetchone()[0]
    payroll.run(db, "2025-08")
    due = db.execute("SELECT sum(due) FROM ledger WHERE person_id = ? AND month = '2025-08'",
                     [person_id]).fetchone()[0]
    assert due == 750_000


@pytest.mark.parametrize("args,message", [
    pytest.param(("1/QĐ", "10/09/2025", "X", "Chủ tịch", "2025-07"),
                 "Tháng bắt đầu hưởng: không được trước tháng đề xuất 08/2025 "
                 "(tháng cấp giấy xác nhận khuyết tật (NĐ 20 Điều 8(1)(đ)))", id="start-before-proposal"),
    pytest.param(("1/QĐ", "04/09/2025", "X", "Chủ tịch", "2025-08"),
                 "Ngày ký: trước ngày kết thúc niêm yết 05/09/2025", id="signed-during-posting"),
    pytest.param(("", "10/09/2025", "X", "Chủ tịch", "2025-08"), "Số quyết định: chưa nhập", id="no-number"),
])
def test_refused_grant_changes_nothing(db, args, message):
    app_id = cases.new_application(db, OFFICER, k6_form())
    cases.post(db, OFFICER, app_id, "03/09/2025", "05/09/2025")
    before = counts(db)
    with pytest.raises(cases.CaseError) as refused:
        cases.grant(db, OFFICER, app_id, *args)
    assert message in refused.value.problems
    assert counts(db) == before


def test_grant_needs_posting_and_posting_needs_two_working_days(db):
    app_id = cases.new_application(db, OFFICER, k6_form())
    with pytest.raises(cases.CaseError) as refused:
        cases.grant(db, OFFICER, app_id, "1/QĐ", "10/09/2025", "X", "Chủ tịch", "2025-08")
    assert "Trạng thái: hồ sơ phải được niêm yết công khai trước khi quyết định" in refused.value.problems
    with pytest.raises(cases.CaseError) as refused:  # Friday → Sunday: one working day
        cases.post(db, OFFICER, app_id, "05/09/2025", "07/09/2025")
    assert ("Niêm yết đến ngày: niêm yết phải ít nhất 2 ngày làm việc (từ 05/09/2025 đến 07/09/2025 chỉ có 1)"
            in refused.value.problems)


# --- pages ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def env(tmp_path_factory, demo_db_path):
    return case_site(tmp_path_factory.mktemp("cases"), demo_db_path, "c")


def get(env, user, path):
    return asyncio.run(env["ds"].client.get(path, cookies=env["cookies"][user]))


_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def post(env, user, page_path, path, data):
    async def go():
        page = await env["ds"].client.get(page_path, cookies=env["cookies"][user])
        token = _CSRF.search(page.text).group(1)
        return await env["ds"].client.post(
            path, data={**data, "csrftoken": token},
            cookies={**env["cookies"][user], "ds_csrftoken": page.cookies["ds_csrftoken"]})
    return asyncio.run(go())


@pytest.mark.parametrize("user,status", [("c_xa", 200), ("c_qt", 200), ("c_tinh", 403), ("c_xa_khac", 403), ("c_pt", 403)])
def test_application_page_access(env, user, status):
    assert get(env, user, f"/-/btxh/ho-so/{env['app']}").status_code == status


@pytest.mark.parametrize("user,status", [("c_xa", 200), ("c_tinh", 403), ("c_pt", 403)])
def test_new_form_access(env, user, status):
    assert get(env, user, "/-/btxh/ho-so/moi").status_code == status


def test_province_officer_is_refused_the_case_file(env):
    """The case file shows category and article; province staff may not learn HIV status (issue 11)."""
    response = get(env, "c_tinh", f"/-/btxh/ho-so/{env['app']}")
    assert response.status_code == 403 and "Lê Thị Hoa" not in response.text


def test_post_without_csrftoken_is_refused(env):
    response = asyncio.run(env["ds"].client.post(
        f"/-/btxh/ho-so/{env['app']}/niem-yet", data={"posting_from": "03/09/2025", "posting_to": "05/09/2025"},
        cookies=env["cookies"]["c_xa"]))
    assert response.status_code == 403


def test_invalid_form_is_rendered_again_with_the_values(env):
    response = post(env, "c_xa", "/-/btxh/ho-so/moi", "/-/btxh/ho-so/moi", {
        "commune_code": env["commune"], "category": "K6", "submitted_date": "01/09/2025",
        "full_name": "Phạm Văn Cường", "sex": "nam", "birth_date": "1980", "cccd": "00108501234",
        "village_id": str(env["village"]), "disability_level": "", "disability_cert_date": "10/08/2025"})
    assert response.status_code == 400
    assert "Số CCCD: phải có đúng 12 chữ số (đã nhập 11)" in response.text
    assert "Mức độ khuyết tật: diện K6 phải chọn" in response.text
    assert 'value="Phạm Văn Cường"' in response.text


def test_officer_posts_and_grants_through_the_pages(env):
    page = f"/-/btxh/ho-so/{env['app']}"
    other = post(env, "c_qt", page, f"{page}/niem-yet", {"posting_from": "03/09/2025"})
    assert other.status_code == 400 and "Niêm yết đến ngày: chưa nhập" in other.text
    posted = post(env, "c_xa", page, f"{page}/niem-yet", {"posting_from": "03/09/2025", "posting_to": "05/09/2025"})
    assert posted.status_code == 302
    shown = get(env, "c_xa", page)
    assert "Tháng bắt đầu hưởng đề xuất: <strong>08/2025</strong>" in shown.text
    assert 'value="08/2025"' in shown.text
    early = post(env, "c_xa", page, f"{page}/quyet-dinh", {
        "number": "5/QĐ-UBND", "signed_date": "10/09/2025", "signer_name": "Đỗ Văn Dũng",
        "signer_title": "Chủ tịch UBND xã", "start_month": "07/2025"})
    assert early.status_code == 400 and "không được trước tháng đề xuất 08/2025" in early.text
    granted = post(env, "c_xa", page, f"{page}/quyet-dinh", {
        "number": "5/QĐ-UBND", "signed_date": "10/09/2025", "signer_name": "Đỗ Văn Dũng",
        "signer_title": "Chủ tịch UBND xã", "start_month": "08/2025"})
    assert granted.status_code == 302
    assert re.fullmatch(r"/-/btxh/quyet-dinh/\d+", granted.headers["location"])
    assert get(env, "c_xa", granted.headers["location"]).status_code == 200
