"""What the transfer security tests share: requests as a user, and reading the registry."""

import asyncio
import re

from btxh import store

CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def get(site, user, path):
    return asyncio.run(site["ds"].client.get(path, cookies=site["cookies"].get(user, {})))


def post(site, user, path, data, token=True, token_user=None):
    """POST as ``user`` with the CSRF token of a session (``user``'s own unless another is
    named; tokens are bound to the session, and any page with the menu carries one)."""
    async def go():
        page = await site["ds"].client.get("/", cookies=site["cookies"].get(token_user or user, {}))
        extra = {"csrftoken": CSRF.search(page.text).group(1)} if token else {}
        return await site["ds"].client.post(
            path, data={**data, **extra},
            cookies={**site["cookies"].get(user, {}), "ds_csrftoken": page.cookies["ds_csrftoken"]})
    return asyncio.run(go())


def query(site, sql, params=()):
    db = store.open_db(site["path"], create=False)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.conn.close()


def decisions_in(site, commune):
    return query(site, "SELECT id, number, signer_name FROM decisions WHERE commune_code = ? ORDER BY id", [commune])
