"""``btxh import doi-tuong``: beneficiary lists (danh sách đối tượng) from commune spreadsheets.

``plan`` reads every row, validates it, matches it against the registry and returns an
:class:`~btxh.importing.Outcome` saying, row by row, what would be inserted, updated or
left unchanged — or the problems that refuse the whole file. ``apply`` writes a plan in one
transaction, audited (ADR 011: the inserted rows whole, in blocks of one commune). Re-importing a
file changes nothing.

A row is a person in a category under a decision (docs/decisions/011-imports.md): a new
person gets a ``persons`` row; a category the person does not hold yet gets a membership
and a ``grant`` decision with the sheet's "Số QĐ"/"Ngày QĐ" (signed before 2025-07-01: the
district, ``huyen``, with the old units when the file names them; from then: ``xa``).
Duplicates — the same CCCD, or the same name, birth date and commune — are reported,
never merged.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from .. import clock
from ..cases import LEGAL_BASIS_HUYEN, LEGAL_BASIS_XA
from ..rules.dates import PartialDate, month_of, month_str
from ..scoping import CCCD_ELSEWHERE
from . import Outcome, sha256
from .cells import cccd_sex, fold, full_date, id_number, money, partial_date, text
from .common import (Transaction, audit_rows, big_cache, check_legacy, gc_paused, problem_at, record_batch,
                     sheet_records)
from .table import Field
from .units import Units, village_key, village_parts

KIND = "doi_tuong"
COMMUNE_DECIDES_FROM = dt.date(2025, 7, 1)
NO_SIGNER = "Không ghi trong danh sách nhập"

FIELDS = [
    Field("stt", "STT", ("stt", "tt", "so tt", "so thu tu")),
    Field("full_name", "Họ và tên", ("ho va ten", "ho ten", "ho va ten doi tuong", "ho ten doi tuong",
                                     "ten doi tuong", "ho va ten nguoi huong", "ho ten nguoi huong"),
          ("Họ và tên", "Họ tên")),
    Field("sex", "Giới tính", ("gioi tinh", "gioi", "nam nu")),
    Field("birth", "Ngày sinh", ("ngay sinh", "nam sinh", "ngay thang nam sinh", "sinh ngay",
                                 "ngay sinh nam sinh"), ("Ngày sinh", "Năm sinh")),
    Field("birth_male", "Năm sinh Nam", ("ngay sinh nam", "nam sinh nam", "ngay thang nam sinh nam")),
    Field("birth_female", "Năm sinh Nữ", ("ngay sinh nu", "nam sinh nu", "ngay thang nam sinh nu")),
    Field("cccd", "CMND/CCCD", ("cmnd cccd", "cccd cmnd", "so cmnd cccd", "so cccd cmnd", "cccd", "so cccd",
                                "cmnd", "so cmnd", "so dinh danh", "so dinh danh ca nhan", "ma dinh danh",
                                "so can cuoc", "so can cuoc cong dan", "can cuoc cong dan")),
    Field("village", "Thôn/Xóm/Tổ dân phố", ("thon xom to dan pho", "thon", "xom", "to dan pho",
                                             "thon to dan pho", "thon xom", "thon ban", "ap", "ban", "khu pho",
                                             "thon ban to dan pho", "thon ban tdp", "thon to", "dia chi",
                                             "noi o", "noi cu tru", "dia chi thon xom")),
    Field("commune", "Xã", ("xa", "xa phuong", "xa phuong thi tran", "ma xa", "phuong xa", "xa phuong dac khu")),
    Field("legacy_commune", "Xã cũ", ("xa cu", "ma xa cu", "xa phuong cu", "xa phuong thi tran cu",
                                      "xa truoc sap xep")),
    Field("district", "Huyện", ("huyen", "quan huyen", "huyen cu", "huyen thi xa", "quan huyen cu")),
    Field("category", "Đối tượng", ("doi tuong", "dien huong", "ma doi tuong", "dien doi tuong",
                                    "loai doi tuong", "ma dien", "nhom doi tuong", "dien", "doi tuong huong",
                                    "dien huong tro cap", "dien tro cap"),
          ("Đối tượng", "Diện hưởng", "Mã đối tượng")),
    Field("level", "Mức độ khuyết tật", ("muc do khuyet tat", "muc do kt", "muc do")),
    Field("amount", "Mức hưởng", ("muc huong", "muc tro cap", "so tien", "muc tro cap hang thang",
                                  "so tien hang thang", "muc huong hang thang", "tro cap hang thang")),
    Field("decision_number", "Số QĐ", ("so qd", "so quyet dinh", "qd so", "quyet dinh so", "so qd huong",
                                       "so quyet dinh huong"), ("Số QĐ", "Số quyết định")),
    Field("decision_date", "Ngày QĐ", ("ngay qd", "ngay quyet dinh", "ngay ky qd", "ngay ky", "quyet dinh ngay",
                                       "qd ngay", "ngay ky quyet dinh"), ("Ngày QĐ", "Ngày quyết định")),
    Field("start_month", "Hưởng từ tháng", ("huong tu thang", "thang bat dau huong", "thoi diem huong",
                                            "huong tu", "thoi gian huong", "huong tu ngay")),
    Field("signer", "Người ký", ("nguoi ky", "nguoi ky qd", "nguoi ky quyet dinh")),
]
REQUIRED = [("full_name",), ("birth", "birth_male"), ("category",), ("decision_number",), ("decision_date",)]
LEVELS = {"dbn": "DBN", "dac biet nang": "DBN", "nang": "NANG"}
SEXES = {"nam": "nam", "m": "nam", "trai": "nam", "nu": "nu", "f": "nu", "gai": "nu"}
# Vietnamese labels offices write instead of a code (folded) → (category, level)
LABEL_ALIASES = {
    "tre em mo coi": ("K1", None), "tre em khong co nguon nuoi duong": ("K1", None),
    "nguoi khuyet tat dac biet nang": ("K6", "DBN"), "nguoi khuyet tat nang": ("K6", "NANG"),
    "khuyet tat dac biet nang": ("K6", "DBN"), "khuyet tat nang": ("K6", "NANG"),
    "nguoi khuyet tat": ("K6", None), "nkt": ("K6", None), "nkt dac biet nang": ("K6", "DBN"),
    "nkt nang": ("K6", "NANG"), "don than": ("K4", None), "nguoi don than ngheo nuoi con": ("K4", None),
    "nguoi tu du 80 tuoi": ("K5c", None), "nguoi cao tuoi tu du 80 tuoi": ("K5c", None),
}


class Categories:
    """TCXH categories by code (any case) and by Vietnamese label."""

    def __init__(self, db: Database):
        rows = db.execute("SELECT code, label, public_label FROM categories WHERE program = 'TCXH'").fetchall()
        self.codes = {code.lower(): code for code, _, _ in rows}
        self.labels: dict[str, set] = {}
        for code, label, public in rows:
            self.labels.setdefault(fold(label), set()).add(code)
            self.labels.setdefault(fold(public), set()).add(code)
        self.labels.update({k: {v[0]} for k, v in LABEL_ALIASES.items()})

    def find(self, value: str) -> tuple[str | None, str | None, str | None]:
        """(code, implied level, problem)."""
        code = self.codes.get(value.replace(" ", "").lower())
        if code:
            return code, None, None
        key = fold(value)
        if key in LABEL_ALIASES:
            return (*LABEL_ALIASES[key], None)
        found = self.labels.get(key, set())
        if len(found) == 1:
            return next(iter(found)), None, None
        if len(found) > 1:
            return None, None, (f"«{value}» ứng với nhiều diện ({', '.join(sorted(found))}): ghi mã diện "
                                "(ví dụ K5a) hoặc tên diện đầy đủ")
        return None, None, f"«{value}» không phải diện trợ cấp xã hội hằng tháng (mã K1–K8 hoặc tên diện)"


def _month(value) -> tuple[str | None, str | None]:
    found, problem = partial_date(value)
    if problem:
        return None, problem
    if found.precision == "year":
        return None, f"«{text(value)}» thiếu tháng: cần tháng/năm (ví dụ 09/2025)"
    return f"{found.year:04d}-{found.month:02d}", None


def _normalise(cells: dict, ctx) -> tuple[dict, list[tuple[str | None, str]]]:
    """One row's cells → facts, and (field, explanation) for each problem. Pure given ctx."""
    p: list[tuple[str | None, str]] = []
    out: dict = {"warnings": []}
    t = {k: text(v) for k, v in cells.items()}  # each cell as text once
    name = t.get("full_name", "")
    if not name:
        p.append(("full_name", "trống"))
    out["full_name"], out["name_key"] = name, name.lower()
    sex = None
    if "birth" in cells:
        birth_cell = cells["birth"]
        key = "birth"
    else:
        male, female = t.get("birth_male", ""), t.get("birth_female", "")
        if male and female:
            p.append(("birth_male", "ghi năm sinh ở cả cột Nam và cột Nữ: chỉ ghi ở một cột"))
        key = "birth_male" if male or not female else "birth_female"
        birth_cell = cells.get(key)
        sex = ("nam" if key == "birth_male" else "nu") if (male or female) else None
    birth = None
    if t.get(key, "") == "":
        p.append((key, "trống"))
    else:
        birth, problem = partial_date(birth_cell)
        if problem:
            p.append((key, problem))
        elif birth.year < 1880:
            p.append((key, f"năm sinh {birth.year} không hợp lý"))
            birth = None
    out["birth"] = birth
    out["birth_s"] = str(birth) if birth is not None else None
    sex_text = t.get("sex", "")
    if sex_text:
        sex = SEXES.get(fold(sex_text))
        if sex is None:
            p.append(("sex", f"«{sex_text}»: ghi «Nam» hoặc «Nữ»"))
    out["cccd"] = out["cmnd"] = None
    if t.get("cccd", ""):
        cccd, cmnd, problem, warnings = id_number(cells["cccd"], birth, sex)
        if problem:
            p.append(("cccd", problem))
        out.update(cccd=cccd, cmnd=cmnd)
        out["warnings"] += warnings
        if cccd and sex is None:
            sex = cccd_sex(cccd[:6])
    if sex is None and not any(f in ("sex", "birth_male") for f, _ in p):
        p.append(("sex" if "sex" in cells else None,
                  "không rõ giới tính: thêm cột «Giới tính» (Nam/Nữ) hoặc ghi số CCCD"))
    out["sex"] = sex
    legacy_col = "legacy_commune" in cells and t["legacy_commune"] and not t.get("commune", "")
    where = cells.get("legacy_commune") if legacy_col else cells.get("commune")
    commune, legacy, problem = ctx.units.resolve(where, default=ctx.commune, legacy_column=bool(legacy_col),
                                                 district=t.get("district", ""))
    field = "legacy_commune" if legacy_col else ("commune" if "commune" in cells else None)
    if problem:
        p.append((field, problem))
    elif ctx.commune and commune != ctx.commune:
        p.append((field, f"thuộc xã {commune} {ctx.units.communes[commune][0]}, không phải xã của tệp "
                         f"({ctx.commune} {ctx.units.communes[ctx.commune][0]})"))
    elif ctx.scope is not None and not ctx.scope.includes(commune, ctx.units.province_of(commune)):
        p.append((field, f"tài khoản của bạn không được giao xã {commune} {ctx.units.communes[commune][0]}"))
    out["commune"], out["legacy"] = commune, legacy
    village = t.get("village", "")
    out["village"] = village_parts(village) if village else None
    cat_text = t.get("category", "")
    category = level = None
    if not cat_text:
        p.append(("category", "trống"))
    else:
        category, level, problem = ctx.categories.find(cat_text)
        if problem:
            p.append(("category", problem))
    level_text = t.get("level", "")
    if level_text:
        found = LEVELS.get(fold(level_text))
        if found is None:
            p.append(("level", f"«{level_text}»: ghi «Đặc biệt nặng» hoặc «Nặng»"))
        elif level and found != level:
            p.append(("level", f"«{level_text}» khác mức độ trong cột diện hưởng «{cat_text}»"))
        level = found
    if category == "K6" and level is None and not level_text:
        p.append(("level" if "level" in cells else "category",
                  "diện K6 phải ghi mức độ khuyết tật (Đặc biệt nặng hoặc Nặng)"))
    if category != "K6":
        level = None
    if category == "K4":
        out["warnings"].append("diện K4: hãy nhập các con đang nuôi trên trang hồ sơ, nếu không sẽ không được chi trả")
    out["category"], out["level"] = category, level
    out["amount"] = None
    if t.get("amount", ""):
        out["amount"], problem = money(cells["amount"])
        if problem:
            p.append(("amount", problem))
    number = t.get("decision_number", "")
    if not number:
        p.append(("decision_number", "trống"))
    out["decision_number"] = number
    signed = None
    if t.get("decision_date", "") == "":
        p.append(("decision_date", "trống"))
    else:
        signed, problem = full_date(cells["decision_date"])
        if problem:
            p.append(("decision_date", problem))
        elif signed > ctx.today:
            p.append(("decision_date", f"ngày {signed:%d/%m/%Y} ở tương lai"))
            signed = None
        elif birth and birth.earliest > signed:
            p.append(("decision_date", f"ngày {signed:%d/%m/%Y} trước ngày sinh"))
    out["signed"] = signed
    start = None
    if t.get("start_month", ""):
        start, problem = _month(cells["start_month"])
        if problem:
            p.append(("start_month", problem))
    elif signed:
        start = month_str(month_of(signed))
    out["start_month"] = start
    out["signer"] = t.get("signer", "") or NO_SIGNER
    out["person_key"] = ("cccd", out["cccd"]) if out["cccd"] else ("nb", out["name_key"], out["birth_s"], commune)
    return out, p


class _Ctx:
    def __init__(self, db, commune, scope, today):
        self.units = Units(db)
        self.categories = Categories(db)
        self.commune, self.scope, self.today = commune, scope, today


def plan(db: Database, data: bytes, filename: str, *, commune: str | None = None, scope=None,
         progress=None, book=None) -> Outcome:
    """Read, validate and match a beneficiary list; nothing is written."""
    with gc_paused():
        return _plan(db, data, filename, commune=commune, scope=scope, progress=progress, book=book)


def _plan(db, data, filename, *, commune, scope, progress, book) -> Outcome:
    from importers import read  # noqa: PLC0415

    book = book or read(data, filename)
    check_legacy(book)
    outcome = Outcome(KIND, book.filename, sha256(data))
    ctx = _Ctx(db, commune, scope, clock.today())
    if commune and commune not in ctx.units.communes:
        from importers import FileRefused  # noqa: PLC0415
        raise FileRefused(f"--commune «{commune}»: mã xã không có trong danh mục từ 01/07/2025. "
                          "Không có gì được ghi.")
    rows = []
    for sheet, names, columns, number, cells in sheet_records(book, FIELDS, REQUIRED, "full_name", outcome,
                                                             progress):
        facts, problems = _normalise(cells, ctx)
        for key, message in problems:
            outcome.problems.append(problem_at(book, sheet, names, columns, number, key, cells, message))
        for w in facts["warnings"]:
            outcome.warnings.append(f"{_where(book.filename, sheet, number)}: {w}")
        rows.append((sheet, number, facts, bool(problems), names, columns, cells))
    _duplicates(book, rows, outcome)
    if outcome.rows_read == 0 and not outcome.problems:
        outcome.problems.append(_problem(book.filename, None, None, "không có dòng dữ liệu nào dưới dòng tiêu đề"))
    if outcome.problems:
        return outcome
    _match(db, book, rows, outcome, ctx)
    return outcome


def _where(filename, sheet, number) -> str:
    return ", ".join([f"«{filename}»"] + ([f"trang «{sheet}»"] if sheet is not None else []) + [f"dòng {number}"])


def _problem(filename, sheet, number, message):
    from .table import Problem  # noqa: PLC0415
    return Problem(filename, sheet, number, None, None, message)


def _duplicates(book, rows, outcome) -> None:
    """Rows about the same person: the same category twice, or facts that disagree."""
    by_key: dict = {}
    by_nb: dict = {}
    for sheet, number, f, bad, names, columns, cells in rows:
        if bad:
            continue
        here = (sheet, number)
        for other_sheet, other_number, g in by_key.get(f["person_key"], []):
            where = f"dòng {other_number}" + (f" (trang «{other_sheet}»)" if other_sheet != sheet else "")
            if g["category"] == f["category"]:
                outcome.problems.append(problem_at(book, sheet, names, columns, number,
                                                   "cccd" if f["cccd"] else "full_name", cells,
                                                   f"trùng với {where}: cùng người, cùng diện {f['category']} "
                                                   "(không tự gộp: xoá một dòng)"))
                break
            if (g["name_key"], g["birth_s"], g["sex"], g["commune"]) != (f["name_key"], f["birth_s"], f["sex"],
                                                                           f["commune"]):
                outcome.problems.append(problem_at(book, sheet, names, columns, number, "cccd", cells,
                                                   f"cùng số CCCD với {where} nhưng khác họ tên, ngày sinh, giới "
                                                   "tính hoặc xã"))
                break
        nb = (f["name_key"], f["birth_s"], f["commune"])
        for other_sheet, other_number, g in by_nb.get(nb, []):
            if g["cccd"] != f["cccd"]:
                where = f"dòng {other_number}" + (f" (trang «{other_sheet}»)" if other_sheet != sheet else "")
                outcome.problems.append(problem_at(book, sheet, names, columns, number, "full_name", cells,
                                                   f"trùng họ tên, ngày sinh và xã với {where} nhưng khác số CCCD: "
                                                   "kiểm tra lại, hệ thống không tự gộp hai người"))
                break
        by_key.setdefault(f["person_key"], []).append((*here, f))
        by_nb.setdefault(nb, []).append((*here, f))


PERSON_COLUMNS = "id, full_name, sex, birth_date, cccd, cmnd, commune_code, village_id, death_date"


def _existing(db, rows):
    """Persons of the communes in the file, and any person holding one of its CCCDs."""
    communes = sorted({r[2]["commune"] for r in rows})
    persons = {}
    for i in range(0, len(communes), 500):
        chunk = communes[i:i + 500]
        for r in db.execute(f"SELECT {PERSON_COLUMNS} FROM persons WHERE commune_code IN "
                            f"({','.join('?' * len(chunk))})", chunk):
            persons[r[0]] = r
    cccds = sorted({r[2]["cccd"] for r in rows if r[2]["cccd"]})
    known = {p[4] for p in persons.values() if p[4]}
    wanted = [c for c in cccds if c not in known]
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for r in db.execute(f"SELECT {PERSON_COLUMNS} FROM persons WHERE cccd IN ({','.join('?' * len(chunk))})",
                            chunk):
            persons[r[0]] = r
    return persons


ELSEWHERE = ("số CCCD này là của một người đang ở xã khác trong sổ: xã đó chuyển nơi cư trú trên trang "
             "đối tượng, không sửa bằng nhập danh sách")


def _visible(person, ctx) -> bool:
    """Whether the importer may see a registry person (their commune is in the importer's scope;
    no scope — the CLI — sees everyone). Only then may a message say who they are (ADR 007)."""
    return ctx.scope is None or ctx.scope.includes(person[6], ctx.units.communes.get(person[6], ("", None))[1])


def _match(db, book, rows, outcome, ctx) -> None:
    """Decide, row by row, what the registry gains; problems for conflicts with it."""
    persons = _existing(db, rows)
    by_cccd = {p[4]: p for p in persons.values() if p[4]}
    by_nb: dict = {}
    for p in persons.values():
        by_nb.setdefault((p[1].lower(), p[3], p[6]), []).append(p)
    ids = list(persons)
    open_ms: dict[int, dict[str, tuple]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for mid, pid, category, level in db.execute(
                "SELECT id, person_id, category, disability_level FROM memberships WHERE valid_to IS NULL AND "
                f"person_id IN ({','.join('?' * len(chunk))})", chunk):
            open_ms.setdefault(pid, {})[category] = (mid, level)
    villages = {(c, village_key(n)): (vid, n) for vid, c, n in db.execute(
        "SELECT id, commune_code, name FROM villages WHERE valid_to IS NULL")}
    village_names = {vid: n for (_, _), (vid, n) in villages.items()}
    new_villages: dict = {}
    new_persons: dict = {}  # person key → facts (first row)
    updates: dict[int, dict] = {}
    memberships = []
    claimed: dict[int, set] = {}
    for sheet, number, f, _, names, columns, cells in rows:
        label = _where(book.filename, sheet, number)
        conflict = lambda key, message: outcome.problems.append(  # noqa: E731
            problem_at(book, sheet, names, columns, number, key, cells, message))
        vkey = None
        if f["village"]:
            kind, vname = f["village"]
            vkey = (f["commune"], village_key(vname))
            if vkey not in villages and vkey not in new_villages:
                new_villages[vkey] = (kind, vname)
        person = by_cccd.get(f["cccd"]) if f["cccd"] else None
        if person is not None and not _visible(person, ctx):
            conflict("cccd", CCCD_ELSEWHERE)
            continue
        if person is None:
            same = by_nb.get((f["name_key"], f["birth_s"], f["commune"]), [])
            if len(same) > 1:
                conflict("full_name", f"trong sổ có {len(same)} người cùng họ tên, ngày sinh ở xã này (mã "
                                      f"{', '.join(str(s[0]) for s in same)}): ghi số CCCD để phân biệt")
                continue
            person = same[0] if same else None
            if person and f["cccd"] and person[4] and person[4] != f["cccd"]:
                conflict("cccd", f"trong sổ, {person[1]} (mã {person[0]}) cùng ngày sinh ở xã này có số CCCD "
                                 f"{person[4]}, khác số trong tệp: kiểm tra lại, hệ thống không tự gộp")
                continue
        elif person[6] != f["commune"]:
            # never the name, birth date, id or commune of another commune's person (red team A:
            # a list of CCCD numbers was a bulk lookup of who is in the registry and where)
            conflict("commune" if "commune" in cells else "cccd", ELSEWHERE)
            continue
        elif person[1].lower() != f["name_key"] or person[3] != f["birth_s"]:
            conflict("cccd", f"số CCCD này trong sổ là của «{person[1]}», sinh {person[3]} (mã {person[0]}): "
                             "kiểm tra lại họ tên, ngày sinh hoặc số CCCD")
            continue
        if person is None:
            key = f["person_key"]
            first = key not in new_persons
            f["vkey"] = vkey  # the row's own facts: no copy per row
            new_persons.setdefault(key, f)
            memberships.append((key, f, label, number))
            outcome.actions.append((label, "them", f"{f['full_name']} ({f['category']}): người mới"
                                    + ("" if first else ", thêm diện")))
            outcome.inserted += 1
            continue
        pid = person[0]  # of this row's commune: another commune's person was refused above
        if person[8]:
            conflict("full_name", f"{person[1]} (mã {pid}) đã chết ngày {person[8]} theo sổ")
            continue
        if person[2] != f["sex"]:
            conflict("sex" if "sex" in cells else "cccd", f"giới tính khác trong sổ ({person[1]}, mã {pid})")
            continue
        change = {}
        if f["cccd"] and not person[4]:
            change["cccd"] = f["cccd"]
        if f["cmnd"] and not person[5]:
            change["cmnd"] = f["cmnd"]
        if vkey and (person[7] is None or village_key(village_names.get(person[7], "")) != vkey[1]):
            change["village"] = vkey
        held = open_ms.get(pid, {})
        if f["category"] in held:
            mid, level = held[f["category"]]
            if level != f["level"]:
                conflict("level" if "level" in cells else "category",
                         f"trong sổ, {person[1]} (mã {pid}) hưởng diện K6 mức {level}, khác tệp ({f['level']}): "
                         "điều chỉnh mức độ trên trang đối tượng")
                continue
            adds = False
        else:
            adds = f["category"] not in claimed.setdefault(pid, set())
            claimed[pid].add(f["category"])
        if change:
            updates.setdefault(pid, {"before": person, "change": {}})["change"].update(change)
        if adds:
            memberships.append((pid, f, label, number))
            outcome.inserted += 1
            outcome.actions.append((label, "them", f"{f['full_name']} (mã {pid}): thêm diện {f['category']}"))
        elif change:
            outcome.updated += 1
            outcome.actions.append((label, "sua", f"{f['full_name']} (mã {pid}): "
                                    + ", ".join({"cccd": "thêm số CCCD", "cmnd": "thêm số CMND",
                                                 "village": "đổi thôn"}[k] for k in change)))
        else:
            outcome.unchanged += 1
            outcome.actions.append((label, "giu", f"{f['full_name']} (mã {pid}), diện {f['category']}"))
    outcome.payload = {"villages": villages, "new_villages": new_villages, "persons": new_persons,
                       "updates": updates, "memberships": memberships}


def _decision_values(f: dict, units: dict, filename: str, number: int, person_id: int, membership_id: int,
                     actor: str, now: str) -> tuple:
    """The grant decision of an imported row, in DECISION_FIELDS order (id left 0 for the caller)."""
    xa = f["signed"] >= COMMUNE_DECIDES_FROM
    legacy_district = units.get(f["legacy"]) if f["legacy"] and not xa else None
    return (0, f["decision_number"], "grant", "TCXH", person_id, membership_id, f["commune"],
            f["legacy"] if not xa else None, legacy_district, f["signed"].isoformat(), f["signer"],
            "Chủ tịch UBND xã" if xa else "Chủ tịch UBND huyện", "xa" if xa else "huyen", f["start_month"],
            f["amount"], LEGAL_BASIS_XA if xa else LEGAL_BASIS_HUYEN,
            f"Nhập từ danh sách «{filename}», dòng {number}", now, actor)


PERSON_FIELDS = ("id", "full_name", "sex", "birth_date", "birth_precision", "birth_year", "cccd", "cmnd",
                 "commune_code", "village_id", "created_at", "updated_at")
MS_FIELDS = ("id", "person_id", "commune_code", "category", "valid_from", "disability_level", "hiv_positive", "note")
DECISION_FIELDS = ("id", "number", "kind", "program", "person_id", "membership_id", "commune_code",
                   "legacy_commune_code", "legacy_district_code", "signed_date", "signer_name", "signer_title",
                   "authority_level", "start_month", "amount", "legal_basis", "reason", "created_at", "created_by")
AUDIT_CHUNK = 1000  # imported rows per audit row (ADR 011): one commune's rows, at most this many


def _insert(conn, table: str, fields: tuple, rows: list[tuple]) -> None:
    conn.executemany(f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})", rows)


def _columnar(fields: tuple, rows: list[tuple]) -> dict:
    """Rows as an audit record: a column equal in every row once ("same"), the others as lists.

    ``common.expand_rows`` turns the record back into one dict per row."""
    same, varying = {}, []
    for name, values in zip(fields, zip(*rows)):
        if values.count(values[0]) == len(values):  # a column's values share one type (or None)
            same[name] = values[0]
        else:
            varying.append((name, values))
    return {"count": len(rows), "same": same, "columns": [n for n, _ in varying],
            "rows": [list(r) for r in zip(*(v for _, v in varying))]}


def apply(db: Database, outcome: Outcome, actor: str) -> Outcome:
    """Write a plan without problems, all or nothing; audited. Nothing to write: no write."""
    with gc_paused():
        return _apply(db, outcome, actor)


def _apply(db: Database, outcome: Outcome, actor: str) -> Outcome:
    if outcome.problems:
        raise ValueError("a plan with problems is never written")
    w = outcome.payload
    if not (w["new_villages"] or w["persons"] or w["updates"] or w["memberships"]):
        return outcome
    conn = db.conn
    now = clock.now_iso()
    filename = outcome.filename
    legacy_districts = dict(conn.execute("SELECT code, district_code FROM legacy_communes").fetchall())
    with Transaction(conn), big_cache(conn):
        communes = {f["commune"] for _, f, _, _ in w["memberships"]}
        batch_id = record_batch(conn, outcome, actor, next(iter(communes)) if len(communes) == 1 else None)
        audit = []
        next_id = lambda table: conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa
        vid = next_id("villages")
        village_ids = {k: v[0] for k, v in w["villages"].items()}
        vrows = []
        for (commune, key), (kind, name) in w["new_villages"].items():
            row = {"id": vid, "commune_code": commune, "name": name, "kind": kind, "valid_from": "2025-07-01"}
            vrows.append(tuple(row.values()))
            village_ids[(commune, key)] = vid
            audit.append(("village_add", "villages", vid, commune, None, row))
            vid += 1
        _insert(conn, "villages", ("id", "commune_code", "name", "kind", "valid_from"), vrows)
        pid = next_id("persons")
        person_ids, prows = {}, []
        for key, f in w["persons"].items():
            b: PartialDate = f["birth"]
            prows.append((pid, f["full_name"], f["sex"], f["birth_s"], b.precision, b.year, f["cccd"], f["cmnd"],
                          f["commune"], village_ids.get(f["vkey"]), now, now))
            person_ids[key] = pid
            pid += 1
        _insert(conn, "persons", PERSON_FIELDS, prows)
        for person_id, u in w["updates"].items():
            before = dict(zip(PERSON_COLUMNS.split(", "), u["before"]))
            change = dict(u["change"])
            if "village" in change:
                change["village_id"] = village_ids[change.pop("village")]
            change["updated_at"] = now
            conn.execute(f"UPDATE persons SET {', '.join(f'{k} = ?' for k in change)} WHERE id = ?",
                         [*change.values(), person_id])
            audit.append(("person_update", "persons", person_id, before["commune_code"], before,
                          {**before, **change}))
        mid, did = next_id("memberships"), next_id("decisions")
        mrows, drows = [], []
        new_person_rows = {r[0]: r for r in prows}
        chunks: dict[str, list] = {}  # commune → [(source row, person row or None, membership, decision)]
        for key, f, label, number in w["memberships"]:
            person_id = key if isinstance(key, int) else person_ids[key]
            note = f"Nhập từ danh sách «{filename}», dòng {number}"
            ms = (mid, person_id, f["commune"], f["category"], f"{f['start_month']}-01", f["level"],
                  1 if f["category"] in ("K3", "K8") else 0, note)
            decision = (did, *_decision_values(f, legacy_districts, filename, number, person_id, mid, actor,
                                               now)[1:])
            mrows.append(ms)
            drows.append(decision)
            chunks.setdefault(f["commune"], []).append((number, new_person_rows.pop(person_id, None), ms, decision))
            mid += 1
            did += 1
        _insert(conn, "memberships", MS_FIELDS, mrows)
        _insert(conn, "decisions", DECISION_FIELDS, drows)
        # the inserted rows, whole, in audit rows of one commune and at most AUDIT_CHUNK imported rows
        for commune, items in chunks.items():
            for i in range(0, len(items), AUDIT_CHUNK):
                part = items[i:i + AUDIT_CHUNK]
                audit.append(("import_rows", "import_batches", batch_id, commune, None, {
                    "file": filename, "source_rows": [n for n, _, _, _ in part],
                    "persons": _columnar(PERSON_FIELDS, [p for _, p, _, _ in part if p is not None]),
                    "memberships": _columnar(MS_FIELDS, [m for _, _, m, _ in part]),
                    "decisions": _columnar(DECISION_FIELDS, [d for _, _, _, d in part])}))
        audit_rows(conn, actor, audit)
    outcome.written = True
    return outcome
