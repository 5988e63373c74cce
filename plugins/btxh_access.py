"""Access glue: Datasette asks btxh.access; secrets stay out of every Datasette query."""

import json
import sqlite3

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import await_me_maybe, tilde_decode
from datasette.utils.asgi import Request, Response

from btxh import access, clock, door, scoping

# Columns no Datasette connection may read, whatever SQL is sent
_SECRET_COLUMNS = frozenset({("user_credentials", "password_hash")})


@hookimpl(trylast=True)
def permission_allowed(datasette, actor, action, resource):
    # trylast: Datasette keeps the last non-None answer, so ours is final
    return access.allowed(actor, action, resource)


def _authorizer(action, arg1, arg2, db_name, trigger):
    if action == sqlite3.SQLITE_READ and (arg1, arg2) in _SECRET_COLUMNS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


# The analysts' door: an allowlist of reference tables and aggregate views (btxh/door.py)
_analyst_authorizer = door.authorize


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


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


async def _actor(datasette, scope):
    request = Request(scope, None)
    for actor in pm.hook.actor_from_request(datasette=datasette, request=request):
        actor = await await_me_maybe(actor)
        if actor:
            return actor
    return None


async def _refuse(datasette, send, actor=None):
    html = await datasette.render_template(
        "error.html", {"status": 403, "error": "", "title": None, "actor": actor})
    await Response.html(html, status=403).asgi_send(send)


DATABASE = "btxh"


async def _communes(datasette, scope) -> list[str]:
    """The commune codes of a scope (a province's are read from the communes table)."""
    codes = set(scope.communes)
    if scope.province:
        result = await datasette.get_database(DATABASE).execute(
            "SELECT code FROM communes WHERE province_code = ?", [scope.province])
        codes.update(row[0] for row in result.rows)
    return sorted(codes)


async def _log_sql(datasette, actor, scope) -> None:
    """Record who ran which SQL (issue 4: every SQL run by an analyst is logged)."""
    from urllib.parse import parse_qs

    path = scope.get("path", "")
    database = next((name for name in (DATABASE, access.ANALYST_DATABASE)
                     if path == f"/{name}" or path.startswith(f"/{name}.")), None)
    if database is None:
        return
    args = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    sql = (args.get("sql") or [""])[0].strip()
    if not sql or database not in datasette.databases:
        return
    if not await datasette.permission_allowed(actor, "execute-sql", database):
        return
    params = {k: v[0] for k, v in args.items() if k != "sql" and not k.startswith("_")}
    await datasette.get_database(DATABASE).execute_write(
        "INSERT INTO sql_log (at, actor, role, database_name, sql, params) VALUES (?, ?, ?, ?, ?, ?)",
        [clock.now_iso(), actor.get("id"), actor.get("role"), database, sql,
         json.dumps(params, ensure_ascii=False) if params else None])


async def _scoped(datasette, actor, scope):
    """None to let the request through (its ASGI scope possibly rewritten), or False to refuse.

    Commune scoping (docs/decisions/007-commune-scoping.md): a table request gets
    ``commune_code__in=<the actor's communes>`` appended, which Datasette ANDs with whatever
    else the request asks (filters, facets, search, JSON, CSV); a row request is served only
    when the row's commune is the actor's.
    """
    if DATABASE not in datasette.databases:
        return scope
    area = scoping.scope_of(actor)
    decision = scoping.gate(area, DATABASE, scope.get("path", ""), tilde_decode)
    if not decision.allow:
        return False
    if decision.check_row:
        table, pk = decision.check_row
        result = await datasette.get_database(DATABASE).execute(
            f"SELECT commune_code FROM [{table}] WHERE id = ?", [pk])
        if result.rows and result.rows[0][0] not in await _communes(datasette, area):
            return False
    if decision.filter_communes:
        codes = await _communes(datasette, area) or ["-"]
        extra = ("commune_code__in=" + ",".join(codes)).encode()
        query = scope.get("query_string", b"")
        scope = dict(scope, query_string=query + b"&" + extra if query else extra)
    return scope


@hookimpl
def forbidden(datasette, request, message):
    async def inner():
        return Response.html(await datasette.render_template(
            "error.html", {"status": 403, "error": message, "title": None}, request=request),
            status=403)

    return inner


@hookimpl
def asgi_wrapper(datasette):
    """Default deny in front of Datasette: an anonymous request reaches only the public
    paths (btxh.access.PUBLIC_PATHS), whatever Datasette or another plugin would serve.
    Also drops any Authorization header, so Basic auth never acts for a user."""

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

            actor = await _actor(datasette, scope)
            if not access.is_public_path(scope.get("path", "")) and not actor:
                return await _refuse(datasette, send_with_headers)
            if actor:
                await _log_sql(datasette, actor, scope)
                scope = await _scoped(datasette, actor, scope)
                if scope is False:
                    return await _refuse(datasette, send_with_headers, actor)
            await app(scope, receive, send_with_headers)

        return btxh_guard

    return wrap
