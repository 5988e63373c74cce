"""Issue 11, finding 10: a session must end when the server says so.

The attack: keep (or steal) a logged-in cookie, then replay it after the owner logged out,
changed password, was disabled or moved to another commune — or forge the old self-signed
``{"a": actor}`` cookie. Every replay must be nobody (the guard's 403).
"""

import asyncio
import re
import shutil

import pytest
from click.testing import CliRunner

from btxh import cli, store, users
from conftest import PASSWORD, SECRET, login, start_datasette

_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')
NEW_PASSWORD = "mat-khau-moi-dai-hon"


@pytest.fixture
def site(tmp_path, demo_db_path):
    """A copy of the commune demo with one officer, ``v_xa``, and a started Datasette."""
    path = tmp_path / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    commune, other = [r[0] for r in db.execute("SELECT code FROM communes ORDER BY code LIMIT 2")]
    users.add_user(db, username="v_xa", role="can_bo_xa", password=PASSWORD, communes=[commune])
    db.conn.close()
    return {"ds": start_datasette(path), "path": path, "other": other}


def _get(ds, path, cookies):
    return asyncio.run(ds.client.get(path, cookies=cookies))


def _post_form(ds, path, cookies, data):
    """A POST with the token of the page, as the owner's browser would send it."""
    page = _get(ds, path, cookies)
    token = _CSRF.search(page.text).group(1)
    jar = {**cookies, "ds_csrftoken": page.cookies.get("ds_csrftoken", token)}
    return asyncio.run(ds.client.post(path, data={**data, "csrftoken": token}, cookies=jar))


def _logout(site, cookies):
    assert _post_form(site["ds"], "/-/logout", cookies, {}).status_code == 302


def _change_password(site, cookies):
    # the owner changes password in another browser: the stolen cookie must die
    other_browser = {"ds_actor": asyncio.run(login(site["ds"], "v_xa")).cookies["ds_actor"]}
    done = _post_form(site["ds"], "/-/btxh/mat-khau", other_browser,
                      {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 200, done.text
    assert _get(site["ds"], "/btxh/persons", other_browser).status_code == 200  # that one stays


def _disable(site, cookies):
    result = CliRunner().invoke(cli.cli, ["user", "disable", "v_xa", "--db", str(site["path"])])
    assert result.exit_code == 0 and "Đã khoá tài khoản v_xa" in result.output, result.output


def _move(site, cookies):
    result = CliRunner().invoke(cli.cli, ["user", "set-communes", "v_xa", "--commune", site["other"],
                                          "--db", str(site["path"])])
    assert result.exit_code == 0 and site["other"] in result.output, result.output


def _logout_all(site, cookies):
    result = CliRunner().invoke(cli.cli, ["user", "logout-all", "v_xa", "--db", str(site["path"])])
    assert result.exit_code == 0 and "Đã kết thúc 1 phiên" in result.output, result.output


@pytest.mark.parametrize("event", [_logout, _change_password, _disable, _move, _logout_all],
                         ids=["logout", "password-change", "disable", "new-commune", "logout-all"])
def test_cookie_replayed_after_logout_password_change_disable_or_move_is_nobody(site, event):
    ds = site["ds"]
    stolen = {"ds_actor": asyncio.run(login(ds, "v_xa")).cookies["ds_actor"]}
    assert _get(ds, "/btxh/persons", stolen).status_code == 200
    event(site, stolen)
    replay = _get(ds, "/btxh/persons", stolen)
    assert replay.status_code == 403
    assert _get(ds, "/-/actor.json", stolen).status_code == 403
    audit = store.open_db(site["path"]).execute(
        "SELECT count(*) FROM audit_log WHERE row_id = 'v_xa' AND action IN"
        " ('logout', 'sessions_revoke', 'user_disable', 'user_set_communes')").fetchone()[0]
    assert audit >= 1


@pytest.mark.parametrize("now", ["2026-12-02T11:00:00", "2026-12-02T17:30:00"], ids=["idle-1h", "after-8h"])
def test_cookie_replayed_after_an_idle_hour_or_a_working_day_is_nobody(site, monkeypatch, now):
    ds = site["ds"]
    monkeypatch.setenv("BTXH_NOW", "2026-12-02T09:00:00")
    cookie = {"ds_actor": asyncio.run(login(ds, "v_xa")).cookies["ds_actor"]}
    monkeypatch.setenv("BTXH_NOW", "2026-12-02T09:59:00")
    assert _get(ds, "/btxh/persons", cookie).status_code == 200  # active within the hour
    if now.endswith("17:30:00"):  # kept busy all day: the absolute limit still ends it
        for hour in range(10, 17):  # a request every half hour
            for minute in ("00", "30"):
                monkeypatch.setenv("BTXH_NOW", f"2026-12-02T{hour:02d}:{minute}:00")
                assert _get(ds, "/btxh/persons", cookie).status_code == 200
    monkeypatch.setenv("BTXH_NOW", now)
    assert _get(ds, "/btxh/persons", cookie).status_code == 403


def test_old_style_signed_actor_cookie_is_nobody(site):
    """A ``{"a": actor}`` cookie signed with the server's secret (as before issue 11, or by
    datasette-auth-passwords' own login) makes no actor any more."""
    from datasette.utils import baseconv

    ds = site["ds"]
    actor = users.actor_for(store.open_db(site["path"]), "v_xa")
    for value in ({"a": actor}, {"a": actor, "e": baseconv.base62.encode(4102444800)}):
        forged = {"ds_actor": ds.sign(value, "actor")}
        assert _get(ds, "/btxh/persons", forged).status_code == 403
        assert _get(ds, "/-/btxh/mat-khau", forged).status_code == 403
    assert SECRET  # signed with the very secret the server uses


def test_a_role_or_scope_change_takes_effect_on_the_next_request(site):
    """The actor is read from the database on each request, not from the cookie."""
    ds = site["ds"]
    cookie = {"ds_actor": asyncio.run(login(ds, "v_xa")).cookies["ds_actor"]}
    # (Datasette's /-/actor.json is the admin's only: the role shows in what the guard lets by)
    assert _get(ds, "/btxh/persons.json?_size=1", cookie).status_code == 200
    assert _get(ds, "/phan_tich/communes.json?_size=1", cookie).status_code == 403
    db = store.open_db(site["path"])
    with db.conn:
        db.execute("UPDATE users SET role = 'phan_tich' WHERE username = 'v_xa'")
    assert _get(ds, "/btxh/persons.json?_size=1", cookie).status_code == 403
    assert _get(ds, "/phan_tich/communes.json?_size=1", cookie).status_code == 200


def test_cli_lists_live_sessions_without_their_ids(site):
    ds = site["ds"]
    cookie = asyncio.run(login(ds, "v_xa")).cookies["ds_actor"]
    result = CliRunner().invoke(cli.cli, ["user", "sessions", "v_xa", "--db", str(site["path"])])
    assert result.exit_code == 0 and "bắt đầu" in result.output
    assert ds.unsign(cookie, "btxh-session")["s"] not in result.output


@pytest.mark.parametrize("who,database", [("v_pt", "phan_tich"), ("v_qt", "btxh")], ids=["analyst-door", "admin-sql"])
@pytest.mark.parametrize("sql", ["select * from sessions", "select username, address from sessions",
                                 "select key from login_throttle", "select count(*) from sessions"])
def test_sql_cannot_read_who_is_logged_in_from_where(site, who, database, sql):
    """Staff's addresses, user agents and login times (and the session id hashes) stay in the
    session layer: no Datasette connection may read those tables, whatever SQL is sent."""
    db = store.open_db(site["path"])
    users.add_user(db, username=who, role="phan_tich" if who == "v_pt" else "quan_tri", password=PASSWORD)
    db.conn.close()
    ds = site["ds"]
    asyncio.run(login(ds, "v_xa"))
    cookie = {"ds_actor": asyncio.run(login(ds, who)).cookies["ds_actor"]}
    response = asyncio.run(ds.client.get(f"/{database}.json", params={"sql": sql, "_shape": "array"}, cookies=cookie))
    assert response.status_code in (400, 403), response.text[:200]
    assert "v_xa" not in response.text and "127.0.0.1" not in response.text
    assert _get(ds, f"/{database}/sessions", cookie).status_code in (403, 404)
