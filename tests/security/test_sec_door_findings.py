"""Issue 11, the analysts' door: one test per finding, each performing the red team's attack.

Findings 3, 4, 18, 20 and «the analysts' 10a shows per-commune HIV counts of 2». Plus the
claims the door's authorizer rests on (btxh/door.py), each checked on a real connection.
"""

import asyncio
import re
import sqlite3

import pytest

from btxh import door
from sec_door_site import build


@pytest.fixture(scope="module")
def site(tmp_path_factory, reference_db_path):
    return build(tmp_path_factory.mktemp("door-findings"), reference_db_path)


def sql(site, text, who="d_pt"):
    return asyncio.run(site["ds"].client.get("/phan_tich.json", params={"sql": text, "_shape": "array"},
                                             cookies=site["cookies"][who]))


def answered(response) -> list:
    """The rows an attack got back (none when the door refused it)."""
    if response.status_code != 200:
        return []
    body = response.json()
    return body if isinstance(body, list) else []


def public(site, path) -> str:
    return asyncio.run(site["ds"].client.get(path)).text


def door_conn(site) -> sqlite3.Connection:
    conn = sqlite3.connect(site["path"], check_same_thread=False)
    door.harden(conn)
    return conn


# -- finding 3: person_key of one-off support lists ---------------------------------------

@pytest.mark.parametrize("table", ["support_listings", "support_awards"])
def test_support_person_key_joined_to_categories_names_no_hiv_person(site, table):
    rows = answered(sql(site, f"SELECT s.person_key, m.category FROM {table} s"
                              " JOIN support_listings l ON l.person_key = s.person_key"
                              " JOIN memberships m ON m.person_id = l.person_id"
                              " WHERE m.category IN ('K3', 'K8') AND s.person_key IS NOT NULL"))
    assert rows == []
    rows = answered(sql(site, f"SELECT person_key FROM {table} WHERE person_key IS NOT NULL"))
    assert rows == []


# -- finding 20: care_entitlements.note ----------------------------------------------------

def test_care_entitlement_note_cannot_be_read_at_the_door(site):
    rows = answered(sql(site, "SELECT note FROM care_entitlements WHERE note IS NOT NULL"))
    assert rows == []
    assert "ARV" not in sql(site, "SELECT group_concat(note) AS n FROM care_entitlements").text


# -- finding 4: re-identification through the public pages ---------------------------------

def test_decision_number_month_and_commune_joined_to_public_decisions_page_name_no_k8_person(site):
    rows = answered(sql(site, "SELECT d.number, d.signed_date, d.commune_code FROM decisions d"
                              " JOIN memberships m ON m.id = d.membership_id WHERE m.category IN ('K3', 'K8')"))
    named = []
    for row in rows:  # the red team's join: the number on the anonymous public decisions page
        page = public(site, f"/cong-khai/xa/{row['commune_code']}/quyet-dinh/{row['signed_date'][:7]}")
        if row["number"] in page:
            named.append(row["number"])
    assert named == []
    assert rows == []


def test_birth_year_village_and_amount_matched_to_public_lists_reidentify_no_k8_adult(site):
    rows = answered(sql(site, "SELECT p.commune_code, p.birth_year, v.name AS village, sum(l.due) AS amount"
                              " FROM persons p JOIN memberships m ON m.person_id = p.id"
                              " LEFT JOIN villages v ON v.id = p.village_id"
                              " JOIN ledger l ON l.person_id = p.id AND l.month = '2026-11' AND l.kind = 'thuong_xuyen'"
                              " WHERE m.category = 'K8' GROUP BY p.id"))
    found = 0
    for row in rows:  # match (birth year, village, amount) against the commune's public list
        page = public(site, f"/cong-khai/xa/{row['commune_code']}")
        found += bool(re.search(rf"{row['birth_year']}.*?{re.escape(row['village'] or '')}", page, re.S))
    assert found == 0
    assert rows == []


def test_analyst_10a_shows_no_per_commune_hiv_count(site):
    for commune in (site["small"], site["big"]):
        response = asyncio.run(site["ds"].client.get(
            f"/phan_tich/bieu_mau_10.json?_shape=objects&form=10a&period=2026-11&commune={commune}",
            cookies=site["cookies"]["d_pt"]))
        assert response.status_code == 200
        # lines 3, 3.1, 3.2, 3.3 of section I (form order 5–8): people with HIV of poor households
        rows = {r["so_tt"]: r for r in response.json()["rows"] if 5 <= r["thu_tu"] <= 8}
        assert list(rows) == ["3", "3.1", "3.2", "3.3"]
        assert all(r[k] is None for r in rows.values() for k in ("tong_so", "nam", "nu", "kinh_phi_dong"))


# -- finding 18: one analyst query taking gigabytes ------------------------------------------

def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


@pytest.mark.parametrize("attack", [
    # 300 strings of 2 MB glued together: a 600 MB value (the red team's took 1.5 GB)
    "SELECT length(group_concat(printf('%.*c', 2000000, 'x'))) AS n FROM"
    " (SELECT 1 FROM communes LIMIT 300)",
    "SELECT length(group_concat(hex(zeroblob(1000000)))) AS n FROM (SELECT 1 FROM communes LIMIT 300)",
    "WITH RECURSIVE r(i, s) AS (SELECT 1, 'x' UNION ALL SELECT i + 1, s || s FROM r WHERE i < 30)"
    " SELECT max(length(s)) AS n FROM r",
], ids=["group-concat-printf", "zeroblob", "recursive-doubling"])
def test_one_analyst_query_cannot_take_hundreds_of_megabytes(site, attack):
    before = _rss_kib()
    response = sql(site, attack)
    grown_mib = (_rss_kib() - before) / 1024
    assert grown_mib < 300, grown_mib
    rows = answered(response)
    assert not rows or not rows[0]["n"] or rows[0]["n"] < 10_000_000


# -- the claims the door's authorizer rests on, on a real connection ------------------------

def test_cte_named_like_a_door_view_cannot_read_the_registry(site):
    conn = door_conn(site)
    for text in ["WITH door_province_cells AS (SELECT full_name FROM persons) SELECT * FROM door_province_cells",
                 'WITH "door_budget"(x) AS MATERIALIZED (SELECT category FROM memberships) SELECT * FROM door_budget',
                 "SELECT * FROM communes WHERE code IN (WITH door_runs AS (SELECT commune_code FROM memberships"
                 " WHERE category = 'K8') SELECT * FROM door_runs)"]:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute(text).fetchall()
    # the same attack through Datasette
    assert answered(sql(site, "WITH door_commune_groups AS (SELECT full_name AS nhom FROM persons)"
                              " SELECT * FROM door_commune_groups")) == []


@pytest.mark.parametrize("text", [
    "ATTACH DATABASE ':memory:' AS x",
    "CREATE TEMP VIEW v AS SELECT 1",
    "CREATE TEMP TABLE t (a)",
    "PRAGMA cache_size = 1000000",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA query_only = 0",
    "SELECT load_extension('x')",
    "SELECT randomblob(10)",
    "DELETE FROM sql_log",
    "INSERT INTO communes (code) VALUES ('x')",
    "SELECT full_name FROM persons",
    "SELECT * FROM door_folded_cells",
    "SELECT * FROM report_cells",
    "SELECT rowid FROM persons",
])
def test_door_refuses_everything_but_reading_its_views(site, text):
    with pytest.raises(sqlite3.DatabaseError):
        door_conn(site).execute(text).fetchall()


def test_door_views_read_the_registry_but_show_no_hiv_category(site):
    conn = door_conn(site)
    for view in sorted(door.VIEWS):
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({view})")]
        rows = conn.execute(f"SELECT * FROM {view}").fetchall()
        assert rows or view == "door_report_inputs", view
        for column in ("dien", "leaf"):
            if column in cols:
                values = {r[cols.index(column)] for r in rows}
                assert not values & {"K3", "K8", "I.3.1", "I.3.2", "I.3.3"}, view


def test_defines_door_name_finds_ctes_not_aliases():
    assert door.defines_door_name("with door_budget as (select 1) select * from door_budget")
    assert door.defines_door_name("WITH x AS (SELECT 1), [door_runs] (a, b) AS NOT MATERIALIZED (SELECT 1, 2) SELECT 1")
    assert door.defines_door_name("with /* c */ door_runs -- c\n as\n(select 1) select 1")
    assert not door.defines_door_name("select * from door_budget as b join door_decisions as d on 1")
    assert not door.defines_door_name("select 'door_budget as (' from communes")
