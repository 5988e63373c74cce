"""Decision documents named K3/K8 by their clause to readers who may not know HIV status.

A grant to a K8 person read «Đối tượng: Đối tượng theo khoản 8 Điều 5 Nghị định 20/2021/NĐ-CP»
— a line only K8 decisions carry — and the decision's own basis («Tờ khai Mẫu 1b», the HIV
application form) was printed. The attacker, province staff, opens decisions of a K8, a K3, a
K6 and a K1 person and looks for anything in the K3/K8 documents that the others lack. The
admin and the commune's officer still get the clause (they decide the case).
"""

import asyncio
import re
import shutil

import pytest

from btxh import decision_doc, store, users
from conftest import PASSWORD, login_all, start_datasette

COMMUNE = "00376"  # Xã Sóc Sơn (Hà Nội)
NOW = "2025-08-01T08:00:00Z"
PEOPLE = {  # key: (category, birth date, basis of the decision, disability level)
    "k8": ("K8", "1990-11-20", "Tờ khai Mẫu 1b ngày 01/8/2025 (khoản 8 Điều 5)", None),
    "k3": ("K3", "2015-04-02", "Tờ khai Mẫu 1b ngày 01/8/2025", None),
    "k6": ("K6", "1985-02-05", "Giấy xác nhận khuyết tật ngày 01/8/2025", "NANG"),
    "k1": ("K1", "2016-06-09", "Tờ khai Mẫu 1a ngày 01/8/2025", None),
}
SENSITIVE = {"k8", "k3"}
TELLS = re.compile(r"khoản [38] Điều 5|Điều 5 khoản [38]|Mẫu 1b|HIV|AIDS|nhiễm", re.IGNORECASE)


@pytest.fixture(scope="module")
def site(reference_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("sec_decisions") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    ids = {}
    for n, (key, (category, birth, basis, level)) in enumerate(PEOPLE.items(), 1):
        pid = db["persons"].insert({"full_name": f"Người Thử {n}", "sex": "nam", "birth_date": birth,
                                    "birth_precision": "day", "birth_year": int(birth[:4]), "commune_code": COMMUNE,
                                    "created_at": NOW, "updated_at": NOW}).last_pk
        mid = db["memberships"].insert({"person_id": pid, "commune_code": COMMUNE, "category": category,
                                        "valid_from": "2025-08-01", "hiv_positive": int(key in SENSITIVE),
                                        "disability_level": level}).last_pk
        ids[key] = db["decisions"].insert({
            "number": f"{40 + n}/QĐ-UBND", "kind": "grant", "program": "TCXH", "person_id": pid,
            "membership_id": mid, "commune_code": COMMUNE, "signed_date": "2025-08-12",
            "signer_name": "Nguyễn Văn Chủ", "signer_title": "Chủ tịch", "authority_level": "xa",
            "start_month": "2025-08", "legal_basis": basis, "created_at": NOW, "created_by": "t"}).last_pk
    for name, role, communes, province in [("d_xa", "can_bo_xa", [COMMUNE], None), ("d_tinh", "tinh", [], "01"),
                                           ("d_qt", "quan_tri", [], None)]:
        users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes, province=province)
    db.conn.close()
    ds = start_datasette(path)
    return {"path": path, "ids": ids, "ds": ds, "cookies": login_all(ds, ["d_xa", "d_tinh", "d_qt"])}


def _lines(doc) -> dict:
    """What a document says that does not vary with the person: every item but name, birth,
    address, amount, coefficient (which K8 shares with K5a and K6 nặng)."""
    items = dict(doc.articles[0].items)
    return {"Đối tượng": items.get("Đối tượng"), "bases": doc.bases}


def test_decision_document_for_a_reader_who_may_not_know_does_not_set_k3_k8_apart(site):
    db = store.open_db(site["path"])
    try:
        docs = {k: decision_doc.build(db, i) for k, i in site["ids"].items()}
    finally:
        db.conn.close()
    ordinary = [_lines(docs[k]) for k in PEOPLE if k not in SENSITIVE]
    for key in SENSITIVE:
        assert not TELLS.search(docs[key].text), TELLS.search(docs[key].text).group(0)
        assert _lines(docs[key]) in ordinary, f"the {key} decision differs from every ordinary one"


def test_province_staff_opening_a_k8_decision_read_no_clause_or_hiv_form(site):
    response = asyncio.run(site["ds"].client.get(f"/-/btxh/quyet-dinh/{site['ids']['k8']}",
                                                 cookies=site["cookies"]["d_tinh"]))
    assert response.status_code in (200, 403)  # refused outright is fine too (case pages, another finding)
    if response.status_code == 200:
        body = re.sub(r'name="csrftoken" value="[^"]*"', "", response.text)
        assert not TELLS.search(body), TELLS.search(body).group(0)


@pytest.mark.parametrize("who", ["d_xa", "d_qt"])
def test_the_communes_officer_and_the_admin_still_read_the_clause(site, who):
    response = asyncio.run(site["ds"].client.get(f"/-/btxh/quyet-dinh/{site['ids']['k8']}",
                                                 cookies=site["cookies"][who]))
    assert response.status_code == 200
    assert "khoản 8 Điều 5" in response.text and "HIV" not in response.text
