"""Issue 11, findings 11, 12, 14, 17 and 22 (cookies): the login form under attack.

Each test performs the red team's attack through the real form of a started Datasette.
"""

import asyncio
import hashlib
import re
import shutil

import httpx
import pytest

from btxh import store, users
from conftest import PASSWORD, login, start_datasette

_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


@pytest.fixture
def site(tmp_path, demo_db_path):
    """A copy of the commune demo with an officer ``w_xa`` (their own database: throttling
    state must not leak between tests)."""
    path = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    commune = db.execute("SELECT commune_code FROM persons LIMIT 1").fetchone()[0]
    users.add_user(db, username="w_xa", role="can_bo_xa", password=PASSWORD, communes=[commune])
    db.conn.close()
    return {"ds": start_datasette(path), "path": path}


def _client(ds, address="127.0.0.1", https=False):
    """A browser at ``address`` (http or https)."""
    transport = httpx.ASGITransport(app=ds.app(), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"{'https' if https else 'http'}://localhost")


async def _form_login(client, username, password, next_path=None, headers=None):
    """GET the login form (as a browser would), then POST it with its token and cookie."""
    page = await client.get("/-/login", params={"next": next_path} if next_path else None, headers=headers)
    token = _CSRF.search(page.text).group(1)
    data = {"username": username, "password": password, "csrftoken": token}
    if next_path is not None:
        data["next"] = next_path
    return await client.post("/-/login", data=data, headers=headers)


def _attempts(ds, address, pairs):
    async def go():
        async with _client(ds, address) as client:
            return [await _form_login(client, u, p) for u, p in pairs]
    return asyncio.run(go())


# ---- finding 11 -----------------------------------------------------------------------

def test_wrong_passwords_sent_by_an_attacker_do_not_lock_the_owner_out(site):
    ds = site["ds"]
    tries = _attempts(ds, "203.0.113.66", [("w_xa", f"doan-sai-{i}") for i in range(8)])
    assert [r.status_code for r in tries[:5]] == [401] * 5
    slowed = tries[5]
    assert slowed.status_code == 429 and "thử lại sau" in slowed.text
    assert 0 < int(slowed.headers["retry-after"]) <= 15 * 60
    # the owner, at their own desk, logs in with the right password at once
    owner = _attempts(ds, "198.51.100.7", [("w_xa", PASSWORD)])[0]
    assert owner.status_code == 302 and owner.cookies.get("ds_actor")
    failures = store.open_db(site["path"]).execute(
        "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND row_id = 'w_xa'").fetchone()[0]
    assert failures == 5  # every failure audited; the refused (429) tries never reached the check


def test_password_spraying_from_one_address_is_slowed(site):
    ds = site["ds"]
    tries = _attempts(ds, "203.0.113.67", [(f"ten-{i}", "123456789") for i in range(32)])
    assert {r.status_code for r in tries[:30]} == {401}
    assert tries[30].status_code == 429 and tries[31].status_code == 429
    assert _attempts(ds, "198.51.100.8", [("w_xa", PASSWORD)])[0].status_code == 302


# ---- finding 12 -----------------------------------------------------------------------

@pytest.mark.parametrize("next_path", [
    "/\\evil.example/", "//evil.example/", "/%5Cevil.example/", "/%5cevil.example/", "https:evil.example",
    "https://evil.example/", "/\t/evil.example/", "/%09/evil.example/", "/\n/evil.example/",
    "/%0a/evil.example/", "\\\\evil.example/", "/%2F/evil.example/", "/%252F/evil.example/",
    "/%5C%5Cevil.example/", " //evil.example/", "evil.example", "javascript:alert(1)",
], ids=lambda v: repr(v))
def test_login_next_parameter_cannot_send_staff_to_another_site(site, next_path):
    async def go():
        async with _client(site["ds"]) as client:
            return await _form_login(client, "w_xa", PASSWORD, next_path)
    response = asyncio.run(go())
    assert response.status_code == 302
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("next_path", ["/btxh/persons", "/-/btxh/ho-so/moi", "/btxh/persons?category=K6"])
def test_login_next_parameter_keeps_same_site_paths(site, next_path):
    async def go():
        async with _client(site["ds"]) as client:
            return await _form_login(client, "w_xa", PASSWORD, next_path)
    assert asyncio.run(go()).headers["location"] == next_path


# ---- finding 14 -----------------------------------------------------------------------

def test_login_csrf_a_cross_site_form_without_cookies_cannot_log_the_victim_in(site):
    """The attacker's page posts the attacker's own credentials; the victim's browser has no
    cookie for btxh yet, which asgi-csrf took as 'nothing to protect'."""
    async def go():
        async with _client(site["ds"]) as client:
            return await client.post("/-/login", data={"username": "w_xa", "password": PASSWORD})
    response = asyncio.run(go())
    assert response.status_code == 403
    assert "ds_actor" not in response.cookies
    assert "Biểu mẫu đã hết hạn" in response.text  # our Vietnamese page


@pytest.mark.parametrize("path,data", [
    ("/-/logout", {}),
    ("/-/btxh/ho-so/moi", {"commune_code": "x", "category": "K6", "full_name": "Gài Bẫy"}),
], ids=["logout", "new-application"])
def test_csrf_token_cookie_planted_from_another_port_is_not_accepted(site, path, data):
    """The attacker fetches a valid (signed) ds_csrftoken cookie and token pair from btxh as
    anybody, plants the cookie in the victim's browser from a page on another port of the
    same host (cookies ignore ports), then posts a form with the matching token."""
    ds = site["ds"]

    async def go():
        async with _client(ds) as attacker:
            page = await attacker.get("/-/login")
            token, planted = _CSRF.search(page.text).group(1), page.cookies["ds_csrftoken"]
        victim = {"ds_actor": (await login(ds, "w_xa")).cookies["ds_actor"]}
        return await ds.client.post(path, data={**data, "csrftoken": token},
                                    cookies={**victim, "ds_csrftoken": planted})
    refused = asyncio.run(go())
    assert refused.status_code == 403 and "Biểu mẫu đã hết hạn" in refused.text


def test_csrf_token_rendered_for_the_session_is_accepted(site):
    ds = site["ds"]
    victim = {"ds_actor": asyncio.run(login(ds, "w_xa")).cookies["ds_actor"]}
    page = asyncio.run(ds.client.get("/-/logout", cookies=victim))
    token = _CSRF.search(page.text).group(1)
    out = asyncio.run(ds.client.post("/-/logout", data={"csrftoken": token}, cookies=victim))
    assert out.status_code == 302  # the token alone, whatever ds_csrftoken cookie the browser holds


# ---- finding 17 -----------------------------------------------------------------------

def _pbkdf2_rounds(monkeypatch, fn):
    calls = []
    real = hashlib.pbkdf2_hmac

    def counting(name, password, salt, iterations, *args):
        calls.append(iterations)
        return real(name, password, salt, iterations, *args)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    result = fn()
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", real)
    return sum(calls), result


def test_login_work_does_not_tell_which_accounts_exist(site, monkeypatch):
    """Timing attack: an unknown name hashed twice (a fresh dummy hash, then the check),
    a real one once. Count the PBKDF2 work of each kind of failure: it must be equal."""
    db = store.open_db(site["path"])
    users.add_user(db, username="w_nghi", role="phan_tich", password=PASSWORD)
    db.execute("UPDATE users SET active = 0 WHERE username = 'w_nghi'")
    db.conn.commit()
    work = {name: _pbkdf2_rounds(monkeypatch, lambda: users.authenticate(db, name, "sai-mat-khau", "10.1.1.1"))
            for name in ("w_xa", "khong-co-ai", "w_nghi")}
    assert len({rounds for rounds, _ in work.values()}) == 1, work
    assert len({result for _, result in work.values()}) == 1  # same answer too
    assert work["w_xa"][0] >= 480000


# ---- finding 22 (cookies) -------------------------------------------------------------

def _set_cookies(response):
    return [v for k, v in response.headers.multi_items() if k == "set-cookie"]


def test_cookies_set_over_https_are_secure(site):
    async def go():
        async with _client(site["ds"], https=True) as client:
            page = await client.get("/-/login")
            done = await _form_login(client, "w_xa", PASSWORD)
            return _set_cookies(page) + _set_cookies(done)
    cookies = asyncio.run(go())
    assert any(c.startswith("ds_actor=") for c in cookies) and any(c.startswith("ds_csrftoken=") for c in cookies)
    assert all("Secure" in c for c in cookies), cookies


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-proxy", "spoofed-header"])
def test_cookies_behind_a_proxy_are_secure_only_if_the_proxy_is_trusted(site, monkeypatch, trusted):
    if trusted:
        monkeypatch.setenv("BTXH_TRUSTED_PROXY", "1")
    else:
        monkeypatch.delenv("BTXH_TRUSTED_PROXY", raising=False)

    proxied = {"x-forwarded-proto": "https"}

    async def go():
        async with _client(site["ds"]) as client:  # the proxy speaks plain http to btxh
            page = await client.get("/-/login", headers=proxied)
            client.cookies.clear()  # a jar over http would not send back a Secure cookie
            done = await client.post("/-/login", headers={
                **proxied, "cookie": f"ds_csrftoken={page.cookies['ds_csrftoken']}"}, data={
                "username": "w_xa", "password": PASSWORD, "csrftoken": _CSRF.search(page.text).group(1)})
            assert done.status_code == 302
            return _set_cookies(page) + _set_cookies(done)
    cookies = asyncio.run(go())
    assert cookies and all(("Secure" in c) is trusted for c in cookies), cookies


def test_a_page_that_binds_the_csrf_cookie_is_never_cached(site):
    """A shared cache must not hand one officer's session-bound token to another."""
    ds = site["ds"]
    cookie = {"ds_actor": asyncio.run(login(ds, "w_xa")).cookies["ds_actor"]}
    response = asyncio.run(ds.client.get("/btxh/communes?_size=1", cookies=cookie))
    assert response.status_code == 200 and "ds_csrftoken" in response.headers["set-cookie"]
    assert response.headers.get_list("cache-control") == ["private, no-store"]
