"""`btxh calc`: the rules.md §11 contract — a JSON array of cases in, amounts out.

:func:`calculate` parses and validates every case (collecting every problem, one line each,
naming the case and the field), evaluates each requested month with :mod:`btxh.rules`, and
returns the §11 answer objects. Reference tables come from a database when one is given,
else from the CSV files shipped in ``btxh/data``; policy plugins add their rows on top.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import plugins, reference
from .rules import (BaseLevels, Case, Child, Coefficients, Decision, Engine, Membership, RuleError,
                    SocialPension, parse_date, parse_month, parse_partial)
from .rules.dates import month_str

REFERENCE_TABLES = ("base_levels", "coefficients", "categories")
DEATH_CAUSES = ("thien_tai",)


class CalcInputError(Exception):
    """Bad input: ``problems`` holds one line per problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load_reference(db: str | None = None) -> dict[str, list[dict]]:
    """Rows of base_levels, coefficients and categories: from ``db`` if it exists, else the CSVs."""
    if db and Path(db).exists():
        uri = Path(db).resolve().as_uri() + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True)
            try:
                conn.row_factory = sqlite3.Row
                return {t: [dict(r) for r in conn.execute(f"SELECT * FROM {t}")] for t in REFERENCE_TABLES}
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise CalcInputError([f"--db: {db}: không đọc được mức chuẩn và hệ số ({e}); "
                                  f"hãy chạy `btxh init {db}`."]) from None
    return {t: reference.read_rows(reference.DATA / f"{t}.csv") for t in REFERENCE_TABLES}


@dataclass
class Calculator:
    """Tables indexed once and the plugin manager; one engine per rule set in use."""

    coefficients: Coefficients
    base_levels: BaseLevels
    pm: object

    @classmethod
    def build(cls, db: str | None = None, pm=None) -> "Calculator":
        pm = pm or plugins.get_plugin_manager()
        rows, extra = load_reference(db), plugins.extra_rows(pm)
        return cls(Coefficients.from_rows(rows["coefficients"] + extra["coefficients"],
                                          rows["categories"] + extra["categories"]),
                   BaseLevels.from_rows(rows["base_levels"] + extra["base_levels"]), pm)

    def __post_init__(self):
        self._engines: dict = {}

    def engine(self, province: str | None) -> Engine:
        if province not in self._engines:
            self._engines[province] = Engine(self.coefficients, self.base_levels,
                                             plugins.rule_set(self.pm, province))
        return self._engines[province]


def parse_months(spec: str, first: int) -> tuple[list[int], list[str]]:
    """``YYYY-MM`` or ``YYYY-MM..YYYY-MM`` → month indexes, and the problems found."""
    parts = spec.split("..") if isinstance(spec, str) else [spec]
    bounds = []
    for part in parts:
        try:
            bounds.append(parse_month(part))
        except ValueError:
            return [], [f"--month: tháng không hợp lệ {_q(spec)} (cần YYYY-MM hoặc YYYY-MM..YYYY-MM)"]
    if len(bounds) > 2:
        return [], [f"--month: tháng không hợp lệ {_q(spec)} (cần YYYY-MM hoặc YYYY-MM..YYYY-MM)"]
    start, end = bounds[0], bounds[-1]
    if end < start:
        return [], [f"--month: khoảng tháng bị đảo ngược {_q(spec)} (tháng đầu phải không sau tháng cuối)"]
    if start < first:
        return [], [f"--month: tháng {month_str(start)} trước {month_str(first)}: các quy tắc của "
                    "Nghị định 20/2021/NĐ-CP chỉ tính từ tháng đó, không tính các tháng trước"]
    return list(range(start, end + 1)), []


def calculate(data, month: str, calculator: Calculator, source: str = "CASES.json") -> list[dict]:
    """The §11 answers for ``data`` (JSON text or an already parsed list); CalcInputError if bad.

    The cyclic garbage collector is paused meanwhile: a batch allocates hundreds of thousands
    of small acyclic objects that it would otherwise rescan again and again.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _calculate(data, month, calculator, source)
    finally:
        if paused:
            gc.enable()


def _calculate(data, month: str, calculator: Calculator, source: str) -> list[dict]:
    problems: list[str] = []
    months, month_problems = parse_months(month, plugins.rule_set(calculator.pm).first_month_index)
    problems += month_problems
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise CalcInputError(problems + [f"{source}: JSON không hợp lệ (dòng {e.lineno}, cột {e.colno}): {e.msg}"])
    if not isinstance(data, list):
        raise CalcInputError(problems + [f"{source}: phải là một mảng JSON các ca"])
    cases = parse_cases(data, calculator.coefficients, problems)
    if problems:
        raise CalcInputError(problems)
    out = []
    for position, case in cases:
        try:
            results = calculator.engine(case.province).evaluate_months(case, months)
        except RuleError as e:
            problems.append(f"{_label(case.id, position)}: --month: {e}")
            continue
        out += [answer(r) for r in results]
    if problems:
        raise CalcInputError(problems)
    return out


def answer(r) -> dict:
    """A MonthResult as the §11 answer object (keys in the contract's order)."""
    return {"id": r.id, "month": r.month, "program": r.program, "amount": r.amount,
            "coefficient": r.coefficient, "base": r.base, "basis": list(r.basis),
            "funeral": r.funeral, "reason": r.reason}


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def dumps(answers: list[dict]) -> str:
    """A JSON array, one answer per line.

    Encoded in one call; every answer starts with ``{"id": `` and a quote inside a string
    is escaped, so ``}, {"id": `` only ever occurs between two answers.
    """
    if not answers:
        return "[]"
    return "[\n" + _ENCODE(answers)[1:-1].replace('}, {"id": ', '},\n{"id": ') + "\n]"


def parse_cases(data: list, coefficients: Coefficients, problems: list[str]) -> list[tuple[int, Case]]:
    """(position, case) for the valid cases; a line in ``problems`` for every problem found."""
    codes = coefficients.codes("TCXH")
    seen: dict[str, int] = {}
    cases = []
    for position, raw in enumerate(data, 1):
        case_id = raw.get("id") if isinstance(raw, dict) else None
        label = lambda case_id=case_id, position=position: _label(case_id, position)  # noqa: E731
        before = len(problems)
        if isinstance(case_id, str):
            if case_id in seen:
                label = f"{_label(case_id, position)} (ca thứ {position})"
                problems.append(f"{label}: id: trùng với ca thứ {seen[case_id]}")
            seen.setdefault(case_id, position)
        case = _case(raw, _Field(label, problems), codes, coefficients)
        if len(problems) == before and case is not None:
            cases.append((position, case))
    return cases


class _Field:
    """Collects ``<case>: <field>: <message>`` lines."""

    def __init__(self, label, problems: list[str]):
        self.label, self.problems = label, problems

    def bad(self, field: str, message: str) -> None:
        if callable(self.label):
            self.label = self.label()
        self.problems.append(f"{self.label}: {field}: {message}")

    def missing(self, field: str) -> None:
        self.bad(field, "thiếu trường bắt buộc")

    def date(self, value, field: str, required: bool = False):
        if value is None:
            if required:
                self.missing(field)
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.bad(field, f"ngày không hợp lệ {_q(value)} (cần ngày có thật dạng YYYY-MM-DD)")

    def partial(self, value, field: str):
        if value is None:
            return self.missing(field)
        try:
            return parse_partial(value)
        except ValueError:
            self.bad(field, f"ngày sinh không hợp lệ {_q(value)} (cần YYYY, YYYY-MM hoặc YYYY-MM-DD)")

    def month(self, value, field: str, required: bool = False):
        if value is None:
            return self.missing(field) if required else None
        try:
            return parse_month(value)
        except ValueError:
            self.bad(field, f"tháng không hợp lệ {_q(value)} (cần YYYY-MM)")

    def object(self, value, field: str) -> bool:
        if not isinstance(value, dict):
            self.bad(field, "phải là một đối tượng JSON")
            return False
        return True


def _case(raw, f: _Field, codes, coefficients: Coefficients) -> Case | None:
    if not f.object(raw, "(ca)"):
        return None
    case_id = raw.get("id")
    if case_id is None:
        f.missing("id")
    elif not isinstance(case_id, str):
        f.bad("id", f"phải là chuỗi, không phải {_q(case_id)}")
    birth = f.partial(raw.get("birth_date"), "birth_date")
    death = f.date(raw.get("death_date"), "death_date")
    if birth and death and death < birth.earliest:
        f.bad("death_date", f"ngày chết {death.isoformat()} trước ngày sinh {birth}")
    cause = raw.get("death_cause")
    if cause is not None and cause not in DEATH_CAUSES:
        f.bad("death_cause", f"giá trị không hợp lệ {_q(cause)} (chỉ nhận \"thien_tai\" hoặc null)")
    province = raw.get("province")
    if province is not None and not isinstance(province, str):
        f.bad("province", f"mã tỉnh phải là chuỗi, không phải {_q(province)}")
    memberships = raw.get("memberships")
    if memberships is None:
        f.missing("memberships")
        memberships = []
    elif not isinstance(memberships, list):
        f.bad("memberships", "phải là một mảng JSON")
        memberships = []
    parsed = [_membership(m, f"memberships[{j}]", f, codes, coefficients) for j, m in enumerate(memberships)]
    decision = _window(raw.get("decision"), "decision", "start_month", "stop_month", f, Decision)
    pension = _window(raw.get("social_pension"), "social_pension", "from", "to", f, SocialPension)
    if not isinstance(case_id, str) or birth is None or None in parsed:
        return None
    return Case(case_id, birth, tuple(parsed), death, cause, province, decision, pension)


def _membership(raw, field: str, f: _Field, codes, coefficients: Coefficients) -> Membership | None:
    if not f.object(raw, field):
        return None
    code, ok = raw.get("category"), True
    if code is None:
        f.missing(f"{field}.category")
        ok = False
    elif not isinstance(code, str) or code not in codes:
        known = coefficients.category(code) if isinstance(code, str) else None
        why = (f"{code} là mã hỗ trợ chăm sóc ({known.program}), không phải diện trợ cấp xã hội hằng tháng"
               if known else f"diện không có trong danh mục {_q(code)} (phân biệt chữ hoa, chữ thường)")
        f.bad(f"{field}.category", why)
        ok = False
    start = f.date(raw.get("from"), f"{field}.from", required=True)
    end = f.date(raw.get("to"), f"{field}.to")
    if start and end and end < start:
        f.bad(f"{field}.to", f"ngày kết thúc {end.isoformat()} trước ngày bắt đầu {start.isoformat()}")
    level, children = raw.get("level"), []
    levels = coefficients.levels(code) if ok else ()
    if levels and level is None:
        f.bad(f"{field}.level", f"thiếu trường bắt buộc ({' hoặc '.join(sorted(levels))} cho diện {code})")
    elif levels and level not in levels:
        f.bad(f"{field}.level", f"mức độ không hợp lệ {_q(level)} (cần {' hoặc '.join(sorted(levels))})")
    if ok and coefficients.counts_children(code):
        children = _children(raw.get("children"), f"{field}.children", f)
    if not ok or start is None or None in children or (levels and level not in levels):
        return None
    if end is not None and end < start:
        return None
    return Membership(code, start, end, level if levels else None, tuple(children))


def _children(raw, field: str, f: _Field) -> list:
    if raw is None:
        f.missing(field)
        return [None]
    if not isinstance(raw, list):
        f.bad(field, "phải là một mảng JSON")
        return [None]
    out = []
    for k, child in enumerate(raw):
        where = f"{field}[{k}]"
        if not f.object(child, where):
            out.append(None)
            continue
        birth = f.partial(child.get("birth_date"), f"{where}.birth_date")
        studying = f.date(child.get("studying_until"), f"{where}.studying_until")
        bad = birth is None or (child.get("studying_until") is not None and studying is None)
        out.append(None if bad else Child(birth, studying))
    return out


def _window(raw, field: str, first: str, last: str, f: _Field, kind):
    if raw is None:
        return None
    if not f.object(raw, field):
        return None
    start = f.month(raw.get(first), f"{field}.{first}", required=True)
    end = f.month(raw.get(last), f"{field}.{last}")
    if start is not None and end is not None and end < start:
        f.bad(f"{field}.{last}", f"tháng {month_str(end)} trước tháng bắt đầu {month_str(start)}")
        return None
    if start is None or (raw.get(last) is not None and end is None):
        return None
    return kind(start, end)


def _label(case_id, position) -> str:
    if isinstance(case_id, str) and case_id:
        return f"ca {_q(case_id)}"
    return f"ca thứ {position}"


def _q(value) -> str:
    return json.dumps(value, ensure_ascii=False)
