"""Public pages (công khai), open to anonymous visitors: /cong-khai, /cong-khai/<tỉnh>,
/cong-khai/xa/<xã>. Reads through btxh.public, which decides what may be shown."""

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import glue, public


async def _page(datasette, request, context, status=200):
    html = await datasette.render_template("btxh_public.html", context, request=request)
    return Response.html(html, status=status, headers={"cache-control": "no-store"})


async def _not_found(datasette, request, message):
    return await _page(datasette, request, {"mode": "not_found", "message": message}, status=404)


async def provinces_page(request, datasette):
    rows = await glue.read(datasette, public.provinces)
    return await _page(datasette, request, {"mode": "provinces", "provinces": rows})


async def province_page(request, datasette):
    code = request.url_vars["province"]
    data = await glue.read(datasette, lambda db: public.province(db, code))
    if data is None:
        return await _not_found(datasette, request, f"Không có tỉnh, thành phố mã «{code}».")
    return await _page(datasette, request, {"mode": "province", "province": data})


async def commune_page(request, datasette):
    code = request.url_vars["commune"]
    q = (request.args.get("q") or "")[:100]
    page = await glue.read(datasette, lambda db: public.commune(db, code, q))
    if page is None:
        return await _not_found(datasette, request, f"Không có xã, phường mã «{code}».")
    return await _page(datasette, request, {"mode": "commune", "page": page, "money": public.money,
                                            "label": public.GENERIC_LABEL})


@hookimpl
def register_routes():
    return [
        (r"^/cong-khai/?$", provinces_page),
        (r"^/cong-khai/(?P<province>\d{2})$", province_page),
        (r"^/cong-khai/xa/(?P<commune>\d{5})$", commune_page),
    ]
