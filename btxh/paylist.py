"""Payment lists (danh sách chi trả) for the paying agent, per commune and month.

``build(db, commune_code, month)`` reads the payroll run that pays month M in a commune
(the latest closed run for M, else the latest open one) and returns a ``PaymentList``:
one row per person to be paid, grouped by village and in Vietnamese name order, with
the monthly amount, arrears (truy lĩnh) and funeral support (mai táng, paid to the
family). Recoveries (truy thu) are listed apart and never deducted. Every total is the
sum of the run's ledger lines for the commune, in integer đồng.

Only what a public posting may show is on the list (rules.md §10): full name, birth
year, village, the *program's* label, amounts. Never a category (not even its
``public_label``: K3 and K8 share one no other category uses, so it would single out people
with HIV to the post office and every signer), HIV status, disability level or the ledger's
free-text reason; a K3/K8 line reads exactly like any other line of its program (issue 11,
finding 5; docs/decisions/009-public-pages.md).

Renderers: ``to_csv`` (UTF-8 with BOM), ``to_xlsx`` (openpyxl, A4 landscape) and
``to_html`` (a standalone page from templates/btxh_paylist.html). No Datasette here.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import vn_money
from sqlite_utils import Database

from . import exports, xlsx
from .scoping import Scope
from .serving import STATIC, TEMPLATES

MONTH_RE = re.compile(r"^[12]\d{3}-(0[1-9]|1[0-2])$")
NO_VILLAGE = "Chưa ghi thôn, tổ dân phố"
STATUS_LABELS = {"closed": "đã chốt", "open": "chưa chốt"}
PAID_KINDS = ("thuong_xuyen", "truy_linh", "mai_tang")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
RECOVERY_TITLE = "Các khoản truy thu (chỉ báo cáo, không trừ vào danh sách chi trả)"
COLUMNS = ("STT", "Họ và tên", "Năm sinh", "Thôn, tổ dân phố", "Diện hưởng",
           "Mức trợ cấp hằng tháng (đồng)", "Truy lĩnh (đồng)",
           "Hỗ trợ mai táng, chi cho gia đình (đồng)", "Tổng số tiền (đồng)",
           "Số tiền bằng chữ", "Ký nhận")


class PaylistError(LookupError):
    """No payment list for that commune and month; the message is for staff (Vietnamese)."""


# -- wording and order --------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 12)  # lists repeat a handful of amounts thousands of times
def money(amount: int) -> str:
    """``1250000`` → ``"1.250.000"``."""
    return vn_money.format_vnd(amount, with_symbol=False)


def in_words(amount: int) -> str:
    """``1250000`` → ``"Một triệu hai trăm năm mươi nghìn đồng"``."""
    words = vn_money.to_words(amount)
    return words[:1].upper() + words[1:] + " đồng"


def month_label(month: str) -> str:
    """``"2026-11"`` → ``"Tháng 11/2026"``."""
    return f"Tháng {month[5:7]}/{month[:4]}"


@functools.lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    """Case and accents dropped (NFD, marks stripped); đ after every d, as in the alphabet."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d~")


@functools.lru_cache(maxsize=1 << 16)
def name_key(full_name: str) -> tuple:
    """Vietnamese name order: given name (last word) first, then the full name;
    accent-free text decides, the NFC text breaks ties."""
    nfc = " ".join(unicodedata.normalize("NFC", full_name).split())
    given = nfc.rsplit(" ", 1)[-1]
    return (_fold(given), _fold(nfc), given, nfc)


@functools.lru_cache(maxsize=1 << 12)
def village_key(name: str | None) -> tuple:
    """Villages in natural order ("Thôn 2" before "Thôn 10"); no village last."""
    if not name:
        return (1,)
    nfc = unicodedata.normalize("NFC", name)
    parts = [int(p) if i % 2 else _fold(p) for i, p in enumerate(re.split(r"(\d+)", nfc))]
    return (0, parts, nfc)


# -- the list -----------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    stt: int
    person_id: int
    full_name: str
    birth_year: int | None
    village: str
    label: str
    monthly: int
    arrears: int
    funeral: int

    @property
    def total(self) -> int:
        return self.monthly + self.arrears + self.funeral

    @property
    def words(self) -> str:
        return in_words(self.total)


def _sums(rows) -> dict:
    return {k: sum(getattr(r, k) for r in rows) for k in ("monthly", "arrears", "funeral", "total")}


@dataclass(frozen=True)
class Village:
    name: str
    rows: tuple[Row, ...]

    @property
    def totals(self) -> dict:
        return _sums(self.rows)


@dataclass(frozen=True)
class Recovery:
    """One overpayment to recover (truy thu): ``amount`` is positive, the ledger's ``-due``."""
    stt: int
    person_id: int
    full_name: str
    birth_year: int | None
    village: str
    month: str
    amount: int

    @property
    def month_label(self) -> str:
        return f"{self.month[5:7]}/{self.month[:4]}"


@dataclass(frozen=True)
class PaymentList:
    commune_code: str
    commune_name: str
    province_code: str
    province_name: str
    month: str
    run_id: int
    run_status: str
    villages: tuple[Village, ...]
    recoveries: tuple[Recovery, ...]

    @property
    def rows(self) -> list[Row]:
        return [r for v in self.villages for r in v.rows]

    @property
    def totals(self) -> dict:
        return _sums(self.rows)

    @property
    def total(self) -> int:
        return self.totals["total"]

    @property
    def total_words(self) -> str:
        return in_words(self.total)

    @property
    def recovery_total(self) -> int:
        return sum(r.amount for r in self.recoveries)

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    @property
    def run_label(self) -> str:
        return f"Bảng lương số {self.run_id} ({STATUS_LABELS.get(self.run_status, self.run_status)})"

    def filename(self, fmt: str) -> str:
        return f"chi-tra-{self.commune_code}-{self.month}.{fmt}"


def _label(lines: list[dict], programs: dict[str, str]) -> str:
    """The neutral label of a person: the label of each program that pays them (from the
    monthly lines if any, else arrears, else funeral). Never anything about the category:
    the label is the same for everyone one program pays, whoever reads the list."""
    for kind in PAID_KINDS:
        found = []
        for line in lines:
            text = programs.get(line["program"], "") if line["kind"] == kind else ""
            if text and text not in found:
                found.append(text)
        if found:
            return "; ".join(found)
    return ""


def assemble(header: dict, lines: Iterable[dict], programs: dict[str, str]) -> PaymentList:
    """Build the list from one run's ledger lines for one commune (pure).

    ``header``: commune_code, commune_name, province_code, province_name, month, run_id,
    run_status. ``lines``: kind, program, month, due, person_id, full_name,
    birth_year, village. ``programs``: program code → label (the only label a row gets).
    """
    people: dict[int, list[dict]] = {}
    for line in lines:
        people.setdefault(line["person_id"], []).append(line)

    def order(pid):
        first = people[pid][0]
        return (village_key(first["village"]), name_key(first["full_name"]), pid)

    rows, recoveries = [], []
    for pid in sorted(people, key=order):
        mine = people[pid]
        first = mine[0]
        due = {k: sum(l["due"] for l in mine if l["kind"] == k) for k in PAID_KINDS}
        village = first["village"] or NO_VILLAGE
        if sum(due.values()) != 0:
            rows.append(Row(len(rows) + 1, pid, first["full_name"], first["birth_year"], village,
                            _label(mine, programs), due["thuong_xuyen"],
                            due["truy_linh"], due["mai_tang"]))
        for line in sorted((l for l in mine if l["kind"] == "truy_thu"), key=lambda l: l["month"]):
            recoveries.append(Recovery(len(recoveries) + 1, pid, first["full_name"],
                                       first["birth_year"], village, line["month"], -line["due"]))
    villages: list[Village] = []
    for row in rows:
        if villages and villages[-1].name == row.village:
            villages[-1] = Village(row.village, villages[-1].rows + (row,))
        else:
            villages.append(Village(row.village, (row,)))
    return PaymentList(header["commune_code"], header["commune_name"], header["province_code"],
                       header["province_name"], header["month"], header["run_id"],
                       header["run_status"], tuple(villages), tuple(recoveries))


# -- reading the database -----------------------------------------------------------

_PREFERENCE = "status = 'closed' DESC, created_at DESC, id DESC"


def commune(db: Database, commune_code: str) -> dict | None:
    """Commune and province names of a 2025 commune, or None."""
    rows = list(db.query(
        "SELECT c.code AS commune_code, c.name AS commune_name, c.province_code,"
        " p.name AS province_name FROM communes c JOIN provinces p ON p.code = c.province_code"
        " WHERE c.code = ?", [commune_code]))
    return rows[0] if rows else None


def relevant_run(db: Database, commune_code: str, month: str) -> dict | None:
    """The run that pays ``month`` in the commune: the latest closed one, else the latest open."""
    rows = list(db.query(
        f"SELECT * FROM payroll_runs r WHERE month = ? AND EXISTS (SELECT 1 FROM ledger l"
        f" WHERE l.run_id = r.id AND l.commune_code = ?) ORDER BY {_PREFERENCE} LIMIT 1",
        [month, commune_code]))
    return rows[0] if rows else None


def build(db: Database, commune_code: str, month: str) -> PaymentList:
    """The payment list of a commune for a month; ``PaylistError`` when there is none."""
    if not MONTH_RE.match(month or ""):
        raise PaylistError(f"Tháng «{month}» không hợp lệ: cần dạng NNNN-TT, ví dụ 2026-11.")
    header = commune(db, commune_code)
    if header is None:
        raise PaylistError(f"Mã xã «{commune_code}» không có trong danh mục đơn vị hành chính từ 01/07/2025.")
    run = relevant_run(db, commune_code, month)
    if run is None:
        raise PaylistError(f"Chưa có bảng lương {month_label(month).lower()} cho {header['commune_name']}.")
    header = {**header, "month": month, "run_id": run["id"], "run_status": run["status"]}
    lines = db.query(
        "SELECT l.kind, l.program, l.month, l.due, l.person_id, p.full_name,"
        " p.birth_year, v.name AS village FROM ledger l JOIN persons p ON p.id = l.person_id"
        " LEFT JOIN villages v ON v.id = p.village_id AND v.commune_code = l.commune_code"  # not a later commune's
        " WHERE l.run_id = ? AND l.commune_code = ? ORDER BY l.person_id, l.id",
        [run["id"], commune_code])
    programs = dict(db.execute("SELECT code, label FROM programs").fetchall())
    return assemble(header, lines, programs)


def index(db: Database, scope: Scope) -> list[dict]:
    """Months × communes that have a run, within ``scope``, newest month first; each with
    the run that pays it (month, commune_code, commune_name, province_name, run_id, run_status)."""
    if scope.nothing:
        return []
    where, params = [], []
    if scope.everything:
        where.append("1")
    if scope.province:
        where.append("c.province_code = ?")
        params.append(scope.province)
    if scope.communes:
        where.append(f"l.commune_code IN ({', '.join('?' * len(scope.communes))})")
        params.extend(scope.communes)
    best: dict[tuple[str, str], dict] = {}
    for row in db.query(
        "SELECT r.month, l.commune_code, c.name AS commune_name, c.province_code,"
        " p.name AS province_name, r.id AS run_id, r.status AS run_status, r.created_at"
        " FROM (SELECT DISTINCT run_id, commune_code FROM ledger) l"
        " JOIN payroll_runs r ON r.id = l.run_id JOIN communes c ON c.code = l.commune_code"
        " JOIN provinces p ON p.code = c.province_code"
        f" WHERE {' OR '.join(where)}", params):
        key = (row["month"], row["commune_code"])
        rank = (row["run_status"] == "closed", row["created_at"] or "", row["run_id"])
        if key not in best or rank > best[key][0]:
            best[key] = (rank, row)
    entries = [row for _, row in best.values()]
    entries.sort(key=lambda r: (_fold(r["province_name"]), _fold(r["commune_name"])))
    entries.sort(key=lambda r: r["month"], reverse=True)
    return entries


# -- renderers ----------------------------------------------------------------------

def to_csv(pl: PaymentList) -> bytes:
    """One line per person, Vietnamese headers, plain integers; UTF-8 with BOM for Excel."""
    out = io.StringIO()
    writer = exports.csv_writer(out)  # formula-like text prefixed with '
    writer.writerow(COLUMNS)
    for r in pl.rows:
        writer.writerow([r.stt, r.full_name, r.birth_year or "", r.village, r.label, r.monthly,
                         r.arrears, r.funeral, r.total, r.words, ""])
    return out.getvalue().encode("utf-8-sig")


_STANDALONE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<style>{{ print_css }}</style></head>
<body class="btxh-standalone">{% block content %}{% endblock %}</body></html>"""


def html_context(pl: PaymentList, **extra) -> dict:
    """What templates/btxh_paylist.html needs to show a list."""
    return {"mode": "list", "pl": pl, "money": money, "recovery_title": RECOVERY_TITLE,
            "columns": COLUMNS, **extra}


def to_html(pl: PaymentList) -> str:
    """A standalone, print-ready page (the web page's table, without Datasette's frame)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.DictLoader({"_btxh_standalone.html": _STANDALONE}),
            jinja2.FileSystemLoader(str(TEMPLATES)),
        ]),
        autoescape=True,
    )
    css = (STATIC / "btxh-print.css").read_text(encoding="utf-8")
    return env.get_template("btxh_paylist.html").render(
        html_context(pl, layout="_btxh_standalone.html", print_css=css))


_WIDTHS = (6, 26, 8, 18, 26, 14, 13, 15, 14, 42, 16)
_MONEY = xlsx.MONEY


def to_xlsx(pl: PaymentList) -> bytes:
    """The list as the commune prints it: national heading, merged two-row header, village
    subtotals, total and total in words, recoveries apart, signatures; A4 landscape."""
    sheet = xlsx.Sheet(pl.month, f"Danh sách chi trả {pl.month_label.lower()} — {pl.commune_name}")
    ws, put, centre, wrap = sheet.ws, sheet.put, sheet.centre, sheet.wrap
    last = len(COLUMNS)

    put(1, 1, f"UBND {pl.commune_name.upper()}", to=4, bold=True, align=centre)
    put(1, 6, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", to=last, bold=True, align=centre)
    put(2, 1, pl.province_name, to=4, align=centre)
    put(2, 6, "Độc lập - Tự do - Hạnh phúc", to=last, bold=True, align=centre)
    put(4, 1, "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI HẰNG THÁNG", to=last, bold=True, size=14, align=centre)
    put(5, 1, f"{pl.commune_name}, {pl.province_name}", to=last, bold=True, align=centre)
    put(6, 1, f"{pl.month_label} — {pl.run_label}", to=last, italic=True, align=centre)

    head = 8  # two header rows: money columns grouped under one merged heading
    for col, title in enumerate(COLUMNS, start=1):
        if 6 <= col <= 9:
            put(head + 1, col, title.replace(" (đồng)", ""), bold=True, align=centre, border=True)
        else:
            put(head, col, title, bold=True, align=centre, border=True)
            put(head + 1, col, border=True)
            ws.merge_cells(start_row=head, start_column=col, end_row=head + 1, end_column=col)
    put(head, 6, "Số tiền được nhận (đồng)", to=9, bold=True, align=centre, border=True)
    ws.row_dimensions[head + 1].height = 45

    def money_cells(row, values, bold=False):
        for col, value in zip(range(6, 10), values):
            put(row, col, value, bold=bold, fmt=_MONEY, border=True)

    row = head + 2
    for village in pl.villages:
        put(row, 1, village.name, to=last, bold=True, border=True)
        row += 1
        for r in village.rows:
            for col, value in enumerate((r.stt, r.full_name, r.birth_year, r.village, r.label), 1):
                put(row, col, value, align=centre if col in (1, 3) else wrap, border=True)
            money_cells(row, (r.monthly, r.arrears, r.funeral, r.total))
            put(row, 10, r.words, align=wrap, border=True)
            put(row, 11, None, border=True)
            ws.row_dimensions[row].height = 30
            row += 1
        t = village.totals
        put(row, 1, f"Cộng {village.name}", to=5, bold=True, border=True)
        money_cells(row, (t["monthly"], t["arrears"], t["funeral"], t["total"]), bold=True)
        put(row, 10, None, to=last, border=True)
        row += 1
    t = pl.totals
    put(row, 1, "TỔNG CỘNG", to=5, bold=True, align=centre, border=True)
    money_cells(row, (t["monthly"], t["arrears"], t["funeral"], t["total"]), bold=True)
    put(row, 10, None, to=last, border=True)
    row += 1
    put(row, 1, f"Tổng số tiền bằng chữ: {pl.total_words}.", to=last, italic=True, align=wrap)
    row += 2

    if pl.recoveries:
        put(row, 1, RECOVERY_TITLE, to=last, bold=True)
        row += 1
        for col, title in ((1, "STT"), (2, "Họ và tên"), (3, "Năm sinh"), (4, "Thôn, tổ dân phố"),
                           (5, "Tháng"), (6, "Số tiền truy thu (đồng)")):
            put(row, col, title, bold=True, align=centre, border=True)
        row += 1
        for r in pl.recoveries:
            for col, value in enumerate((r.stt, r.full_name, r.birth_year, r.village, r.month_label), 1):
                put(row, col, value, align=centre if col in (1, 3, 5) else wrap, border=True)
            put(row, 6, r.amount, fmt=_MONEY, border=True)
            row += 1
        put(row, 1, "Cộng truy thu", to=5, bold=True, border=True)
        put(row, 6, pl.recovery_total, bold=True, fmt=_MONEY, border=True)
        row += 2

    put(row, 8, "……, ngày …… tháng …… năm ……", to=last, italic=True, align=centre)
    row += 1
    for col, to, title, note in ((1, 3, "Người lập biểu", "(Ký, ghi rõ họ tên)"),
                                 (5, 6, "Kế toán", "(Ký, ghi rõ họ tên)"),
                                 (8, last, "Chủ tịch UBND xã", "(Ký, ghi rõ họ tên, đóng dấu)")):
        put(row, col, title, to=to, bold=True, align=centre)
        put(row + 1, col, note, to=to, italic=True, align=centre)

    sheet.widths(_WIDTHS)
    sheet.print_a4("landscape", f"{head}:{head + 1}", (head + 2, 1))
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    return sheet.save()


def render(pl: PaymentList, fmt: str) -> bytes:
    """``fmt`` is csv, xlsx or html."""
    if fmt == "csv":
        return to_csv(pl)
    if fmt == "xlsx":
        return to_xlsx(pl)
    if fmt == "html":
        return to_html(pl).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}")
