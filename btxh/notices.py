"""Public notices of a commune beyond its list of recipients: the decisions of a month,
the posting (niêm yết) of applications under review, and one-off support programs.

The same privacy rules as btxh.public (docs/decisions/009-public-pages.md): one generic
label, adults by name, children only counted, cells under 5 as "dưới 5", no reason text,
no category, no ID number, no birth date. No Datasette here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlite_utils import Database

from . import clock
from .paylist import month_label, name_key, village_key
from .public import PROGRAM, cell, header, is_child

POSTING_LABEL = "Đề nghị hưởng trợ cấp xã hội hằng tháng"
SUPPORT_LABEL = "Người được hỗ trợ"
DECISION_MONTHS = 6  # how many months of decisions a commune's page links to
KIND_ORDER = ("grant", "adjust", "suspend", "resume", "stop", "move")
# What a public page says a decision does (decision_kinds.label, in the public's words)
KIND_LABELS = {
    "grant": "Hưởng trợ cấp", "adjust": "Điều chỉnh mức hưởng", "suspend": "Tạm dừng hưởng",
    "resume": "Tiếp tục hưởng", "stop": "Thôi hưởng", "move": "Chuyển nơi cư trú",
}
# Decree 20 Art. 8(1)(b); Luật Khiếu nại 02/2011/QH13 Art. 8 (complaints in writing or in person)
COMPLAINT_BASIS = ("Nghị định 20/2021/NĐ-CP Điều 8 khoản 1 điểm b; "
                   "Luật Khiếu nại số 02/2011/QH13 Điều 8")


def vn_date(iso: str) -> str:
    """``"2026-11-03"`` → ``"03/11/2026"`` (for dates of decisions and postings only)."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_months(month: str, n: int) -> list[str]:
    """``month`` and the ``n - 1`` months before it, newest first."""
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def month_bounds(month: str) -> tuple[str, str]:
    y, m = int(month[:4]), int(month[5:7])
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    return f"{month}-01", (nxt - dt.timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class NoticeRow:
    stt: int
    full_name: str
    birth_year: int | None
    village: str
    label: str
    detail: dict = field(default_factory=dict)


@dataclass
class Notice:
    """One public notice of a commune: listed adults, counted children, summary cells."""
    head: dict
    rows: list[NoticeRow]
    children: int
    summary: list[tuple[str, str]] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def children_cell(self) -> str:
        return cell(self.children)

    def __getattr__(self, name):  # commune_code, commune_name, … from the header
        try:
            return self.__dict__["head"][name]
        except KeyError:
            raise AttributeError(name) from None


def _split(people: list[dict], year_of: callable, label: str, detail: callable) -> tuple[list[NoticeRow], int]:
    """Adults become numbered rows (village, then Vietnamese name order); children and
    persons of unknown year of birth are only counted."""
    adults, children = [], 0
    for p in people:
        year = year_of(p)
        if p["birth_year"] is None or is_child(p["birth_year"], year):
            children += 1
        else:
            adults.append(p)
    adults.sort(key=lambda p: (village_key(p["village"]), name_key(p["full_name"]), p["id"]))
    rows = [NoticeRow(i, p["full_name"], p["birth_year"], p["village"] or "", label, detail(p))
            for i, p in enumerate(adults, 1)]
    return rows, children


# -- decisions of a month -------------------------------------------------------------

def decisions(db: Database, code: str, month: str | None = None,
              today: dt.date | None = None) -> Notice | None:
    """The TCXH decisions the commune signed in ``month`` (default: this month)."""
    head = header(db, code)
    if head is None:
        return None
    today = today or clock.today()
    month = month or month_of(today)
    first, last = month_bounds(month)
    people = list(db.query(
        "SELECT d.id, d.number, d.kind, d.signed_date, d.start_month, d.stop_month, d.amount,"
        " p.full_name, p.birth_year, CASE WHEN v.commune_code = d.commune_code THEN v.name END AS village"
        " FROM decisions d JOIN persons p ON p.id = d.person_id"
        " LEFT JOIN villages v ON v.id = p.village_id"
        " WHERE d.commune_code = ? AND d.signed_date BETWEEN ? AND ? AND d.program = ?",
        [code, first, last, PROGRAM]))
    year = int(month[:4])

    def detail(p):
        when = p["start_month"] if p["kind"] in ("grant", "adjust", "resume") else p["stop_month"]
        return {"number": p["number"], "signed": vn_date(p["signed_date"]), "signed_iso": p["signed_date"],
                "kind": KIND_LABELS[p["kind"]], "from": month_label(when) if when else "",
                "amount": p["amount"]}

    rows, children = _split(people, lambda p: year, "", detail)
    rows.sort(key=lambda r: (r.detail["signed_iso"], r.detail["number"], r.stt))
    rows = [NoticeRow(i, r.full_name, r.birth_year, r.village, r.label, r.detail)
            for i, r in enumerate(rows, 1)]
    counts = {k: 0 for k in KIND_ORDER}
    for p in people:
        counts[p["kind"]] += 1
    summary = [(KIND_LABELS[k], cell(counts[k])) for k in KIND_ORDER]
    months = [m for m in previous_months(month_of(today), DECISION_MONTHS)]
    return Notice(head, rows, children, summary,
                  {"month": month, "month_label": month_label(month), "months": months,
                   "month_labels": {m: month_label(m) for m in months}})


# -- posting (niêm yết) -----------------------------------------------------------------

def posting(db: Database, code: str, today: dt.date | None = None) -> Notice | None:
    """Applications whose posting window includes today, with the window and how to complain.

    K3/K8 applications are posted like any other — under the one label, with nothing about
    the category (Decree 20 Art. 8(1)(b) excludes HIV information, not the person).
    """
    head = header(db, code)
    if head is None:
        return None
    today = today or clock.today()
    d = today.isoformat()
    people = list(db.query(
        "SELECT a.id, a.posting_from, a.posting_to, p.full_name, p.birth_year, v.name AS village"
        " FROM applications a JOIN persons p ON p.id = a.person_id"
        " LEFT JOIN villages v ON v.id = p.village_id"
        " WHERE a.commune_code = ? AND a.status = 'niem_yet' AND a.posting_from <= ?"
        " AND a.posting_to >= ?", [code, d, d]))
    rows, children = _split(people, lambda p: today.year, POSTING_LABEL,
                            lambda p: {"from": vn_date(p["posting_from"]), "to": vn_date(p["posting_to"]),
                                       "to_iso": p["posting_to"]})
    last = max((p["posting_to"] for p in people), default=None)
    return Notice(head, rows, children, [],
                  {"today": vn_date(d), "until": vn_date(last) if last else "",
                   "basis": COMPLAINT_BASIS})


# -- one-off support programs -----------------------------------------------------------

def programs(db: Database, code: str) -> Notice | None:
    """The one-off support programs that paid people of the commune, with their counts."""
    head = header(db, code)
    if head is None:
        return None
    found = list(db.query(
        "SELECT s.code, s.name, s.legal_basis, s.first_month, s.months, count(*) AS n"
        " FROM support_awards a JOIN support_programs s ON s.code = a.program_code"
        " WHERE a.commune_code = ? GROUP BY s.code ORDER BY s.first_month DESC, s.code", [code]))
    for p in found:
        p["count"] = cell(p["n"])
        p["period"] = _period(p["first_month"], p["months"])
    return Notice(head, [], 0, [], {"programs": found})


def _period(first_month: str, months: int) -> str:
    y, m = int(first_month[:4]), int(first_month[5:7]) + months - 1
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    last = f"{y:04d}-{m:02d}"
    return month_label(first_month) if months == 1 else f"{month_label(first_month)} – {month_label(last)}"


def program(db: Database, code: str, program_code: str) -> Notice | None:
    """One program's recipients in the commune: adults by name with the amount, children
    (at the program's time) counted."""
    head = header(db, code)
    found = list(db.query("SELECT * FROM support_programs WHERE code = ?", [program_code]))
    if head is None or not found:
        return None
    prog = found[0]
    people = list(db.query(
        "SELECT a.id, a.amount, l.full_name, l.birth_year, l.village"
        " FROM support_awards a JOIN support_listings l ON l.id = a.listing_id"
        " WHERE a.commune_code = ? AND a.program_code = ?", [code, program_code]))
    year = int(prog["first_month"][:4])
    rows, children = _split(people, lambda p: year, SUPPORT_LABEL, lambda p: {"amount": p["amount"]})
    total = len(people)
    return Notice(head, rows, children, [("Số người được hỗ trợ", cell(total))],
                  {"program": {**prog, "period": _period(prog["first_month"], prog["months"])}})


__all__ = ["decisions", "posting", "programs", "program", "vn_date", "previous_months",
           "month_bounds", "KIND_LABELS", "POSTING_LABEL"]
