"""Commune scoping: an officer of commune A never reads a row of commune B, by any URL."""

import asyncio

import pytest


def get(env, user, path, **kw):
    return asyncio.run(env["ds"].client.get(path, cookies=env["cookies"][user], **kw))


def communes_in(response):
    return {row["commune_code"] for row in response.json()}


@pytest.mark.parametrize("table", ["persons", "memberships", "decisions", "households", "villages",
                                   "household_poverty", "membership_children", "social_pensions",
                                   "care_entitlements"])
def test_officer_sees_only_own_commune_in_json(province_ds, table):
    response = get(province_ds, "s_xa_a", f"/btxh/{table}.json?_shape=array&_size=max")
    assert response.status_code == 200
    assert communes_in(response) <= {province_ds["a"]}


@pytest.mark.parametrize("query", [
    pytest.param("commune_code={b}", id="filter-other-commune"),
    pytest.param("commune_code__in={b}", id="in-filter-other-commune"),
    pytest.param("commune_code__not={a}", id="not-own-commune"),
    pytest.param("_search=Nguyễn", id="search"),
    pytest.param("_sort_desc=commune_code", id="sort"),
    pytest.param("_facet=commune_code", id="facet"),
])
def test_query_parameters_cannot_widen_the_scope(province_ds, query):
    query = query.format(a=province_ds["a"], b=province_ds["b"])
    response = get(province_ds, "s_xa_a", f"/btxh/persons.json?_shape=objects&_size=max&{query}")
    assert response.status_code in (200, 403)  # _search: no full-text index, refused
    if response.status_code == 200:
        body = response.json()
        assert {r["commune_code"] for r in body["rows"]} <= {province_ds["a"]}
        for facet in (body.get("facet_results") or {}).values():
            assert {item["value"] for item in facet["results"]} <= {province_ds["a"]}


def test_csv_is_scoped(province_ds):
    text = get(province_ds, "s_xa_a", "/btxh/persons.csv?_size=max").text
    lines = text.strip().splitlines()
    assert len(lines) > 1 and province_ds["b"] not in text


@pytest.mark.parametrize("path", [
    "/btxh/persons/{other}", "/btxh/persons/{other}.json", "/btxh/~70ersons/{other}.json",
    "/btxh/PERSONS/{other}.json",
])
def test_row_of_another_commune_is_refused(province_ds, path):
    assert get(province_ds, "s_xa_a", path.format(**province_ds)).status_code == 403


def test_row_of_own_commune_is_served(province_ds):
    assert get(province_ds, "s_xa_a", f"/btxh/persons/{province_ds['own']}.json").status_code == 200


@pytest.mark.parametrize("path", ["/btxh/~70ersons.json?_shape=array&_size=max",
                                  "/btxh/PERSONS.json?_shape=array&_size=max"])
def test_encoded_table_names_are_scoped_too(province_ds, path):
    response = get(province_ds, "s_xa_a", path)
    if response.status_code == 200:
        assert communes_in(response) <= {province_ds["a"]}


@pytest.mark.parametrize("path", [
    "/btxh/persons.json?_where=1=1", "/btxh.json?sql=select+*+from+persons",
    "/btxh/ledger_settled", "/btxh/payroll_dirty.json", "/btxh/persons/-/x",
])
def test_escape_hatches_are_refused(province_ds, path):
    assert get(province_ds, "s_xa_a", path).status_code in (400, 403, 404)


@pytest.mark.parametrize("commune", ["a", "b"])
def test_province_staff_see_their_province_only(province_ds, commune):
    code = province_ds[commune]
    mine = get(province_ds, "s_tinh", f"/btxh/persons.json?_shape=array&commune_code={code}")
    assert communes_in(mine) == {code}
    other = get(province_ds, "s_tinh_khac", f"/btxh/persons.json?_shape=array&commune_code={code}")
    assert other.json() == []
    assert get(province_ds, "s_tinh_khac", f"/btxh/persons/{province_ds['own']}.json").status_code == 403


@pytest.mark.parametrize("commune", ["a", "b"])
def test_admin_sees_everything(province_ds, commune):
    code = province_ds[commune]
    response = get(province_ds, "s_qt", f"/btxh/persons.json?_shape=array&commune_code={code}")
    assert communes_in(response) == {code}


def test_reference_tables_are_not_filtered(province_ds):
    response = get(province_ds, "s_xa_a", "/btxh/communes.json?_shape=array&_size=5")
    assert response.status_code == 200 and len(response.json()) == 5


# --- The allowlist itself (btxh.scoping.decide), without a server ------------------------

from btxh import scoping  # noqa: E402

SCHEMA = {
    "persons": scoping.Table(("id", "full_name", "cccd", "cmnd", "death_cause", "commune_code"), (("id", "INTEGER"),)),
    "memberships": scoping.Table(("id", "person_id", "commune_code", "category", "hiv_positive"), (("id", "INTEGER"),)),
    "communes": scoping.Table(("code", "province_code", "name"), (("code", "TEXT"),)),
    "report_cells": scoping.Table(("run_id", "commune_code", "leaf"), (("run_id", "INTEGER"), ("commune_code", "TEXT"))),
    "suspension_proposals": scoping.Table(("commune_code", "person_id"), (), is_view=True),
    "users": scoping.Table(("username", "role"), (("username", "TEXT"),)),
}
XA = {"id": "xa", "role": "can_bo_xa", "communes": ["00004"]}
TINH = {"id": "t", "role": "tinh", "province": "01"}
QT = {"id": "q", "role": "quan_tri"}
PT = {"id": "p", "role": "phan_tich"}


def decide(actor, url):
    from urllib.parse import parse_qsl

    path, _, query = url.partition("?")
    database = path.strip("/").split("/")[0].split(".")[0]
    return scoping.decide(actor, database, path, parse_qsl(query, keep_blank_values=True), SCHEMA, "phan_tich")


@pytest.mark.parametrize("actor,url", [
    pytest.param(XA, "/btxh/persons.json?_size=max&_sort=full_name&_facet=commune_code", id="sort-facet-size"),
    pytest.param(XA, "/btxh/persons?full_name__contains=Lan&commune_code__in=00004", id="filters"),
    pytest.param(XA, "/btxh/persons?_filter_column=full_name&_filter_op=contains&_filter_value=a&_sort=", id="filter-form"),
    pytest.param(XA, "/btxh/memberships.csv?category=K6&_labels=on&_dl=on", id="csv"),
    pytest.param(XA, "/btxh/communes/00004.json", id="reference-row"),
    pytest.param(TINH, "/btxh/persons.json?_nocol=cccd&full_name__startswith=Ng", id="tinh-persons"),
    pytest.param(QT, "/btxh/persons.json?_where=1%3D1&_through=x", id="admin-where"),
    pytest.param(PT, "/phan_tich.json?sql=select+1", id="analyst-door-sql"),
    pytest.param(PT, "/phan_tich/memberships.json?category=K8&_facet=commune_code", id="analyst-door-table"),
])
def test_the_allowlist_lets_ordinary_browsing_through(actor, url):
    assert decide(actor, url).allow


@pytest.mark.parametrize("actor,url", [
    pytest.param(XA, "/btxh/persons/5,1.json", id="comma-key"),
    pytest.param(XA, "/btxh/persons/5%2C1", id="percent-comma-key"),
    pytest.param(XA, "/btxh/persons/5~2C1", id="tilde-comma-key"),
    pytest.param(XA, "/btxh/persons/05", id="leading-zero"),
    pytest.param(XA, "/btxh/persons/+5", id="plus-sign"),
    pytest.param(XA, "/btxh/persons/5.0", id="decimal"),
    pytest.param(XA, "/btxh/persons/99999999999999999999", id="huge-id"),
    pytest.param(XA, "/btxh/report_cells/1,00004,x", id="compound-row"),
    pytest.param(XA, "/btxh/suspension_proposals/1", id="view-row"),
    pytest.param(QT, "/btxh/suspension_proposals/1", id="view-row-admin"),
    pytest.param(XA, "/btxh/PERSONS.json", id="upper-case-table"),
    pytest.param(XA, "/btxh/~70ersons.json", id="tilde-table"),
    pytest.param(XA, "/btxh/persons.json?_through=%7B%7D", id="through"),
    pytest.param(XA, "/btxh/persons.json?_where=1", id="where"),
    pytest.param(XA, "/btxh.json?sql=select+1", id="sql"),
    pytest.param(XA, "/btxh/persons.json?_json=full_name", id="json"),
    pytest.param(XA, "/btxh/persons.json?_stream=1", id="stream"),
    pytest.param(XA, "/btxh/persons.json?_trace=1", id="unknown-special"),
    pytest.param(XA, "/btxh/persons.json?commune_code=1&commune_code=2", id="duplicate"),
    pytest.param(XA, "/btxh/persons.json?FULL_NAME=x", id="case-changed-column"),
    pytest.param(XA, "/btxh/persons.json?full_name__like=x", id="unlisted-operator"),
    pytest.param(XA, "/btxh/persons.json?_search=x", id="search-without-index"),
    pytest.param(XA, "/btxh/persons.json?_filter_column=nope&_filter_op=exact", id="filter-form-unknown-column"),
    pytest.param(XA, "/btxh/users.json", id="accounts"),
    pytest.param(XA, "/phan_tich/persons.json", id="door"),
    pytest.param(TINH, "/btxh/memberships.json", id="tinh-category-table"),
    pytest.param(TINH, "/btxh/persons.json?_col=full_name", id="tinh-col"),
    pytest.param(TINH, "/btxh/persons.json?cccd=012345678901", id="tinh-filter-hidden"),
    pytest.param(TINH, "/btxh/persons.json?_sort=cccd", id="tinh-sort-hidden"),
    pytest.param(TINH, "/btxh/persons/5.json", id="tinh-row-with-hidden-columns"),
    pytest.param(PT, "/btxh/persons.json", id="analyst-identified-db"),
    pytest.param(QT, "/btxh/persons.json?_sort=nope", id="admin-unknown-column"),
    pytest.param(None, "/btxh/communes.json", id="anonymous"),
])
def test_the_allowlist_refuses_everything_else(actor, url):
    assert not decide(actor, url).allow


def test_a_scoped_row_is_checked_by_the_scope_query_and_a_table_is_filtered():
    assert decide(XA, "/btxh/persons/5.json").check_row == ("persons", "5")
    assert decide(XA, "/btxh/persons.json").filter_communes
    assert not decide(XA, "/btxh/communes.json").filter_communes
    assert decide(TINH, "/btxh/persons.json").hide == ("cccd", "cmnd", "death_cause")


@pytest.mark.parametrize("scope,sql,params", [
    (scoping.Scope(communes=("00004",)), "(commune_code IN (:btxh_c0))", {"btxh_c0": "00004"}),
    (scoping.Scope(province="01"), "(commune_code IN (SELECT code FROM communes WHERE province_code = :btxh_province))",
     {"btxh_province": "01"}),
    (scoping.Scope(), "(0)", {}),
])
def test_scope_sql(scope, sql, params):
    assert scoping.scope_sql(scope) == (sql, params)
