"""Our own pages: the home page, staff login. Parse the request, call btxh, render."""

import asyncio
import time
from urllib.parse import urlparse

from datasette import hookimpl
from datasette.utils import baseconv
from datasette.utils.asgi import Response

from btxh import glue, store, users

SESSION_SECONDS = 8 * 3600  # one working day

# Table groups shown to staff on the home page, in order
_GROUPS = [
    ("Sổ đối tượng", ["applications", "persons", "memberships", "membership_children", "households",
                      "household_poverty", "care_entitlements", "social_pensions", "decisions"]),
    ("Chi trả", ["payroll_runs", "ledger"]),
    ("Mức chuẩn và hệ số", ["base_levels", "coefficients", "categories", "programs", "decision_kinds"]),
    ("Đơn vị hành chính", ["provinces", "communes", "villages", "area_flags", "legacy_provinces",
                           "legacy_districts", "legacy_communes", "province_succession",
                           "commune_succession", "data_sources"]),
    ("Quản trị", ["users", "user_communes", "roles", "audit_log", "sql_log"]),
]


_database = glue.database


async def home(request, datasette):
    db = _database(datasette)
    if request.actor and request.actor.get("role") == "phan_tich" and "phan_tich" in datasette.databases:
        db = datasette.get_database("phan_tich")  # the analysts' door
    groups = []
    if request.actor:
        meta = datasette.metadata("tables", database=db.name) or {}
        for title, names in _GROUPS:
            tables = []
            for name in names:
                if await datasette.permission_allowed(request.actor, "view-table", (db.name, name)):
                    info = meta.get(name, {})
                    tables.append({"name": name, "title": info.get("title", name),
                                   "description": info.get("description")})
            if tables:
                groups.append({"title": title, "tables": tables})
    can_sql = bool(request.actor) and await datasette.permission_allowed(
        request.actor, "execute-sql", db.name)
    return Response.html(await datasette.render_template(
        "btxh_home.html",
        {"groups": groups, "database": db.name, "can_sql": can_sql},
        request=request,
    ))


def _safe_next(value: str) -> str:
    """Only same-site paths may follow a login (no open redirect)."""
    parsed = urlparse(value or "/")
    if parsed.scheme or parsed.netloc or not (value or "/").startswith("/") or value.startswith("//"):
        return "/"
    return value or "/"


def _check_login(path, username, password):
    db = store.open_db(path, create=False)
    try:
        return users.authenticate(db, username, password)
    finally:
        db.conn.close()


async def login(request, datasette):
    error = None
    username = ""
    next_path = _safe_next(request.args.get("next", "/"))
    if request.method == "POST":
        form = await request.post_vars()
        username = (form.get("username") or "").strip().lower()
        password = form.get("password") or ""
        next_path = _safe_next(form.get("next", "/"))
        actor, error = await asyncio.to_thread(
            _check_login, _database(datasette).path, username, password)
        if actor:
            response = Response.redirect(next_path)
            expires = baseconv.base62.encode(int(time.time()) + SESSION_SECONDS)
            response.set_cookie(
                "ds_actor",
                datasette.sign({"a": actor, "e": expires}, "actor"),
                httponly=True,
                samesite="lax",
            )
            return response
    response = Response.html(await datasette.render_template(
        "btxh_login.html", {"error": error, "username": username, "next": next_path},
        request=request,
    ), status=401 if error else 200)
    return response


def _change_password(path, username, current, new, confirm):
    db = store.open_db(path, create=False)
    try:
        return users.change_password(db, username, current, new, confirm)
    finally:
        db.conn.close()


async def password(request, datasette):
    if not request.actor:
        return Response.redirect("/-/login?next=/-/btxh/mat-khau")
    problems, done = [], False
    if request.method == "POST":
        form = await request.post_vars()
        problems = await asyncio.to_thread(
            _change_password, _database(datasette).path, request.actor["id"],
            form.get("current") or "", form.get("new") or "", form.get("confirm") or "")
        done = not problems
    return Response.html(await datasette.render_template(
        "btxh_password.html", {"problems": problems, "done": done}, request=request),
        status=400 if problems else 200)


async def not_found(request, datasette):
    return Response.html(await datasette.render_template(
        "error.html", {"status": 404, "error": "", "title": None}, request=request), status=404)


@hookimpl
def register_routes():
    # Plugins-dir routes are matched before other plugins' and Datasette's own:
    # "/" becomes our home page and "/-/login" our database-backed login; the
    # datasette-auth-passwords password tool (configuration-file accounts) is not offered.
    return [
        (r"^/$", home),
        (r"^/-/login$", login),
        (r"^/-/password-tool$", not_found),
        (r"^/-/btxh/mat-khau$", password),
    ]


@hookimpl
def menu_links(datasette, actor):
    if actor:
        return [{"href": "/-/btxh/mat-khau", "label": "Đổi mật khẩu"}]
