"""Issue 11, finding 13, as the red team did it: a commune officer "moves" a person into another
commune and writes a decision into THAT commune's register with a signer of their choosing.
A move is now two-sided (ADR 014): the sender writes only in their own register."""

import pytest

from btxh import cases
from conftest import case_site
from sec_move_helpers import decisions_in, post, query

SIGNED = "10/12/2025"


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_db_path):
    def prepare(db, officer, app_id):
        other = db.execute("SELECT code FROM communes WHERE code <> ? LIMIT 1", [officer["communes"][0]]).fetchone()[0]
        db.execute("INSERT INTO villages (id, commune_code, name, kind, valid_from) VALUES"
                   " (900001, ?, 'Thôn Đến', 'Thôn', '2025-07-01')", [other])
        cases.post(db, officer, app_id, "03/09/2025", "05/09/2025")
        cases.grant(db, officer, app_id, "MV-1/QĐ-UBND", "10/09/2025", "Đỗ Văn Dũng", "Chủ tịch UBND xã", "08/2025")
        moving = db.execute("SELECT person_id FROM applications WHERE id = ?", [app_id]).fetchone()[0]
        return {"other": other, "moving": moving}

    return case_site(tmp_path_factory.mktemp("sec_move_attack"), demo_db_path, "mva", prepare)


def test_moving_a_person_does_not_write_a_decision_into_the_destination_communes_register(site):
    """The red team's move: every field of the old one-sided form (new commune's number,
    village, a signer of their choosing), the new form's fields, and a commune code."""
    other, person = site["other"], site["moving"]
    before = decisions_in(site, other)
    response = post(site, "mva_xa", f"/-/btxh/doi-tuong/{person}/chuyen-di", {
        "to_commune": other, "to_village_id": "900001", "number_old": "RT-12/QĐ-UBND", "number_new": "RT-13/QĐ-UBND",
        "month": "10/2025", "number": "RT-12/QĐ-UBND", "stop_month": "10/2025", "signed_date": SIGNED,
        "signer_name": "Người Ký Giả", "signer_title": "Chủ tịch UBND xã nơi đến", "reason": "Chuyển nơi cư trú",
        "commune_code": other})
    assert decisions_in(site, other) == before
    assert query(site, "SELECT count(*) FROM decisions WHERE signer_name = 'Người Ký Giả' AND commune_code = ?",
                 [other]) == [(0,)]
    assert query(site, "SELECT commune_code FROM persons WHERE id = ?", [person]) == [(site["commune"],)]
    assert query(site, "SELECT count(*) FROM memberships WHERE person_id = ? AND commune_code = ?",
                 [person, other]) == [(0,)]
    # what happens instead: the old commune's own stop and a transfer waiting for the destination
    assert response.status_code == 302 and response.headers["location"].startswith("/-/btxh/chuyen-xa/")
    tid = int(response.headers["location"].rsplit("/", 1)[1])
    assert query(site, "SELECT status, from_commune, to_commune FROM transfers WHERE id = ?", [tid]) == [
        ("cho_tiep_nhan", site["commune"], other)]
    assert query(site, "SELECT kind, commune_code FROM decisions WHERE number = 'RT-12/QĐ-UBND'") == [
        ("stop", site["commune"])]
