"""Dates, months and ages (rules.md §3, §6): partial birth dates, 29 February, month ends."""

import datetime as dt

import pytest

from btxh.rules import RuleSet
from btxh.rules.dates import (PartialDate, age_at_month_end, age_on, birthday_month, first_day, last_day,
                              month_of, month_str, month_vn, parse_date, parse_month, parse_partial)

D = dt.date


@pytest.mark.parametrize("text,index", [
    ("2021-07", 2021 * 12 + 6), ("2025-01", 2025 * 12), ("2025-12", 2025 * 12 + 11),
], ids=["rule-set-start", "january", "december"])
def test_parse_month_round_trips(text, index):
    assert parse_month(text) == index
    assert month_str(index) == text


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", "2025-01-01", "", None, 202501],
                         ids=["month-13", "month-00", "one-digit", "short-year", "slash", "full-date", "empty",
                              "none", "number"])
def test_parse_month_refuses(text):
    with pytest.raises(ValueError):
        parse_month(text)


def test_month_arithmetic_crosses_years():
    jan = parse_month("2025-01")
    assert month_str(jan - 1) == "2024-12"
    assert month_vn(jan) == "01/2025"
    assert first_day(jan) == D(2025, 1, 1)
    assert month_of(D(2024, 12, 31)) == jan - 1


@pytest.mark.parametrize("month,last", [
    ("2024-02", D(2024, 2, 29)), ("2023-02", D(2023, 2, 28)), ("2025-04", D(2025, 4, 30)), ("2025-12", D(2025, 12, 31)),
], ids=["feb-leap", "feb-common", "april", "december"])
def test_last_day_of_month(month, last):
    assert last_day(parse_month(month)) == last


@pytest.mark.parametrize("text", ["2022-02-30", "2023-02-29", "2022-13-01", "2022-3-1", "20220301", "2022-03", "x"],
                         ids=["feb-30", "feb-29-common", "month-13", "no-padding", "compact", "month-only", "junk"])
def test_parse_date_refuses(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_parse_date_accepts_feb_29_in_leap_year():
    assert parse_date("2024-02-29") == D(2024, 2, 29)


@pytest.mark.parametrize("text,expected,precision", [
    ("1946", PartialDate(1946), "year"),
    ("1941-05", PartialDate(1941, 5), "month"),
    ("1941-05-17", PartialDate(1941, 5, 17), "day"),
], ids=["year-only", "month-only", "full"])
def test_parse_partial(text, expected, precision):
    parsed = parse_partial(text)
    assert parsed == expected and parsed.precision == precision and str(parsed) == text


@pytest.mark.parametrize("text", ["1941-13", "1941-02-30", "194", "1941-5", "1941-05-17T00:00", ""],
                         ids=["month-13", "feb-30", "three-digits", "one-digit-month", "datetime", "empty"])
def test_parse_partial_refuses(text):
    with pytest.raises(ValueError):
        parse_partial(text)


@pytest.mark.parametrize("text,rules,day", [
    ("1946", RuleSet(), D(1946, 1, 1)),
    ("1941-05", RuleSet(), D(1941, 5, 1)),
    ("1941-05-17", RuleSet(), D(1941, 5, 17)),
    ("1946", RuleSet(year_only_birth="07-01"), D(1946, 7, 1)),
    ("1941-02", RuleSet(month_only_birth_day=31), D(1941, 2, 28)),
], ids=["year-only-first-january", "month-only-first-of-month", "full-date-unchanged", "choice-mid-year",
        "choice-day-clamped-to-month"])
def test_partial_birth_resolution_is_a_choice_of_the_rule_set(text, rules, day):
    assert rules.resolve_birth(parse_partial(text)) == day


@pytest.mark.parametrize("birth,on,feb29,age", [
    (D(2000, 5, 10), D(2025, 5, 9), (2, 28), 24),
    (D(2000, 5, 10), D(2025, 5, 10), (2, 28), 25),
    (D(2004, 2, 29), D(2025, 2, 27), (2, 28), 20),
    (D(2004, 2, 29), D(2025, 2, 28), (2, 28), 21),
    (D(2004, 2, 29), D(2025, 2, 28), (3, 1), 20),
    (D(2004, 2, 29), D(2025, 3, 1), (3, 1), 21),
    (D(2004, 2, 29), D(2024, 2, 28), (2, 28), 19),
    (D(2004, 2, 29), D(2024, 2, 29), (2, 28), 20),
], ids=["day-before-birthday", "on-birthday", "feb29-common-year-27th", "feb29-common-year-28th-choice",
        "feb29-common-year-28th-march-reading", "feb29-common-year-march-1st", "feb29-leap-year-28th",
        "feb29-leap-year-29th"])
def test_age_on(birth, on, feb29, age):
    assert age_on(birth, on, feb29) == age


@pytest.mark.parametrize("birth,month,feb29,age", [
    (D(2021, 6, 15), "2025-05", (2, 28), 3),
    (D(2021, 6, 15), "2025-06", (2, 28), 4),
    (D(2010, 5, 31), "2026-05", (2, 28), 16),
    (D(2020, 2, 29), "2023-02", (2, 28), 3),
    (D(2020, 2, 29), "2023-02", (3, 1), 2),
    (D(2020, 2, 29), "2023-03", (3, 1), 3),
    (D(2025, 6, 20), "2025-06", (2, 28), 0),
    (D(2025, 6, 20), "2025-05", (2, 28), -1),
], ids=["k1-age-3-in-may", "k1-turns-4-in-june", "birthday-on-last-day", "feb29-common-year",
        "feb29-common-year-march-reading", "feb29-march-reading-reaches-in-march", "born-this-month",
        "month-before-birth"])
def test_age_at_month_end_is_the_age_reached_during_the_month(birth, month, feb29, age):
    assert age_at_month_end(birth, parse_month(month), feb29) == age


@pytest.mark.parametrize("birth,age,feb29,month", [
    (D(2010, 3, 20), 16, (2, 28), "2026-03"),
    (D(2000, 2, 29), 22, (2, 28), "2022-02"),
    (D(2000, 2, 29), 22, (3, 1), "2022-03"),
    (D(2000, 2, 29), 24, (3, 1), "2024-02"),
], ids=["k1-16th-birthday", "feb29-22nd-common", "feb29-22nd-march-reading", "feb29-24th-leap"])
def test_birthday_month(birth, age, feb29, month):
    assert month_str(birthday_month(birth, age, feb29)) == month


def test_rule_set_refuses_unknown_choices():
    with pytest.raises(ValueError):
        RuleSet(feb29_birthday="02-29")
    with pytest.raises(ValueError):
        RuleSet(rounding="banker")
    with pytest.raises(ValueError):
        RuleSet(pension_tie_keeps="both")
