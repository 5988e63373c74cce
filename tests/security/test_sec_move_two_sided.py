"""Issue 11, finding 13, the same attack through every other door: a commune officer must not
write into another commune's register by any form field or URL (a commune code in the POST
body, another commune's person id, another commune's transfer id). A move is two-sided
(ADR 014); the red team's own move is tests/security/test_sec_move_attack.py."""

import pytest

from btxh import cases, store, transfers, users
from conftest import PASSWORD, case_site, login_all
from sec_move_helpers import CSRF, decisions_in, get, post, query

SIGNED = "10/12/2025"


def _grant(db, officer, commune, village, name, number):
    app_id = cases.new_application(db, officer, {
        "commune_code": commune, "category": "K6", "submitted_date": "01/09/2025", "full_name": name,
        "sex": "nam", "birth_date": "1975", "village_id": str(village), "disability_level": "NANG",
        "disability_cert_date": "10/08/2025"})
    cases.post(db, officer, app_id, "03/09/2025", "05/09/2025")
    decision = cases.grant(db, officer, app_id, number, "10/09/2025", "Đỗ Văn Dũng", "Chủ tịch UBND xã", "08/2025")
    return db.execute("SELECT person_id FROM decisions WHERE id = ?", [decision]).fetchone()[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_db_path):
    def prepare(db, officer, app_id):
        commune = officer["communes"][0]
        other = db.execute("SELECT code FROM communes WHERE code <> ? LIMIT 1", [commune]).fetchone()[0]
        third = db.execute("SELECT code FROM communes WHERE code NOT IN (?, ?) AND valid_to IS NULL LIMIT 1",
                           [commune, other]).fetchone()[0]
        db.execute("INSERT INTO villages (id, commune_code, name, kind, valid_from) VALUES"
                   " (900001, ?, 'Thôn Đến', 'Thôn', '2025-07-01')", [other])
        users.add_user(db, username="mv_xa_ba", role="can_bo_xa", password=PASSWORD, communes=[third])
        village = db.execute("SELECT id FROM villages WHERE commune_code = ? AND id <> 900001 LIMIT 1",
                             [commune]).fetchone()[0]
        other_officer = users.actor_for(db, "mv_xa_khac")
        waiting = _grant(db, officer, commune, village, "Trần Văn Chờ", "MV-2/QĐ-UBND")
        accepted = _grant(db, officer, commune, village, "Phạm Văn Nhận", "MV-3/QĐ-UBND")
        theirs = _grant(db, other_officer, other, 900001, "Vũ Thị Khác", "MV-4/QĐ-UBND")
        pending = transfers.send(db, officer, waiting, other, "MV-5/QĐ-UBND", SIGNED, "Đỗ Văn Dũng",
                                 "Chủ tịch UBND xã", "10/2025", "Chuyển nơi cư trú")
        to_accept = transfers.send(db, officer, accepted, other, "MV-6/QĐ-UBND", SIGNED, "Đỗ Văn Dũng",
                                   "Chủ tịch UBND xã", "10/2025", "Chuyển nơi cư trú")
        return {"other": other, "theirs": theirs, "waiting": waiting, "pending": pending, "to_accept": to_accept,
                "accepted_person": accepted}

    env = case_site(tmp_path_factory.mktemp("sec_move"), demo_db_path, "mv", prepare)
    env["cookies"].update(login_all(env["ds"], ["mv_xa_ba"]))
    return env


def status_of(site, transfer_id):
    return query(site, "SELECT status FROM transfers WHERE id = ?", [transfer_id])[0][0]


def test_source_officer_cannot_accept_their_own_transfer_with_a_commune_code_in_the_body(site):
    other, tid = site["other"], site["pending"]
    before = decisions_in(site, other)
    response = post(site, "mv_xa", f"/-/btxh/chuyen-xa/{tid}/tiep-nhan", {
        "number": "RT-14/QĐ-UBND", "signed_date": SIGNED, "signer_name": "Người Ký Giả",
        "signer_title": "Chủ tịch UBND xã", "to_village_id": "900001", "commune_code": other,
        "to_commune": other})
    assert response.status_code == 403
    assert decisions_in(site, other) == before and status_of(site, tid) == "cho_tiep_nhan"


def test_source_officer_cannot_refuse_and_destination_officer_cannot_cancel_a_transfer(site):
    tid = site["pending"]
    assert post(site, "mv_xa", f"/-/btxh/chuyen-xa/{tid}/tu-choi", {"refusal_reason": "x"}).status_code == 403
    assert post(site, "mv_xa_khac", f"/-/btxh/chuyen-xa/{tid}/huy", {}).status_code == 403
    assert status_of(site, tid) == "cho_tiep_nhan"


def test_officer_cannot_send_another_communes_person_by_putting_its_id_in_the_url(site):
    person = site["theirs"]
    before = query(site, "SELECT count(*) FROM decisions"), query(site, "SELECT count(*) FROM transfers")
    response = post(site, "mv_xa", f"/-/btxh/doi-tuong/{person}/chuyen-di", {
        "to_commune": site["commune"], "number": "RT-15/QĐ-UBND", "stop_month": "10/2025", "signed_date": SIGNED,
        "signer_name": "Người Ký Giả", "signer_title": "Chủ tịch UBND xã", "reason": "x",
        "commune_code": site["commune"]})
    assert response.status_code == 403
    assert (query(site, "SELECT count(*) FROM decisions"), query(site, "SELECT count(*) FROM transfers")) == before


def test_third_commune_officer_cannot_tell_another_communes_transfer_from_a_missing_one(site):
    tid = site["pending"]
    theirs = get(site, "mv_xa_ba", f"/-/btxh/chuyen-xa/{tid}")
    missing = get(site, "mv_xa_ba", "/-/btxh/chuyen-xa/987654")
    huge = get(site, "mv_xa_ba", "/-/btxh/chuyen-xa/99999999999999999999999999")
    assert theirs.status_code == missing.status_code == huge.status_code == 403
    same = lambda r: CSRF.sub("", r.text)  # noqa: E731 — the logout form's token differs per request
    assert same(theirs) == same(missing) == same(huge)
    accept = post(site, "mv_xa_ba", f"/-/btxh/chuyen-xa/{tid}/tiep-nhan", {
        "number": "RT-16", "signed_date": SIGNED, "signer_name": "X", "signer_title": "Y", "to_village_id": "900001"})
    assert accept.status_code == 403 and status_of(site, tid) == "cho_tiep_nhan"
    assert "Trần Văn Chờ" not in get(site, "mv_xa_ba", "/-/btxh/chuyen-xa").text


@pytest.mark.parametrize("user", ["mv_xa", "mv_xa_khac", "mv_tinh"])
def test_transfers_table_cannot_be_read_nationwide_through_datasette(site, user):
    assert get(site, user, "/btxh/transfers.json").status_code == 403
    assert get(site, user, "/btxh/transfer_memberships.json").status_code == 403


@pytest.mark.parametrize("user", [None, "mv_pt"])
def test_anonymous_and_analysts_cannot_open_the_transfer_pages(site, user):
    assert get(site, user, "/-/btxh/chuyen-xa").status_code == 403
    assert get(site, user, f"/-/btxh/chuyen-xa/{site['pending']}").status_code == 403


def test_accept_without_csrf_token_is_refused(site):
    tid = site["pending"]
    response = post(site, "mv_xa_khac", f"/-/btxh/chuyen-xa/{tid}/tiep-nhan", {
        "number": "RT-17", "signed_date": SIGNED, "signer_name": "X", "signer_title": "Y",
        "to_village_id": "900001"}, token=False)
    assert response.status_code == 403 and status_of(site, tid) == "cho_tiep_nhan"


def test_commune_code_or_membership_of_another_commune_in_a_case_form_writes_nothing_there(site):
    """The other doors into a register: a new case with the other commune's code in the body,
    a life step on the other commune's person, or on one's own person with their membership."""
    other, theirs = site["other"], site["theirs"]
    before = decisions_in(site, other), query(site, "SELECT count(*) FROM applications WHERE commune_code = ?",
                                              [other])
    new_case = post(site, "mv_xa", "/-/btxh/ho-so/moi", {
        "commune_code": other, "category": "K6", "submitted_date": "01/09/2025", "full_name": "Giả Danh",
        "sex": "nam", "birth_date": "1980", "village_id": "900001", "disability_level": "NANG",
        "disability_cert_date": "10/08/2025"})
    assert new_case.status_code == 400 and f"tài khoản của bạn không được giao xã «{other}»" in new_case.text
    their_membership = query(site, "SELECT id FROM memberships WHERE person_id = ?", [theirs])[0][0]
    step = {"membership_id": str(their_membership), "number": "RT-18/QĐ-UBND", "signed_date": SIGNED,
            "signer_name": "Người Ký Giả", "signer_title": "Chủ tịch UBND xã", "stop_month": "12/2025",
            "reason": "x", "commune_code": other}
    assert post(site, "mv_xa", f"/-/btxh/doi-tuong/{theirs}/tam-dung", step).status_code == 403
    own = post(site, "mv_xa", f"/-/btxh/doi-tuong/{site['waiting']}/tam-dung", step)
    assert own.status_code == 400 and "Diện hưởng: chọn một diện hưởng của người này" in own.text
    assert (decisions_in(site, other), query(site, "SELECT count(*) FROM applications WHERE commune_code = ?",
                                             [other])) == before


def test_destination_officer_decides_in_their_own_register_whatever_commune_the_body_names(site):
    other, tid = site["other"], site["to_accept"]
    inbox = get(site, "mv_xa_khac", "/-/btxh/chuyen-xa")
    assert inbox.status_code == 200 and f'href="/-/btxh/chuyen-xa/{tid}"' in inbox.text
    page = get(site, "mv_xa_khac", f"/-/btxh/chuyen-xa/{tid}")
    assert page.status_code == 200 and f'action="/-/btxh/chuyen-xa/{tid}/tiep-nhan"' in page.text
    assert "/huy" not in page.text  # the destination cannot cancel
    refused = post(site, "mv_xa_khac", f"/-/btxh/chuyen-xa/{tid}/tiep-nhan", {
        "number": "", "signed_date": SIGNED, "signer_name": "Lý Văn Ký", "signer_title": "Chủ tịch UBND xã",
        "to_village_id": "900001"})
    assert refused.status_code == 400 and "Số quyết định: chưa nhập" in refused.text
    assert 'value="Lý Văn Ký"' in refused.text
    response = post(site, "mv_xa_khac", f"/-/btxh/chuyen-xa/{tid}/tiep-nhan", {
        "number": "MV-7/QĐ-UBND", "signed_date": SIGNED, "signer_name": "Lý Văn Ký",
        "signer_title": "Chủ tịch UBND xã", "to_village_id": "900001", "commune_code": site["commune"],
        "to_commune": site["commune"]})
    assert response.status_code == 302
    assert response.headers["location"] == f"/-/btxh/doi-tuong/{site['accepted_person']}"
    assert query(site, "SELECT kind, commune_code, signer_name, created_by, start_month FROM decisions"
                       " WHERE number = 'MV-7/QĐ-UBND'") == [("move", other, "Lý Văn Ký", "mv_xa_khac", "2025-10")]
    assert status_of(site, tid) == "da_tiep_nhan"
    assert query(site, "SELECT commune_code FROM persons WHERE id = ?", [site["accepted_person"]]) == [(other,)]
