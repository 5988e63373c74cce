"""Printable decisions: the wording by kind and era, the amount from the engine, never HIV,
the Datasette page with its commune scoping, and (browser) an A4 portrait PDF. Documents are
built as the commune's officer reads them (``may_know_hiv=True``); what others read is in
tests/security/test_sec_outputs_decisions.py."""

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from btxh import decision_doc, store, users
from btxh.serving import STATIC
from conftest import login_all, start_datasette

COMMUNE, OTHER = "00376", "00382"  # Xã Sóc Sơn, Xã Kim Anh (Hà Nội); before 2025: Huyện Sóc Sơn (016)
NOW = "2025-08-01T08:00:00Z"


def _person(db, name, birth, sex="nam", village=None):
    return db["persons"].insert({
        "full_name": name, "sex": sex, "birth_date": birth, "birth_precision": "day",
        "birth_year": int(birth[:4]), "commune_code": COMMUNE, "village_id": village,
        "created_at": NOW, "updated_at": NOW}).last_pk


def _decision(db, number, kind, person, membership, signed, start=None, stop=None, level="xa",
              signer="Chủ tịch", reason=None, basis="Hồ sơ đề nghị ngày 10/8/2025", district=None):
    return db["decisions"].insert({
        "number": number, "kind": kind, "program": "TCXH", "person_id": person,
        "membership_id": membership, "commune_code": COMMUNE, "legacy_district_code": district,
        "signed_date": signed, "signer_name": "Nguyễn Văn Chủ", "signer_title": signer,
        "authority_level": level, "start_month": start, "stop_month": stop, "legal_basis": basis,
        "reason": reason, "created_at": NOW, "created_by": "test"}).last_pk


def fill(db) -> dict:
    """Bình (K6 nặng, adult): granted in 2024 by the district, adjusted and stopped by the
    commune after 2025-07-01. Đức (K8, HIV): granted, then stopped with a reason naming HIV."""
    village = db["villages"].insert({"commune_code": COMMUNE, "name": "Thôn Đông", "kind": "Thôn",
                                     "valid_from": "2025-07-01"}).last_pk
    binh = _person(db, "Trần Thị Bình", "1980-02-05", "nu", village)
    duc = _person(db, "Lê Văn Đức", "1990-11-20")
    m_binh = db["memberships"].insert({"person_id": binh, "commune_code": COMMUNE, "category": "K6",
                                       "valid_from": "2024-03-01", "disability_level": "NANG"}).last_pk
    m_duc = db["memberships"].insert({"person_id": duc, "commune_code": COMMUNE, "category": "K8",
                                      "valid_from": "2025-08-01", "hiv_positive": 1}).last_pk
    return {
        "old_grant": _decision(db, "152/QĐ-UBND", "grant", binh, m_binh, "2024-03-05", start="2024-03",
                               level="huyen", district="016", basis="Giấy xác nhận khuyết tật ngày 01/3/2024"),
        "grant": _decision(db, "45/QĐ-UBND", "grant", duc, m_duc, "2025-08-12", start="2025-08",
                           basis="Tờ khai Mẫu 1b, xác nhận nhiễm HIV ngày 01/8/2025"),
        "adjust": _decision(db, "60/QĐ-UBND", "adjust", binh, m_binh, "2025-09-03", start="2025-09",
                            signer="Phó Chủ tịch"),
        "stop": _decision(db, "71/QĐ-UBND", "stop", duc, m_duc, "2025-12-01", stop="2026-01",
                          reason="Chuyển điều trị HIV tại tỉnh khác"),
    }


@pytest.fixture
def filled(ref_db):
    return ref_db, fill(ref_db)


@pytest.mark.parametrize("kind, subject", [
    ("grant", "Về việc hưởng trợ cấp xã hội hằng tháng"),
    ("adjust", "Về việc điều chỉnh mức trợ cấp xã hội hằng tháng"),
    ("stop", "Về việc thôi hưởng trợ cấp xã hội hằng tháng"),
], ids=["grant", "adjust", "stop"])
def test_title_by_kind(filled, kind, subject):
    db, ids = filled
    doc = decision_doc.build(db, ids[kind], may_know_hiv=True)
    assert doc.title == "QUYẾT ĐỊNH" and doc.subject == subject


def test_commune_decision_after_july_2025(filled):
    db, ids = filled
    doc = decision_doc.build(db, ids["adjust"], may_know_hiv=True)
    assert doc.authority == ("ỦY BAN NHÂN DÂN", "XÃ SÓC SƠN")
    assert doc.nation == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    assert doc.number_line == "Số: 60/QĐ-UBND"
    assert doc.date_line == "Sóc Sơn, ngày 03 tháng 9 năm 2025"
    assert doc.decider == "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ SÓC SƠN"
    bases = " ".join(doc.bases)
    assert "Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025" in bases
    assert "Nghị định số 20/2021/NĐ-CP" in bases and "Nghị định số 76/2024/NĐ-CP" in bases
    assert "Nghị định số 147/2025/NĐ-CP" in bases
    assert "Hồ sơ đề nghị ngày 10/8/2025" in bases
    assert doc.proposal == "Xét đề nghị của công chức Văn hóa - Xã hội."
    assert doc.signature == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH") and doc.signer_name == "Nguyễn Văn Chủ"
    assert "công chức Văn hóa - Xã hội, kế toán" in doc.articles[1].lead
    assert "có hiệu lực kể từ ngày ký" in doc.articles[2].lead
    assert "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã" in doc.articles[2].lead
    assert doc.recipients[0] == "- Như Điều 3;"


def test_adjustment_states_the_engine_amount_in_figures_and_words(filled):
    db, ids = filled
    doc = decision_doc.build(db, ids["adjust"], may_know_hiv=True)
    items = dict(doc.articles[0].items)
    assert (doc.month, doc.coefficient, doc.amount) == ("2025-09", "1,5", 750_000)  # 1.5 × 500.000
    assert doc.amount_words == "Bảy trăm năm mươi nghìn đồng"
    assert items["Mức trợ cấp hằng tháng"] == "750.000 đồng/tháng (Bằng chữ: Bảy trăm năm mươi nghìn đồng)"
    assert items["Mức mới được hưởng"] == "kể từ tháng 09/2025"
    # a decision is delivered to the person: full birth date and address are printed
    assert items["Họ và tên"] == "TRẦN THỊ BÌNH" and items["Ngày sinh"] == "05/02/1980"
    assert items["Nơi cư trú"] == "Thôn Đông, Xã Sóc Sơn, Thành phố Hà Nội"
    assert items["Đối tượng"] == "Người khuyết tật nặng (khoản 6 Điều 5 Nghị định 20/2021/NĐ-CP)"
    assert doc.articles[0].lead.startswith("Điều chỉnh mức trợ cấp xã hội hằng tháng đối với Bà")


def test_district_decision_before_july_2025(filled):
    db, ids = filled
    doc = decision_doc.build(db, ids["old_grant"], may_know_hiv=True)
    assert doc.authority == ("ỦY BAN NHÂN DÂN", "HUYỆN SÓC SƠN")
    assert doc.decider == "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN SÓC SƠN"
    assert doc.date_line == "Sóc Sơn, ngày 05 tháng 3 năm 2024"
    bases = " ".join(doc.bases)
    assert "ngày 19 tháng 6 năm 2015" in bases and "147/2025" not in bases and "76/2024" not in bases
    assert "Giấy xác nhận khuyết tật ngày 01/3/2024" in bases
    assert "Lao động - Thương binh và Xã hội" in doc.proposal
    assert (doc.amount, doc.amount_words) == (540_000, "Năm trăm bốn mươi nghìn đồng")  # 1.5 × 360.000
    assert dict(doc.articles[0].items)["Thời gian hưởng"] == "kể từ tháng 03/2024"
    assert doc.signature == ("CHỦ TỊCH",)


def test_stop_states_the_month_and_a_neutral_reason(filled):
    db, ids = filled
    items = dict(decision_doc.build(db, ids["stop"], may_know_hiv=True).articles[0].items)
    assert items["Thôi hưởng"] == "kể từ tháng 01/2026"
    assert items["Lý do"] == decision_doc.NEUTRAL_REASON


@pytest.mark.parametrize("kind", ["grant", "stop"])
def test_hiv_is_never_printed(filled, kind):
    db, ids = filled
    doc = decision_doc.build(db, ids[kind], may_know_hiv=True)  # the commune's officer prints it
    assert "HIV" not in doc.text.upper() and "AIDS" not in doc.text.upper()
    assert dict(doc.articles[0].items)["Đối tượng"] == "Đối tượng theo khoản 8 Điều 5 Nghị định 20/2021/NĐ-CP"
    neutral = decision_doc.build(db, ids[kind])  # anyone else: the program's line, as for every category
    assert dict(neutral.articles[0].items)["Đối tượng"] == "Đối tượng hưởng trợ cấp xã hội hằng tháng"


def test_grant_amount_for_a_k8_person(filled):
    db, ids = filled
    doc = decision_doc.build(db, ids["grant"], may_know_hiv=True)
    assert (doc.amount, doc.coefficient) == (750_000, "1,5")
    assert doc.date_line == "Sóc Sơn, ngày 12 tháng 8 năm 2025" and doc.signature == ("CHỦ TỊCH",)


@pytest.mark.parametrize("iso, words", [
    ("2025-02-05", "ngày 05 tháng 02 năm 2025"), ("2025-01-31", "ngày 31 tháng 01 năm 2025"),
    ("2025-03-09", "ngày 09 tháng 3 năm 2025"), ("2025-12-15", "ngày 15 tháng 12 năm 2025"),
], ids=["feb", "jan", "march-no-zero", "december"])
def test_date_words_follow_nd30(iso, words):
    assert decision_doc.date_words(iso) == words


def test_unknown_decision(ref_db):
    with pytest.raises(decision_doc.DecisionNotFound):
        decision_doc.build(ref_db, 999)


# -- the Datasette page --------------------------------------------------------------

@pytest.fixture(scope="module")
def dec_path(reference_db_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("decisions") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    ids = fill(db)
    for name, role, communes, province in [
        ("xa00376", "can_bo_xa", [COMMUNE], None), ("xa00382", "can_bo_xa", [OTHER], None),
        ("tinh01", "tinh", [], "01"),
    ]:
        users.add_user(db, username=name, role=role, password="matkhau-thu-nghiem", communes=communes,
                       province=province)
    db.conn.close()
    return path, ids


@pytest.fixture(scope="module")
def dec_ds(dec_path):
    return start_datasette(dec_path[0])


@pytest.fixture(scope="module")
def dec_cookies(dec_ds):
    return login_all(dec_ds, ("xa00376", "xa00382", "tinh01"))


def get(ds, path, **kw):
    return asyncio.run(ds.client.get(path, **kw))


@pytest.mark.parametrize("user", ["xa00376"])
@pytest.mark.parametrize("kind", ["grant", "adjust", "stop"])
def test_staff_of_the_commune_see_the_decision(dec_ds, dec_path, dec_cookies, user, kind):
    response = get(dec_ds, f"/-/btxh/quyet-dinh/{dec_path[1][kind]}", cookies=dec_cookies[user])
    assert response.status_code == 200
    html = response.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "QUYẾT ĐỊNH" in html
    assert "btxh-decision-print.css" in html and "window.print()" in html and "In / Lưu PDF" in html
    visible = re.sub(r'name="csrftoken" value="[^"]*"', "", html)  # random tokens may spell anything
    assert "HIV" not in visible.upper()


def test_officer_of_another_commune_is_refused(dec_ds, dec_path, dec_cookies):
    response = get(dec_ds, f"/-/btxh/quyet-dinh/{dec_path[1]['grant']}", cookies=dec_cookies["xa00382"])
    assert response.status_code == 403


def test_anonymous_is_refused(dec_ds, dec_path):
    assert get(dec_ds, f"/-/btxh/quyet-dinh/{dec_path[1]['grant']}").status_code == 403


def test_province_staff_are_refused_every_decision_alike(dec_ds, dec_path, dec_cookies):
    """A decision names a category and article: province staff get none, known or not (issue 11)."""
    for path in (f"/-/btxh/quyet-dinh/{dec_path[1]['grant']}", "/-/btxh/quyet-dinh/999999"):
        assert get(dec_ds, path, cookies=dec_cookies["tinh01"]).status_code == 403


def test_unknown_decision_is_the_same_403_as_another_communes(dec_ds, dec_path, dec_cookies):
    # a commune officer's 404 told a missing id from another commune's decision (red team A)
    missing = get(dec_ds, "/-/btxh/quyet-dinh/999999", cookies=dec_cookies["xa00382"])
    other = get(dec_ds, f"/-/btxh/quyet-dinh/{dec_path[1]['grant']}", cookies=dec_cookies["xa00382"])
    assert missing.status_code == other.status_code == 403
    assert missing.text == other.text


# -- printed to PDF in headless Chromium ----------------------------------------------

@pytest.mark.browser
def test_prints_on_a4_portrait(dec_ds, dec_path, dec_cookies, tmp_path):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.fail("Chromium not found at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    html = get(dec_ds, f"/-/btxh/quyet-dinh/{dec_path[1]['adjust']}", cookies=dec_cookies["xa00376"]).text
    for name in ("btxh.css", "btxh-print.css", "btxh-decision-print.css"):
        shutil.copy(STATIC / name, tmp_path / name)
    html = html.replace("/btxh-static/", "")
    page_file = tmp_path / "quyet-dinh.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        try:
            page = browser.new_page()
            page.route(re.compile(r"^https?://"), lambda route: route.abort())
            page.goto(page_file.as_uri())
            pdf = page.pdf(prefer_css_page_size=True)
        finally:
            browser.close()
    boxes = [tuple(float(x) for x in m) for m in re.findall(
        rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)]
    assert boxes
    for x0, y0, x1, y1 in boxes:
        assert abs((x1 - x0) - 595) <= 2 and abs((y1 - y0) - 842) <= 2
