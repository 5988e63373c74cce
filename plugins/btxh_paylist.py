"""Payment lists for the paying agent: /-/btxh/chi-tra[/<commune>/<month>[.csv|.xlsx]].

Parse the request, ask btxh.scoping who may see the commune, call btxh.paylist, render.
"""

import asyncio

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import glue, paylist, scoping
from btxh.access import IDENTITY_ROLES, role_of

PAYLIST_ROLES = IDENTITY_ROLES  # names and birth dates: not for analysts (ADR 008)
INDEX_PATH = "/-/btxh/chi-tra"


_database = glue.database


_read = glue.read


async def _page(datasette, request, context, status=200):
    return Response.html(
        await datasette.render_template("btxh_paylist.html", context, request=request), status=status)


async def _forbidden(datasette, request):
    return Response.html(await glue.forbidden_html(datasette, request), status=403)


async def _not_found(datasette, request, message):
    return await _page(datasette, request, {"mode": "not_found", "message": message,
                                            "index_href": datasette.urls.path(INDEX_PATH)}, status=404)


async def paylist_page(request, datasette):
    actor = request.actor
    if role_of(actor) not in PAYLIST_ROLES:
        return await _forbidden(datasette, request)
    code = request.url_vars["commune"]
    month = request.url_vars["month"]
    fmt = (request.url_vars.get("ext") or "").lstrip(".") or "html"
    unit = await _read(datasette, lambda db: paylist.commune(db, code))
    if unit is None:
        return await _not_found(datasette, request, f"Mã xã «{code}» không có trong danh mục.")
    if not scoping.may_see_commune(actor, code, unit["province_code"]):
        return await _forbidden(datasette, request)
    try:
        pl = await _read(datasette, lambda db: paylist.build(db, code, month))
    except paylist.PaylistError as e:
        return await _not_found(datasette, request, str(e))
    if fmt in ("csv", "xlsx"):
        body = await asyncio.to_thread(paylist.render, pl, fmt)
        return Response(body, content_type=paylist.CONTENT_TYPES[fmt], headers={
            "content-disposition": f'attachment; filename="{pl.filename(fmt)}"',
            "cache-control": "no-store",
        })
    base = datasette.urls.path(f"{INDEX_PATH}/{code}/{month}")
    links = {"index": datasette.urls.path(INDEX_PATH), "csv": base + ".csv", "xlsx": base + ".xlsx"}
    return await _page(datasette, request, paylist.html_context(pl, links=links))


async def paylist_index(request, datasette):
    actor = request.actor
    if role_of(actor) not in PAYLIST_ROLES:
        return await _forbidden(datasette, request)
    scope = scoping.scope_of(actor)
    entries = await _read(datasette, lambda db: paylist.index(db, scope))
    months = []
    for e in entries:
        if not months or months[-1]["month"] != e["month"]:
            months.append({"month": e["month"], "label": paylist.month_label(e["month"]), "entries": []})
        months[-1]["entries"].append({
            **e,
            "href": datasette.urls.path(f"{INDEX_PATH}/{e['commune_code']}/{e['month']}"),
            "status_label": paylist.STATUS_LABELS.get(e["run_status"], e["run_status"]),
        })
    return await _page(datasette, request, {"mode": "index", "months": months})


@hookimpl
def register_routes():
    return [
        (r"^/-/btxh/chi-tra/?$", paylist_index),
        (r"^/-/btxh/chi-tra/(?P<commune>\d{5})/(?P<month>\d{4}-\d{2})(?P<ext>\.csv|\.xlsx)?$",
         paylist_page),
    ]


@hookimpl
def menu_links(datasette, actor):
    if role_of(actor) in PAYLIST_ROLES:
        return [{"href": datasette.urls.path(INDEX_PATH), "label": "Danh sách chi trả"}]
