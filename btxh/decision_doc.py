"""Printable decisions (quyết định) on monthly social assistance, in the format of
Nghị định 30/2020/NĐ-CP (công tác văn thư): grant, adjust, suspend, resume, stop, move.

``build(db, decision_id)`` reads one row of ``decisions`` and what it refers to and
returns a ``DecisionDoc``: the national and authority headings, number and place-date
line, title, the legal bases (căn cứ), Điều 1–3, recipients and the signature block.
The monthly amount is computed by the rule engine for the decision's start month (the
same engine as the payroll), with the amount in words.

A decision is delivered to the person, so the full date of birth and the address are
printed. The words HIV/AIDS never are: for whoever may know the person's HIV status (the
admin, the officer of the decision's commune: ``btxh.access.may_know_hiv``) a sensitive
category (K3, K8, C3, C4) is named only by its clause ("Đối tượng theo khoản 8 Điều 5 Nghị
định 20/2021/NĐ-CP") and free text that mentions HIV/AIDS is replaced by a neutral sentence.
For anyone else (``may_know_hiv=False``, the default) the document says nothing that sets a
K3/K8 person apart: the category line is the program's, the same for every category
(``neutral_category``), and the decision's own basis and reason (free text, which may name
the HIV forms, clauses or treatment) give way to neutral sentences (issue 11; ADR 009).
No Datasette here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlite_utils import Database

from .paylist import in_words, money

COMMUNE_ERA = "2025-07-01"  # Nghị định 147/2025/NĐ-CP: the commune chairman decides
ND76_FROM = "2024-07-01"    # Nghị định 76/2024/NĐ-CP: base level 500.000 đồng

KIND_SUBJECTS = {
    "grant": "hưởng {p}",
    "adjust": "điều chỉnh mức {p}",
    "suspend": "tạm dừng {p}",
    "resume": "tiếp tục hưởng {p}",
    "stop": "thôi hưởng {p}",
    "move": "hưởng {p} khi chuyển nơi cư trú",
}
PROGRAM_PHRASES = {
    "TCXH": "trợ cấp xã hội hằng tháng",
    "CSND": "hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng",
    "HTXH": "trợ cấp hưu trí xã hội hằng tháng",
}
_SENSITIVE_TEXT = re.compile(r"HIV|AIDS", re.IGNORECASE)
_ARTICLE = re.compile(r"Điều\s+(\d+)\s+khoản\s+(\d+)(?:\s+điểm\s+(\S+))?")
NEUTRAL_REASON = "Không còn đủ điều kiện hưởng theo quy định"
NEUTRAL_BASIS = "Hồ sơ đề nghị của đối tượng"


class DecisionNotFound(LookupError):
    """No decision with that id; the message is for staff (Vietnamese)."""


@dataclass(frozen=True)
class Article:
    number: int
    lead: str
    items: tuple[tuple[str, str], ...] = ()
    tail: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionDoc:
    id: int
    kind: str
    number: str
    commune_code: str
    province_code: str
    authority: tuple[str, str]   # "ỦY BAN NHÂN DÂN", "XÃ …"
    nation: tuple[str, str]
    number_line: str
    date_line: str
    title: str
    subject: str
    decider: str                 # "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ …"
    bases: tuple[str, ...]
    proposal: str
    articles: tuple[Article, ...]
    recipients: tuple[str, ...]
    signature: tuple[str, ...]   # "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH" or just "CHỦ TỊCH"
    signer_name: str
    month: str | None = None     # the month the amount is for (YYYY-MM)
    coefficient: str | None = None
    amount: int | None = None
    amount_words: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """Every printed word, one line each (for searching and for tests)."""
        lines = [*self.authority, *self.nation, self.number_line, self.date_line, self.title,
                 self.subject, self.decider, *self.bases, self.proposal, "QUYẾT ĐỊNH:"]
        for a in self.articles:
            lines += [f"Điều {a.number}. {a.lead}", *(f"{k}: {v}" for k, v in a.items), *a.tail]
        return "\n".join([*lines, "Nơi nhận:", *self.recipients, *self.signature, self.signer_name])


# -- wording (pure) -----------------------------------------------------------------

def date_words(iso: str) -> str:
    """``"2025-02-05"`` → ``"ngày 05 tháng 02 năm 2025"``: ND 30/2020 puts a 0 before
    days under 10 and months under 3 only."""
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    month = f"{m:02d}" if m < 3 else str(m)
    return f"ngày {d:02d} tháng {month} năm {y}"


def month_vn(month: str) -> str:
    """``"2026-03"`` → ``"03/2026"``."""
    return f"{month[5:7]}/{month[:4]}"


def birth_words(birth: str, precision: str) -> tuple[str, str]:
    """(label, value) as a decision writes a birth date of the given precision."""
    if precision == "day" and len(birth) == 10:
        return "Ngày sinh", f"{birth[8:10]}/{birth[5:7]}/{birth[:4]}"
    if precision == "month" and len(birth) >= 7:
        return "Tháng sinh", f"{birth[5:7]}/{birth[:4]}"
    return "Năm sinh", birth[:4]


def coefficient_vn(tenths: int | None) -> str | None:
    """``15`` → ``"1,5"`` (decimal comma)."""
    return None if tenths is None else f"{tenths // 10},{tenths % 10}"


def clause_label(article: str, legal_basis: str) -> str:
    """``"Điều 5 khoản 8"`` → ``"Đối tượng theo khoản 8 Điều 5 Nghị định 20/2021/NĐ-CP"``."""
    decree = legal_basis.split(" Điều")[0].strip() or "Nghị định 20/2021/NĐ-CP"
    m = _ARTICLE.search(article or "")
    if not m:
        return f"Đối tượng theo {article} {decree}".replace("  ", " ")
    point = f"điểm {m.group(3)} " if m.group(3) else ""
    return f"Đối tượng theo {point}khoản {m.group(2)} Điều {m.group(1)} {decree}"


def category_label(cat: dict | None, level: str | None) -> str | None:
    """The category as printed: the clause only for a sensitive one, else its label."""
    if cat is None:
        return None
    if cat["sensitive"]:
        return clause_label(cat["article"], cat["legal_basis"])
    label = cat["label"]
    if cat["code"] == "K6" and level in ("DBN", "NANG"):
        label = "Người khuyết tật " + ("đặc biệt nặng" if level == "DBN" else "nặng")
    return f"{label} ({clause_label(cat['article'], cat['legal_basis'])[len('Đối tượng theo '):]})"


def neutral_category(program_phrase: str) -> str:
    """The category line for a reader who may not know HIV status: the same for every
    category of the program (no clause, no label that only K3/K8 would have)."""
    return f"Đối tượng hưởng {program_phrase}"


def neutral(text: str | None, fallback: str) -> str | None:
    """Free text as printed: never a word about HIV/AIDS."""
    if text and _SENSITIVE_TEXT.search(text):
        return fallback
    return text


def honorific(sex: str, birth_year: int, signed: str) -> str:
    if int(signed[:4]) - birth_year < 16:
        return "Cháu"
    return "Ông" if sex == "nam" else "Bà"


# -- reading ------------------------------------------------------------------------

def _one(db: Database, sql: str, params) -> dict | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def _authority(db: Database, d: dict, commune: dict) -> tuple[dict, list[str]]:
    """Who decides: name (for the heading), place (for the date line), unit word."""
    warnings = []
    before = d["signed_date"] < COMMUNE_ERA
    if d["authority_level"] == "huyen" and before:
        code = d["legacy_district_code"]
        if not code and d["legacy_commune_code"]:
            row = _one(db, "SELECT district_code FROM legacy_communes WHERE code = ?", [d["legacy_commune_code"]])
            code = row and row["district_code"]
        district = code and _one(db, "SELECT * FROM legacy_districts WHERE code = ?", [code])
        if district:
            return {"level": "huyen", "name": district["name"], "place": district["short_name"],
                    "unit": district["type"].lower(), "legacy": True}, warnings
        warnings.append("Không rõ huyện đã ra quyết định: ghi theo xã hiện nay.")
    if d["authority_level"] == "tinh":
        return {"level": "tinh", "name": commune["province_name"], "place": commune["province_short"],
                "unit": commune["province_type"].lower(), "legacy": False}, warnings
    place = commune["short_name"]
    if place.replace(" ", "").isdigit():
        place = commune["name"]  # "Phường 3, ngày …"
    return {"level": "xa", "name": commune["name"], "place": place,
            "unit": commune["type"].lower(), "legacy": False}, warnings


def _membership(db: Database, d: dict) -> dict | None:
    if d["membership_id"]:
        return _one(db, "SELECT * FROM memberships WHERE id = ?", [d["membership_id"]])
    return _one(db, "SELECT * FROM memberships WHERE person_id = ? AND valid_from <= ?"
                " ORDER BY valid_from DESC, id DESC LIMIT 1", [d["person_id"], d["signed_date"]])


def _amount(db: Database, person_id: int, month: str):
    """The engine's result for the person and month, or None when the rules refuse it."""
    from .payroll import registry
    from .engines import engine_for_province
    from .rules import RuleError

    try:
        facts = registry.load(db.conn, [person_id])
        return registry.evaluate(engine_for_province(db, facts[person_id].province), facts[person_id], month)
    except (RuleError, ValueError, KeyError):
        return None


def _address(db: Database, person: dict, d: dict, commune: dict) -> str:
    # the village only while it is in the decision's commune: after a move the person lives in
    # another commune's village, which the old commune may not learn (ADR 014)
    village = person["village_id"] and _one(db, "SELECT name FROM villages WHERE id = ? AND commune_code = ?",
                                            [person["village_id"], d["commune_code"]])
    parts = [village["name"]] if village else []
    legacy = d["legacy_commune_code"] and d["signed_date"] < COMMUNE_ERA and _one(
        db, "SELECT lc.name, ld.name AS district, lp.name AS province FROM legacy_communes lc"
        " JOIN legacy_districts ld ON ld.code = lc.district_code"
        " JOIN legacy_provinces lp ON lp.code = lc.province_code WHERE lc.code = ?", [d["legacy_commune_code"]])
    if legacy:
        return ", ".join(parts + [legacy["name"], legacy["district"], legacy["province"]])
    return ", ".join(parts + [commune["name"], commune["province_name"]])


# -- the document -------------------------------------------------------------------

def build(db: Database, decision_id: int, may_know_hiv: bool = False) -> DecisionDoc:
    """The decision as ``may_know_hiv`` allows its reader to see it (see the module's docstring)."""
    d = _one(db, "SELECT * FROM decisions WHERE id = ?", [decision_id])
    if d is None:
        raise DecisionNotFound(f"Không có quyết định số hiệu {decision_id} trong cơ sở dữ liệu.")
    person = _one(db, "SELECT * FROM persons WHERE id = ?", [d["person_id"]])
    commune = _one(db, "SELECT c.*, p.name AS province_name, p.short_name AS province_short,"
                   " p.type AS province_type FROM communes c JOIN provinces p ON p.code = c.province_code"
                   " WHERE c.code = ?", [d["commune_code"]])
    auth, warnings = _authority(db, d, commune)
    membership = _membership(db, d)
    cat = membership and _one(db, "SELECT * FROM categories WHERE code = ?", [membership["category"]])
    phrase = PROGRAM_PHRASES.get(d["program"], PROGRAM_PHRASES["TCXH"])
    subject = "Về việc " + KIND_SUBJECTS.get(d["kind"], KIND_SUBJECTS["grant"]).format(p=phrase)
    unit_upper = auth["name"].upper()
    unit_word = auth["unit"]

    bases = [_law(d["signed_date"])]
    if d["program"] in ("TCXH", "CSND"):
        bases.append("Căn cứ Nghị định số 20/2021/NĐ-CP ngày 15 tháng 3 năm 2021 của Chính phủ quy định"
                     " chính sách trợ giúp xã hội đối với đối tượng bảo trợ xã hội;")
        if d["signed_date"] >= ND76_FROM:
            bases.append("Căn cứ Nghị định số 76/2024/NĐ-CP ngày 01 tháng 7 năm 2024 của Chính phủ sửa đổi,"
                         " bổ sung một số điều của Nghị định số 20/2021/NĐ-CP;")
    if auth["level"] == "xa" and d["signed_date"] >= COMMUNE_ERA:
        bases.append("Căn cứ Nghị định số 147/2025/NĐ-CP của Chính phủ quy định"
                     " thẩm quyền, thủ tục hành chính của chính quyền địa phương 02 cấp trong lĩnh vực"
                     " quản lý nhà nước của Bộ Y tế;")
    own = (neutral(d["legal_basis"], NEUTRAL_BASIS) if may_know_hiv else NEUTRAL_BASIS).strip().rstrip(";.")
    if own:
        bases.append(own if own.lower().startswith("căn cứ") else f"Căn cứ {own};")
        bases[-1] = bases[-1] if bases[-1].endswith(";") else bases[-1] + ";"
    if auth["level"] == "huyen":
        proposal = "Xét đề nghị của Trưởng phòng Lao động - Thương binh và Xã hội."
    else:
        proposal = "Xét đề nghị của công chức Văn hóa - Xã hội."

    who = honorific(person["sex"], person["birth_year"], d["signed_date"])
    items = [("Họ và tên", person["full_name"].upper()),
             birth_words(person["birth_date"], person["birth_precision"]),
             ("Nơi cư trú", _address(db, person, d, commune))]
    label = category_label(cat, membership and membership["disability_level"])
    if label and not may_know_hiv:
        label = neutral_category(phrase)
    if label:
        items.append(("Đối tượng", label))

    month = d["start_month"] if d["kind"] in ("grant", "adjust", "resume", "move") else None
    result = _amount(db, d["person_id"], month) if month else None
    amount = tenths = None
    if result is not None and result.amount:
        amount = (result.tcxh_amount or result.amount) if d["program"] == "TCXH" else result.amount
        tenths = result.tenths
    elif month and d["amount"]:
        amount = d["amount"]
        warnings.append("Quy tắc không tính được mức hưởng cho tháng này: ghi theo số tiền đã lưu.")
    words = in_words(amount) if amount is not None else None

    verb = {"grant": "Hưởng", "adjust": "Điều chỉnh mức", "resume": "Tiếp tục hưởng",
            "move": "Hưởng", "suspend": "Tạm dừng", "stop": "Thôi hưởng"}.get(d["kind"], "Hưởng")
    lead = f"{verb} {phrase} đối với {who} có tên sau đây:"
    tail = []
    if month:
        if tenths is not None:
            items.append(("Hệ số", coefficient_vn(tenths)))
        if amount is not None:
            items.append(("Mức " + ("trợ cấp" if d["program"] != "CSND" else "hỗ trợ") + " hằng tháng",
                          f"{money(amount)} đồng/tháng (Bằng chữ: {words})"))
        when = {"adjust": "Mức mới được hưởng", "resume": "Tiếp tục hưởng"}.get(d["kind"], "Thời gian hưởng")
        items.append((when, f"kể từ tháng {month_vn(month)}"))
        if d["kind"] == "move":
            tail.append("Nơi chi trả mới kể từ tháng nêu trên là nơi cư trú hiện nay của đối tượng.")
    else:
        stop = d["stop_month"]
        what = "Thôi hưởng" if d["kind"] == "stop" else "Tạm dừng"
        items.append((what, f"kể từ tháng {month_vn(stop)}" if stop else "kể từ ngày Quyết định có hiệu lực"))
        reason = neutral(d["reason"], NEUTRAL_REASON) if may_know_hiv else NEUTRAL_REASON
        items.append(("Lý do", reason or NEUTRAL_REASON))
    if d["kind"] == "resume":
        tail.append("Được truy lĩnh khoản trợ cấp trong thời gian tạm dừng (nếu có).")

    if auth["level"] == "huyen":
        art2 = ("Phòng Lao động - Thương binh và Xã hội, Ủy ban nhân dân xã nơi đối tượng cư trú"
                " có trách nhiệm tổ chức thực hiện, chi trả theo quy định.")
        art3 = (f"Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân"
                f" {unit_word}, Trưởng phòng Lao động - Thương binh và Xã hội, Chủ tịch Ủy ban nhân dân xã nơi"
                f" đối tượng cư trú và {who.lower()} có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.")
        recipients = ("- Như Điều 3;", "- Sở Lao động - Thương binh và Xã hội (để b/c);", "- Lưu: VT, LĐTBXH.")
    else:
        art2 = (f"Giao công chức Văn hóa - Xã hội, kế toán Ủy ban nhân dân {unit_word} tổ chức thực hiện,"
                f" chi trả và quản lý đối tượng theo quy định.")
        art3 = (f"Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân"
                f" {unit_word}, công chức Văn hóa - Xã hội, kế toán và {who.lower()} có tên tại Điều 1"
                f" chịu trách nhiệm thi hành Quyết định này.")
        recipients = ("- Như Điều 3;", "- Sở Y tế (để b/c);", f"- Chủ tịch, các Phó Chủ tịch UBND {unit_word};",
                      "- Lưu: VT, VHXH.")
    articles = (Article(1, lead, tuple(items), tuple(tail)), Article(2, art2), Article(3, art3))

    title = (d["signer_title"] or "Chủ tịch").strip()
    if title.lower().startswith("phó"):
        signature = ("KT. CHỦ TỊCH", title.upper())
    else:
        signature = (title.upper(),)
    return DecisionDoc(
        id=d["id"], kind=d["kind"], number=d["number"], commune_code=d["commune_code"],
        province_code=commune["province_code"],
        authority=("ỦY BAN NHÂN DÂN", unit_upper),
        nation=("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
        number_line=f"Số: {d['number']}", date_line=f"{auth['place']}, {date_words(d['signed_date'])}",
        title="QUYẾT ĐỊNH", subject=subject, decider=f"CHỦ TỊCH ỦY BAN NHÂN DÂN {unit_upper}",
        bases=tuple(bases), proposal=proposal, articles=articles, recipients=recipients,
        signature=signature, signer_name=d["signer_name"], month=month,
        coefficient=coefficient_vn(tenths), amount=amount, amount_words=words, warnings=tuple(warnings))


def _law(signed: str) -> str:
    if signed >= COMMUNE_ERA:
        return "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;"
    return ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung"
            " một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;")


def scope_of(db: Database, decision_id: int) -> dict | None:
    """The decision's commune and province codes (for the permission check), or None."""
    return _one(db, "SELECT d.commune_code, c.province_code FROM decisions d"
                " JOIN communes c ON c.code = d.commune_code WHERE d.id = ?", [decision_id])
