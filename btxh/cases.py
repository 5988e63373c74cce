"""The life of a case, first slice: application (tờ khai) → public posting (niêm yết) → grant.

domain.md §6: the commune receives the declaration, reviews it, posts the list publicly
(2 working days under ND 20, still asked), then the commune chairman (from 2025-07-01,
ND 147/2025) signs the decision. Every function here validates everything first, raises
``CaseError`` with every problem (Vietnamese, each naming its field), and writes all or
nothing in one transaction with audit rows for every insert and update.

No Datasette here: the plugin (plugins/btxh_cases.py) parses the form and calls these.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

import vn_ident
from sqlite_utils import Database

from . import clock, store
from .access import role_of
from .scoping import CCCD_ELSEWHERE, may_see_commune
from .rules.dates import (PartialDate, age_on, birthday_month, month_of, month_str, month_vn,
                          parse_month)

WRITER_ROLES = ("can_bo_xa", "quan_tri")
K1_SUBCASES = ("a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l")
LEVELS = {"DBN": "đặc biệt nặng", "NANG": "nặng"}
COMMUNE_DECIDES_FROM = dt.date(2025, 7, 1)
LEGAL_BASIS_XA = "Nghị định 20/2021/NĐ-CP; Nghị định 147/2025/NĐ-CP"
LEGAL_BASIS_HUYEN = "Nghị định 20/2021/NĐ-CP"
MIN_POSTING_WORKING_DAYS = 2

# The field each form input is, and the label its messages start with
LABELS = {
    "commune_code": "Xã", "category": "Diện đối tượng", "submitted_date": "Ngày nộp tờ khai",
    "person_id": "Mã người", "full_name": "Họ và tên", "sex": "Giới tính", "birth_date": "Ngày sinh",
    "cccd": "Số CCCD", "village_id": "Thôn/tổ dân phố", "disability_level": "Mức độ khuyết tật",
    "disability_cert_date": "Ngày cấp giấy xác nhận khuyết tật", "k1_subcase": "Trường hợp (K1)",
    "posting_from": "Niêm yết từ ngày", "posting_to": "Niêm yết đến ngày", "status": "Trạng thái",
    "number": "Số quyết định", "signed_date": "Ngày ký", "signer_name": "Người ký",
    "signer_title": "Chức vụ người ký", "start_month": "Tháng bắt đầu hưởng", "actor": "Tài khoản",
    "level": "Mức độ khuyết tật mới",
}


class CaseError(ValueError):
    """A refused step; ``problems`` are Vietnamese messages, ``fields`` the same keyed by input."""

    def __init__(self, problems: list[str], fields: dict[str, list[str]] | None = None):
        self.problems = list(problems)
        self.fields = fields or {}
        super().__init__("\n".join(self.problems))


class _Problems:
    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, text: str) -> None:
        self.items.append((field, f"{LABELS[field]}: {text}"))

    def raise_if_any(self) -> None:
        if self.items:
            fields: dict[str, list[str]] = {}
            for field, message in self.items:
                fields.setdefault(field, []).append(message)
            raise CaseError([m for _, m in self.items], fields)


def _text(form: dict, key: str) -> str:
    return unicodedata.normalize("NFC", " ".join(str(form.get(key) or "").split()))


def _vn(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\Z")
_MY = re.compile(r"(\d{1,2})/(\d{4})\Z")
_ISO = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?\Z")


def _day(problems: _Problems, field: str, text: str, required: bool = True) -> dt.date | None:
    """dd/mm/yyyy or yyyy-mm-dd (what a date input sends) → a date, or a problem."""
    if not text:
        if required:
            problems.add(field, "chưa nhập")
        return None
    m = _DMY.match(text)
    parts = (m.group(3), m.group(2), m.group(1)) if m else None
    if parts is None and (iso := _ISO.match(text)) and iso.group(3):
        parts = iso.groups()
    if parts is None:
        problems.add(field, f"«{text}» không đúng dạng ngày/tháng/năm (ví dụ 05/09/2025)")
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        problems.add(field, f"ngày {int(parts[2]):02d}/{int(parts[1]):02d}/{parts[0]} không tồn tại")
        return None


def parse_birth(problems: _Problems, text: str) -> PartialDate | None:
    """dd/mm/yyyy | mm/yyyy | yyyy (or the ISO forms) → a PartialDate, or a problem."""
    if not text:
        problems.add("birth_date", "chưa nhập")
        return None
    if _DMY.match(text) or (_ISO.match(text) and _ISO.match(text).group(3)):
        day = _day(problems, "birth_date", text)
        return day and PartialDate(day.year, day.month, day.day)
    if (m := _MY.match(text)) or (m := _ISO.match(text)):
        month, year = (m.group(1), m.group(2)) if m.re is _MY else (m.group(2), m.group(1))
        if not 1 <= int(month) <= 12:
            problems.add("birth_date", f"tháng {month} không tồn tại")
            return None
        return PartialDate(int(year), int(month))
    if re.fullmatch(r"\d{4}", text):
        return PartialDate(int(text))
    problems.add("birth_date", f"«{text}» không đúng dạng: nhập ngày/tháng/năm, tháng/năm hoặc năm")
    return None


def check_cccd(problems: _Problems, text: str, birth: PartialDate | None, sex: str) -> list[str]:
    """Problems for a malformed number; warnings (returned) for a birth year or sex that disagree."""
    code = text.replace(" ", "").replace(".", "")
    if not code.isdigit():
        problems.add("cccd", "chỉ được có chữ số 0–9, không có chữ cái hay ký tự khác")
        return []
    if len(code) != 12:
        problems.add("cccd", f"phải có đúng 12 chữ số (đã nhập {len(code)})")
        return []
    card = vn_ident.parse_cccd(code)
    if card is None:
        problems.add("cccd", f"3 chữ số đầu «{code[:3]}» không phải mã tỉnh nơi đăng ký khai sinh")
        return []
    warnings = []
    if birth is not None and card.birth_year != birth.year:
        warnings.append(f"Số CCCD: chữ số thứ 4–6 cho năm sinh {card.birth_year}, khác năm sinh đã khai "
                        f"{birth.year}. Hãy đối chiếu với thẻ.")
    gender = {"nam": "male", "nu": "female"}.get(sex)
    if gender and str(getattr(card.gender, "value", card.gender)).lower() != gender:
        warnings.append("Số CCCD: chữ số thứ 4 cho giới tính khác giới tính đã khai. Hãy đối chiếu với thẻ.")
    return warnings


def _may_write(problems: _Problems, actor: dict | None, commune_code: str) -> bool:
    role = role_of(actor)
    if role not in WRITER_ROLES:
        problems.add("actor", "chỉ cán bộ xã và quản trị hệ thống được ghi hồ sơ")
    elif role == "can_bo_xa" and commune_code not in (actor.get("communes") or ()):
        problems.add("commune_code", f"tài khoản của bạn không được giao xã «{commune_code}»")
    else:
        return True
    return False


_row = store.row


def _active(row: dict, day: dt.date) -> bool:
    iso = day.isoformat()
    return row["valid_from"] <= iso and (row["valid_to"] is None or row["valid_to"] >= iso)


def _age_problem(category: dict, birth: PartialDate, day: dt.date) -> str | None:
    age = age_on(birth.resolve(), day)
    low, high = category["min_age"], category["max_age"]
    if (low is not None and age < low) or (high is not None and age >= high):
        bound = " và ".join(filter(None, [low is not None and f"từ đủ {low} tuổi",
                                          high is not None and f"dưới {high} tuổi"]))
        return (f"người {age} tuổi tại ngày nộp {_vn(day)} không thuộc diện {category['code']} "
                f"({bound})")
    return None


def new_application(db: Database, actor: dict, form: dict) -> int:
    """Record a declaration (creating the person if ``person_id`` is empty); return its id."""
    p = _Problems()
    commune_code, category_code = _text(form, "commune_code"), _text(form, "category")
    submitted = _day(p, "submitted_date", _text(form, "submitted_date"))
    if submitted and submitted > clock.today():
        p.add("submitted_date", f"ngày {_vn(submitted)} ở tương lai")
    commune = _row(db, "SELECT * FROM communes WHERE code = ?", [commune_code])
    if commune is None:
        p.add("commune_code", f"mã xã «{commune_code}» không có trong danh mục")
    elif submitted and not _active(commune, submitted):
        p.add("commune_code", f"{commune['name']} không còn hiệu lực vào ngày {_vn(submitted)}")
    if not _may_write(p, actor, commune_code):
        p.raise_if_any()  # before any person is read: nothing about another commune's people (ADR 007)
    category = _row(db, "SELECT * FROM categories WHERE code = ? AND program = 'TCXH'", [category_code])
    if category is None:
        p.add("category", f"«{category_code}» không phải diện trợ cấp xã hội hằng tháng (K1–K8)")

    person, birth, warnings, new_person = None, None, [], None
    if _text(form, "person_id"):
        person = _row(db, "SELECT * FROM persons WHERE id = ?", [_text(form, "person_id")])
        if person is None or person["commune_code"] != commune_code:
            # one message: a person of another commune and a missing id look the same (red team A)
            person = None
            p.add("person_id", f"không có người mã «{_text(form, 'person_id')}» cư trú tại xã đã chọn")
        elif person["death_date"]:
            p.add("person_id", "người này đã chết")
        else:
            birth = PartialDate(*map(int, person["birth_date"].split("-")))
    else:
        full_name, sex = _text(form, "full_name"), _text(form, "sex")
        if not full_name:
            p.add("full_name", "chưa nhập")
        if sex not in ("nam", "nu"):
            p.add("sex", "chọn Nam hoặc Nữ")
        birth = parse_birth(p, _text(form, "birth_date"))
        if birth and submitted and birth.earliest > submitted:
            p.add("birth_date", "sau ngày nộp tờ khai")
            birth = None
        cccd = _text(form, "cccd").replace(" ", "").replace(".", "") or None
        if cccd:
            warnings = check_cccd(p, cccd, birth, sex)
            if not any(f == "cccd" for f, _ in p.items):
                other = _row(db, "SELECT p.id, p.full_name, p.commune_code, c.province_code FROM persons p"
                                 " JOIN communes c ON c.code = p.commune_code WHERE p.cccd = ?", [cccd])
                if other and not may_see_commune(actor, other["commune_code"], other["province_code"]):
                    p.add("cccd", CCCD_ELSEWHERE)  # never the name or id of another commune's person
                elif other:
                    p.add("cccd", f"đã có người «{other['full_name']}» (mã {other['id']}) mang số này; "
                                  "nhập mã người đó thay vì tạo mới")
        village = None
        if not _text(form, "village_id"):
            p.add("village_id", "chưa chọn")
        else:
            village = _row(db, "SELECT * FROM villages WHERE id = ? AND commune_code = ?",
                           [_text(form, "village_id"), commune_code])
            if village is None:
                p.add("village_id", "không thuộc xã đã chọn")
            elif submitted and not _active(village, submitted):
                p.add("village_id", f"{village['name']} không còn hiệu lực vào ngày {_vn(submitted)}")
        if birth:
            new_person = {
                "full_name": full_name, "sex": sex, "birth_date": str(birth),
                "birth_precision": birth.precision, "birth_year": birth.year, "cccd": cccd,
                "commune_code": commune_code, "village_id": village and village["id"],
            }

    facts = {}
    if category_code == "K6":
        level = _text(form, "disability_level").upper()
        if level not in LEVELS:
            p.add("disability_level", "diện K6 phải chọn «Đặc biệt nặng» hoặc «Nặng»")
        cert = _day(p, "disability_cert_date", _text(form, "disability_cert_date"))
        if cert and submitted and cert > submitted:
            p.add("disability_cert_date", "sau ngày nộp tờ khai")
        if cert and birth and cert < birth.earliest:
            p.add("disability_cert_date", "trước ngày sinh")
        facts.update(disability_level=level, disability_cert_date=cert and cert.isoformat())
    if category_code == "K1":
        sub = _text(form, "k1_subcase").lower()
        if sub not in K1_SUBCASES:
            p.add("k1_subcase", "diện K1 phải chọn một trong các điểm " + ", ".join(K1_SUBCASES))
        facts["k1_subcase"] = sub
    if category_code in ("K3", "K8"):
        facts["hiv_positive"] = 1
    if category and birth and submitted and (problem := _age_problem(category, birth, submitted)):
        p.add("birth_date", problem)
    p.raise_if_any()

    facts["warnings"] = warnings
    now = clock.now_iso()
    with db.atomic():
        if new_person is not None:
            row = {**new_person, "created_at": now, "updated_at": now}
            person_id = db["persons"].insert(row).last_pk
            store.audit(db, actor=actor["id"], action="person_add", table="persons", row_id=person_id,
                        after={"id": person_id, **row}, commune_code=commune_code)
        else:
            person_id = person["id"]
        app = {"person_id": person_id, "commune_code": commune_code, "category": category_code,
               "facts": json.dumps(facts, ensure_ascii=False, sort_keys=True),
               "submitted_date": submitted.isoformat(), "status": "nop", "created_at": now,
               "created_by": actor["id"], "updated_at": now}
        app_id = db["applications"].insert(app).last_pk
        store.audit(db, actor=actor["id"], action="application_add", table="applications",
                    row_id=app_id, after={"id": app_id, **app}, commune_code=commune_code)
    return app_id


def working_days(first: dt.date, last: dt.date) -> int:
    """Monday–Friday days in [first, last] (public holidays are not known here)."""
    return sum(1 for i in range((last - first).days + 1) if (first + dt.timedelta(i)).weekday() < 5)


def _application(db: Database, p: _Problems, application_id) -> dict | None:
    app = _row(db, "SELECT * FROM applications WHERE id = ?", [application_id])
    if app is None:
        p.add("status", f"không có hồ sơ số {application_id}")
    return app


def post(db: Database, actor: dict, application_id: int, posting_from: str, posting_to: str) -> None:
    """Record the public posting (niêm yết) window; the review is done once it is posted."""
    p = _Problems()
    app = _application(db, p, application_id)
    first = _day(p, "posting_from", (posting_from or "").strip())
    last = _day(p, "posting_to", (posting_to or "").strip())
    if app:
        _may_write(p, actor, app["commune_code"])
        if app["status"] not in ("nop", "xet", "niem_yet"):
            p.add("status", "hồ sơ đã được quyết định, không niêm yết lại được")
        if first and first.isoformat() < app["submitted_date"]:
            p.add("posting_from", "trước ngày nộp tờ khai")
    if first and first > clock.today():
        p.add("posting_from", f"ngày {_vn(first)} ở tương lai")
    if first and last:
        if last < first:
            p.add("posting_to", "trước ngày bắt đầu niêm yết")
        elif (n := working_days(first, last)) < MIN_POSTING_WORKING_DAYS:
            p.add("posting_to", f"niêm yết phải ít nhất {MIN_POSTING_WORKING_DAYS} ngày làm việc "
                                f"(từ {_vn(first)} đến {_vn(last)} chỉ có {n})")
    p.raise_if_any()
    after = {**app, "posting_from": first.isoformat(), "posting_to": last.isoformat(),
             "reviewed_date": app["reviewed_date"] or first.isoformat(), "status": "niem_yet",
             "updated_at": clock.now_iso()}
    with db.atomic():
        db["applications"].update(app["id"], {k: after[k] for k in
                                              ("posting_from", "posting_to", "reviewed_date", "status",
                                               "updated_at")})
        store.audit(db, actor=actor["id"], action="application_post", table="applications",
                    row_id=app["id"], before=app, after=after, commune_code=app["commune_code"])


def propose_start_month(category: str, birth: PartialDate, signed: dt.date,
                        disability_cert: dt.date | None = None, min_age: int | None = None,
                        eligible_from: str | None = None) -> tuple[str, str]:
    """rules.md §6 "Decision start month": (YYYY-MM, why). Pure.

    K5b: the month of the 75th birthday; K5c: of the 80th; K6: the month the disability
    certificate was issued; otherwise the month the decision is signed. Never earlier than
    the month the person became eligible (the category's minimum age, ``eligible_from``).
    """
    born = birth.resolve()
    if category == "K5b":
        month, why = birthday_month(born, 75), "tháng đủ 75 tuổi (NĐ 20 Điều 8(1)(đ))"
    elif category == "K5c":
        month, why = birthday_month(born, 80), "tháng đủ 80 tuổi (NĐ 20 Điều 8(1)(đ))"
    elif category == "K6" and disability_cert is not None:
        month, why = month_of(disability_cert), "tháng cấp giấy xác nhận khuyết tật (NĐ 20 Điều 8(1)(đ))"
    else:
        month, why = month_of(signed), "tháng ký quyết định (NĐ 20 Điều 8(1)(đ); NĐ 147/2025)"
    floors = [(birthday_month(born, min_age), f"tháng đủ {min_age} tuổi")] if min_age else []
    if eligible_from:
        floors.append((parse_month(eligible_from), "tháng đủ điều kiện hưởng"))
    for floor, floor_why in floors:
        if floor > month:
            month, why = floor, f"{floor_why} (không sớm hơn tháng đủ điều kiện)"
    return month_str(month), why


def proposal_for(db: Database, app: dict, signed: dt.date) -> tuple[str, str]:
    person = _row(db, "SELECT birth_date FROM persons WHERE id = ?", [app["person_id"]])
    category = _row(db, "SELECT min_age FROM categories WHERE code = ?", [app["category"]])
    facts = json.loads(app["facts"] or "{}")
    cert = facts.get("disability_cert_date")
    return propose_start_month(app["category"], PartialDate(*map(int, person["birth_date"].split("-"))),
                               signed, cert and dt.date.fromisoformat(cert), category["min_age"])


def grant(db: Database, actor: dict, application_id: int, number: str, signed_date: str,
          signer_name: str, signer_title: str, start_month: str) -> int:
    """The commune chairman's grant: membership + decision, linked to the application; its id."""
    p = _Problems()
    app = _application(db, p, application_id)
    number, signer_name, signer_title = (" ".join((v or "").split()) for v in
                                         (number, signer_name, signer_title))
    signed = _day(p, "signed_date", (signed_date or "").strip())
    for field, value in (("number", number), ("signer_name", signer_name), ("signer_title", signer_title)):
        if not value:
            p.add(field, "chưa nhập")
    start = None
    text = (start_month or "").strip()
    if m := _MY.match(text):
        text = f"{m.group(2)}-{int(m.group(1)):02d}"
    try:
        start = parse_month(text)
    except ValueError:
        p.add("start_month", f"«{start_month}» không đúng dạng tháng/năm (ví dụ 09/2025)")
    if signed and signed > clock.today():
        p.add("signed_date", f"ngày {_vn(signed)} ở tương lai")
    if app:
        _may_write(p, actor, app["commune_code"])
        if app["status"] != "niem_yet":
            p.add("status", "hồ sơ phải được niêm yết công khai trước khi quyết định"
                  if app["status"] in ("nop", "xet") else "hồ sơ đã được quyết định")
        elif signed and signed.isoformat() < app["posting_to"]:
            p.add("signed_date", f"trước ngày kết thúc niêm yết {_vn(dt.date.fromisoformat(app['posting_to']))}")
        if number and db.execute("SELECT 1 FROM decisions WHERE number = ? AND commune_code = ?",
                                 [number, app["commune_code"]]).fetchone():
            p.add("number", f"xã đã có quyết định số «{number}»")
        if signed and start is not None and app["status"] == "niem_yet":
            proposed, why = proposal_for(db, app, signed)
            if start < parse_month(proposed):
                p.add("start_month", f"không được trước tháng đề xuất {month_vn(parse_month(proposed))} ({why})")
    p.raise_if_any()

    facts = json.loads(app["facts"] or "{}")
    now = clock.now_iso()
    xa = signed >= COMMUNE_DECIDES_FROM
    membership = {
        "person_id": app["person_id"], "commune_code": app["commune_code"], "category": app["category"],
        "valid_from": f"{month_str(start)}-01", "valid_to": None,
        "disability_level": facts.get("disability_level"),
        "disability_cert_date": facts.get("disability_cert_date"),
        "k1_subcase": facts.get("k1_subcase"), "hiv_positive": facts.get("hiv_positive", 0),
        "note": f"Hồ sơ số {app['id']}",
    }
    with db.atomic():
        membership_id = db["memberships"].insert(membership).last_pk
        store.audit(db, actor=actor["id"], action="membership_add", table="memberships",
                    row_id=membership_id, after={"id": membership_id, **membership},
                    commune_code=app["commune_code"])
        decision = {
            "number": number, "kind": "grant", "program": "TCXH", "person_id": app["person_id"],
            "membership_id": membership_id, "commune_code": app["commune_code"],
            "signed_date": signed.isoformat(), "signer_name": signer_name, "signer_title": signer_title,
            "authority_level": "xa" if xa else "huyen", "start_month": month_str(start),
            "legal_basis": LEGAL_BASIS_XA if xa else LEGAL_BASIS_HUYEN,
            "reason": f"Xét duyệt hồ sơ số {app['id']}", "created_at": now, "created_by": actor["id"],
        }
        decision_id = db["decisions"].insert(decision).last_pk
        store.audit(db, actor=actor["id"], action="decision_add", table="decisions", row_id=decision_id,
                    after={"id": decision_id, **decision}, commune_code=app["commune_code"])
        after = {**app, "status": "duyet", "decision_id": decision_id, "updated_at": now}
        db["applications"].update(app["id"], {"status": "duyet", "decision_id": decision_id,
                                              "updated_at": now})
        store.audit(db, actor=actor["id"], action="application_grant", table="applications",
                    row_id=app["id"], before=app, after=after, commune_code=app["commune_code"])
    return decision_id


# --- the life of a case after the grant: suspend, resume, stop (and death), adjust -----------------
# (a move between communes is two-sided: btxh/transfers.py)
#
# Decisions are payroll events (btxh/payroll/fastpath.py): grant/resume/move start paying from
# ``start_month``; stop/suspend stop from ``stop_month`` (the first month NOT paid). Every decision
# here carries the ``membership_id`` it is about.

LABELS.update({
    "membership_id": "Diện hưởng", "stop_month": "Tháng dừng hưởng", "reason": "Lý do",
    "death_date": "Ngày chết", "death_cause": "Nguyên nhân chết", "level": "Mức độ khuyết tật mới",
    "to_commune": "Xã chuyển đến", "to_village_id": "Thôn/tổ dân phố nơi đến",
    "transfer_id": "Phiếu chuyển", "refusal_reason": "Lý do từ chối",
})
DEATH_CAUSES = {"thien_tai": "thiên tai, hỏa hoạn, dịch bệnh, tai nạn nghiêm trọng", "khac": "khác"}
STATES = {"huong": "đang hưởng", "tam_dung": "đang tạm dừng", "thoi_huong": "đã thôi hưởng",
          "ket_thuc": "đã kết thúc (chuyển đi hoặc điều chỉnh)", "chet": "người hưởng đã chết",
          "chuyen_di": "đang chuyển đi, chờ xã nơi đến tiếp nhận",
          "tra_ve": "chuyển đi không thành (xã nơi đến từ chối hoặc xã đã hủy): có thể tiếp tục hưởng"}


def _month(p: _Problems, field: str, text: str) -> int | None:
    """mm/yyyy or yyyy-mm (what a month input sends) → a month index, or a problem."""
    given = text = (text or "").strip()
    if not text:
        p.add(field, "chưa nhập")
        return None
    if m := _MY.match(text):
        text = f"{m.group(2)}-{int(m.group(1)):02d}"
    try:
        return parse_month(text)
    except ValueError:
        p.add(field, f"«{given}» không đúng dạng tháng/năm (ví dụ 09/2025)")
        return None


def _signed(p: _Problems, number, signed_date, signer_name, signer_title, reason,
            number_field: str = "number"):
    """The fields every decision has; (number, signed, signer_name, signer_title, reason).
    ``reason=None``: the caller writes the reason itself (no field on the form)."""
    asked = reason is not None
    number, signer_name, signer_title, reason = (" ".join((v or "").split()) for v in
                                                 (number, signer_name, signer_title, reason))
    for field, value in ((number_field, number), ("signer_name", signer_name),
                         ("signer_title", signer_title), ("reason", reason if asked else "-")):
        if not value:
            p.add(field, "chưa nhập")
    signed = _day(p, "signed_date", (signed_date or "").strip())
    if signed and signed > clock.today():
        p.add("signed_date", f"ngày {_vn(signed)} ở tương lai")
    return number, signed, signer_name, signer_title, reason


def _number_free(db: Database, p: _Problems, field: str, number: str, commune_code: str) -> None:
    if number and db.execute("SELECT 1 FROM decisions WHERE number = ? AND commune_code = ?",
                             [number, commune_code]).fetchone():
        p.add(field, f"xã đã có quyết định số «{number}»")


def membership_events(db: Database, membership: dict) -> list[dict]:
    """The TCXH decisions about a membership (its own and the person's general ones), oldest first."""
    cursor = db.execute(
        "SELECT * FROM decisions WHERE program = 'TCXH' AND person_id = ?"
        " AND (membership_id = ? OR membership_id IS NULL) ORDER BY id",
        [membership["person_id"], membership["id"]])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def membership_state(db: Database, membership: dict, person: dict | None = None) -> str:
    """One of STATES: from the person's death, the membership's window and its latest decision."""
    person = person or _row(db, "SELECT * FROM persons WHERE id = ?", [membership["person_id"]])
    if person and person["death_date"]:
        return "chet"
    if membership["valid_to"] is not None:
        return "ket_thuc"
    events = membership_events(db, membership)
    last = events[-1] if events else {"kind": "grant"}
    if last["kind"] == "stop" and (moving := transfer_status_of_stop(db, last["id"])):
        return "chuyen_di" if moving == "cho_tiep_nhan" else "tra_ve"
    return {"stop": "thoi_huong", "suspend": "tam_dung"}.get(last["kind"], "huong")


def transfer_status_of_stop(db: Database, decision_id: int) -> str | None:
    """The status of the transfer a stop decision belongs to (btxh/transfers.py), if any."""
    found = db.execute("SELECT t.status FROM transfer_memberships tm JOIN transfers t ON t.id = tm.transfer_id"
                       " WHERE tm.stop_decision_id = ?", [decision_id]).fetchone()
    return found and found[0]


def _start_month_of(events: list[dict], membership: dict) -> int:
    """The month the membership last started paying (its latest grant/resume/move)."""
    starts = [parse_month(e["start_month"]) for e in events
              if e["kind"] in ("grant", "resume", "move", "adjust") and e["start_month"]]
    return max(starts) if starts else parse_month(membership["valid_from"][:7])


def _membership(db: Database, p: _Problems, membership_id) -> tuple[dict | None, dict | None]:
    ms = _row(db, "SELECT * FROM memberships WHERE id = ?", [membership_id])
    if ms is None:
        p.add("membership_id", f"không có diện hưởng số {membership_id}")
        return None, None
    return ms, _row(db, "SELECT * FROM persons WHERE id = ?", [ms["person_id"]])


def _decision_row(kind: str, number: str, signed: dt.date, signer_name: str, signer_title: str,
                  person_id: int, membership_id: int, commune_code: str, reason: str, actor: dict,
                  start_month: int | None = None, stop_month: int | None = None) -> dict:
    xa = signed >= COMMUNE_DECIDES_FROM
    return {
        "number": number, "kind": kind, "program": "TCXH", "person_id": person_id,
        "membership_id": membership_id, "commune_code": commune_code, "signed_date": signed.isoformat(),
        "signer_name": signer_name, "signer_title": signer_title, "authority_level": "xa" if xa else "huyen",
        "start_month": None if start_month is None else month_str(start_month),
        "stop_month": None if stop_month is None else month_str(stop_month),
        "legal_basis": LEGAL_BASIS_XA if xa else LEGAL_BASIS_HUYEN, "reason": reason,
        "created_at": clock.now_iso(), "created_by": actor["id"],
    }


def _add_decision(db: Database, actor: dict, decision: dict) -> int:
    decision_id = db["decisions"].insert(decision).last_pk
    store.audit(db, actor=actor["id"], action="decision_add", table="decisions", row_id=decision_id,
                after={"id": decision_id, **decision}, commune_code=decision["commune_code"])
    return decision_id


def _state_problem(p: _Problems, state: str, allowed: tuple[str, ...], action: str) -> None:
    if state not in allowed:
        p.add("status", f"{STATES[state] if state == 'chet' else 'diện hưởng ' + STATES[state]}, "
                        f"không {action} được")


def suspend(db: Database, actor: dict, membership_id: int, number: str, signed_date: str,
            signer_name: str, signer_title: str, stop_month: str, reason: str) -> int:
    """Suspension (tạm dừng, domain.md §5.6): nothing is paid from ``stop_month``; its decision id."""
    p = _Problems()
    ms, person = _membership(db, p, membership_id)
    number, signed, signer_name, signer_title, reason = _signed(
        p, number, signed_date, signer_name, signer_title, reason)
    stop = _month(p, "stop_month", stop_month)
    if ms:
        _may_write(p, actor, ms["commune_code"])
        _state_problem(p, membership_state(db, ms, person), ("huong",), "tạm dừng")
        _number_free(db, p, "number", number, ms["commune_code"])
        start = _start_month_of(membership_events(db, ms), ms)
        if stop is not None and stop < start:
            p.add("stop_month", f"trước tháng bắt đầu hưởng {month_vn(start)}")
    p.raise_if_any()
    with db.atomic():
        return _add_decision(db, actor, _decision_row(
            "suspend", number, signed, signer_name, signer_title, ms["person_id"], ms["id"],
            ms["commune_code"], reason, actor, stop_month=stop))


def resume(db: Database, actor: dict, membership_id: int, number: str, signed_date: str,
           signer_name: str, signer_title: str, start_month: str, reason: str) -> int:
    """Resumption (tiếp tục hưởng) after a suspension, or after a transfer the new commune
    refused or the old one cancelled (btxh/transfers.py), paid from ``start_month``.

    ``start_month`` may not be before the suspension's stop month; when it is before months
    already closed, the next payroll run pays the arrears (truy lĩnh)."""
    p = _Problems()
    ms, person = _membership(db, p, membership_id)
    number, signed, signer_name, signer_title, reason = _signed(
        p, number, signed_date, signer_name, signer_title, reason)
    start = _month(p, "start_month", start_month)
    if ms:
        _may_write(p, actor, ms["commune_code"])
        state = membership_state(db, ms, person)
        if state not in ("tam_dung", "tra_ve"):
            p.add("status", f"chỉ tiếp tục được diện đang tạm dừng (diện này {STATES[state]})")
        else:  # the suspension, or the stop of a transfer refused or cancelled
            stopped = membership_events(db, ms)[-1]
            what = "tạm dừng" if state == "tam_dung" else "dừng hưởng"
            if start is not None and start < parse_month(stopped["stop_month"]):
                p.add("start_month", f"trước tháng {what} {month_vn(parse_month(stopped['stop_month']))}")
        _number_free(db, p, "number", number, ms["commune_code"])
    p.raise_if_any()
    with db.atomic():
        return _add_decision(db, actor, _decision_row(
            "resume", number, signed, signer_name, signer_title, ms["person_id"], ms["id"],
            ms["commune_code"], reason, actor, start_month=start))


def stop(db: Database, actor: dict, membership_id: int, number: str, signed_date: str,
         signer_name: str, signer_title: str, stop_month: str, reason: str,
         death_date: str | None = None, death_cause: str | None = None) -> int:
    """Stopping (thôi hưởng) from ``stop_month``; with a death, record it on the person.

    rules.md §6–§7: a person who dies in month M is paid for M, so the stop month must be M+1;
    the funeral support (20× the base, 50× for ``thien_tai``) is computed by the payroll from
    persons.death_date/death_cause: recording the death is what records the funeral support."""
    p = _Problems()
    ms, person = _membership(db, p, membership_id)
    number, signed, signer_name, signer_title, reason = _signed(
        p, number, signed_date, signer_name, signer_title, reason)
    stop_at = _month(p, "stop_month", stop_month)
    died = _day(p, "death_date", (death_date or "").strip(), required=False)
    cause = (death_cause or "").strip()
    if died:
        if died > clock.today():
            p.add("death_date", f"ngày {_vn(died)} ở tương lai")
        if cause not in DEATH_CAUSES:
            p.add("death_cause", "chọn «thiên tai, hỏa hoạn, dịch bệnh, tai nạn nghiêm trọng» hoặc «khác»")
        if stop_at is not None and stop_at != month_of(died) + 1:
            p.add("stop_month", f"người chết trong tháng {month_vn(month_of(died))} được hưởng hết tháng đó; "
                                f"tháng dừng hưởng phải là {month_vn(month_of(died) + 1)}")
    elif cause and not (death_date or "").strip():
        p.add("death_date", "có nguyên nhân chết thì phải nhập ngày chết")
    if ms:
        _may_write(p, actor, ms["commune_code"])
        _state_problem(p, membership_state(db, ms, person), ("huong", "tam_dung", "tra_ve"), "thôi hưởng")
        _number_free(db, p, "number", number, ms["commune_code"])
        start = _start_month_of(membership_events(db, ms), ms)
        if stop_at is not None and stop_at < start and not died:
            p.add("stop_month", f"trước tháng bắt đầu hưởng {month_vn(start)}")
        if died and person and died < PartialDate(*map(int, person["birth_date"].split("-"))).earliest:
            p.add("death_date", "trước ngày sinh")
    p.raise_if_any()
    with db.atomic():
        if died:
            changes = {"death_date": died.isoformat(), "death_cause": cause, "updated_at": clock.now_iso()}
            db["persons"].update(person["id"], changes)
            store.audit(db, actor=actor["id"], action="person_death", table="persons", row_id=person["id"],
                        before=person, after={**person, **changes}, commune_code=person["commune_code"])
        return _add_decision(db, actor, _decision_row(
            "stop", number, signed, signer_name, signer_title, ms["person_id"], ms["id"],
            ms["commune_code"], reason, actor, stop_month=stop_at))


def adjust(db: Database, actor: dict, membership_id: int, number: str, signed_date: str,
           signer_name: str, signer_title: str, start_month: str, level: str, reason: str) -> int:
    """An adjustment (điều chỉnh, ND 20 Art. 8(1)) of a K6 membership's disability level.

    Closed months must never change, so the level is not rewritten in place: the membership
    ends on the last day of ``start_month``−1 and a new one with the new level starts on the
    1st of ``start_month``, under an ``adjust`` decision (a start event for the payroll). A
    start month before months already paid gives arrears or recovery in the next run.
    Age-band changes need no decision: the engine applies them by itself (rules.md §6)."""
    p = _Problems()
    ms, person = _membership(db, p, membership_id)
    number, signed, signer_name, signer_title, reason = _signed(
        p, number, signed_date, signer_name, signer_title, reason)
    at = _month(p, "start_month", start_month)
    level = (level or "").strip().upper()
    if level not in LEVELS:
        p.add("level", "phải là DBN (đặc biệt nặng) hoặc NANG (nặng)")
    if ms:
        _may_write(p, actor, ms["commune_code"])
        if ms["category"] != "K6":
            p.add("level", f"chỉ điều chỉnh mức độ khuyết tật của diện K6 (diện này là {ms['category']})")
        elif level == ms["disability_level"]:
            p.add("level", "trùng mức độ khuyết tật hiện tại")
        _state_problem(p, membership_state(db, ms, person), ("huong",), "điều chỉnh")
        _number_free(db, p, "number", number, ms["commune_code"])
        if at is not None and at <= parse_month(ms["valid_from"][:7]):
            p.add("start_month", f"phải sau tháng bắt đầu của diện {month_vn(parse_month(ms['valid_from'][:7]))}")
    p.raise_if_any()
    first = dt.date(at // 12, at % 12 + 1, 1)
    last_day = (first - dt.timedelta(days=1)).isoformat()
    with db.atomic():
        db["memberships"].update(ms["id"], {"valid_to": last_day})
        store.audit(db, actor=actor["id"], action="membership_end", table="memberships", row_id=ms["id"],
                    before=ms, after={**ms, "valid_to": last_day}, commune_code=ms["commune_code"])
        new = {k: v for k, v in ms.items() if k != "id"}
        new.update(valid_from=first.isoformat(), disability_level=level,
                   note=f"Điều chỉnh từ diện số {ms['id']} ({ms['disability_level']} → {level})")
        new_id = db["memberships"].insert(new).last_pk
        store.audit(db, actor=actor["id"], action="membership_add", table="memberships", row_id=new_id,
                    after={"id": new_id, **new}, commune_code=ms["commune_code"])
        return _add_decision(db, actor, _decision_row(
            "adjust", number, signed, signer_name, signer_title, ms["person_id"], new_id,
            ms["commune_code"], reason, actor, start_month=at))
