"""Printable decisions (quyết định): /-/btxh/quyet-dinh/<id>, an A4 portrait page.

Parse the request, ask btxh.scoping whether the actor may see the decision's commune,
call btxh.decision_doc, render. PDF comes from the browser's print dialog.
"""

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import decision_doc, glue, scoping
from btxh.access import IDENTITY_ROLES, may_know_hiv, role_of

STAFF_ROLES = IDENTITY_ROLES  # names and birth dates: not for analysts (ADR 008)


_database = glue.database


_read = glue.read


async def _page(datasette, request, context, status=200):
    return Response.html(
        await datasette.render_template("btxh_quyet_dinh.html", context, request=request), status=status)


async def decision_page(request, datasette):
    actor = request.actor
    if role_of(actor) not in STAFF_ROLES:
        return Response.html(await datasette.render_template(
            "error.html", {"status": 403, "error": "", "title": None}, request=request), status=403)
    decision_id = int(request.url_vars["id"])
    where = None if decision_id > scoping.MAX_ROW_ID else await _read(
        datasette, lambda db: decision_doc.scope_of(db, decision_id))
    refusal = scoping.row_refusal(actor, where and (where["commune_code"], where["province_code"]))
    if refusal == 404:
        return await _page(datasette, request, {
            "doc": None, "message": f"Không tìm thấy quyết định số hiệu {decision_id}."}, status=404)
    if refusal:
        return Response.html(await datasette.render_template(
            "error.html", {"status": 403, "error": "", "title": None}, request=request), status=403)
    knows = may_know_hiv(actor, [where["commune_code"]])  # else nothing that sets K3/K8 apart
    doc = await _read(datasette, lambda db: decision_doc.build(db, decision_id, may_know_hiv=knows))
    return await _page(datasette, request, {"doc": doc})


@hookimpl
def register_routes():
    return [(r"^/-/btxh/quyet-dinh/(?P<id>\d+)$", decision_page)]
