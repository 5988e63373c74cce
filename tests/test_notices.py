"""Public notices of a commune: decisions of the month, the posting (niêm yết), one-off programs."""

import asyncio
import datetime as dt
import re

import pytest

from btxh import notices, public, store

from test_public import _body, assert_clean


def get(ds, path):
    return asyncio.run(ds.client.get(path))


@pytest.fixture(scope="module")
def pds(province_ds):
    return province_ds["ds"]


@pytest.fixture(scope="module")
def db(province_ds):
    database = store.open_db(province_ds["ds"].get_database("btxh").path)
    yield database
    database.conn.close()


# -- pure helpers -----------------------------------------------------------------------

@pytest.mark.parametrize("month,n,expected", [
    ("2026-03", 4, ["2026-03", "2026-02", "2026-01", "2025-12"]),
    ("2026-11", 1, ["2026-11"]),
], ids=["crosses-new-year", "one-month"])
def test_previous_months(month, n, expected):
    assert notices.previous_months(month, n) == expected


@pytest.mark.parametrize("month,bounds", [
    ("2024-02", ("2024-02-01", "2024-02-29")), ("2026-12", ("2026-12-01", "2026-12-31")),
], ids=["leap-february", "december"])
def test_month_bounds(month, bounds):
    assert notices.month_bounds(month) == bounds


@pytest.mark.parametrize("counts,shown", [
    ({"a": 10, "b": 7, "c": 3}, {"a": "10", "b": "không công bố", "c": "dưới 5"}),
    ({"a": 10, "b": 2, "c": 3}, {"a": "10", "b": "dưới 5", "c": "dưới 5"}),
    ({"a": 10, "b": 0, "c": 8}, {"a": "10", "b": "0", "c": "8"}),
    ({"a": 3, "b": 0}, {"a": "dưới 5", "b": "0"}),
], ids=["one-small-cell-hides-the-next-smallest", "two-small-cells-protect-each-other",
        "zero-is-shown", "nothing-else-to-hide"])
def test_complementary_suppression(counts, shown):
    assert public.suppress(counts) == shown


def test_no_counts_by_category_group_are_published():
    assert not hasattr(public, "CATEGORY_GROUPS")  # ADR 009, decision 4 (issue 11, finding 16)


# -- decisions of the month -------------------------------------------------------------

def _busiest_month(db, commune):
    return db.execute("SELECT substr(signed_date, 1, 7) m FROM decisions WHERE commune_code = ?"
                      " AND program = 'TCXH' GROUP BY m ORDER BY count(*) DESC LIMIT 1", [commune]).fetchone()[0]


def test_decisions_of_a_month_list_adults_and_count_children(pds, db, province_ds):
    commune = province_ds["a"]
    month = _busiest_month(db, commune)
    notice = notices.decisions(db, commune, month)
    rows = list(db.query(
        "SELECT d.number, d.reason, p.full_name, p.birth_year FROM decisions d JOIN persons p ON p.id = d.person_id"
        " WHERE d.commune_code = ? AND substr(d.signed_date, 1, 7) = ? AND d.program = 'TCXH'", [commune, month]))
    year = int(month[:4])
    adults = [r for r in rows if not public.is_child(r["birth_year"], year)]
    assert len(notice.rows) == len(adults) and notice.children == len(rows) - len(adults)
    html = get(pds, f"/cong-khai/xa/{commune}/quyet-dinh/{month}").text
    body = _body(html)
    assert adults[0]["number"] in body and adults[0]["full_name"] in body
    for r in rows:
        if r["reason"]:
            assert r["reason"] not in body  # reasons may carry a death, a health fact
        if public.is_child(r["birth_year"], year):
            assert f">{r['full_name']}<" not in body
    assert notices.month_label(month) in html


def test_decisions_page_defaults_to_this_month_and_links_back(pds, province_ds):
    commune = province_ds["a"]
    html = get(pds, f"/cong-khai/xa/{commune}/quyet-dinh").text
    this_month = notices.month_of(dt.date.today())
    assert notices.month_label(this_month).upper() in html
    for m in notices.previous_months(this_month, notices.DECISION_MONTHS)[1:]:
        assert f"/cong-khai/xa/{commune}/quyet-dinh/{m}" in html


def test_decision_dates_are_shown_but_no_birth_date(pds, db, province_ds):
    commune = province_ds["a"]
    month = _busiest_month(db, commune)
    body = _body(get(pds, f"/cong-khai/xa/{commune}/quyet-dinh/{month}").text)
    shown = set(re.findall(r"\d{2}/\d{2}/\d{4}", body))
    signed = {notices.vn_date(d) for (d,) in db.execute(
        "SELECT signed_date FROM decisions WHERE commune_code = ? AND substr(signed_date, 1, 7) = ?", [commune, month])}
    assert shown and shown <= signed


# -- posting (niêm yết) -----------------------------------------------------------------

def test_posting_lists_adults_with_dates_and_how_to_complain(pds, db, province_ds):
    commune = province_ds["a"]
    today = dt.date.today().isoformat()
    apps = list(db.query(
        "SELECT a.category, a.posting_from, a.posting_to, p.full_name, p.birth_year FROM applications a"
        " JOIN persons p ON p.id = a.person_id WHERE a.commune_code = ? AND a.status = 'niem_yet'"
        " AND a.posting_from <= ? AND a.posting_to >= ?", [commune, today, today]))
    assert apps, "the demo posts applications around the day it is built"
    html = get(pds, f"/cong-khai/xa/{commune}/niem-yet").text
    body = _body(html)
    assert "Cách gửi ý kiến, khiếu nại" in body and "10 ngày làm việc" in body
    assert "Điều 8 khoản 1 điểm b" in body
    for a in apps:
        if public.is_child(a["birth_year"], dt.date.today().year):
            assert f">{a['full_name']}<" not in body
        else:
            row = re.search(r"<tr>(?:(?!</tr>).)*>" + re.escape(a["full_name"]) + r"<.*?</tr>", body, re.S).group(0)
            assert notices.POSTING_LABEL in row and notices.vn_date(a["posting_to"]) in row
            assert "HIV" not in row and a["category"] not in row
    body_wo_dates = body
    for a in apps:
        body_wo_dates = body_wo_dates.replace(notices.vn_date(a["posting_from"]), "").replace(
            notices.vn_date(a["posting_to"]), "")
    assert_clean(f'<main class="btxh-public">{re.sub(r"[0-9]{2}/[0-9]{2}/[0-9]{4}", "", body_wo_dates)}</main>')


def test_posting_page_without_postings_says_so(pds, db, province_ds):
    empty = db.execute("SELECT code FROM communes WHERE code NOT IN"
                       " (SELECT commune_code FROM applications) LIMIT 1").fetchone()[0]
    assert "Hôm nay xã không niêm yết hồ sơ nào." in get(pds, f"/cong-khai/xa/{empty}/niem-yet").text


# -- one-off programs -------------------------------------------------------------------

def test_program_pays_only_the_highest_and_lists_each_person_once(pds, db, province_ds):
    commune = province_ds["a"]
    twice = list(db.query(
        "SELECT l.person_key, max(l.amount_per_month * l.months) AS best, min(l.full_name) AS name,"
        " min(l.birth_year) AS by FROM support_listings l WHERE l.commune_code = ? GROUP BY l.person_key"
        " HAVING count(*) > 1", [commune]))
    assert twice, "the demo lists some people in two groups"
    for t in twice:
        award = db.execute("SELECT amount FROM support_awards WHERE person_key = ? AND program_code = 'NQ42'",
                           [t["person_key"]]).fetchone()[0]
        assert award == t["best"]
    body = _body(get(pds, f"/cong-khai/xa/{commune}/ho-tro/NQ42").text)
    adult = next(t for t in twice if not public.is_child(t["by"], 2020))
    assert body.count(f">{adult['name']}<") >= 1
    assert public.money(adult["best"]) in body
    listing = get(pds, f"/cong-khai/xa/{commune}/ho-tro").text
    assert f"/cong-khai/xa/{commune}/ho-tro/NQ42" in listing and "Nghị quyết 42/NQ-CP" in listing


def test_program_page_of_unknown_program_is_404(pds, province_ds):
    assert get(pds, f"/cong-khai/xa/{province_ds['a']}/ho-tro/KHONGCO").status_code == 404


@pytest.mark.parametrize("tail", ["", "/quyet-dinh", "/niem-yet", "/ho-tro", "/ho-tro/NQ42"])
def test_every_notice_page_is_clean(pds, province_ds, tail):
    for (code,) in province_ds["province_communes"][:15]:
        response = get(pds, f"/cong-khai/xa/{code}{tail}")
        assert response.status_code in (200, 404)
        html = re.sub(r"\d{2}/\d{2}/\d{4}", "", response.text)  # dates of decisions and postings
        if response.status_code == 200:
            assert_clean(html)
