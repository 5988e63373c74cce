"""The allowance calculator for staff: /-/btxh/tinh-thu (docs/tinh-tro-cap.md).

Parse the form into one rules.md §11 case, call btxh.calc — the core of `btxh calc`, so the
validation, the error messages and the amounts are the same — with the base levels and
coefficients of the served database, and render a month-by-month table.
"""

import asyncio
import json
import re

import vn_money
from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import calc, glue
from btxh.access import role_of
from btxh.rules import parse_month
from btxh.rules.dates import month_vn

PATH = "/-/btxh/tinh-thu"
CASE_ID = "tinh-thu"
ROWS = (1, 2, 3)  # membership rows and K4 children rows on the form
MAX_MONTHS = 240
PROGRAMS = {"TCXH": "Trợ cấp xã hội hằng tháng", "HTXH": "Trợ cấp hưu trí xã hội"}
LEVELS = (("DBN", "Đặc biệt nặng"), ("NANG", "Nặng"))

_FIELDS = ["birth_date", "death_date", "death_disaster", "province", "decision_start",
           "decision_stop", "pension_from", "pension_to", "month_from", "month_to"]
_FIELDS += [f"m{i}_{p}" for i in ROWS for p in ("category", "level", "from", "to")]
_FIELDS += [f"c{k}_{p}" for k in ROWS for p in ("birth", "studying")]

LABELS = {
    "birth_date": "Ngày sinh", "death_date": "Ngày chết", "death_disaster": "Nguyên nhân chết",
    "province": "Tỉnh", "decision_start": "Quyết định — tháng bắt đầu hưởng",
    "decision_stop": "Quyết định — tháng thôi hưởng", "pension_from": "Hưu trí xã hội — từ tháng",
    "pension_to": "Hưu trí xã hội — đến tháng", "month_from": "Tính các tháng",
    **{f"m{i}_{p}": f"Diện hưởng dòng {i} — {w}" for i in ROWS
       for p, w in (("category", "diện"), ("level", "mức độ khuyết tật"), ("from", "từ ngày"),
                    ("to", "đến ngày"))},
    **{f"c{k}_{p}": f"Con thứ {k} (diện K4) — {w}" for k in ROWS
       for p, w in (("birth", "ngày sinh"), ("studying", "đi học đến ngày"))},
}
_CORE_FIELDS = {"birth_date": "birth_date", "death_date": "death_date", "death_cause": "death_disaster",
                "province": "province", "decision.start_month": "decision_start",
                "decision.stop_month": "decision_stop", "social_pension.from": "pension_from",
                "social_pension.to": "pension_to", "--month": "month_from"}
_MEMBER_FIELDS = {"category": "category", "level": "level", "from": "from", "to": "to"}
_LINE = re.compile(r'^(?:ca "' + CASE_ID + r'": )?(?P<field>[^:]+): (?P<message>.*)$', re.S)
_PATH = re.compile(r"^memberships\[(\d+)\](?:\.children(?:\[(\d+)\]\.(\w+))?|\.(\w+))?$")


# -- form → §11 case ------------------------------------------------------------------

def iso(text: str) -> str | None:
    """``dd/mm/yyyy`` → ``yyyy-mm-dd``, ``mm/yyyy`` → ``yyyy-mm``; ISO and ``yyyy`` as given.

    Anything else is passed on unchanged, so that the core reports it (one validation).
    """
    text = (text or "").strip()
    if not text:
        return None
    parts = re.split(r"\s*[/.\-]\s*", text)
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts) and len(parts[-1]) == 4 \
            and all(1 <= len(p) <= 2 for p in parts[:-1]):
        return "-".join([parts[-1]] + [p.zfill(2) for p in reversed(parts[:-1])])
    return text


def _filled(form: dict, *names) -> bool:
    return any((form.get(n) or "").strip() for n in names)


def build_case(form: dict) -> tuple[dict, dict]:
    """The §11 case for the form, and where each of its memberships and children came from."""
    children, child_rows = [], []
    for k in ROWS:
        if _filled(form, f"c{k}_birth", f"c{k}_studying"):
            children.append({"birth_date": iso(form.get(f"c{k}_birth")),
                             "studying_until": iso(form.get(f"c{k}_studying"))})
            child_rows.append(k)
    memberships, member_rows = [], []
    for i in ROWS:
        if not _filled(form, f"m{i}_category", f"m{i}_from", f"m{i}_to"):
            continue
        category = (form.get(f"m{i}_category") or "").strip() or None
        m = {"category": category, "level": form.get(f"m{i}_level") or None,
             "from": iso(form.get(f"m{i}_from")), "to": iso(form.get(f"m{i}_to"))}
        if category == "K4":
            m["children"] = children
        memberships.append(m)
        member_rows.append(i)
    case = {"id": CASE_ID, "birth_date": iso(form.get("birth_date")),
            "death_date": iso(form.get("death_date")),
            "death_cause": "thien_tai" if form.get("death_disaster") else None,
            "province": form.get("province") or None, "memberships": memberships}
    if _filled(form, "decision_start", "decision_stop"):
        case["decision"] = {"start_month": iso(form.get("decision_start")),
                            "stop_month": iso(form.get("decision_stop"))}
    if _filled(form, "pension_from", "pension_to"):
        case["social_pension"] = {"from": iso(form.get("pension_from")), "to": iso(form.get("pension_to"))}
    return case, {"memberships": member_rows, "children": child_rows}


def notes(case: dict, origin: dict) -> list[str]:
    """What the form ignored, said plainly (not errors: the core accepts the case)."""
    if origin["children"] and not any(m["category"] == "K4" for m in case["memberships"]):
        return ["Đã nhập con nhưng không có dòng diện K4: thông tin về con không được dùng."]
    return []


def month_spec(form: dict) -> tuple[str | None, list[str]]:
    """``YYYY-MM`` or ``YYYY-MM..YYYY-MM`` for the months asked, or a problem."""
    first, last = iso(form.get("month_from")), iso(form.get("month_to"))
    if not first and not last:
        return None, ["--month: thiếu trường bắt buộc"]
    first, last = first or last, last or first
    try:
        count = parse_month(last) - parse_month(first) + 1
    except ValueError:
        count = 1  # the core reports it
    if count > MAX_MONTHS:
        return None, [f"--month: mỗi lần tính thử tối đa {MAX_MONTHS} tháng"]
    return (first if first == last else f"{first}..{last}"), []


def form_errors(problems: list[str], origin: dict) -> tuple[dict, list[str]]:
    """Core problem lines → messages per form field, and one labelled line per problem."""
    by_field, lines = {}, []
    for problem in problems:
        match = _LINE.match(problem)
        field, message = (match["field"], match["message"]) if match else ("", problem)
        for key in _form_keys(field, origin):
            if message not in by_field.setdefault(key, []):
                by_field[key].append(message)
        key = next(iter(_form_keys(field, origin)), None)
        line = f"{LABELS[key]}: {message}" if key else problem
        if line not in lines:
            lines.append(line)
    return by_field, lines


def _form_keys(field: str, origin: dict) -> list[str]:
    if field in _CORE_FIELDS:
        return [_CORE_FIELDS[field]]
    match = _PATH.match(field)
    if not match or int(match[1]) >= len(origin["memberships"]):
        return []
    row = origin["memberships"][int(match[1])]
    if match[4]:
        return [f"m{row}_{_MEMBER_FIELDS.get(match[4], 'category')}"]
    if match[2] is not None and int(match[2]) < len(origin["children"]):
        child = origin["children"][int(match[2])]
        return [f"c{child}_{'birth' if match[3] == 'birth_date' else 'studying'}"]
    return [f"m{row}_category"]


# -- answers → table rows -------------------------------------------------------------

def money(amount: int) -> str:
    """``1250000`` → ``"1.250.000 đ"``."""
    return vn_money.format_vnd(amount, with_symbol=False) + " đ"


def table_rows(answers: list[dict], labels: dict) -> list[dict]:
    return [{
        "month": month_vn(parse_month(a["month"])),
        "program": PROGRAMS.get(a["program"], a["program"]),
        "coefficient": a["coefficient"].replace(".", ",") if a["coefficient"] else "—",
        "base": money(a["base"]),
        "amount": money(a["amount"]),
        "basis": " + ".join(a["basis"]),
        "basis_title": "; ".join(labels.get(c, c) for c in a["basis"]),
        "funeral": money(a["funeral"]) if a["funeral"] else "",
        "reason": a["reason"],
        "zero": not a["amount"],
    } for a in answers]


# -- the page -------------------------------------------------------------------------

_database = glue.database


async def _choices(db) -> tuple[list[dict], list[dict]]:
    provinces = await db.execute("SELECT code, name FROM provinces ORDER BY code")
    categories = await db.execute(
        "SELECT code, label FROM categories WHERE program = 'TCXH' ORDER BY sort_order, code")
    return [dict(r) for r in provinces.rows], [dict(r) for r in categories.rows]


def _compute(path, case: dict, months: str) -> list[dict]:
    return calc.calculate([case], months, calc.Calculator.build(path), source="biểu mẫu")


async def calc_page(request, datasette):
    if role_of(request.actor) is None:
        return Response.html(await datasette.render_template(
            "error.html", {"status": 403, "error": "", "title": None}, request=request), status=403)
    db = _database(datasette)
    provinces, categories = await _choices(db)
    form = {name: "" for name in _FIELDS}
    context = {"form": form, "provinces": provinces, "categories": categories, "levels": LEVELS,
               "rows": ROWS, "errors": {}, "error_lines": [], "notes": [], "results": None}
    status = 200
    if request.method == "POST":
        posted = await request.post_vars()
        form.update({name: (posted.get(name) or "").strip() for name in _FIELDS})
        case, origin = build_case(form)
        months, problems = month_spec(form)
        context["notes"] = notes(case, origin)
        answers = None
        try:  # with no usable months, still check the case, so every problem is listed at once
            answers = await asyncio.to_thread(_compute, db.path, case, months or "2021-07")
        except calc.CalcInputError as e:
            problems = problems + e.problems
        if problems:
            context["errors"], context["error_lines"] = form_errors(problems, origin)
            status = 400
        else:
            labels = {c["code"]: c["label"] for c in categories}
            total = sum(a["amount"] + a["funeral"] for a in answers)
            context.update(results=table_rows(answers, labels), total=money(total),
                           case_json=json.dumps([case], ensure_ascii=False, indent=2), months=months)
    return Response.html(await datasette.render_template("btxh_calc.html", context, request=request),
                         status=status)


@hookimpl
def register_routes():
    return [(r"^/-/btxh/tinh-thu/?$", calc_page)]


@hookimpl
def menu_links(datasette, actor):
    if role_of(actor) is not None:
        return [{"href": datasette.urls.path(PATH), "label": "Tính thử trợ cấp"}]
