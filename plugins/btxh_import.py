"""Importing a beneficiary list from a spreadsheet: /-/btxh/nhap (upload → dry run → confirm).

Staff who may write (can_bo_xa for their communes, quan_tri) upload a file; the page shows
what would be inserted, updated or left unchanged, or every problem with its row and column;
"Ghi vào sổ" re-checks the same file and writes it in one transaction (btxh.importing).
The body is streamed to a private folder with the size limit enforced while reading (413
past it); a checked file waits for its uploader only, under a random token, for an hour at
most (btxh.importing.upload; issue 11).
The sample template is /-/btxh/nhap/mau-danh-sach.xlsx; the how-to /-/btxh/nhap/huong-dan.
"""

import asyncio
import hmac

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import cases, glue, scoping, store
from btxh.access import role_of
from btxh.importing import ACTION_LABELS, FileRefused, beneficiaries, upload as uploads
from btxh.importing.template import sample_xlsx
from btxh.serving import ROOT

PATH = "/-/btxh/nhap"
HOWTO = ROOT / "docs" / "nhap-du-lieu.md"
SHOWN = 500
TOO_LARGE = f"Tệp quá lớn (tối đa {uploads.MAX_BYTES // 1024 // 1024} MB): không nhận. Hãy chia danh sách thành nhiều tệp."
NO_FILE = "Chưa chọn tệp để nhập, hoặc tệp đã kiểm tra quá 1 giờ (đã xoá): hãy chọn lại tệp."


def _communes(db, actor):
    if role_of(actor) == "can_bo_xa":
        codes = list(actor.get("communes") or ())
        return [dict(zip(("code", "name"), r)) for r in db.execute(
            f"SELECT code, name FROM communes WHERE code IN ({','.join('?' * len(codes))}) ORDER BY name",
            codes)] if codes else []
    return []


def _plan(path, upload_path, filename, commune, actor, write):
    db = store.open_db(path, create=False)
    try:
        outcome = beneficiaries.plan(db, upload_path.read_bytes(), filename, commune=commune or None,
                                     scope=scoping.scope_of(actor))
        if write and outcome.ok:
            beneficiaries.apply(db, outcome, actor["id"])
        return outcome
    finally:
        db.conn.close()


async def _page(datasette, request, context, status=200):
    return Response.html(await datasette.render_template("btxh_import.html", context, request=request),
                         status=status)


async def _chunks(request):
    """The request body as it arrives (never all of it in memory)."""
    while True:
        message = await request.receive()
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body"):
            return


async def _form(request, datasette, context, folder):
    """(form fields, uploaded file's path or None), or the refusal page: over the limit (413,
    announced or while reading), or a CSRF token that does not match (403)."""
    if uploads.too_large_announced(request.headers.get("content-length")):
        return None, await _page(datasette, request, {**context, "error": TOO_LARGE}, 413)
    try:
        form, path = await uploads.read_multipart(_chunks(request), request.headers.get("content-type", ""),
                                                  folder)
    except uploads.TooLarge:
        return None, await _page(datasette, request, {**context, "error": TOO_LARGE}, 413)
    except uploads.BadForm:
        return None, await _page(datasette, request, {**context, "error": "Không đọc được biểu mẫu gửi lên: tải "
                                                                          "lại trang rồi chọn lại tệp."}, 400)
    # asgi-csrf cannot read multipart bodies with the installed python-multipart (skip_csrf below):
    # the same double-submit check is made here — the form's token must equal the signed cookie
    cookie, token = request.cookies.get("ds_csrftoken", ""), form.get("csrftoken")
    if not cookie or not isinstance(token, str) or not hmac.compare_digest(cookie, token):
        if path:
            path.unlink(missing_ok=True)
        return None, await _page(datasette, request, {**context, "error": "Phiên làm việc hết hạn (CSRF): tải lại "
                                                                          "trang rồi chọn lại tệp."}, 403)
    return (form, path), None


async def upload(request, datasette):
    actor = request.actor
    if role_of(actor) not in cases.WRITER_ROLES:
        return Response.html(await glue.forbidden_html(datasette, request), status=403)
    communes = await glue.read(datasette, lambda db: _communes(db, actor))
    context = {"communes": communes, "path": PATH, "outcome": None, "error": None, "form": {}}
    if request.method != "POST":
        return await _page(datasette, request, context)
    folder = uploads.private_folder(glue.database(datasette).path)
    received, refusal = await _form(request, datasette, context, folder)
    if refusal:
        return refusal
    form, path = received
    commune = form.get("commune", "").strip()
    if role_of(actor) == "can_bo_xa" and commune not in {c["code"] for c in communes}:
        commune = communes[0]["code"] if communes else ""
    token, write = form.get("token", ""), False
    if path:
        filename, token = form["file"] or "tep", ""
    else:
        kept = uploads.take(folder, token, actor["id"])  # only the uploader's own, within the hour
        if kept is None:
            return await _page(datasette, request, {**context, "error": NO_FILE}, 400)
        if form.get("cancel") == "1":
            uploads.discard(folder, token)
            return await _page(datasette, request, {**context, "cancelled": True})
        path, filename = kept
        write = form.get("confirm") == "1"
    try:
        outcome = await asyncio.to_thread(_plan, glue.database(datasette).path, path, filename,
                                          commune, actor, write)
    except FileRefused as e:
        outcome, error = None, str(e)
    actions = [(label, ACTION_LABELS[a], text) for label, a, text in outcome.actions if a != "giu"] if outcome else []
    if token and (write or outcome is None):
        uploads.discard(folder, token)  # written (or refused): never kept for a second write
    elif not token and outcome is not None and outcome.ok and actions:
        token = uploads.keep(folder, path, actor["id"], filename)  # for "Ghi vào sổ", this account only
    else:
        path.unlink(missing_ok=True)
    if outcome is None:
        return await _page(datasette, request, {**context, "error": error}, 400)
    return await _page(datasette, request, {
        **context, "outcome": outcome, "problems": [str(p) for p in outcome.problems[:SHOWN]],
        "more_problems": max(0, len(outcome.problems) - SHOWN), "actions": actions[:SHOWN],
        "more_actions": max(0, len(actions) - SHOWN), "written": write and outcome.ok,
        "form": {"token": token, "commune": commune}},
        400 if outcome.problems else 200)


async def sample(request, datasette):
    if role_of(request.actor) not in cases.WRITER_ROLES:
        return Response.html(await glue.forbidden_html(datasette, request), status=403)
    return Response(sample_xlsx(), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"content-disposition": 'attachment; filename="mau-danh-sach-doi-tuong.xlsx"'})


async def howto(request, datasette):
    if role_of(request.actor) not in ("can_bo_xa", "tinh", "quan_tri"):
        return Response.html(await glue.forbidden_html(datasette, request), status=403)
    return await _page(datasette, request, {"howto": HOWTO.read_text(encoding="utf-8"), "path": PATH})


@hookimpl
def skip_csrf(datasette, scope):
    """Multipart uploads to the import page: the CSRF check is made in ``upload`` itself."""
    headers = dict(scope.get("headers") or [])
    return (scope.get("path", "").rstrip("/") == PATH
            and headers.get(b"content-type", b"").startswith(b"multipart/form-data"))


@hookimpl
def register_routes():
    return [
        (r"^/-/btxh/nhap/?$", upload),
        (r"^/-/btxh/nhap/mau-danh-sach\.xlsx$", sample),
        (r"^/-/btxh/nhap/huong-dan$", howto),
    ]


@hookimpl
def menu_links(datasette, actor):
    if role_of(actor) in cases.WRITER_ROLES:
        return [{"href": datasette.urls.path(PATH), "label": "Nhập danh sách từ Excel"}]
