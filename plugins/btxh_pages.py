"""Our own pages: the home page, staff login and logout, password change; and the session
layer every request goes through (docs/decisions/004-access.md «Sessions»).

The ``ds_actor`` cookie holds only a signed random session id; ``actor_from_request`` turns
it into an actor by reading ``sessions`` and the account on every request (btxh.sessions),
on a connection of our own (Datasette's connections may be refused those tables).
Datasette's own signed-actor cookie reader is blocked, so an old or forged
``{"a": actor}`` cookie is nobody. ``asgi_wrapper`` binds CSRF tokens to the session and
marks cookies ``Secure`` over HTTPS.
"""

import asyncio
import sqlite3
import threading

import asgi_csrf
from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Response
from itsdangerous import BadSignature
from sqlite_utils import Database

from btxh import glue, serving, sessions, store, users

SESSION_COOKIE = "ds_actor"   # the name Datasette's logout and our tests know; the value is ours
CSRF_COOKIE = "ds_csrftoken"  # asgi-csrf's cookie in Datasette 0.65
_SESSION_NAMESPACE = "btxh-session"
_SCOPE_KEY = "btxh.session"   # per-request cache: the guard and the router both ask for the actor
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

# Only our sessions make an actor: not Datasette's signed {"a": actor} cookie (it cannot be
# revoked), not datasette-auth-passwords' Basic credentials (accounts from configuration)
pm.set_blocked("datasette.actor_auth_cookie")
for _name, _plugin in list(pm.list_name_plugin()):
    if getattr(_plugin, "__name__", "") == "datasette_auth_passwords":
        pm.set_blocked(_name)

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


# ---- our own connection, one per thread and database file ---------------------------

_local = threading.local()


def _db(path) -> Database:
    """A connection of this thread to the file (never Python's open(): see store)."""
    dbs = _local.__dict__.setdefault("dbs", {})
    if path not in dbs:
        dbs[path] = Database(store.configure(sqlite3.connect(str(path))))
    return dbs[path]


async def _in_db(datasette, fn, *args):
    path = glue.database(datasette).path
    return await asyncio.to_thread(lambda: fn(_db(path), *args))


# ---- sessions -------------------------------------------------------------------------

def _session_id(datasette, cookie: str | None) -> str | None:
    """The session id a cookie carries if we signed it, else None."""
    if not cookie:
        return None
    try:
        value = datasette.unsign(cookie, _SESSION_NAMESPACE)
    except BadSignature:
        return None
    return value.get("s") if isinstance(value, dict) and isinstance(value.get("s"), str) else None


@hookimpl(tryfirst=True)
def actor_from_request(datasette, request):
    async def inner():
        cookie = request.cookies.get(SESSION_COOKIE)
        cached = request.scope.get(_SCOPE_KEY)
        if cached and cached[0] == cookie:
            return cached[1]
        session_id = _session_id(datasette, cookie)
        actor = await _in_db(datasette, sessions.actor, session_id) if session_id else None
        request.scope[_SCOPE_KEY] = (cookie, actor)
        return actor

    return inner


def _login(db, username, password, address, user_agent, previous):
    actor, error = users.authenticate(db, username, password, address)
    if not actor:
        return None, error
    if previous:  # a new login in the same browser ends the session it had
        sessions.revoke(db, previous, "relogin")
    return sessions.start(db, username, user_agent=user_agent, address=address), None


async def login(request, datasette):
    error, status, headers = None, 200, {}
    username = ""
    next_path = sessions.safe_next(request.args.get("next", "/"))
    if request.method == "POST":
        form = await request.post_vars()
        username = (form.get("username") or "").strip().lower()
        next_path = sessions.safe_next(form.get("next", "/"))
        try:
            session_id, error = await _in_db(
                datasette, _login, username, form.get("password") or "",
                serving.client_address(request.scope), request.headers.get("user-agent"),
                _session_id(datasette, request.cookies.get(SESSION_COOKIE)))
        except sessions.Throttled as e:
            session_id, error, status = None, str(e), 429
            headers["retry-after"] = str(e.seconds)
        if session_id:
            response = Response.redirect(next_path)
            response.set_cookie(SESSION_COOKIE, datasette.sign({"s": session_id}, _SESSION_NAMESPACE),
                                max_age=int(sessions.LIFETIME.total_seconds()), httponly=True, samesite="lax")
            return response
        status = status if status != 200 else 401
    return Response.html(await datasette.render_template(
        "btxh_login.html", {"error": error, "username": username, "next": next_path},
        request=request,
    ), status=status, headers=headers)


async def logout(request, datasette):
    if request.method != "POST":
        if not request.actor:
            return Response.redirect("/")
        return Response.html(await datasette.render_template(
            "logout.html", {"actor": request.actor}, request=request))
    session_id = _session_id(datasette, request.cookies.get(SESSION_COOKIE))
    if session_id:
        await _in_db(datasette, sessions.revoke, session_id, "logout")
    response = Response.redirect("/")
    response.set_cookie(SESSION_COOKIE, "", expires=0, max_age=0, httponly=True, samesite="lax")
    datasette.add_message(request, "Đã đăng xuất.", datasette.INFO)
    return response


async def password(request, datasette):
    if not request.actor:
        return Response.redirect("/-/login?next=/-/btxh/mat-khau")
    problems, done = [], False
    if request.method == "POST":
        form = await request.post_vars()
        problems = await _in_db(
            datasette, lambda db: users.change_password(
                db, request.actor["id"], form.get("current") or "", form.get("new") or "",
                form.get("confirm") or "", address=serving.client_address(request.scope),
                keep_session=_session_id(datasette, request.cookies.get(SESSION_COOKIE))))
        done = not problems
    return Response.html(await datasette.render_template(
        "btxh_password.html", {"problems": problems, "done": done}, request=request),
        status=400 if problems else 200)


# ---- CSRF bound to the session, Secure cookies over HTTPS -------------------------------

def _cookie_pairs(scope) -> list[tuple[str, str]]:
    pairs = []
    for key, value in scope.get("headers") or []:
        if key.lower() == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, val = part.strip().partition("=")
                if name:
                    pairs.append((name, val))
    return pairs


def _with_cookie(scope, name: str, value: str) -> dict:
    """The scope with every ``name`` cookie the browser sent replaced by ``value``."""
    pairs = [(k, v) for k, v in _cookie_pairs(scope) if k != name] + [(name, value)]
    headers = [(k, v) for k, v in scope.get("headers") or [] if k.lower() != b"cookie"]
    headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in pairs).encode("latin-1")))
    return dict(scope, headers=headers)


def _secure(header: tuple) -> tuple:
    key, value = header
    attributes = [part.strip().lower() for part in value.split(b";")[1:]]
    if key.lower() == b"set-cookie" and b"secure" not in attributes:
        value = value + b"; Secure"
    return key, value


# asgi-csrf refuses with a bare English 403 (one of these bodies): we show our Vietnamese page
_ASGI_CSRF_REFUSALS = {message.encode("utf-8") for message in asgi_csrf.error_messages.values()}


async def _csrf_refusal(datasette, send):
    html = await datasette.render_template("btxh_csrf.html", {})
    await Response.html(html, status=403).asgi_send(send)


@hookimpl
def asgi_wrapper(datasette):
    """In front of asgi-csrf: a logged-in request's CSRF token is HMAC(secret, session id),
    whatever ``ds_csrftoken`` cookie arrived (a planted one is replaced); a form POST without
    any CSRF cookie (which asgi-csrf would let through) is refused; over HTTPS every cookie
    set is ``Secure``."""

    def wrap(app):
        async def btxh_sessions(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            cookies = dict(_cookie_pairs(scope))
            session_id = _session_id(datasette, cookies.get(SESSION_COOKIE))
            bound = None
            if session_id:
                bound = datasette.sign(sessions.csrf_secret(datasette._secret, session_id), "csrftoken")
                scope = _with_cookie(scope, CSRF_COOKIE, bound)
            elif scope.get("method") not in _SAFE_METHODS and CSRF_COOKIE not in cookies:
                return await _csrf_refusal(datasette, send)
            https = serving.is_https(scope)
            set_bound = bound is not None and cookies.get(CSRF_COOKIE) != bound
            held = None  # a 403's start, until its body tells whether asgi-csrf refused

            async def emit(event):
                if event["type"] == "http.response.start":
                    headers = list(event.get("headers") or [])
                    if set_bound:  # a response that sets a cookie is never cached (as Datasette does)
                        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"] + [
                            (b"set-cookie", f"{CSRF_COOKIE}={bound}; Path=/; SameSite=Lax".encode()),
                            (b"cache-control", b"private, no-store")]
                    if https:
                        headers = [_secure(h) for h in headers]
                    event = dict(event, headers=headers)
                await send(event)

            async def send_wrapped(event):
                nonlocal held
                if event["type"] == "http.response.start" and event["status"] == 403:
                    held = event
                    return
                if held is not None:
                    start, held = held, None
                    if event.get("body") in _ASGI_CSRF_REFUSALS:
                        return await _csrf_refusal(datasette, emit)
                    await emit(start)
                await emit(event)

            await app(scope, receive, send_wrapped)

        return btxh_sessions

    return wrap


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
        (r"^/-/logout$", logout),
        (r"^/-/password-tool$", not_found),
        (r"^/-/btxh/mat-khau$", password),
    ]


@hookimpl
def menu_links(datasette, actor):
    if actor:
        return [{"href": "/-/btxh/mat-khau", "label": "Đổi mật khẩu"}]
