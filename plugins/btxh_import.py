"""Importing a beneficiary list from a spreadsheet: /-/btxh/nhap (upload → dry run → confirm).

Staff who may write (can_bo_xa for their communes, quan_tri) upload a file; the page shows
what would be inserted, updated or left unchanged, or every problem with its row and column;
"Ghi vào sổ" re-checks the same file and writes it in one transaction (btxh.importing).
The sample template is /-/btxh/nhap/mau-danh-sach.xlsx; the how-to /-/btxh/nhap/huong-dan.
"""

import asyncio
import email.parser
import hmac
import email.policy
import hashlib
import re
import tempfile
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import cases, glue, scoping, store
from btxh.access import role_of
from btxh.importing import ACTION_LABELS, FileRefused, beneficiaries
from btxh.importing.template import sample_xlsx
from btxh.serving import ROOT

PATH = "/-/btxh/nhap"
MAX_BYTES = 50 * 1024 * 1024
HOWTO = ROOT / "docs" / "nhap-du-lieu.md"
SHOWN = 500


def _spool() -> Path:
    path = Path(tempfile.gettempdir()) / "btxh-nhap"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _multipart(content_type: str, body: bytes) -> dict:
    """Fields of a multipart/form-data body: name → str, or (filename, bytes) for files."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    out = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        out[name] = (filename, payload) if filename is not None else payload.decode("utf-8", "replace")
    return out


def _communes(db, actor):
    if role_of(actor) == "can_bo_xa":
        codes = list(actor.get("communes") or ())
        return [dict(zip(("code", "name"), r)) for r in db.execute(
            f"SELECT code, name FROM communes WHERE code IN ({','.join('?' * len(codes))}) ORDER BY name",
            codes)] if codes else []
    return []


def _plan(path, data, filename, commune, actor, write):
    db = store.open_db(path, create=False)
    try:
        outcome = beneficiaries.plan(db, data, filename, commune=commune or None,
                                     scope=scoping.scope_of(actor))
        if write and outcome.ok:
            beneficiaries.apply(db, outcome, actor["id"])
        return outcome
    finally:
        db.conn.close()


async def _page(datasette, request, context, status=200):
    return Response.html(await datasette.render_template("btxh_import.html", context, request=request),
                         status=status)


async def upload(request, datasette):
    actor = request.actor
    if role_of(actor) not in cases.WRITER_ROLES:
        return Response.html(await glue.forbidden_html(datasette, request), status=403)
    communes = await glue.read(datasette, lambda db: _communes(db, actor))
    context = {"communes": communes, "path": PATH, "outcome": None, "error": None, "form": {}}
    if request.method != "POST":
        return await _page(datasette, request, context)
    body = await request.post_body()
    if len(body) > MAX_BYTES:
        return await _page(datasette, request, {**context, "error": "Tệp quá lớn (tối đa 50 MB)."}, 400)
    form = _multipart(request.headers.get("content-type", ""), body)
    # asgi-csrf cannot read multipart bodies with the installed python-multipart (skip_csrf below):
    # the same double-submit check is made here — the form's token must equal the signed cookie
    cookie, token = request.cookies.get("ds_csrftoken", ""), form.get("csrftoken")
    if not cookie or not isinstance(token, str) or not hmac.compare_digest(cookie, token):
        return await _page(datasette, request, {**context, "error": "Phiên làm việc hết hạn (CSRF): tải lại trang "
                                                               "rồi chọn lại tệp."}, 403)
    commune = (form.get("commune") or "").strip() if isinstance(form.get("commune"), str) else ""
    if role_of(actor) == "can_bo_xa" and commune not in {c["code"] for c in communes}:
        commune = communes[0]["code"] if communes else ""
    if isinstance(form.get("file"), tuple) and form["file"][1]:
        filename, data = Path(form["file"][0] or "tep").name, form["file"][1]
        digest = hashlib.sha256(data).hexdigest()
        (_spool() / f"{digest}.bin").write_bytes(data)
        write = False
    else:
        digest = (form.get("sha256") or "") if isinstance(form.get("sha256"), str) else ""
        filename = Path(form.get("filename") or "tep").name if isinstance(form.get("filename"), str) else "tep"
        spooled = _spool() / f"{digest}.bin"
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not spooled.exists():
            return await _page(datasette, request, {**context, "error": "Chưa chọn tệp để nhập."}, 400)
        data = spooled.read_bytes()
        write = form.get("confirm") == "1"
    try:
        outcome = await asyncio.to_thread(_plan, glue.database(datasette).path, data, filename, commune, actor,
                                          write)
    except FileRefused as e:
        return await _page(datasette, request, {**context, "error": str(e)}, 400)
    if outcome.written or (write and outcome.ok):
        (_spool() / f"{digest}.bin").unlink(missing_ok=True)
    actions = [(label, ACTION_LABELS[a], text) for label, a, text in outcome.actions if a != "giu"]
    return await _page(datasette, request, {
        **context, "outcome": outcome, "problems": [str(p) for p in outcome.problems[:SHOWN]],
        "more_problems": max(0, len(outcome.problems) - SHOWN), "actions": actions[:SHOWN],
        "more_actions": max(0, len(actions) - SHOWN), "written": write and outcome.ok,
        "form": {"sha256": digest, "filename": filename, "commune": commune}},
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
