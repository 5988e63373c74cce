"""Red team B: after a move A→B the old commune keeps its history, and learns nothing new about
the person, who is now B's (issue 11 red-team pass; ADR 014 «After the move»).

A K8 person of commune A is granted, then moved to commune B, which puts them in one of its
villages. Commune A's officer still opens the old case file, reprints the old grant decision and
the payment list of the last month A paid (all A's records) — and before the fix each printed
where the person lives now (B's village; on the decision, as if it were in commune A). And a
transfer A withdrew kept showing B the person's category.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil

import pytest

from conftest import PASSWORD, login_all, start_datasette
from btxh import cases, store, transfers, users
from btxh.payroll import run as payroll

A, B = "00004", "00008"  # Phường Ba Đình, Phường Ngọc Hà (Hà Nội)
NEW_HOME = "Tổ 9 Nơi Ở Mới"
OFFICER = {"id": "rtb_xa_a", "role": "can_bo_xa", "communes": [A]}
OFFICER_B = {"id": "rtb_xa_b", "role": "can_bo_xa", "communes": [B]}


@pytest.fixture(scope="module")
def site(tmp_path_factory, reference_db_path):
    path = tmp_path_factory.mktemp("sec_rtb_move") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    db.execute("INSERT INTO villages (id, commune_code, name, kind, valid_from) VALUES"
               " (1, ?, 'Tổ 1', 'Tổ dân phố', '2025-07-01'), (2, ?, ?, 'Tổ dân phố', '2025-07-01')",
               [A, B, NEW_HOME])
    db.conn.commit()
    before = os.environ.get("BTXH_NOW")
    os.environ["BTXH_NOW"] = "2026-03-01T08:00:00"
    try:
        app_id = cases.new_application(db, OFFICER, {
            "commune_code": A, "category": "K8", "submitted_date": "01/09/2025", "full_name": "Nguyễn Văn An",
            "sex": "nam", "birth_date": "17/05/1985", "village_id": "1"})
        cases.post(db, OFFICER, app_id, "03/09/2025", "05/09/2025")
        grant = cases.grant(db, OFFICER, app_id, "12/QĐ-UBND", "10/09/2025", "Trần Văn Bình",
                            "Chủ tịch UBND phường", "09/2025")
        person_id = db.execute("SELECT person_id FROM decisions WHERE id = ?", [grant]).fetchone()[0]
        payroll.run(db, "2025-12")  # the old commune's last month, reprinted after the move
        tid = transfers.send(db, OFFICER, person_id, B, "23/QĐ-UBND", "10/12/2025", "Trần Văn Bình",
                             "Chủ tịch UBND phường", "01/2026", "Chuyển nơi cư trú")
        transfers.accept(db, OFFICER_B, tid, "7/QĐ-UBND", "15/12/2025", "Phạm Thị Cúc",
                         "Chủ tịch UBND phường", "2")
        # a second K8 person of A, sent to B by mistake and withdrawn before B acted
        app2 = cases.new_application(db, OFFICER, {
            "commune_code": A, "category": "K8", "submitted_date": "01/09/2025", "full_name": "Trần Thị Bình",
            "sex": "nu", "birth_date": "02/03/1980", "village_id": "1"})
        cases.post(db, OFFICER, app2, "03/09/2025", "05/09/2025")
        grant2 = cases.grant(db, OFFICER, app2, "13/QĐ-UBND", "10/09/2025", "Trần Văn Bình",
                             "Chủ tịch UBND phường", "09/2025")
        person2 = db.execute("SELECT person_id FROM decisions WHERE id = ?", [grant2]).fetchone()[0]
        withdrawn = transfers.send(db, OFFICER, person2, B, "24/QĐ-UBND", "11/12/2025", "Trần Văn Bình",
                                   "Chủ tịch UBND phường", "01/2026", "Chuyển nơi cư trú")
        transfers.cancel(db, OFFICER, withdrawn)
    finally:
        if before is None:
            os.environ.pop("BTXH_NOW", None)
        else:
            os.environ["BTXH_NOW"] = before
    users.add_user(db, username="rtb_xa_a", role="can_bo_xa", password=PASSWORD, communes=[A])
    users.add_user(db, username="rtb_xa_b", role="can_bo_xa", password=PASSWORD, communes=[B])
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "app": app_id, "grant": grant, "withdrawn": withdrawn,
            "cookies": login_all(ds, ["rtb_xa_a", "rtb_xa_b"])}


def _get(site, path, user="rtb_xa_a"):
    return asyncio.run(site["ds"].client.get(path, cookies=site["cookies"][user]))


def test_old_commune_reopening_a_moved_persons_case_file_does_not_learn_their_new_village(site):
    page = _get(site, f"/-/btxh/ho-so/{site['app']}")
    assert page.status_code == 200  # A's own history stays readable
    assert NEW_HOME not in page.text


def test_old_commune_reprinting_a_moved_persons_decision_does_not_learn_their_new_village(site):
    page = _get(site, f"/-/btxh/quyet-dinh/{site['grant']}")
    assert page.status_code == 200 and "NGUYỄN VĂN AN" in page.text
    assert NEW_HOME not in page.text


def test_old_commune_reprinting_its_payment_list_of_before_the_move_does_not_learn_the_new_village(site):
    page = _get(site, f"/-/btxh/chi-tra/{A}/2025-12")
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text
    assert NEW_HOME not in page.text


def test_destination_of_a_withdrawn_transfer_no_longer_reads_the_persons_hiv_category(site):
    """B saw the file while it waited for B (ND 335 Art. 8(3)); once A withdrew it the person
    was never B's, and the page still showed B their category «K8» for good."""
    page = _get(site, f"/-/btxh/chuyen-xa/{site['withdrawn']}", "rtb_xa_b")
    assert page.status_code == 200 and "Trần Thị Bình" in page.text
    # CSRF tokens are random text (one may spell "K8"): look past them
    assert not re.search(r"\bK8\b", re.sub(r'name="csrftoken" value="[^"]*"', "", page.text))
    assert "K8" in _get(site, f"/-/btxh/chuyen-xa/{site['withdrawn']}").text  # the source keeps it
