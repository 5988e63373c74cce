"""Public pages (công khai): what anyone may see about who receives monthly assistance.

Only what rules.md §10 and domain.md §11 allow: full name, year of birth, village, one
generic label and the monthly amount — for adults. Children are counted, never listed
(docs/decisions/009-public-pages.md). Every published count under ``MIN_CELL`` reads
"dưới 5". No Datasette here; the plugin (plugins/btxh_public.py) only renders.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from sqlite_utils import Database

from . import clock
from .disclosure import HIDDEN, MIN_CELL, SMALL, cell, suppress  # noqa: F401  (suppress: public API)
from .paylist import _fold, money, month_label, name_key, relevant_run, village_key
from .paylist import commune as paylist_commune

GENERIC_LABEL = "Đối tượng bảo trợ xã hội hằng tháng"
PROGRAM = "TCXH"  # trợ cấp xã hội hằng tháng
CHILD_MAX_AGE = 16  # Luật Trẻ em 2016 Điều 1: trẻ em là người dưới 16 tuổi
ELDERLY_AGE = 60    # Luật Người cao tuổi 2009 Điều 2
AGE_GROUPS = ("tre_em", "16_60", "cao_tuoi")
AGE_GROUP_LABELS = {
    "tre_em": "Trẻ em (dưới 16 tuổi)",
    "16_60": "Người từ 16 đến dưới 60 tuổi",
    "cao_tuoi": "Người cao tuổi (từ 60 tuổi)",
}


# -- pure rules -----------------------------------------------------------------------

def generic_label(category: str | None = None, sensitive: bool | int = False,
                  public_label: str | None = None) -> str:
    """The label a public page shows for a membership: always the same one.

    Deliberately ignores its arguments: with one label for every category, no category
    (K3/K8 in particular, whose ``public_label`` is a group of only HIV categories) can be
    singled out, however few people share it (Luật 64/2006 Điều 8(5); NĐ 20 Điều 8(1)(b)).
    """
    return GENERIC_LABEL


def is_child(birth_year: int, year: int) -> bool:
    """Treated as a child if under 16 on any day of ``year`` (only the year is used, so the
    rule never depends on the exact birth date): ``year - birth_year <= 16``."""
    return year - birth_year <= CHILD_MAX_AGE


def age_group(birth_year: int, year: int) -> str:
    if is_child(birth_year, year):
        return "tre_em"
    return "cao_tuoi" if year - birth_year >= ELDERLY_AGE else "16_60"


# No counts by category or category group are published, only totals and age groups: a
# group count is a count of people with HIV wherever the group holds only K3/K8 people (a
# commune whose "other" group is all K8), and no grouping of categories can rule that out
# in every commune (ADR 009, decision 4; issue 11, finding 16). The small-cell rule and
# complementary suppression are btxh.disclosure's (re-exported here: cell, suppress).


def commune_total(adults: int, children: int) -> str:
    """The count of recipients shown for a commune. Adults are listed by name on the
    commune page, so a total that included 1–4 children would give their number away
    (total − rows): then the children are shown apart, as "dưới 5"."""
    total = adults + children
    if total < MIN_CELL:
        return cell(total)
    if 0 < children < MIN_CELL:
        return f"{adults} và {SMALL} trẻ em"
    return str(total)


def fold(text: str) -> str:
    """Case- and accent-insensitive form for searching ("nguyen van an" finds "Nguyễn Văn An")."""
    folded = _fold(unicodedata.normalize("NFC", text or "")).replace("d~", "d")
    return " ".join(folded.split())


# -- reading ------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicRow:
    stt: int
    full_name: str
    birth_year: int
    village: str
    label: str
    monthly: int | None


@dataclass
class CommunePage:
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    rows: list[PublicRow]
    counts: dict[str, int]
    month: str | None = None
    query: str = ""
    matched: int = 0
    summary: list[tuple[str, str]] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def adults(self) -> int:
        return self.counts["16_60"] + self.counts["cao_tuoi"]

    @property
    def total(self) -> str:
        return commune_total(self.adults, self.counts["tre_em"])


def _today(today: dt.date | None) -> dt.date:
    return today or clock.today()


_CURRENT = (
    "SELECT p.id, p.full_name, p.birth_year, p.commune_code, v.name AS village, m.category,"
    " c.sort_order FROM persons p JOIN memberships m ON m.person_id = p.id"
    " JOIN categories c ON c.code = m.category"
    " LEFT JOIN villages v ON v.id = p.village_id"
    " WHERE c.program = ? AND m.valid_from <= ? AND (m.valid_to IS NULL OR m.valid_to >= ?)"
    " AND (p.death_date IS NULL OR p.death_date > ?)"
)


def _current(db: Database, where: str, params: list, today: dt.date) -> list[dict]:
    """Current recipients, one row each (a person with two memberships — the single-parent
    exception — counts once). The category is read only to pick one row per person: nothing
    published depends on it."""
    d = today.isoformat()
    people: dict[int, dict] = {}
    for row in db.query(f"{_CURRENT} AND {where}", [PROGRAM, d, d, d, *params]):
        seen = people.get(row["id"])
        if seen is None or row["sort_order"] < seen["sort_order"]:
            people[row["id"]] = row
    return list(people.values())


header = paylist_commune  # names of a commune and its province, or None for an unknown code


def provinces(db: Database) -> list[dict]:
    rows = list(db.query("SELECT code, name FROM provinces ORDER BY code"))
    rows.sort(key=lambda r: _fold(r["name"]))
    return rows


def province(db: Database, code: str, today: dt.date | None = None) -> dict | None:
    """The province and its communes, each with its published count of recipients."""
    found = list(db.query("SELECT code, name FROM provinces WHERE code = ?", [code]))
    if not found:
        return None
    today = _today(today)
    counts: dict[str, list[int]] = {}
    people = _current(db, "p.commune_code IN (SELECT code FROM communes WHERE province_code = ?)",
                      [code], today)
    for p in people:
        c = counts.setdefault(p["commune_code"], [0, 0])
        c[0 if is_child(p["birth_year"], today.year) else 1] += 1
    communes = []
    for c in db.query("SELECT code, name FROM communes WHERE province_code = ?", [code]):
        children, adults = counts.get(c["code"], [0, 0])
        communes.append({**c, "count": commune_total(adults, children)})
    communes.sort(key=lambda c: _fold(c["name"]))
    return {**found[0], "communes": communes}


def latest_month(db: Database, commune_code: str) -> str | None:
    row = db.execute("SELECT max(r.month) FROM payroll_runs r WHERE EXISTS (SELECT 1 FROM ledger l"
                     " WHERE l.run_id = r.id AND l.commune_code = ?)", [commune_code]).fetchone()
    return row[0] if row else None


def commune(db: Database, code: str, q: str = "", today: dt.date | None = None) -> CommunePage | None:
    """The commune's public list: adults by name, children only counted."""
    head = header(db, code)
    if head is None:
        return None
    today = _today(today)
    people = _current(db, "p.commune_code = ?", [code], today)
    month = latest_month(db, code)
    amounts: dict[int, int] = {}
    if month:
        run = relevant_run(db, code, month)
        for pid, due in db.execute(
                "SELECT person_id, sum(due) FROM ledger WHERE run_id = ? AND commune_code = ?"
                " AND program = ? AND kind = 'thuong_xuyen' GROUP BY person_id",
                [run["id"], code, PROGRAM]):
            amounts[pid] = due
    counts = {g: 0 for g in AGE_GROUPS}
    adults = []
    for p in people:
        group = age_group(p["birth_year"], today.year)
        counts[group] += 1
        if group != "tre_em":
            adults.append(p)
    adults.sort(key=lambda p: (village_key(p["village"]), name_key(p["full_name"]), p["id"]))
    needle = fold(q)
    rows = []
    for p in adults:
        if needle and needle not in fold(p["full_name"]):
            continue
        rows.append(PublicRow(len(rows) + 1, p["full_name"], p["birth_year"], p["village"] or "",
                              generic_label(), amounts.get(p["id"]) if month else None))
    page = CommunePage(**head, rows=rows, counts=counts, month=month, query=q.strip(),
                       matched=len(rows))
    ages = suppress(counts)
    page.summary = [(AGE_GROUP_LABELS[g], ages[g]) for g in AGE_GROUPS]
    return page


__all__ = ["GENERIC_LABEL", "generic_label", "is_child", "age_group", "cell", "suppress",
           "commune_total", "fold", "header", "provinces", "province", "commune", "money"]
