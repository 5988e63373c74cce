"""Periodic reports: /-/btxh/bao-cao[/10a|10b|10c|10d|du-toan][.csv|.xlsx|.json], and the
entry of figures the registry cannot answer: /-/btxh/bao-cao/<form>/nhap.

Parse the request, ask btxh.scoping which communes the actor may see (btxh.reports.build
.where_for refuses anything else), call btxh.reports, render. Aggregates only: no name, no
date of birth — analysts may read them too (ADR 008). Canned queries for analysts are in
metadata.yml on the analysts' door (docs/decisions/010-reports.md).
"""

import asyncio
import json

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import clock, glue, scoping, store
from btxh.access import STAFF_ROLES, may_know_hiv, role_of
from btxh.reports import build, forms, inputs, periods, protect, render

PATH = "/-/btxh/bao-cao"
INPUT_ROLES = ("can_bo_xa", "tinh", "quan_tri")  # analysts read, never write


async def _forbidden(datasette, request):
    return Response.html(await glue.forbidden_html(datasette, request), status=403)


async def _page(datasette, request, context, status=200):
    context = {"path": datasette.urls.path(PATH), **context}
    return Response.html(await datasette.render_template("btxh_report.html", context, request=request),
                         status=status)


def _args(request) -> dict:
    today = clock.now_iso()[:7]
    return {"period": (request.args.get("period") or periods.current(today)).strip(),
            "province": (request.args.get("province") or "").strip(),
            "commune": (request.args.get("commune") or "").strip(),
            "new_base": (request.args.get("new_base") or "").strip()}


def _query(args: dict) -> str:
    from urllib.parse import urlencode
    return urlencode({k: v for k, v in args.items() if v})


async def _choices(datasette, actor):
    """Provinces and communes the actor may pick (for the selection form)."""
    scope = scoping.scope_of(actor)

    def read(db):
        if scope.everything:
            provinces = db.execute("SELECT code, name FROM provinces ORDER BY code").fetchall()
            return provinces, []
        provinces = db.execute("SELECT code, name FROM provinces WHERE code = ?", [scope.province or ""]).fetchall()
        communes = db.execute(
            "SELECT code, name FROM communes WHERE province_code = ? OR code IN (SELECT value FROM json_each(?))"
            " ORDER BY name", [scope.province or "", json.dumps(list(scope.communes))]).fetchall()
        return provinces, communes
    return await glue.read(datasette, read)


async def report(request, datasette):
    actor = request.actor
    if role_of(actor) not in STAFF_ROLES:
        return await _forbidden(datasette, request)
    code = request.url_vars["form"]
    fmt = (request.url_vars.get("ext") or "").lstrip(".") or "html"
    args = _args(request)
    scope = scoping.scope_of(actor)

    def compute(db):
        period = periods.parse(args["period"])
        where = build.where_for(db, scope, args["province"], args["commune"])
        # exact figures only for whoever may know the HIV status of every commune covered
        exact = may_know_hiv(actor, where.communes or ())
        if code == "du-toan":
            new_base = None
            if args["new_base"]:
                if not args["new_base"].isdigit() or int(args["new_base"]) <= 0:
                    raise periods.ReportError(f"Mức chuẩn dự kiến «{args['new_base']}» phải là số đồng nguyên "
                                              "dương, ví dụ 540000.")
                new_base = int(args["new_base"])
            year, rows = build.budget(db, period, where, new_base)
            shown, total = (rows, True) if exact else protect.budget_for_reader(db, period, where, rows)
            return period, where, (year, shown, total), False
        fig = build.figures(db, period, where)
        rows = build.rows(forms.FORMS[code], fig)
        if exact:
            return period, where, (fig, rows), False
        # K3/K8 folded into K1's and K4's rows (btxh.reports.protect), as the page says
        return (period, where, (fig, protect.for_reader(db, forms.FORMS[code], fig, rows)),
                protect.has_hiv_rows(forms.FORMS[code]))

    try:
        period, where, result, folded = await glue.read(datasette, compute)
    except periods.ReportError as e:
        if fmt != "html":
            return Response.json({"ok": False, "error": str(e)}, status=400)
        return await _page(datasette, request, {"mode": "error", "message": str(e), "args": args,
                                                "forms": forms.FORMS}, status=400)
    base = datasette.urls.path(f"{PATH}/{code}")
    query = _query(args)
    links = {ext: f"{base}.{ext}?{query}" for ext in ("csv", "xlsx", "json")}
    if code == "du-toan":
        year, rows, total = result
        if fmt == "json":
            return Response.json({"ok": True, "period": period.code, "unit": where.label, "year": year,
                                  "rows": [{k: r.shown(k) for k in BUDGET_FIELDS} for r in rows]})
        if fmt == "csv":
            return _download(render_budget_csv(rows), f"du-toan-{year}-{period.code}.csv", "csv")
        return await _page(datasette, request, {"mode": "budget", "year": year, "rows": rows, "period": period,
                                                "where": where, "args": args, "links": links,
                                                "forms": forms.FORMS, "show_total": total,
                                                "masked": any(r.masks for r in rows)})
    form = forms.FORMS[code]
    fig, rows = result
    if fmt == "json":
        return Response.json({"ok": True, "form": code, "period": period.code, "unit": where.label,
                              "snapshot_month": fig.snapshot, "runs": fig.runs, "folded": folded,
                              "columns": list(form.columns),
                              "rows": [{"stt": r.stt, "label": r.label, "unit": r.unit, "total": r.shown("total"),
                                        "male": r.shown("male"), "female": r.shown("female"),
                                        "amount": r.shown("amount")} for r in rows],
                              "arrears": fig.arrears, "recovery": fig.recovery, "funeral": fig.funeral})
    if fmt in ("csv", "xlsx"):
        body = await asyncio.to_thread(render.render, form, fig, rows, fmt)
        return _download(body, render.filename(form, fig, fmt), fmt)
    entry = None
    if role_of(actor) in INPUT_ROLES and form.inputs and period.takes_inputs:
        entry = datasette.urls.path(f"{PATH}/{code}/nhap") + "?" + query
    return await _page(datasette, request, {
        "mode": "form", "form": form, "fig": fig, "rows": rows, "period": period, "where": where,
        "heading": render.heading(form, fig), "args": args, "links": links, "entry": entry,
        "forms": forms.FORMS, "money": periods.million, "masked": any(r.masks for r in rows), "folded": folded})


def _download(body: bytes, name: str, fmt: str) -> Response:
    return Response(body, content_type=render.CONTENT_TYPES[fmt], headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


BUDGET_FIELDS = ("program", "category", "label", "persons_first", "persons_last", "person_months",
                 "current", "expected")


def render_budget_csv(rows) -> bytes:
    import io

    from btxh import exports
    out = io.StringIO()
    writer = exports.csv_writer(out)
    writer.writerow(["Chế độ", "Diện", "Tên diện", "Số người tháng 1", "Số người tháng 12", "Số người-tháng",
                     "Kinh phí theo mức chuẩn hiện hành (đồng)", "Kinh phí theo mức chuẩn dự kiến (đồng)"])
    for r in rows:
        writer.writerow([r.shown(k) for k in BUDGET_FIELDS])
    return out.getvalue().encode("utf-8-sig")


async def index(request, datasette):
    actor = request.actor
    if role_of(actor) not in STAFF_ROLES:
        return await _forbidden(datasette, request)
    provinces, communes = await _choices(datasette, actor)
    return await _page(datasette, request, {"mode": "index", "forms": forms.FORMS, "args": _args(request),
                                            "provinces": provinces, "communes": communes})


def _unit(db, actor, args) -> inputs.Unit:
    """The unit whose figures are entered: a commune the actor may see, or (province staff
    and administrators only) their province's own figures."""
    scope = scoping.scope_of(actor)
    if args["commune"]:
        where = build.where_for(db, scope, None, args["commune"])
        return inputs.Unit(where.province, args["commune"], where.label)
    if args["province"]:
        if not (scope.everything or scope.province == args["province"]):
            raise periods.ReportError("Chỉ cán bộ tỉnh của tỉnh này mới nhập được số liệu chung của tỉnh.")
        where = build.where_for(db, scope, args["province"], None)
        return inputs.Unit(args["province"], None, f"{where.label} (số liệu chung của tỉnh)")
    raise periods.ReportError("Chọn xã (hoặc tỉnh, với số liệu chung của tỉnh) để nhập số liệu.")


async def entry(request, datasette):
    actor = request.actor
    if role_of(actor) not in INPUT_ROLES:
        return await _forbidden(datasette, request)
    code = request.url_vars["form"]
    form = forms.FORMS[code]
    args = _args(request)
    try:
        period = periods.parse(args["period"])
        if not period.takes_inputs:
            raise periods.ReportError("Số liệu nhập tay được ghi cho kỳ 6 tháng hoặc cả năm, không cho một tháng.")
        unit = await glue.read(datasette, lambda db: _unit(db, actor, args))
    except periods.ReportError as e:
        return await _page(datasette, request, {"mode": "error", "message": str(e), "args": args,
                                                "forms": forms.FORMS}, status=400)
    errors, saved, posted = {}, None, {}
    if request.method == "POST":
        posted = dict(await request.post_vars())
        path = glue.database(datasette).path

        def write():
            db = store.open_db(path, create=False)
            try:
                return inputs.save(db, actor=actor["id"], form=form, period=period, unit=unit, submitted=posted)
            finally:
                db.conn.close()
        errors, saved = await asyncio.to_thread(write)
    current = await glue.read(datasette, lambda db: inputs.current(db, form, period, unit))
    lines = []
    for leaf in form.inputs:
        _, line = forms.INPUT_LABELS[leaf]
        fields = [{"name": f"{leaf}|{f}", "label": inputs.field_label(leaf, f),
                   "value": posted.get(f"{leaf}|{f}") if errors else
                   ("" if (current.get(leaf) or {}).get(f) is None else current[leaf][f]),
                   "error": errors.get(f"{leaf}|{f}")} for f in inputs.fields_of(leaf)]
        lines.append({"stt": line.stt, "label": line.label, "unit": line.unit, "fields": fields})
    return await _page(datasette, request, {
        "mode": "entry", "form": form, "period": period, "unit": unit, "lines": lines, "errors": errors,
        "saved": saved, "args": args, "forms": forms.FORMS,
        "report_href": datasette.urls.path(f"{PATH}/{code}") + "?" + _query(args)},
        status=400 if errors else 200)


@hookimpl
def register_routes():
    return [
        (r"^/-/btxh/bao-cao/?$", index),
        (r"^/-/btxh/bao-cao/(?P<form>10[abcd]|du-toan)(?P<ext>\.csv|\.xlsx|\.json)?$", report),
        (r"^/-/btxh/bao-cao/(?P<form>10[abcd])/nhap$", entry),
    ]


@hookimpl
def menu_links(datasette, actor):
    if role_of(actor) in STAFF_ROLES:
        return [{"href": datasette.urls.path(PATH), "label": "Báo cáo định kỳ (mẫu 10a–10d)"}]
