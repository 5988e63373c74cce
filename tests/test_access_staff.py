"""Logged-in staff browse and filter; secrets stay out of every Datasette answer."""

import asyncio

import pytest

from btxh import access, door
from conftest import PASSWORD, login


def get(ds, path, **kw):
    return asyncio.run(ds.client.get(path, **kw))


REGISTRY_TABLES = ["persons", "memberships", "membership_children", "households",
                   "household_poverty", "care_entitlements", "social_pensions", "decisions",
                   "payroll_runs", "ledger", "villages", "communes", "provinces",
                   "legacy_communes", "commune_succession", "base_levels", "coefficients",
                   "categories"]


def test_login_sets_a_cookie_holding_only_a_signed_session_id(ds):
    response = asyncio.run(login(ds, "t_xa"))
    assert response.status_code == 302 and response.headers["location"] == "/"
    decoded = ds.unsign(response.cookies["ds_actor"], "btxh-session")
    assert list(decoded) == ["s"] and len(decoded["s"]) >= 40  # a random id, no actor, no role
    set_cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "ds_actor" in v)
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Max-Age=28800" in set_cookie
    assert "Secure" not in set_cookie  # plain http (tests/security: Secure over https)


@pytest.mark.parametrize("password", ["sai-mat-khau", "", PASSWORD.upper()])
def test_wrong_password_is_refused_in_vietnamese(ds, password):
    response = asyncio.run(login(ds, "t_phantich", password))
    assert response.status_code == 401
    assert "không đúng" in response.text
    assert "ds_actor" not in response.cookies


def test_login_does_not_redirect_off_site(ds):
    import re
    page = asyncio.run(ds.client.get("/-/login?next=//evil.example/x"))
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    response = asyncio.run(ds.client.post(
        "/-/login", data={"username": "t_xa", "password": PASSWORD, "csrftoken": token,
                          "next": "https://evil.example/"},
        cookies={"ds_csrftoken": page.cookies["ds_csrftoken"]}))
    assert response.headers["location"] == "/"


def test_login_post_without_csrf_token_is_refused(ds):
    response = asyncio.run(ds.client.post(
        "/-/login", data={"username": "t_xa", "password": PASSWORD},
        cookies={"ds_csrftoken": "abc"}))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["can_bo_xa", "tinh", "phan_tich", "quan_tri"])
@pytest.mark.parametrize("table", REGISTRY_TABLES)
def test_staff_browse_every_registry_table(ds, cookies, role, table):
    from btxh import scoping

    database = "phan_tich" if role == "phan_tich" else "btxh"  # analysts: their door
    response = get(ds, f"/{database}/{table}", cookies=cookies[role])
    # province staff: no table with a category, a reason or an amount per person (issue 11);
    # analysts: the door has no person-level table
    if role == "phan_tich":
        expected = 200 if door.readable(table) else 403
    else:
        expected = 200 if role != "tinh" or table in scoping.TABLES_FOR["tinh"] else 403
    assert response.status_code == expected, response.text[:300]


@pytest.mark.parametrize("view", sorted(door.VIEWS))
def test_analysts_browse_every_door_view(ds, cookies, view):
    response = get(ds, f"/phan_tich/{view}.json?_size=5", cookies=cookies["phan_tich"])
    assert response.status_code == 200, response.text[:300]


def test_staff_filter_a_table(ds, cookies):
    response = get(ds, "/btxh/memberships.json?category=K6&_shape=array&_size=5", cookies=cookies["can_bo_xa"])
    assert response.status_code == 200
    rows = response.json()
    assert rows and all(r["category"] == "K6" for r in rows)


def test_table_page_shows_vietnamese_labels(ds, cookies):
    html = get(ds, "/btxh/persons", cookies=cookies["tinh"]).text
    assert "Họ và tên" in html and "Đối tượng và người liên quan" in html


@pytest.mark.parametrize("role", ["can_bo_xa", "tinh", "phan_tich", "quan_tri"])
def test_credentials_table_is_never_shown(ds, cookies, role):
    assert get(ds, "/btxh/user_credentials", cookies=cookies[role]).status_code == 403
    assert get(ds, "/btxh/user_credentials.json", cookies=cookies[role]).status_code == 403


@pytest.mark.parametrize("sql", [
    "select password_hash from user_credentials",
    "select * from user_credentials",
    "select group_concat(password_hash) from user_credentials",
    "with c as (select * from user_credentials) select * from c",
    "select (select password_hash from user_credentials limit 1)",
])
def test_password_hashes_unreadable_even_by_sql(ds, cookies, sql):
    response = get(ds, "/btxh.json", params={"sql": sql, "_shape": "array"}, cookies=cookies["quan_tri"])
    assert "pbkdf2" not in response.text
    assert response.status_code in (400, 403)


def test_database_download_refused_for_everyone(ds, cookies):
    for role in cookies:
        assert get(ds, "/btxh.db", cookies=cookies[role]).status_code == 403


@pytest.mark.parametrize("database,role,allowed", [
    ("btxh", "can_bo_xa", False), ("btxh", "tinh", False), ("btxh", "phan_tich", False), ("btxh", "quan_tri", True),
    ("phan_tich", "can_bo_xa", False), ("phan_tich", "tinh", False), ("phan_tich", "phan_tich", True),
    ("phan_tich", "quan_tri", True),
])
def test_sql_only_for_analysts_and_admins(ds, cookies, database, role, allowed):
    response = get(ds, f"/{database}.json?sql=select+count(*)+from+communes", cookies=cookies[role])
    assert (response.status_code == 200) is allowed


def test_metadata_json_has_no_secret(ds, cookies):
    text = get(ds, "/-/metadata.json", cookies=cookies["quan_tri"]).text
    for needle in ("pbkdf2", "password_hash", "secret", "matkhau"):
        assert needle not in text.lower()


def test_no_secret_in_settings_or_plugins(ds, cookies):
    for path in ["/-/settings.json", "/-/plugins.json", "/-/actor.json"]:
        text = get(ds, path, cookies=cookies["quan_tri"]).text
        assert "pbkdf2" not in text and "test-secret" not in text


@pytest.mark.parametrize("role,table,allowed", [
    ("can_bo_xa", "audit_log", False), ("phan_tich", "users", False), ("phan_tich", "persons", False),
    ("tinh", "audit_log", True), ("quan_tri", "users", True),
])
def test_admin_tables(ds, cookies, role, table, allowed):
    assert (get(ds, f"/btxh/{table}", cookies=cookies[role]).status_code == 200) is allowed


@pytest.mark.parametrize("action", ["insert-row", "delete-row", "update-row", "create-table",
                                    "drop-table", "view-database-download", "made-up-action"])
def test_writes_through_datasette_are_refused(action):
    assert access.allowed({"id": "a", "role": "quan_tri"}, action, ("btxh", "persons")) is False


def test_staff_home_lists_tables(ds, cookies):
    html = get(ds, "/", cookies=cookies["can_bo_xa"]).text
    assert "/btxh/persons" in html and "Sổ đối tượng" in html
    assert "/btxh/audit_log" not in html  # not for a commune officer


def test_security_headers(ds):
    response = get(ds, "/")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_logout_clears_the_session(ds):
    import re

    response = asyncio.run(login(ds, "t_tinh"))
    actor = {"ds_actor": response.cookies["ds_actor"]}
    page = get(ds, "/-/logout", cookies=actor)
    assert "Đăng xuất" in page.text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    out = asyncio.run(ds.client.post("/-/logout", data={"csrftoken": token},
                                     cookies={**actor, "ds_csrftoken": page.cookies["ds_csrftoken"]}))
    assert out.status_code == 302
    assert out.cookies.get("ds_actor", "") == ""


def test_expired_session_is_anonymous(ds):
    from datasette.utils import baseconv

    expired = ds.sign({"a": {"id": "t_tinh", "role": "tinh"}, "e": baseconv.base62.encode(1)}, "actor")
    assert get(ds, "/btxh/persons", cookies={"ds_actor": expired}).status_code == 403


def test_every_write_so_far_is_audited(demo_db_path):
    import sqlite3

    conn = sqlite3.connect(demo_db_path)
    actions = {r[0] for r in conn.execute("SELECT DISTINCT action FROM audit_log")}
    assert {"reference_load", "demo_build", "user_add"} <= actions


def test_sql_runs_are_logged_with_who_and_what(ds, cookies, demo_db_path):
    import sqlite3

    sql = "select sum(persons) as n from door_province_cells where dien = 'K6'"
    response = get(ds, "/phan_tich.json", params={"sql": sql}, cookies=cookies["phan_tich"])
    assert response.status_code == 200
    conn = sqlite3.connect(demo_db_path)
    rows = conn.execute("SELECT actor, role, database_name, sql FROM sql_log WHERE sql = ?", [sql]).fetchall()
    assert rows == [("t_phantich", "phan_tich", "phan_tich", sql)]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM sql_log")
    conn.rollback()  # the refused DELETE left a write transaction open: it would lock the server
    conn.close()


def test_refused_sql_is_not_logged_as_run(ds, cookies, demo_db_path):
    import sqlite3

    get(ds, "/btxh.json", params={"sql": "select 'officer-tried'"}, cookies=cookies["can_bo_xa"])
    conn = sqlite3.connect(demo_db_path)
    assert conn.execute("SELECT count(*) FROM sql_log WHERE sql LIKE '%officer-tried%'").fetchone()[0] == 0


def test_password_page_needs_login_and_csrf(ds, cookies):
    assert get(ds, "/-/btxh/mat-khau").status_code == 403  # the guard: anonymous
    page = get(ds, "/-/btxh/mat-khau", cookies=cookies["phan_tich"])
    assert page.status_code == 200 and "Đổi mật khẩu" in page.text
    no_token = asyncio.run(ds.client.post("/-/btxh/mat-khau", data={"current": "x", "new": "y", "confirm": "y"},
                                          cookies={**cookies["phan_tich"], "ds_csrftoken": "abc"}))
    assert no_token.status_code == 403


@pytest.mark.parametrize("sql", [
    "select full_name, cccd, cmnd, phone, birth_date from persons where full_name is not null or cccd is not null",
    "select hiv_positive from memberships where hiv_positive is not null",
    "select p.full_name from persons p join memberships m on m.person_id = p.id where m.category in ('K3','K8') and p.full_name is not null",
    "select head_name from households where head_name is not null",
    "select full_name, birth_date from membership_children where full_name is not null",
    "select category, count(*) from memberships group by category",
])
def test_analyst_door_never_reads_a_person_level_table(ds, cookies, sql):
    # ADR 008 (issue 11): person-level tables are refused at the door, not masked
    response = get(ds, "/phan_tich.json", params={"sql": sql, "_shape": "array"}, cookies=cookies["phan_tich"])
    assert response.status_code != 200 and ("not authorized" in response.text or "prohibited" in response.text)


def test_analyst_door_answers_aggregates(ds, cookies):
    sql = "select dien, count(*) as n from door_decisions group by dien order by dien"
    rows = get(ds, "/phan_tich.json", params={"sql": sql, "_shape": "array"}, cookies=cookies["phan_tich"]).json()
    assert rows and not {"K3", "K8"} & {r["dien"] for r in rows}


def test_analyst_door_has_no_person_table_page(ds, cookies):
    assert get(ds, "/phan_tich/persons.json?_shape=array&_size=20", cookies=cookies["phan_tich"]).status_code == 403


@pytest.mark.parametrize("role", ["can_bo_xa", "tinh"])
def test_other_roles_cannot_use_the_analyst_door(ds, cookies, role):
    assert get(ds, "/phan_tich/persons.json", cookies=cookies[role]).status_code == 403
