"""Public pages (công khai): open to anyone, and showing only what a posting may show."""

import asyncio
import re

import pytest

from btxh import public, store


FULL_DATE = [re.compile(r"\d{4}-\d{2}-\d{2}"), re.compile(r"\d{2}/\d{2}/\d{4}")]
CATEGORY_CODE = re.compile(r"\b(K[1-8][a-d]?|C[1-7])\b")
FORBIDDEN_WORDS = ["HIV", "đặc biệt nặng", "nặng", "Kinh", "dân tộc", "Dân tộc", "CCCD", "căn cước",
                   "khuyết tật", "Khuyết tật", "mồ côi", "đơn thân", "mang thai"]


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def _body(html: str) -> str:
    """The page's own content (the shared header and footer carry no registry data)."""
    return re.search(r'<main class="btxh-public">(.*)</main>', html, re.S).group(1)


def assert_clean(html: str):
    """Nothing about any person beyond what a posting may show, and no count by category
    or category group (ADR 009, decision 4)."""
    body = _body(html)
    assert "btxh-public-groups" not in body
    for rx in FULL_DATE:
        assert not rx.search(body), rx.search(body).group(0)
    assert not CATEGORY_CODE.search(body), CATEGORY_CODE.search(body).group(0)
    assert not re.search(r"\b\d{9}\b|\b\d{12}\b", body)  # no CMND/CCCD-like number
    assert not re.search(r"\b0\d{9}\b", body)  # no phone-like number
    for word in FORBIDDEN_WORDS:
        assert word not in body, word


# -- pure rules -----------------------------------------------------------------------

def test_every_category_has_the_same_generic_label():
    assert public.generic_label("K3", 1, "Đối tượng bảo trợ xã hội khác") == public.GENERIC_LABEL
    assert public.generic_label("K8", 1) == public.generic_label("K5a", 0, "Người cao tuổi")
    assert public.generic_label() == "Đối tượng bảo trợ xã hội hằng tháng"


def test_small_cells_and_children():
    assert [public.cell(n) for n in (0, 1, 4, 5, 12)] == ["0", "dưới 5", "dưới 5", "5", "12"]
    assert public.commune_total(3, 0) == "dưới 5"
    assert public.commune_total(10, 2) == "10 và dưới 5 trẻ em"
    assert public.commune_total(10, 6) == "16"
    assert public.is_child(2010, 2026) and not public.is_child(2009, 2026)
    assert public.age_group(1966, 2026) == "cao_tuoi" and public.age_group(1967, 2026) == "16_60"


def test_fold_is_accent_insensitive():
    assert public.fold("Nguyễn  Văn Đức") == public.fold("nguyen van duc")


# -- the pages, on the province demo --------------------------------------------------

@pytest.fixture(scope="module")
def pds(province_ds):
    return province_ds["ds"]


@pytest.fixture(scope="module")
def commune_a(province_ds):
    return province_ds["a"]


def test_three_pages_answer_anonymous(pds, commune_a):
    for path in ("/cong-khai", "/cong-khai/08", f"/cong-khai/xa/{commune_a}"):
        response = get(pds, path)
        assert response.status_code == 200, path
        assert '<html lang="vi">' in response.text
        assert_clean(response.text)


def test_unknown_codes_are_404(pds):
    assert get(pds, "/cong-khai/99").status_code == 404
    assert get(pds, "/cong-khai/xa/99999").status_code == 404


def test_province_page_lists_communes_with_counts(pds, commune_a, province_ds):
    html = get(pds, "/cong-khai/08").text
    assert f"/cong-khai/xa/{commune_a}" in html
    assert "dưới 5" in html  # most communes of a demo province have few or no recipients


def test_commune_page_shows_adults_with_amounts(pds, commune_a, province_ds):
    db = store.open_db(pds.get_database("btxh").path)
    try:
        page = public.commune(db, commune_a)
        adult = db.execute(
            "SELECT p.full_name, l.due FROM ledger l JOIN persons p ON p.id = l.person_id"
            " WHERE l.commune_code = ? AND l.kind = 'thuong_xuyen' AND l.program = 'TCXH'"
            " AND p.birth_year <= 1990 LIMIT 1", [commune_a]).fetchone()
    finally:
        db.conn.close()
    assert page.month == "2026-11" and page.rows
    html = get(pds, f"/cong-khai/xa/{commune_a}").text
    assert public.GENERIC_LABEL in html
    assert adult[0] in html
    assert public.money(adult[1]) in html
    assert all(not public.is_child(r.birth_year, 2026) for r in page.rows)
    assert "Tổng hợp" in html


def test_commune_search_is_accent_insensitive(pds, commune_a):
    db = store.open_db(pds.get_database("btxh").path)
    try:
        page = public.commune(db, commune_a)
    finally:
        db.conn.close()
    name = page.rows[0].full_name
    folded = public.fold(name)
    html = get(pds, f"/cong-khai/xa/{commune_a}?q={folded.replace(' ', '+')}").text
    assert name in html
    others = [r.full_name for r in page.rows if public.fold(name) not in public.fold(r.full_name)]
    assert others and others[0] not in _body(html)
    assert "Không có người nào" in get(pds, f"/cong-khai/xa/{commune_a}?q=zzzzqqq").text


def test_commune_summary_suppresses_small_cells(pds, province_ds):
    db = store.open_db(pds.get_database("btxh").path)
    try:
        pages = [public.commune(db, code) for (code,) in province_ds["province_communes"]]
    finally:
        db.conn.close()
    small = [p for p in pages if any(0 < n < 5 for n in p.counts.values())]
    assert small, "the demo province should have a commune with a small group"
    page = small[0]
    html = get(pds, f"/cong-khai/xa/{page.commune_code}").text
    summary = html.split("<h2>Tổng hợp</h2>", 1)[1].split("</table>", 1)[0]
    for group, n in page.counts.items():
        label = public.AGE_GROUP_LABELS[group]
        shown = re.search(re.escape(label) + r'</td><td class="num">([^<]+)<', summary).group(1)
        assert shown == public.suppress(page.counts)[group]
        assert shown in ("dưới 5", "không công bố") if 0 < n < 5 else shown in (str(n), "không công bố")
    if 0 < page.counts["tre_em"] < 5:
        assert str(page.adults + page.counts["tre_em"]) not in re.findall(r"<strong>([^<]+)</strong>", summary)


def test_every_commune_page_of_the_province_is_clean(pds, province_ds):
    for (code,) in province_ds["province_communes"][:40]:
        response = get(pds, f"/cong-khai/xa/{code}")
        assert response.status_code == 200
        assert_clean(response.text)


# The canaries (ID numbers, birth dates, phone numbers, HIV categories) are planted and
# hunted across every anonymous URL and the static export in tests/test_leak.py.
