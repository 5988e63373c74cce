"""Linkage test (issue 11): the analysts' door × the public pages re-identify no K3/K8 person.

On the demo with payroll runs and planted K3/K8 people (a small commune with two K8 adults
and a K3 child; one of each more in the big commune), the red team's attacks are run
again: person-level joins by decision number, month, commune, birth year, village and
amount; differencing the door's counts against the public pages' counts; solving the
door's amounts for the number of K3/K8 people. Each must learn nothing about K3/K8.
"""

import asyncio
import re
import sqlite3

import pytest

from btxh import disclosure, door, public
from sec_door_site import build

QUERIES = ("bieu_mau_10", "so_doi_tuong_theo_thang", "tang_giam_doi_tuong", "truy_linh_mai_tang",
           "tong_chi_tra_theo_thang", "du_toan_nam_sau")
PERIODS = ("2026-11", "2026-H2", "2026")
# What would single a person out, or say "HIV", if a door answer carried it
QUASI_IDENTIFIERS = {"number", "person_id", "person_key", "membership_id", "full_name", "cccd", "cmnd",
                     "birth_date", "birth_year", "village", "village_id", "household_id", "hiv_positive",
                     "note", "reason", "signed_date", "phone"}
HIV_CODES = {"K3", "K8", "I.3.1", "I.3.2", "I.3.3"}


@pytest.fixture(scope="module")
def site(tmp_path_factory, reference_db_path):
    return build(tmp_path_factory.mktemp("door-linkage"), reference_db_path)


def get(site, path, **kw):
    return asyncio.run(site["ds"].client.get(path, cookies=site["cookies"]["d_pt"], **kw))


def truth(site) -> sqlite3.Connection:
    """The whole registry, as only the test (never the attacker) may read it."""
    conn = sqlite3.connect(site["path"])
    conn.row_factory = sqlite3.Row
    return conn


def door_rows(site) -> dict[str, list[dict]]:
    """Everything the door offers: every row of every view, every canned query at every scope."""
    out = {}
    for view in sorted(door.VIEWS):
        body = get(site, f"/phan_tich/{view}.json", params={"_shape": "array", "_size": "max"})
        assert body.status_code == 200, view
        out[view] = body.json()
    for name in QUERIES:
        for period in PERIODS:
            for scope in ("", f"&province={site['province']}", f"&commune={site['small']}", f"&commune={site['big']}"):
                for form in (("10a", "10c", "10d") if name == "bieu_mau_10" else ("10a",)):
                    body = get(site, f"/phan_tich/{name}.json?_shape=objects&form={form}&period={period}{scope}")
                    assert body.status_code == 200, (name, body.text[:200])
                    out.setdefault(name, []).extend(dict(r, _form=form) for r in body.json()["rows"])
    return out


@pytest.fixture(scope="module")
def offered(site):
    return door_rows(site)


def test_every_person_level_join_of_the_red_team_is_refused(site):
    attacks = [
        "SELECT d.number, d.start_month, d.commune_code FROM decisions d",
        "SELECT p.birth_year, p.village_id, p.commune_code FROM persons p",
        "SELECT person_id, due FROM ledger",
        "SELECT person_id, category FROM memberships",
        "SELECT person_key, amount FROM support_awards",
        "SELECT l.birth_year, l.village FROM support_listings l",
        "SELECT person_id, amount, month FROM payment_outcomes",
        "SELECT person_id, category FROM applications",
        "SELECT row_id, commune_code FROM audit_log",
        "SELECT person_id FROM suspension_proposals",
        "SELECT commune_code, category, persons FROM report_cells",
        "SELECT commune_code, category, persons FROM report_budget",
    ]
    for text in attacks:
        response = get(site, "/phan_tich.json", params={"sql": text, "_shape": "array"})
        assert response.status_code != 200, text


def test_no_door_answer_carries_a_quasi_identifier_or_an_hiv_category(offered):
    for source, rows in offered.items():
        for row in rows:
            assert not QUASI_IDENTIFIERS & set(row), (source, row)
            assert not HIV_CODES & {v for v in row.values() if isinstance(v, str)}, (source, row)
            if source != "bieu_mau_10" or row["_form"] != "10a":
                continue
            if 5 <= row["thu_tu"] <= 8:  # 10a I.3: people with HIV of poor households
                assert row["tong_so"] is None and row["kinh_phi_dong"] is None, row
            elif row["chi_tieu"].startswith("Người nhiễm HIV"):  # 10a III.3: figures staff entered
                for key in ("tong_so", "nam", "nu"):
                    assert row[key] is None or not 1 <= row[key] <= 4, row


def test_public_lists_matched_to_door_rows_single_out_no_k3_k8_person(site, offered):
    """The red team's join: a public row (name, birth year, village, amount; decision number and
    month) × any door row. A door row can single a person out only if it is about fewer than 5
    people and says which category they are in; the door's finest category cells fold K3/K8
    away, so a K3/K8 person's door cell never says «HIV» — and no door row has anything to join
    a public row on but commune and month."""
    db = truth(site)
    for name, (pid, commune, category) in site["planted"].items():
        if category not in ("K3", "K8"):
            continue
        pages = "".join(asyncio.run(site["ds"].client.get(path)).text for path in (
            f"/cong-khai/xa/{commune}", f"/cong-khai/xa/{commune}/quyet-dinh/2026-11",
            f"/cong-khai/xa/{commune}/niem-yet", f"/cong-khai/xa/{commune}/ho-tro"))
        year = db.execute("SELECT birth_year FROM persons WHERE id = ?", [pid]).fetchone()[0]
        if year < 2000:  # an adult: listed by name, birth year, village and amount
            assert name in pages
        number = db.execute("SELECT number FROM decisions WHERE person_id = ?", [pid]).fetchone()[0]
        for source, rows in offered.items():
            for row in rows:
                assert number not in map(str, row.values()), (source, row)
                assert name not in map(str, row.values()) and year not in row.values(), (source, row)
                # a door row about this person's commune: it never separates K3/K8 from their group
                if row.get("ma_xa") == commune or row.get("commune_code") == commune:
                    assert (row.get("dien") or row.get("nhom")) not in HIV_CODES, row


def test_differencing_door_counts_against_public_counts_reveals_no_hiv_count(site, offered):
    """Public group count − the door's count of the group's non-HIV categories = HIV count:
    the attack needs a door count of K1 or K4 alone (or of a commune's group finer than the
    public one). The door has neither, and its commune groups follow the public rule."""
    for source, rows in offered.items():
        for row in rows:
            assert row.get("dien") not in ("K1", "K4"), (source, row)  # only «K1+K3», «K4+K8»
    # the commune groups (btxh.disclosure.COMMUNE_GROUPS) under the public rule (suppress)
    db = truth(site)
    paid: dict[tuple, dict] = {}
    for r in db.execute("SELECT c.month, c.commune_code, c.category, sum(c.persons) AS n FROM report_cells c"
                        " JOIN (SELECT month, commune_code, run_id FROM door_runs) b"
                        " ON b.run_id = c.run_id AND b.commune_code = c.commune_code AND b.month = c.month"
                        " WHERE c.leaf LIKE 'I.%' GROUP BY 1, 2, 3"):
        counts = paid.setdefault((r["month"], r["commune_code"]), {k: 0 for k, _ in disclosure.COMMUNE_GROUPS})
        counts[disclosure.commune_group(r["category"])] += r["n"]
    shown = {}
    for row in offered["door_commune_groups"]:
        shown.setdefault((row["month"], row["commune_code"]), {})[row["nhom"]] = row["persons"]
    assert set(shown) == set(paid)
    for key, counts in paid.items():
        expected = {k: (None if not v.isdigit() else int(v)) for k, v in public.suppress(counts).items()}
        assert shown[key] == expected, key
    # and the HIV counts of the planted communes are 1–4: no door number equals one of them
    # as a count of its own (a cell with K3/K8 only)
    for commune in (site["small"], site["big"]):
        hiv = db.execute("SELECT sum(persons) FROM report_cells WHERE month = '2026-11' AND commune_code = ?"
                         " AND category IN ('K3', 'K8')", [commune]).fetchone()[0]
        assert 1 <= hiv <= 4


def test_solving_door_amounts_for_the_number_of_hiv_people_finds_only_zero_or_five_up(site, offered):
    """K3 (2.0) and K1 (1.5), K8 (1.5) and K4 (1.0 a child) are paid differently, so a folded
    amount could be solved for the number of K3/K8 people. Folded rows carry no amount, and a
    province-month's allowance total is shown only where those numbers are 0 or 5 and more."""
    for row in offered["door_province_cells"]:
        if row["dien"] in ("K1+K3", "K4+K8"):
            assert (row["regular"], row["arrears"], row["recovery"], row["funeral"]) == (None,) * 4, row
    for row in offered["door_budget"]:
        if row["dien"] in ("K1+K3", "K4+K8"):
            assert row["tenths"] is None, row
    db = truth(site)
    for row in offered["door_province_money"]:
        if row["section"] != "I" or row["regular"] is None:
            continue
        for category, leaf in (("K3", "%"), ("K3", "I.3.2"), ("K8", "%")):
            n = db.execute("SELECT coalesce(sum(c.persons), 0) FROM report_cells c JOIN door_runs b"
                           " ON b.run_id = c.run_id AND b.commune_code = c.commune_code AND b.month = c.month"
                           " JOIN communes co ON co.code = c.commune_code WHERE c.month = ? AND co.province_code = ?"
                           " AND c.category = ? AND c.leaf LIKE ? AND c.leaf <> 'IV'",
                           [row["month"], row["province_code"], category, leaf]).fetchone()[0]
            assert not 1 <= n <= 4, (row, category, leaf, n)
    # the planted province-month has 1–4 of them: its allowance money is hidden
    hidden = [r for r in offered["door_province_money"]
              if (r["month"], r["province_code"], r["section"]) == ("2026-11", site["province"], "I")]
    assert hidden and hidden[0]["regular"] is None


def test_public_decisions_of_a_month_matched_to_door_decision_counts_single_out_no_one(site, offered):
    """+1 grant in «K4+K8» in the month a public page lists one grant: the door's decision
    counts are per province, and a category with 1–4 decisions is never named — they are
    merged into «(các diện dưới 5)», itself hidden when it holds 1–4."""
    public_page = asyncio.run(site["ds"].client.get(f"/cong-khai/xa/{site['small']}/quyet-dinh/2026-11")).text
    assert len(re.findall(r"QĐ-UBND", public_page)) >= 3  # the planted grants are public
    for row in offered["door_decisions"]:
        assert row["decisions"] is None or row["decisions"] >= 5, row
        if row["decisions"] is None:
            assert row["dien"] == "(các diện dưới 5)", row
    db = truth(site)
    planted = db.execute("SELECT count(*) FROM decisions d JOIN memberships m ON m.id = d.membership_id"
                         " WHERE d.start_month = '2026-11' AND m.category IN ('K3', 'K8') GROUP BY m.category").fetchall()
    assert [1 <= n <= 4 for (n,) in planted] == [True, True]
    november = [r for r in offered["door_decisions"] if (r["month"], r["kind"]) == ("2026-11", "grant")]
    assert november and all(r["dien"] not in ("K1+K3", "K4+K8") for r in november)
