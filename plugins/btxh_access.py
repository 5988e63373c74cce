"""Access glue: Datasette asks btxh.access; secrets stay out of every Datasette query."""

import sqlite3

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import await_me_maybe
from datasette.utils.asgi import Request, Response

from btxh import access

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


@hookimpl
def prepare_connection(conn):
    conn.set_authorizer(_authorizer)


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


async def _refuse(datasette, send):
    html = await datasette.render_template(
        "error.html", {"status": 403, "error": "", "title": None, "actor": None})
    await Response.html(html, status=403).asgi_send(send)


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

            if not access.is_public_path(scope.get("path", "")) and not await _actor(datasette, scope):
                return await _refuse(datasette, send_with_headers)
            await app(scope, receive, send_with_headers)

        return btxh_guard

    return wrap
