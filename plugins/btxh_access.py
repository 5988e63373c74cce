"""Access glue: Datasette asks btxh.access; secrets stay out of every Datasette query."""

import json
import sqlite3

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import await_me_maybe
from datasette.utils.asgi import Request, Response

from btxh import access, clock, door, scoping

# Columns no Datasette connection may read, whatever SQL is sent
_SECRET_COLUMNS = frozenset({("user_credentials", "password_hash")})


@hookimpl(trylast=True)
def permission_allowed(datasette, actor, action, resource):
    # trylast: Datasette keeps the last non-None answer, so ours is final
    return access.allowed(actor, action, resource)


def _authorizer(action, arg1, arg2, db_name, trigger):
    if action == sqlite3.SQLITE_READ and ((arg1, arg2) in _SECRET_COLUMNS or arg1 in access.SERVER_ONLY_TABLES):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn, database):
    if database == access.ANALYST_DATABASE:
        door.harden(conn)  # limits, authorizer, statement check (ADR 008)
    else:
        conn.set_authorizer(_authorizer)


@hookimpl
def startup(datasette):
    """Serve btxh.db a second time as the analysts' door (aggregate views only, ADR 008)."""
    from datasette.database import Database

    if DATABASE in datasette.databases and access.ANALYST_DATABASE not in datasette.databases:
        path = datasette.databases[DATABASE].path
        datasette.add_database(Database(datasette, path=path, is_mutable=True), name=access.ANALYST_DATABASE)


def _inline_script_hashes():
    """CSP hashes of the inline scripts our pages and Datasette's templates contain (all
    static), plus the one inline handler we use (`onclick="window.print()"`)."""
    import base64
    import hashlib
    import re
    from pathlib import Path

    import datasette

    folder = Path(datasette.__file__).parent / "templates"
    scripts = ["DATASETTE_ALLOW_FACET = true;", "DATASETTE_ALLOW_FACET = false;", "window.print()"]
    for name in ("_close_open_menus.html", "_codemirror_foot.html"):
        scripts += re.findall(r"<script>(.*?)</script>", (folder / name).read_text(), re.S)
    return " ".join(
        "'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts)


# Only our own origin: no CDN, no frames, no plugins; inline styles are allowed (Datasette's
# templates and ours use style attributes), inline scripts only by hash (ADR 004)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-hashes' " + _inline_script_hashes() + "; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]


async def _actor(datasette, scope):
    request = Request(scope, None)
    for actor in pm.hook.actor_from_request(datasette=datasette, request=request):
        actor = await await_me_maybe(actor)
        if actor:
            return actor
    return None


async def _refuse(datasette, send, actor=None, status=403, error=""):
    html = await datasette.render_template(
        "error.html", {"status": status, "error": error, "title": None, "actor": actor})
    await Response.html(html, status=status).asgi_send(send)


DATABASE = "btxh"
_MULTIPART_REFUSED = "Biểu mẫu này không nhận tệp đính kèm. Hãy gửi lại biểu mẫu từ trang của btxh."


def _routed_path(scope) -> str:
    """The path Datasette routes on: the raw (still percent-encoded) path when there is one."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope.get("path", "")
    return path.partition("?")[0]


def _args(scope) -> list[tuple[str, str]]:
    """The query parameters exactly as Datasette's Request.args decodes them."""
    from urllib.parse import parse_qsl

    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _is_multipart(scope) -> bool:
    if scope.get("method") in ("GET", "HEAD"):
        return False
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
    return content_type.lower().lstrip().startswith(b"multipart/")


async def _schema(datasette) -> dict:
    """Tables, columns and primary keys of the served database, read once."""
    cached = getattr(datasette, "_btxh_guard_schema", None)
    if cached is None:
        result = await datasette.get_database(DATABASE).execute(
            "SELECT m.name, m.type, p.name, p.type, p.pk FROM sqlite_master m"
            " JOIN pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') ORDER BY m.name, p.cid")
        tables: dict = {}
        for table, kind, column, ctype, pk in result.rows:
            tables.setdefault(table, {"columns": [], "pks": [], "view": kind == "view"})
            tables[table]["columns"].append(column)
            if pk:
                tables[table]["pks"].append((pk, column, ctype or ""))
        cached = {name: scoping.Table(tuple(t["columns"]), tuple((c, k) for _, c, k in sorted(t["pks"])), t["view"])
                  for name, t in tables.items()}
        datasette._btxh_guard_schema = cached
    return cached


async def _row_in_scope(datasette, area, table: str, pk: str) -> bool:
    """One query joining the scope: a missing row and another commune's row look the same."""
    condition, params = scoping.scope_sql(area)
    result = await datasette.get_database(DATABASE).execute(
        f"SELECT 1 FROM [{table}] WHERE id = :btxh_id AND {condition}", {**params, "btxh_id": int(pk)})
    return bool(result.rows)


async def _log_sql(datasette, actor, scope, path) -> None:
    """Record who ran which SQL: `?sql=` and `?_where=` (issue 4; issue 11, finding 9)."""
    database = next((name for name in (DATABASE, access.ANALYST_DATABASE)
                     if scoping.is_database_path(path, [name])), None)
    if database is None or database not in datasette.databases:
        return
    args = _args(scope)
    sql = next((v.strip() for k, v in args if k == "sql"), "")
    wheres = [v for k, v in args if k == "_where"]
    if wheres and not sql:
        table = path[len(database) + 2:].split("/")[0].rsplit(".", 1)[0] or "?"
        sql = f"select * from [{table}] where " + " and ".join(f"({w})" for w in wheres)
    if not sql:
        return
    if not await datasette.permission_allowed(actor, "execute-sql", database):
        return
    params = {k: v for k, v in args if k != "sql" and not k.startswith("_")}
    await datasette.get_database(DATABASE).execute_write(
        "INSERT INTO sql_log (at, actor, role, database_name, sql, params) VALUES (?, ?, ?, ?, ?, ?)",
        [clock.now_iso(), actor.get("id"), actor.get("role"), database, sql,
         json.dumps(params, ensure_ascii=False) if params else None])


async def _database_request(datasette, actor, scope, path):
    """The ASGI scope to serve (possibly rewritten), or None to refuse.

    The allowlist (btxh.scoping.decide, docs/decisions/007-commune-scoping.md): a table request
    carries the actor's scope (ANDed into Datasette's query by ``filters_from_request`` below,
    so it never shows in a URL) and gets ``_nocol=<hidden columns>`` appended; a row request is
    served only when one query finds the row in the actor's communes.
    """
    if DATABASE not in datasette.databases:
        return None
    database = DATABASE if scoping.is_database_path(path, [DATABASE]) else access.ANALYST_DATABASE
    decision = scoping.decide(actor, database, path, _args(scope), await _schema(datasette),
                              access.ANALYST_DATABASE)
    if not decision.allow:
        return None
    area = scoping.scope_of(actor)
    if decision.check_row and not await _row_in_scope(datasette, area, *decision.check_row):
        return None
    if decision.filter_communes:
        scope = dict(scope, btxh_scope=area)
    if decision.hide:
        from urllib.parse import urlencode

        query = scope.get("query_string", b"")
        added = urlencode([("_nocol", column) for column in decision.hide]).encode()
        scope = dict(scope, query_string=query + b"&" + added if query else added)
    return scope


@hookimpl
def filters_from_request(request, database, table, datasette):
    """AND the actor's scope, set by the guard on the ASGI scope, into every table query
    (rows, counts, facets, pagination, JSON and CSV alike)."""
    from datasette.filters import FilterArguments

    area = request.scope.get("btxh_scope")
    if area is None:
        return None
    condition, params = scoping.scope_sql(area)
    return FilterArguments([condition], params=params)


async def _allowed_scope(datasette, actor, scope, path):
    """The allowlist of URL shapes: our routes by role, database URLs by btxh.scoping, and
    Datasette's own pages (/-/…, /_internal) for the administrator only."""
    route = access.route_allowed(actor, path)
    if route is not None:
        return scope if route else None
    role = access.role_of(actor)
    if role is None:
        return None
    if scoping.is_database_path(path, [DATABASE, access.ANALYST_DATABASE]):
        if scope.get("method") not in scoping.DATABASE_METHODS:
            return None
        return await _database_request(datasette, actor, scope, path)
    return scope if role == "quan_tri" else None


@hookimpl
def extra_template_vars(view_name, database, request):
    """A row page's "links from other tables" and the registry's table list count rows outside
    the actor's scope (every commune's persons, a category's memberships): only those who may
    see them get the numbers."""
    if access.may_count_references(request.actor if request else None):
        return {}
    if view_name == "row":
        return {"foreign_key_tables": []}
    if view_name == "database" and database == DATABASE:
        return {"btxh_hide_counts": True}
    return {}


@hookimpl
def forbidden(datasette, request, message):
    async def inner():
        return Response.html(await datasette.render_template(
            "error.html", {"status": 403, "error": message, "title": None}, request=request),
            status=403)

    return inner


@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    """The allowlist in front of Datasette (docs/decisions/004-access.md, 007): a request
    reaches Datasette only through a known URL shape with known parameters for its role;
    anything else gets a Vietnamese 403 (400 for a file sent to a form that takes none).
    Also drops any Authorization header, so Basic auth never acts for a user.
    trylast: Datasette wraps in hook order, so this wrapper is the outermost and its security
    headers reach every response, the session layer's CSRF refusals included."""

    def wrap(app):
        async def btxh_guard(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"authorization"]
            scope = dict(scope, headers=headers)

            async def send_with_headers(event):
                if event["type"] == "http.response.start":
                    event = dict(event, headers=list(event.get("headers", [])) + _SECURITY_HEADERS)
                await send(event)

            path = _routed_path(scope)
            actor = await _actor(datasette, scope)
            if _is_multipart(scope) and not access.may_upload_to(path):
                return await _refuse(datasette, send_with_headers, actor, 400, _MULTIPART_REFUSED)
            allowed = await _allowed_scope(datasette, actor, scope, path)
            if allowed is None:
                return await _refuse(datasette, send_with_headers, actor)
            if actor:
                await _log_sql(datasette, actor, allowed, path)
            await app(allowed, receive, send_with_headers)

        return btxh_guard

    return wrap
