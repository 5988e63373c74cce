"""Datasette's own CSV (``/btxh/persons.csv``, ``…csv?sql=``) made inert like ours (issue 11, finding 8).

Datasette 0.65 writes table and query CSV itself, with no hook on its cells; with
``allow_csv_stream`` off it is at most one page of rows, so the response is collected here and
rewritten by ``btxh.exports.inert_csv``: text a spreadsheet would run as a formula gets a
leading ``'``. Our own downloads (``/-/btxh/…``) are written inert already and pass untouched.
"""

from datasette import hookimpl

from btxh import exports


def _is_csv_request(scope) -> bool:
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    return not path.startswith("/-/") and (path.endswith(".csv") or b"_format=csv" in query)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def btxh_inert_csv(scope, receive, send):
            if scope.get("type") != "http" or not _is_csv_request(scope):
                return await app(scope, receive, send)
            start, body = {}, []

            async def collect(event):
                if event["type"] == "http.response.start":
                    start.update(event)
                    return
                if event["type"] != "http.response.body":
                    return await send(event)
                body.append(event.get("body", b""))
                if event.get("more_body"):
                    return
                await _send_inert(send, start, b"".join(body))

            await app(scope, receive, collect)

        return btxh_inert_csv

    return wrap


async def _send_inert(send, start, data: bytes) -> None:
    headers = list(start.get("headers", []))
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if start.get("status") == 200 and content_type.startswith((b"text/csv", b"text/plain")):
        data = exports.inert_csv(data.decode("utf-8")).encode("utf-8")
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": data, "more_body": False})
