"""Red team pass A (access, scoping, sessions, CSRF) on the merged issue-11 work.

Each test performs an attack that worked on the merge, then checks that it no longer does.
"""

import asyncio
import html
import os
import re
import shutil

import httpx
import pytest

from btxh import scoping, store, users
from conftest import PASSWORD, case_site
from served import serve

_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')
_SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options",
                     "referrer-policy")


# ---- ids of another commune's rows on our own pages -------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_db_path):
    return case_site(tmp_path_factory.mktemp("rta"), demo_db_path, "rta")


def _get(site, user, path):
    return asyncio.run(site["ds"].client.get(path, cookies=site["cookies"][user]))


def test_commune_officer_cannot_tell_another_communes_ids_from_missing_ones(site):
    """An officer of another commune walked the ids of /-/btxh/ho-so/<id>, /-/btxh/doi-tuong/<id>
    and /-/btxh/quyet-dinh/<id>: another commune's row gave 403, a missing id 404 (and an id past
    SQLite's integers a 500 quoting Python), so the ids told which cases and people exist."""
    db = store.open_db(site["path"], create=False)
    person = db.execute("SELECT person_id FROM applications WHERE id = ?", [site["app"]]).fetchone()[0]
    decision = db.execute("SELECT id FROM decisions WHERE commune_code = ? LIMIT 1",
                          [site["commune"]]).fetchone()[0]
    db.conn.close()
    for route, existing in (("ho-so", site["app"]), ("doi-tuong", person), ("quyet-dinh", decision)):
        answers = [_get(site, "rta_xa_khac", f"/-/btxh/{route}/{key}")
                   for key in (existing, 987654321, 99999999999999999999)]
        assert [a.status_code for a in answers] == [403, 403, 403], route
        assert len({a.text for a in answers}) == 1, route
        # the officer of the row's commune still reads it; the administrator still gets a 404
        assert _get(site, "rta_xa", f"/-/btxh/{route}/{existing}").status_code == 200
        assert _get(site, "rta_qt", f"/-/btxh/{route}/987654321").status_code == 404
    for action in (f"ho-so/{site['app']}/niem-yet", "ho-so/987654321/niem-yet",
                   f"doi-tuong/{person}/tam-dung", "doi-tuong/987654321/tam-dung",
                   "doi-tuong/99999999999999999999/tam-dung"):
        response = asyncio.run(_post_as(site, "rta_xa_khac", f"/-/btxh/{action}"))
        assert response.status_code == 403, action


def test_new_case_form_with_another_communes_code_does_not_list_its_villages(site):
    """/-/btxh/ho-so/moi?xa=<another commune> listed that commune's villages (a scoped table)
    to a commune officer; /btxh/villages.json?commune_code=… gives them nothing."""
    db = store.open_db(site["path"], create=False)
    villages = [r[0] for r in db.execute("SELECT name FROM villages WHERE commune_code = ?",
                                         [site["commune"]])]
    db.conn.close()
    page = _get(site, "rta_xa_khac", f"/-/btxh/ho-so/moi?xa={site['commune']}")
    assert page.status_code == 200
    assert [name for name in villages if f"{name}<" in page.text] == []
    own = _get(site, "rta_xa", f"/-/btxh/ho-so/moi?xa={site['commune']}")
    assert any(f"{name}<" in own.text for name in villages)


def test_row_page_of_a_category_or_commune_does_not_count_rows_outside_the_scope(site):
    """A reference table's row page listed "links from other tables" with unscoped counts:
    /btxh/categories/K8 gave province staff the number of K8 (HIV) memberships, and
    /btxh/communes/<another commune> gave a commune officer its persons, memberships, decisions
    and accounts."""
    for user, path in (("rta_tinh", "/btxh/categories/K8"), ("rta_xa", "/btxh/categories/K8"),
                       ("rta_xa_khac", f"/btxh/communes/{site['commune']}")):
        page = _get(site, user, path)
        assert page.status_code == 200, (user, path)
        assert "memberships" not in page.text and "Liên kết từ bảng khác" not in page.text, (user, path)
    assert "Liên kết từ bảng khác" in _get(site, "rta_qt", "/btxh/categories/K8").text


def test_malformed_next_token_or_in_list_gets_no_error_page_quoting_sqlite_or_json(site):
    """A `_next` with more parts than the sort value and key, or an `__in` list that is broken
    JSON, reached Datasette: 400 «Invalid SQL near ")"» and a 500 quoting the JSON parser."""
    for user in ("rta_xa", "rta_tinh"):
        for path in ("/btxh/persons.json?_sort=birth_date&_next=x,y,z", "/btxh/persons?_next=1,2",
                     "/btxh/persons.json?id__in=%5B1", '/btxh/persons.json?id__in=[{"a":1}]'):
            response = _get(site, user, path)
            assert response.status_code == 403, (user, path, response.text[:200])
        # the pages Datasette links to still pass: sorted and unsorted, JSON lists too
        for path in ("/btxh/persons.json?_sort=birth_date&_size=2", "/btxh/persons.json?_size=2",
                     "/btxh/persons.json?_sort_desc=full_name&_size=2"):
            first = _get(site, user, path).json()
            assert first["next_url"], path
            assert _get(site, user, first["next_url"].split("localhost", 1)[-1]).status_code == 200
        assert _get(site, user, "/btxh/persons.json?id__in=[1,2]").status_code == 200


def test_post_to_a_table_url_gets_our_403_not_a_500(site):
    """A POST (with the officer's own CSRF token) to /btxh/persons reached Datasette: a 500
    «You may only POST to a canned query»; to /btxh or a row a bare English 405."""
    for user in ("rta_xa", "rta_tinh", "rta_qt"):
        for path in ("/btxh/persons", "/btxh/persons.json", "/btxh", f"/btxh/communes/{site['commune']}"):
            response = asyncio.run(_post_as(site, user, path))
            assert response.status_code == 403, (user, path, response.text[:200])
            assert "Không có quyền truy cập" in response.text


def _new_case_errors(site, user, form):
    async def go():
        client = site["ds"].client
        page = await client.get("/-/btxh/mat-khau", cookies=site["cookies"][user])
        token = _CSRF.search(page.text).group(1)
        return await client.post("/-/btxh/ho-so/moi", data={"csrftoken": token, **form},
                                 cookies=site["cookies"][user])
    response = asyncio.run(go())
    assert response.status_code == 400
    return response.text


def _victim(site):
    """A person of the site's commune (with a CCCD), and the other officer's own commune."""
    db = store.open_db(site["path"], create=False)
    person = db.execute("SELECT id, full_name, sex, birth_date, cccd FROM persons WHERE commune_code = ?"
                        " AND cccd IS NOT NULL AND birth_precision = 'day' LIMIT 1", [site["commune"]]).fetchone()
    own = db.execute("SELECT commune_code FROM user_communes WHERE username = 'rta_xa_khac'").fetchone()[0]
    db.conn.close()
    return person, own


def test_new_case_with_another_communes_person_id_reads_like_a_missing_id(site):
    """The new-case form answered «người này không cư trú tại xã đã chọn» for another
    commune's person id and «không có người mã …» for a missing one: an oracle of who is in
    the registry elsewhere."""
    (person_id, *_), own = _victim(site)
    form = {"commune_code": own, "category": "K6", "submitted_date": "01/11/2026"}
    theirs = _new_case_errors(site, "rta_xa_khac", {**form, "person_id": str(person_id)})
    missing = _new_case_errors(site, "rta_xa_khac", {**form, "person_id": "987654321"})
    assert theirs.replace(str(person_id), "N") == missing.replace("987654321", "N")


def test_new_case_with_another_communes_cccd_does_not_show_that_persons_name(site):
    """Typing a CCCD into the new-case form of one's own commune answered «đã có người
    «<full name>» (mã <id>) mang số này» for a person of any commune: a CCCD → name lookup."""
    (person_id, name, sex, birth, cccd), own = _victim(site)
    year, month, day = birth.split("-")
    text = _new_case_errors(site, "rta_xa_khac", {
        "commune_code": own, "category": "K6", "submitted_date": "01/11/2026", "full_name": "Người Thử",
        "sex": sex, "birth_date": f"{day}/{month}/{year}", "cccd": cccd})
    assert "mang số này" not in text and name not in text and f"mã {person_id})" not in text
    assert html.escape(scoping.CCCD_ELSEWHERE) in text or scoping.CCCD_ELSEWHERE in text


def test_import_list_with_another_communes_cccd_does_not_name_that_person(site, tmp_path):
    """An officer uploaded a beneficiary list of CCCD numbers for their own commune: each one
    held by a person elsewhere came back as «<full name> (mã <id>) đang ở xã <code> trong sổ»,
    a bulk lookup of who is in the registry and in which commune."""
    import datetime as dt

    import openpyxl

    from btxh.importing import beneficiaries
    from btxh.scoping import scope_of

    (person_id, name, sex, birth, cccd), own = _victim(site)
    year, month, day = birth.split("-")
    book = openpyxl.Workbook()
    book.active.append(["STT", "Họ và tên", "Giới tính", "Ngày sinh", "CMND/CCCD", "Thôn/Xóm/Tổ dân phố",
                        "Đối tượng", "Mức độ khuyết tật", "Mức hưởng", "Số QĐ", "Ngày QĐ"])
    book.active.append([1, "Người Thử", "Nam" if sex == "nam" else "Nữ", f"{day}/{month}/{year}", cccd,
                        "Thôn Mới", "K5a", "", 750000, "12/QĐ-UBND", dt.date(2025, 8, 15)])
    book.save(tmp_path / "ds.xlsx")
    db = store.open_db(site["path"], create=False)
    officer = users.actor_for(db, "rta_xa_khac")
    outcome = beneficiaries.plan(db, (tmp_path / "ds.xlsx").read_bytes(), "ds.xlsx", commune=own,
                                 scope=scope_of(officer))
    db.conn.close()
    problems = " ".join(str(p) for p in outcome.problems)
    assert scoping.CCCD_ELSEWHERE in problems
    assert name not in problems and f"mã {person_id}" not in problems and site["commune"] not in problems


def test_table_list_of_the_registry_does_not_count_other_communes_rows(site):
    """/btxh and /btxh.json gave commune officers and province staff the row count of every
    registry table over all communes (persons, memberships, applications …), where their
    table pages count only their own."""
    db = store.open_db(site["path"], create=False)
    everyone = db.execute("SELECT count(*) FROM persons").fetchone()[0]
    db.conn.close()
    shown = f"{everyone:,}".replace(",", ".") + " dòng"
    for user in ("rta_xa", "rta_tinh"):
        assert _get(site, user, "/btxh.json").status_code == 403, user
        page = _get(site, user, "/btxh")
        assert page.status_code == 200 and "persons" in page.text, user
        assert shown not in page.text, user
    assert shown in _get(site, "rta_qt", "/btxh").text


async def _post_as(site, user, path):
    """A POST from the user's own browser, with the CSRF token of their own session."""
    client = site["ds"].client
    page = await client.get("/-/btxh/mat-khau", cookies=site["cookies"][user])
    token = _CSRF.search(page.text).group(1)
    return await client.post(path, data={"csrftoken": token}, cookies=site["cookies"][user])


# ---- refusals made by the session layer ---------------------------------------------------

def test_csrf_refusals_carry_the_security_headers(site):
    """A POST with no CSRF cookie (anonymous) or a wrong token (logged in) was refused by the
    session layer with a page that had no Content-Security-Policy, X-Frame-Options or nosniff:
    the one HTML response a cross-site attacker can make us send could be framed."""
    client = site["ds"].client

    async def attacks():
        anonymous = await client.post("/-/login", data={"username": "x", "password": "y"})
        forged = await client.post("/-/logout", data={"csrftoken": "forged"},
                                   cookies=site["cookies"]["rta_xa"])
        return anonymous, forged

    for response in asyncio.run(attacks()):
        assert response.status_code == 403
        missing = [h for h in _SECURITY_HEADERS if h not in response.headers]
        assert not missing, missing


# ---- the login throttle behind a local reverse proxy -------------------------------------

@pytest.fixture
def served(tmp_path, demo_db_path):
    """`btxh serve` itself (uvicorn), as deployed, without BTXH_TRUSTED_PROXY."""
    path = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    commune = db.execute("SELECT commune_code FROM persons LIMIT 1").fetchone()[0]
    users.add_user(db, username="rta_proxy", role="can_bo_xa", password=PASSWORD, communes=[commune])
    db.conn.close()
    env = {k: v for k, v in os.environ.items() if k not in ("BTXH_TRUSTED_PROXY", "FORWARDED_ALLOW_IPS")}
    env["BTXH_SECRET"] = "rta-secret"
    with serve(path, env) as (base, _):
        yield base


def test_forwarded_for_through_a_local_proxy_does_not_reset_the_login_throttle(served):
    """Behind a reverse proxy on the same host that passes the client's headers on (no
    BTXH_TRUSTED_PROXY: the operator trusts none), an attacker sent a new X-Forwarded-For with
    every guess: uvicorn believed it for peers at 127.0.0.1, so every guess counted for a new
    address and the throttle never started."""
    statuses = []
    with httpx.Client(base_url=served) as client:
        for i in range(8):
            headers = {"x-forwarded-for": f"198.51.100.{i}"}
            token = _CSRF.search(client.get("/-/login", headers=headers).text).group(1)
            response = client.post("/-/login", headers=headers, data={
                "username": "rta_proxy", "password": f"doan-sai-{i}", "csrftoken": token})
            statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
