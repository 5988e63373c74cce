"""Property: whatever Datasette parameters, row keys, encodings and formats an actor throws at
any table, no answer holds a row outside their scope, no HIV status for a non-knower, no 500.

Canary rows (tests/security/sec_guard_site.py) sit in commune A and B of one province and in C
of another; each carries unique markers in its identifying and HIV-implying columns.
"""

import asyncio
import json
import random
import re
import sqlite3
import time
from urllib.parse import quote, urlencode

import pytest

import sec_guard_site
from sec_guard_site import marker

REQUESTS_PER_USER = 600
KINDS = ("NAME", "HEAD", "HIV", "DEC", "AUDIT")
COLUMNS = ["id", "commune_code", "cccd", "full_name", "hiv_positive", "category", "after", "note", "nope", ""]


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_db_path):
    return sec_guard_site.build(tmp_path_factory.mktemp("sec_guard_property"), demo_db_path)


def forbidden(site, user) -> list[str]:
    """The strings ``user`` must never receive."""
    every = {key: [marker(key, kind) for kind in KINDS] + [site["rows"][key]["cccd"]] for key in "ABC"}
    if user == "g_qt":
        return []
    if user == "g_xa_a":
        return every["B"] + every["C"]
    if user == "g_xa_b":
        return every["A"] + every["C"]
    if user == "g_tinh":  # names of their province, nothing of a category, no CCCD, no audit image
        return every["C"] + [m for key in "AB" for m in every[key] if "NAME" not in m and "HEAD" not in m]
    return [m for key in "ABC" for m in every[key]]  # analysts (masked door), anonymous


def key_variants(i):
    return [str(i), f"{i},1", f"{i}%2C1", f"{i}~2C1", f"+{i}", f"0{i}", f"{i}.0", f"{i},", f"-{i}",
            "99999999999999999999999", "9223372036854775808", "%D9%A5", f"{i}/x", f"{i}%00", f"{i}%20"]


def table_variants(table):
    return [table, table, table, table.upper(), "~%02X" % ord(table[0]) + table[1:],
            "%%%02X" % ord(table[0]) + table[1:], table.capitalize()]


def random_params(rng, site):
    codes, rows = site["codes"], site["rows"]
    through = json.dumps({"table": "memberships", "column": "person_id", "value": str(rows["B"]["person"])})
    pool = [
        lambda: ("_shape", rng.choice(["objects", "array", "arrays", "object", "arrayfirst", "x"])),
        lambda: ("_size", rng.choice(["max", "1000000", "5", "-1"])),
        lambda: ("_through", through), lambda: ("_where", "1=1"),
        lambda: ("_sort", rng.choice(COLUMNS)), lambda: ("_sort_desc", rng.choice(COLUMNS)),
        lambda: ("_facet", rng.choice(COLUMNS)), lambda: ("_col", rng.choice(COLUMNS)),
        lambda: ("_nocol", rng.choice(COLUMNS)),
        lambda: ("commune_code", rng.choice(list(codes.values()))),
        lambda: ("commune_code__in", ",".join(codes.values())), lambda: ("commune_code__not", codes["A"]),
        lambda: ("_search", "CANARY"), lambda: ("_json", "note"), lambda: ("_nl", "on"),
        lambda: ("_labels", "on"), lambda: ("_next", rng.choice(["0", "1", "99999", "a,b", "$null,1"])),
        lambda: ("sql", "select * from persons"),
        lambda: ("_filter_column", "commune_code"), lambda: ("_filter_op", "exact"),
        lambda: ("_filter_value", rng.choice(list(codes.values()))),
        lambda: ("full_name__contains", "CANARY"), lambda: ("id", str(rows[rng.choice("ABC")]["person"])),
        lambda: ("_stream", "1"), lambda: ("_dl", "1"), lambda: ("CCCD__notnull", "1"),
        lambda: ("cccd__startswith", "099"), lambda: ("_facet_array", "category"), lambda: ("_trace", "1"),
        lambda: ("_context", "1"), lambda: ("_timelimit", "1"), lambda: ("hiv_positive", "1"),
        lambda: ("category__in", "K3,K8"), lambda: ("person_id", str(rows[rng.choice("ABC")]["person"])),
    ]
    pairs = [rng.choice(pool)() for _ in range(rng.randint(0, 4))]
    query = urlencode(pairs)
    if rng.random() < 0.1:
        query += "&commune%5Fcode=" + codes["C"]  # an encoded name
    return query


def random_path(rng, site, tables):
    database = rng.choice(["btxh"] * 4 + ["phan_tich", "BTXH"])
    table = rng.choice(table_variants(rng.choice(tables)))
    rows = site["rows"][rng.choice("ABC")]
    if rng.random() < 0.45:
        ident = rng.choice([rows["person"], rows["household"], rows["membership"], rows["decision"], rows["audit"], 1])
        return f"/{database}/{table}/{rng.choice(key_variants(ident))}{rng.choice(['', '.json', '.csv'])}"
    return f"/{database}/{table}{rng.choice(['', '.json', '.csv', '/', '.JSON'])}"


def leaks(site, user, body: str) -> list[str]:
    found = [m for m in forbidden(site, user) if m in body]
    if user not in ("g_qt", "g_xa_a", "g_xa_b"):
        if user == "g_tinh" and "hiv_positive" in body:
            found.append("hiv_positive")
        if re.search(r'"hiv_positive":\s*1', body) or re.search(r'"category":\s*"K[38]"', body) and user == "g_tinh":
            found.append("hiv flag or K3/K8")
    return found


@pytest.mark.parametrize("user", ["g_xa_a", "g_xa_b", "g_tinh", "g_pt", "g_qt", "anon"])
def test_random_requests_never_leave_the_actors_scope(site, user):
    tables = [r[0] for r in sqlite3.connect(site["path"]).execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
    rng = random.Random(f"guard-{user}")
    cookies = site["cookies"][user]
    problems, started = [], time.monotonic()

    async def run():
        for _ in range(REQUESTS_PER_USER):
            url = random_path(rng, site, tables)
            query = random_params(rng, site)
            url += ("?" + query) if query else ""
            response = await site["ds"].client.get(url, cookies=cookies)
            if response.status_code >= 500:
                problems.append((url, response.status_code))
            found = leaks(site, user, response.text)
            if found:
                problems.append((url, response.status_code, found))

    asyncio.run(run())
    assert problems == []
    assert time.monotonic() - started < 60
