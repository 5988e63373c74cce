"""Figures staff enter for the rows the registry cannot answer (report_inputs), audited.

One row per period, unit (a commune, or a province's own figure) and input leaf. Values
are whole numbers: people, households, clubs; rice in kg (shown in tấn on 10b); money in
đồng (shown in million or billion đồng). Every change is one audit_log row with who, when,
the row before and after (``btxh.store.audit``); a leaf left empty removes its figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import clock, store
from . import forms
from .periods import Period, ReportError

FIELD_LABELS = {"total": "Tổng số", "male": "Nam", "female": "Nữ", "amount": "Kinh phí (đồng)"}


def fields_of(leaf: str) -> tuple[str, ...]:
    """Which fields an input leaf takes (the form's columns for that row)."""
    form_code, line = forms.INPUT_LABELS[leaf]
    if form_code == "10a":
        return ("total", "male", "female", "amount")
    if line.unit == "tỷ đồng":
        return ("amount",)
    if line.unit == PERSON_UNIT and form_code in ("10c", "10d"):
        return ("total", "male", "female")
    return ("total",)


PERSON_UNIT = forms.PERSONS


def field_label(leaf: str, name: str) -> str:
    _, line = forms.INPUT_LABELS[leaf]
    if name == "total" and line.unit == "tấn":
        return "Số lượng (kg)"
    if name == "total" and line.unit != PERSON_UNIT:
        return f"Số lượng ({line.unit})"
    return FIELD_LABELS[name]


@dataclass(frozen=True)
class Unit:
    """Where the figures belong: a commune, or (commune None) a province's own figures."""
    province: str
    commune: str | None
    label: str


_NUMBER = re.compile(r"^\d{1,3}([.,\s]\d{3})*$|^\d+$")


def _number(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not _NUMBER.match(text):
        raise ValueError
    return int(re.sub(r"[.,\s]", "", text))


def validate(form: forms.Form, submitted: dict[str, str]) -> tuple[dict, dict]:
    """(values, errors) from the posted fields named ``<leaf>|<field>`` (pure).

    values: leaf → {field: int | None}; errors: field name → Vietnamese message naming the
    row and the column."""
    values, errors = {}, {}
    for leaf in form.inputs:
        _, line = forms.INPUT_LABELS[leaf]
        row_name = f"dòng {line.stt} «{line.label}»"
        got = {}
        for name in fields_of(leaf):
            key = f"{leaf}|{name}"
            try:
                got[name] = _number(submitted.get(key, ""))
            except ValueError:
                errors[key] = (f"{field_label(leaf, name)} ở {row_name} phải là số nguyên không âm "
                               f"(không có phần thập phân), ví dụ 1250; đã nhập «{submitted.get(key)}».")
        if not any(f"{leaf}|{n}" in errors for n in got) and {"total", "male", "female"} <= set(got):
            total, male, female = got["total"], got["male"], got["female"]
            if total is None and male is not None and female is not None:
                got["total"] = male + female
            elif total is not None and male is not None and female is not None and male + female != total:
                errors[f"{leaf}|total"] = (f"Tổng số ở {row_name} ({total}) phải bằng Nam + Nữ "
                                           f"({male} + {female} = {male + female}).")
            elif total is not None and ((male or 0) > total or (female or 0) > total):
                errors[f"{leaf}|total"] = f"Nam hoặc Nữ ở {row_name} lớn hơn Tổng số ({total})."
        values[leaf] = got
    return values, errors


_COLUMNS = ("total", "male", "female", "amount")


def current(db, form: forms.Form, period: Period, unit: Unit) -> dict:
    """leaf → {field: value} already entered for this unit and period."""
    out = {}
    for row in store.rows(db, "SELECT * FROM report_inputs WHERE form = ? AND period = ? AND province_code = ?"
                          " AND commune_code IS ?", [form.code, period.code, unit.province, unit.commune]):
        out[row["leaf"]] = {k: row[k] for k in _COLUMNS}
    return out


def save(db, *, actor: str, form: forms.Form, period: Period, unit: Unit, submitted: dict) -> tuple[dict, int]:
    """Validate and write; (errors, rows changed). Nothing is written when there is an error."""
    if not period.takes_inputs:
        raise ReportError("Số liệu nhập tay được ghi cho kỳ 6 tháng (2026-H1, 2026-H2) hoặc cả năm (2026), "
                          "không cho một tháng.")
    values, errors = validate(form, submitted)
    if errors:
        return errors, 0
    changed = 0
    now = clock.now_iso()
    with db.atomic():
        for leaf, got in values.items():
            before = store.row(db, "SELECT * FROM report_inputs WHERE period = ? AND province_code = ?"
                               " AND commune_code IS ? AND leaf = ?",
                               [period.code, unit.province, unit.commune, leaf])
            new = {k: got.get(k) for k in _COLUMNS}
            empty = all(v is None for v in new.values())
            if before is None and empty:
                continue
            if before is not None and {k: before[k] for k in _COLUMNS} == new:
                continue
            if empty:
                db.execute("DELETE FROM report_inputs WHERE id = ?", [before["id"]])
                store.audit(db, actor=actor, action="report_input_delete", table="report_inputs",
                            row_id=before["id"], before=before, commune_code=unit.commune)
            elif before is None:
                after = {"form": form.code, "leaf": leaf, "period": period.code, "province_code": unit.province,
                         "commune_code": unit.commune, **new, "updated_at": now, "updated_by": actor}
                row_id = db["report_inputs"].insert(after).last_pk
                store.audit(db, actor=actor, action="report_input_add", table="report_inputs",
                            row_id=row_id, after={"id": row_id, **after}, commune_code=unit.commune)
            else:
                db.execute("UPDATE report_inputs SET total = ?, male = ?, female = ?, amount = ?,"
                           " updated_at = ?, updated_by = ? WHERE id = ?",
                           [new["total"], new["male"], new["female"], new["amount"], now, actor, before["id"]])
                after = {**before, **new, "updated_at": now, "updated_by": actor}
                store.audit(db, actor=actor, action="report_input_update", table="report_inputs",
                            row_id=before["id"], before=before, after=after, commune_code=unit.commune)
            changed += 1
    return {}, changed
