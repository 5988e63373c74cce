"""Anonymous visitors see the home page, the login form and static assets — nothing else."""

import asyncio
import base64
import json

import pytest

from btxh import access

TABLES = ["persons", "memberships", "decisions", "households", "ledger", "audit_log", "users",
          "user_credentials", "communes", "base_levels"]

REFUSED = (
    ["/.json", "/btxh", "/btxh.json", "/btxh.db", "/btxh?sql=select+1", "/btxh.json?sql=select+1",
     "/btxh.csv?sql=select+1", "/btxh/persons/1", "/btxh/persons/1.json",
     "/btxh/persons.json?_where=1", "/btxh/persons?_facet=sex",
     "/-/metadata.json", "/-/metadata", "/-/plugins.json", "/-/versions.json", "/-/settings.json",
     "/-/databases.json", "/-/threads.json", "/-/actor.json", "/-/permissions", "/-/messages",
     "/-/allow-debug", "/-/patterns", "/-/password-tool", "/-/config.json", "/-/unknown",
     "/btxh/-/query", "/nonexistent", "/phan_tich", "/phan_tich.json?sql=select+1",
     "/phan_tich/persons.json", "/phan_tich.db", "/phan_tich/persons/1"]
    + [f"/btxh/{t}" for t in TABLES]
    + [f"/btxh/{t}.json" for t in TABLES]
    + [f"/btxh/{t}.csv" for t in TABLES]
)


def get(ds, path, **kw):
    return asyncio.run(ds.client.get(path, **kw))


@pytest.mark.parametrize("path", REFUSED)
def test_anonymous_refused(ds, path):
    response = get(ds, path)
    assert response.status_code in (403, 404), (path, response.status_code)
    assert "Nguyễn" not in response.text  # no registry name leaks into an error page


@pytest.mark.parametrize("path", ["/", "/-/login", "/-/static/app.css", "/btxh-static/btxh.css",
                                  "/cong-khai", "/cong-khai/01", "/btxh-static/btxh-public.css"])
def test_anonymous_allowed(ds, path):
    assert get(ds, path).status_code == 200


def test_home_page_is_vietnamese_and_says_what_btxh_is(ds):
    html = get(ds, "/").text
    assert '<html lang="vi">' in html
    assert "bảo trợ xã hội" in html
    assert "Nghị định 20/2021/NĐ-CP" in html
    assert "Đăng nhập" in html
    assert "/btxh/persons" not in html  # no table links for the public


def test_home_page_has_no_english_datasette_menu(ds):
    html = get(ds, "/").text
    assert "Log in" not in html and "Log out" not in html


@pytest.mark.parametrize("path", ["/btxh/persons.json", "/btxh.json?sql=select+1"])
def test_post_is_refused_too(ds, path):
    assert asyncio.run(ds.client.post(path, data={})).status_code in (403, 405)


@pytest.mark.parametrize("header", [
    "Basic " + base64.b64encode(b"t_quantri:matkhau-thu-nghiem").decode(),
    "Basic " + base64.b64encode(b"root:").decode(),
    "Basic !!!not-base64!!!",
    "Bearer dstok_whatever",
])
def test_authorization_header_alone_never_acts_for_a_user(ds, header):
    response = get(ds, "/btxh/persons.json", headers={"Authorization": header})
    assert response.status_code == 403


def test_forged_actor_cookie_is_refused(ds):
    forged = {"ds_actor": base64.b64encode(json.dumps({"a": {"id": "x", "role": "quan_tri"}}).encode()).decode()}
    assert get(ds, "/btxh/persons", cookies=forged).status_code == 403


def test_every_public_path_is_tested():
    """A new public path must come with a test above."""
    tested = {"/", "/-/login", "/-/static/app.css", "/btxh-static/btxh.css", "/-/logout",
              "/-/static-plugins/x", "/favicon.ico", "/cong-khai", "/cong-khai/01",
              "/cong-khai/xa/00004", "/cong-khai/xa/00004/quyet-dinh/2026-11", "/cong-khai/xa/00004/niem-yet",
              "/cong-khai/xa/00004/ho-tro/NQ42"}
    for pattern in access.PUBLIC_PATHS:
        assert any(access.is_public_path(p) and __import__("re").match(pattern, p) for p in tested), pattern


def test_public_commune_page_answers_anonymous(ds):
    """/cong-khai/xa/<xã> (tests/test_public.py checks what it shows)."""
    import sqlite3

    code = sqlite3.connect(ds.get_database("btxh").path).execute(
        "SELECT commune_code FROM persons LIMIT 1").fetchone()[0]
    assert get(ds, f"/cong-khai/xa/{code}").status_code == 200
    assert get(ds, "/cong-khai/xa/00004").status_code in (200, 404)
    for tail in ("quyet-dinh", "quyet-dinh/2026-11", "niem-yet", "ho-tro", "ho-tro/NQ42"):
        assert get(ds, f"/cong-khai/xa/{code}/{tail}").status_code in (200, 404), tail
    assert get(ds, f"/cong-khai/xa/{code}/quyet-dinh/2026-13").status_code == 403  # not a public path
