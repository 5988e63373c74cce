"""Public pages (công khai), open to anonymous visitors: /cong-khai, /cong-khai/<tỉnh>,
/cong-khai/xa/<xã> and the commune's notices (quyet-dinh, niem-yet, ho-tro). Reads through
btxh.public and btxh.notices, which decide what may be shown; this file only renders."""

import jinja2
from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import glue, notices, public, serving

TITLES = {"commune": "Danh sách hưởng trợ cấp", "decisions": "Quyết định trong tháng",
          "posting": "Niêm yết xét duyệt", "programs": "Hỗ trợ một lần", "program": "Hỗ trợ một lần"}


# The public frame is stand-alone (no Datasette menu or globals), so it is rendered by a plain,
# synchronous Jinja environment: Datasette's is async, and a commune list of 1,400 rows
# renders about four times faster this way (bench/bench_public.py).
_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(str(serving.TEMPLATES)),
                                autoescape=True, auto_reload=False)


async def _page(datasette, request, context, status=200):
    context = {"money": public.money, "label": public.GENERIC_LABEL, "head": None, **context}
    context.setdefault("title", TITLES.get(context["mode"], ""))
    html = _TEMPLATES.get_template("btxh_public.html").render(context)
    return Response.html(html, status=status, headers={"cache-control": "no-store"})


async def _not_found(datasette, request, message):
    return await _page(datasette, request, {"mode": "not_found", "message": message}, status=404)


def _no_commune(code):
    return f"Không có xã, phường mã «{code}»."


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
        return await _not_found(datasette, request, _no_commune(code))
    return await _page(datasette, request, {"mode": "commune", "page": page, "head": page})


def _notice_view(mode, read, missing=_no_commune):
    async def view(request, datasette):
        v = request.url_vars
        notice = await glue.read(datasette, lambda db: read(db, v))
        if notice is None:
            return await _not_found(datasette, request, missing(v["commune"]))
        return await _page(datasette, request, {"mode": mode, "notice": notice, "head": notice.head})
    return view


decisions_page = _notice_view("decisions", lambda db, v: notices.decisions(db, v["commune"], v.get("month")))
posting_page = _notice_view("posting", lambda db, v: notices.posting(db, v["commune"]))
programs_page = _notice_view("programs", lambda db, v: notices.programs(db, v["commune"]))
program_page = _notice_view("program", lambda db, v: notices.program(db, v["commune"], v["program"]),
                            lambda code: f"Không có chương trình này ở xã, phường mã «{code}».")


@hookimpl
def register_routes():
    commune = r"^/cong-khai/xa/(?P<commune>\d{5})"
    return [
        (r"^/cong-khai/?$", provinces_page),
        (r"^/cong-khai/(?P<province>\d{2})$", province_page),
        (commune + r"$", commune_page),
        (commune + r"/quyet-dinh$", decisions_page),
        (commune + r"/quyet-dinh/(?P<month>20\d\d-(0[1-9]|1[0-2]))$", decisions_page),
        (commune + r"/niem-yet$", posting_page),
        (commune + r"/ho-tro$", programs_page),
        (commune + r"/ho-tro/(?P<program>[A-Z0-9]{2,30})$", program_page),
    ]
