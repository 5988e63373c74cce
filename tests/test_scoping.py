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
