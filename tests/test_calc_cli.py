"""`btxh calc` (rules.md §11): cases in, one answer per case and month out; bad input refused."""

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from btxh.cli import cli

KEYS = ["id", "month", "program", "amount", "coefficient", "base", "basis", "funeral", "reason"]


def calc(cases, *args, raw=None):
    text = raw if raw is not None else json.dumps(cases, ensure_ascii=False)
    return CliRunner().invoke(cli, ["calc", *args, "-"], input=text)


def ok(cases, *args):
    result = calc(cases, *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def k5a(id="a", birth="1946", **extra):
    return dict({"id": id, "birth_date": birth, "memberships": [{"category": "K5a", "from": "2020-01-01"}]}, **extra)


SPEC_CASE = {
    "id": "any string", "birth_date": "1941-05-17", "death_date": None, "death_cause": None, "province": "01",
    "memberships": [
        {"category": "K6", "level": "DBN", "from": "2022-03-10", "to": None},
        {"category": "K4", "from": "2020-01-01", "to": None,
         "children": [{"birth_date": "2012-04-02", "studying_until": None}]}],
    "decision": {"start_month": "2022-03", "stop_month": None},
    "social_pension": {"from": "2025-07", "to": None},
}


def test_the_spec_example_case():
    [answer] = ok([SPEC_CASE], "--month", "2025-03")
    assert list(answer) == KEYS
    assert answer == {"id": "any string", "month": "2025-03", "program": "TCXH", "amount": 1750000,
                      "coefficient": "3.5", "base": 500000, "basis": ["K4", "K6"], "funeral": 0,
                      "reason": answer["reason"]}


def test_range_gives_case_by_case_months_in_order():
    answers = ok([k5a("a"), k5a("b", "1950")], "--month", "2025-12..2026-02")
    assert [(a["id"], a["month"]) for a in answers] == [
        ("a", "2025-12"), ("a", "2026-01"), ("a", "2026-02"), ("b", "2025-12"), ("b", "2026-01"), ("b", "2026-02")]
    assert [a["amount"] for a in answers[:3]] == [750000, 1000000, 1000000]
    assert all(list(a) == KEYS for a in answers)


def test_nothing_payable_answer():
    [answer] = ok([{"id": "z", "birth_date": "2010-03-20", "memberships": [{"category": "K1", "from": "2015-01-01"}]}],
                  "--month", "2026-04")
    assert answer["amount"] == 0 and answer["coefficient"] is None and answer["basis"] == []
    assert answer["program"] == "TCXH" and answer["base"] == 500000 and "K1" in answer["reason"]


def test_pension_answer_and_funeral():
    case = {"id": "p", "birth_date": "1940", "death_date": "2025-08-20", "death_cause": "thien_tai",
            "memberships": [], "social_pension": {"from": "2025-07"}}
    july, august, september = ok([case], "--month", "2025-07..2025-09")
    assert (july["program"], july["amount"], july["coefficient"], july["basis"], july["base"]) == ("HTXH", 500000, None, [], 500000)
    assert (august["funeral"], september["amount"], september["funeral"]) == (25000000, 0, 0)
    assert "ngày sinh chỉ có năm" in july["reason"].lower()


def test_a_file_argument_unknown_keys_and_empty_input(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([k5a(note="ignored", extra={"x": 1})]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["calc", "--month", "2026-01", str(path)])
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["amount"] == 1000000
    assert ok([], "--month", "2025-01") == []


def test_base_levels_from_the_database(reference_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO base_levels (program, jurisdiction, valid_from, amount, legal_basis, added_at, added_by)"
                     " VALUES ('TCXH', '01', '2025-01-01', 600000, 'test', '2025-01-01T00:00:00Z', 'test')")
    conn.close()
    cases = [dict(k5a("hn"), province="01"), dict(k5a("hp"), province="31")]
    answers = ok(cases, "--month", "2026-01", "--db", str(db))
    assert [(a["base"], a["amount"]) for a in answers] == [(600000, 1200000), (500000, 1000000)]
    assert [a["base"] for a in ok(cases, "--month", "2025-01")] == [500000, 500000]


def test_missing_database_falls_back_to_shipped_rates(tmp_path):
    result = calc([k5a()], "--month", "2026-01", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["base"] == 500000
    assert "không tìm thấy" in result.stderr


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite")
    result = calc([k5a()], "--month", "2026-01", "--db", str(bad))
    assert result.exit_code == 2 and result.stdout == "" and "--db" in result.stderr


K6 = {"category": "K6", "level": "DBN", "from": "2022-01-01"}
BAD = [
    pytest.param([dict(k5a(), memberships=[{"category": "K9", "from": "2022-01-01"}])], "2025-01",
                 ['ca "a": memberships[0].category'], id="unknown-category"),
    pytest.param([dict(k5a(), memberships=[{"category": "k6", "level": "DBN", "from": "2022-01-01"}])], "2025-01",
                 ['ca "a": memberships[0].category'], id="category-is-case-sensitive"),
    pytest.param([dict(k5a(), memberships=[{"category": "C1", "from": "2022-01-01"}])], "2025-01",
                 ['ca "a": memberships[0].category'], id="care-code-is-not-a-category"),
    pytest.param([{"birth_date": "1950", "memberships": []}], "2025-01", ["ca thứ 1: id"], id="missing-id"),
    pytest.param([{"id": 7, "birth_date": "1950", "memberships": []}], "2025-01", ["ca thứ 1: id"], id="id-not-a-string"),
    pytest.param([{"id": "a", "memberships": []}], "2025-01", ['ca "a": birth_date'], id="missing-birth-date"),
    pytest.param([{"id": "a", "birth_date": "1950"}], "2025-01", ['ca "a": memberships'], id="missing-memberships"),
    pytest.param([dict(k5a(), memberships=[{"from": "2022-01-01"}])], "2025-01", ['ca "a": memberships[0].category'],
                 id="missing-category"),
    pytest.param([dict(k5a(), memberships=[{"category": "K5a"}])], "2025-01", ['ca "a": memberships[0].from'],
                 id="missing-from"),
    pytest.param([dict(k5a(), memberships=[{"category": "K6", "from": "2022-01-01"}])], "2025-01",
                 ['ca "a": memberships[0].level'], id="missing-k6-level"),
    pytest.param([dict(k5a(), memberships=[dict(K6, level="NHE")])], "2025-01", ['ca "a": memberships[0].level'],
                 id="bad-k6-level"),
    pytest.param([dict(k5a(), memberships=[{"category": "K4", "from": "2022-01-01"}])], "2025-01",
                 ['ca "a": memberships[0].children'], id="missing-k4-children"),
    pytest.param([dict(k5a(), memberships=[{"category": "K4", "from": "2022-01-01", "children": [{}]}])], "2025-01",
                 ['ca "a": memberships[0].children[0].birth_date'], id="missing-child-birth-date"),
    pytest.param([dict(k5a(), decision={"stop_month": "2025-01"})], "2025-01", ['ca "a": decision.start_month'],
                 id="missing-decision-start"),
    pytest.param([dict(k5a(), social_pension={"to": "2025-09"})], "2025-01", ['ca "a": social_pension.from'],
                 id="missing-pension-from"),
    pytest.param([k5a(birth="1950-02-30")], "2025-01", ['ca "a": birth_date'], id="impossible-birth-date"),
    pytest.param([k5a(birth="1950-2")], "2025-01", ['ca "a": birth_date'], id="malformed-birth-date"),
    pytest.param([dict(k5a(), memberships=[{"category": "K5a", "from": "2022-02-30"}])], "2025-01",
                 ['ca "a": memberships[0].from: ngày không hợp lệ "2022-02-30"'], id="impossible-from"),
    pytest.param([dict(k5a(), memberships=[{"category": "K5a", "from": "2022-01"}])], "2025-01",
                 ['ca "a": memberships[0].from'], id="partial-from"),
    pytest.param([dict(k5a(), memberships=[{"category": "K5a", "from": "2022-01-01", "to": "2021-12-31"}])], "2025-01",
                 ['ca "a": memberships[0].to'], id="to-before-from"),
    pytest.param([dict(k5a(), death_date="1945-12-31")], "2025-01", ['ca "a": death_date'], id="death-before-birth"),
    pytest.param([dict(k5a(), death_date="2025-02-29")], "2025-01", ['ca "a": death_date'], id="impossible-death-date"),
    pytest.param([dict(k5a(), death_cause="benh")], "2025-01", ['ca "a": death_cause'], id="unknown-death-cause"),
    pytest.param([dict(k5a(), memberships=[{"category": "K4", "from": "2022-01-01", "children": [
        {"birth_date": "2015", "studying_until": "2030-02-30"}]}])], "2025-01",
        ['ca "a": memberships[0].children[0].studying_until'], id="impossible-studying-until"),
    pytest.param([dict(k5a(), decision={"start_month": "2025-03", "stop_month": "2025-02"})], "2025-01",
                 ['ca "a": decision.stop_month'], id="stop-before-start"),
    pytest.param([dict(k5a(), decision={"start_month": "2025-3"})], "2025-01", ['ca "a": decision.start_month'],
                 id="malformed-decision-month"),
    pytest.param([dict(k5a(), social_pension={"from": "2025-09", "to": "2025-07"})], "2025-01",
                 ['ca "a": social_pension.to'], id="pension-to-before-from"),
    pytest.param([k5a("a"), k5a("a")], "2025-01", ['ca "a" (ca thứ 2): id'], id="duplicate-id"),
    pytest.param([k5a()], "2025-13", ["--month"], id="malformed-month"),
    pytest.param([k5a()], "2025-1", ["--month"], id="malformed-month-one-digit"),
    pytest.param([k5a()], "2025-06..2025-01", ["--month"], id="reversed-range"),
    pytest.param([k5a()], "2021-06", ["--month"], id="month-before-2021-07"),
    pytest.param([k5a()], "2021-06..2021-08", ["--month"], id="range-starting-before-2021-07"),
    pytest.param([42], "2025-01", ["ca thứ 1"], id="case-not-an-object"),
]


@pytest.mark.parametrize("cases,month,expected", BAD)
def test_bad_input_is_refused(cases, month, expected):
    result = calc(cases, "--month", month)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    for words in expected:
        assert any(words in line for line in lines), result.stderr


def test_every_problem_is_reported_one_line_each():
    cases = [
        {"birth_date": "1950-02-30", "memberships": [{"category": "K9", "from": "2022-13-01"}]},
        dict(k5a("b"), death_cause="x", decision={"start_month": "2025-03", "stop_month": "2025-01"}),
    ]
    result = calc(cases, "--month", "2025-06..2025-01")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 7, lines
    assert lines[0].startswith("--month")
    assert {line.split(":")[0] for line in lines[1:]} == {"ca thứ 1", 'ca "b"'}


@pytest.mark.parametrize("raw,words", [("{", "JSON"), ('{"id": "a"}', "mảng"), ("", "JSON")],
                         ids=["broken-json", "not-an-array", "empty-input"])
def test_unreadable_input_is_refused(raw, words):
    result = calc(None, "--month", "2025-01", raw=raw)
    assert result.exit_code == 2 and result.stdout == "" and words in result.stderr


def test_importing_the_rules_loads_neither_datasette_nor_sqlite3():
    code = ("import sys, btxh.rules; "
            "assert not any(m.startswith(('datasette', 'sqlite3')) for m in sys.modules), "
            "[m for m in sys.modules if m.startswith(('datasette', 'sqlite3'))]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_rules_never_read_the_clock_or_files():
    from pathlib import Path

    import btxh.rules

    for path in Path(btxh.rules.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for forbidden in ("today(", "now(", "open(", "import sqlite3", "datasette", "float("):
            assert forbidden not in source, f"{path.name}: {forbidden}"
