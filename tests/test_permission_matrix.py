"""Every role × every endpoint kind × own and other commune: the expected answer, in one table.

Users (tests/conftest.py `province_ds`): s_xa_a — commune officer of commune A; s_tinh — province
08 (holds A and B); s_tinh_khac — province 01 (holds neither); s_pt — analyst; s_qt — admin.
"""

import asyncio

import pytest

USERS = ["anon", "s_xa_a", "s_tinh", "s_tinh_khac", "s_pt", "s_qt"]

# endpoint (formatted with the fixture) → expected answer per user, in USERS order.
# "own" = 200 and only rows of the actor's communes; 200/403/404 = that status.
MATRIX = {
    # the identified database: tables, rows, JSON, CSV, facets
    "/btxh/persons": ["403", "own", "own", "own", "403", "200"],
    "/btxh/persons.json?_shape=array": ["403", "own", "own", "own", "403", "200"],
    "/btxh/persons.csv": ["403", "own", "own", "own", "403", "200"],
    "/btxh/memberships.json?_shape=array&_facet=category": ["403", "own", "403", "403", "403", "200"],
    "/btxh/persons/{own}": ["403", "200", "403", "403", "403", "200"],  # tinh: table page, no CCCD
    "/btxh/persons/{other}.json": ["403", "403", "403", "403", "403", "200"],
    "/btxh/persons.json?_shape=array&id={other}": ["403", "own", "own", "own", "403", "200"],
    "/btxh/decisions/{decision_b}.json": ["403", "403", "403", "403", "403", "200"],
    "/btxh/ledger.json?_shape=array": ["403", "own", "403", "403", "403", "200"],
    "/btxh/applications.json?_shape=array": ["403", "own", "403", "403", "403", "200"],
    "/-/btxh/ho-so/moi": ["403", "200", "403", "403", "403", "200"],
    "/btxh/ledger_settled": ["403", "403", "403", "403", "403", "200"],
    "/btxh/communes.json?_shape=array&_size=3": ["403", "200", "200", "200", "403", "200"],
    # SQL, download, admin tables
    "/btxh.json?sql=select+1": ["403", "403", "403", "403", "403", "200"],
    "/btxh.db": ["403", "403", "403", "403", "403", "403"],
    "/btxh/audit_log": ["403", "403", "own", "own", "403", "200"],
    "/btxh/users": ["403", "403", "403", "403", "403", "200"],
    "/btxh/sql_log": ["403", "403", "403", "403", "403", "200"],
    # the door reads only its views and reference tables, whoever asks (ADR 008): the admin
    # reads sql_log and users in /btxh
    "/phan_tich/sql_log": ["403", "403", "403", "403", "403", "403"],
    "/phan_tich/users.json": ["403", "403", "403", "403", "403", "403"],
    "/btxh/user_credentials": ["403", "403", "403", "403", "403", "403"],
    # the analysts' door
    "/phan_tich/persons.json?_shape=array&_size=5": ["403", "403", "403", "403", "403", "403"],
    "/phan_tich/door_province_cells.json?_shape=array&_size=5": ["403", "403", "403", "403", "200", "200"],
    "/phan_tich.json?sql=select+count(*)+from+door_province_cells": ["403", "403", "403", "403", "200", "200"],
    # our pages
    "/-/btxh/chi-tra/{a}/2026-11": ["403", "200", "200", "403", "403", "200"],
    "/-/btxh/chi-tra/{b}/2026-11.csv": ["403", "403", "200", "403", "403", "200"],
    "/-/btxh/quyet-dinh/{decision_a}": ["403", "200", "403", "403", "403", "200"],
    "/-/btxh/quyet-dinh/{decision_b}": ["403", "403", "403", "403", "403", "200"],
    "/-/btxh/tinh-thu": ["403", "200", "200", "200", "200", "200"],
    "/-/btxh/mat-khau": ["403", "200", "200", "200", "200", "200"],
    "/": ["200", "200", "200", "200", "200", "200"],
}

CASES = [(path, user, expected) for path, row in MATRIX.items() for user, expected in zip(USERS, row)]


@pytest.mark.parametrize("path,user,expected", CASES, ids=[f"{u}:{p}" for p, u, _ in CASES])
def test_read(province_ds, path, user, expected):
    env = province_ds
    cookies = {} if user == "anon" else env["cookies"][user]
    response = asyncio.run(env["ds"].client.get(path.format(**env), cookies=cookies))
    if expected != "own":
        assert response.status_code == int(expected), response.text[:200]
        return
    assert response.status_code == 200
    communes = {"s_xa_a": {env["a"]}, "s_tinh": None, "s_tinh_khac": set()}[user]
    if path.endswith(".csv"):
        body = response.text
        if communes:
            assert env["b"] not in body
        return
    if ".json" not in path:
        return  # HTML: the JSON rows of the same query are checked above
    rows = response.json()
    seen = {r["commune_code"] for r in rows if r.get("commune_code")}
    if communes is None:  # province 08: only its communes
        province = {r[0] for r in env["province_communes"]}
        assert seen <= province
    else:
        assert seen <= communes


WRITES = [
    ("/btxh/persons", {"full_name": "x"}),
    ("/btxh/persons/-/insert", {"row": "x"}),
    ("/btxh.json", {"sql": "delete from persons"}),
    ("/-/btxh/mat-khau", {"current": "x", "new": "yyyyyyyy", "confirm": "yyyyyyyy"}),
    ("/-/login", {"username": "s_qt", "password": "x"}),
    ("/-/btxh/tinh-thu", {"birth_date": "1950"}),
]


@pytest.mark.parametrize("path,data", WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("user", USERS)
def test_cross_site_post_is_refused(province_ds, path, data, user):
    """A POST without the CSRF token (a cross-site form) never acts, whoever is logged in."""
    env = province_ds
    cookies = {} if user == "anon" else dict(env["cookies"][user])
    cookies["ds_csrftoken"] = "forged"
    response = asyncio.run(env["ds"].client.post(path, data=data, cookies=cookies))
    assert response.status_code in (403, 405)


def test_basic_auth_header_never_acts(province_ds):
    import base64

    header = {"Authorization": "Basic " + base64.b64encode(b"s_qt:matkhau-thu-nghiem").decode()}
    assert asyncio.run(province_ds["ds"].client.get("/btxh/persons", headers=header)).status_code == 403
