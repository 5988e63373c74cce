"""What our Datasette plugins share (plugins/ files cannot import one another).

Duck-typed over the ``datasette`` object: nothing here imports Datasette.
"""

from __future__ import annotations

from sqlite_utils import Database

DATABASE = "btxh"


def database(datasette):
    """The registry database of a running Datasette (``btxh``, else its only database)."""
    return datasette.get_database(DATABASE) if DATABASE in datasette.databases else datasette.get_database()


async def read(datasette, fn):
    """Run ``fn(sqlite_utils.Database)`` on one of Datasette's read connections."""
    return await database(datasette).execute_fn(lambda conn: fn(Database(conn)))


async def forbidden_html(datasette, request) -> str:
    """Our Vietnamese 403 page (templates/error.html)."""
    return await datasette.render_template(
        "error.html", {"status": 403, "error": "", "title": None}, request=request)
