"""Staff accounts: hashed in the database, validated, throttled after repeated failures."""

import pytest

from btxh import sessions, users


def test_add_user_hashes_with_datasette_auth_passwords_scheme(ref_db):
    actor = users.add_user(ref_db, username="lan", role="can_bo_xa", password="mat-khau-1",
                           communes=["00004"])
    assert actor == {"id": "lan", "name": "lan", "role": "can_bo_xa", "province": "01", "communes": ["00004"]}
    stored = ref_db.execute("SELECT password_hash FROM user_credentials WHERE username='lan'").fetchone()[0]
    assert stored.startswith("pbkdf2_sha256$") and "mat-khau-1" not in stored
    audit = ref_db.execute("SELECT actor, action, after FROM audit_log WHERE table_name='users'"
                           " AND action = 'user_add'").fetchone()
    assert audit[1] == "user_add" and "pbkdf2" not in audit[2]


@pytest.mark.parametrize("kwargs,message", [
    pytest.param(dict(role="sep"), "Vai trò «sep» không tồn tại", id="unknown-role"),
    pytest.param(dict(communes=["99999"]), "Mã xã «99999»", id="unknown-commune"),
    pytest.param(dict(communes=[]), "ít nhất một xã", id="commune-officer-without-commune"),
    pytest.param(dict(password="ngan"), "ít nhất 8 ký tự", id="short-password"),
    pytest.param(dict(username="Lan Anh"), "Tên đăng nhập «Lan Anh» không hợp lệ", id="bad-username"),
    pytest.param(dict(role="tinh", communes=[], province="99"), "Mã tỉnh «99»", id="unknown-province"),
])
def test_add_user_refuses_bad_input_and_writes_nothing(ref_db, kwargs, message):
    args = dict(username="lan", role="can_bo_xa", password="mat-khau-1", communes=["00004"])
    args.update(kwargs)
    tables = ("users", "user_communes", "user_credentials", "audit_log")
    before = {t: ref_db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    with pytest.raises(users.UserError, match=message):
        users.add_user(ref_db, **args)
    assert {t: ref_db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables} == before
    assert before["users"] == 0


def test_duplicate_username_refused(ref_db):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    with pytest.raises(users.UserError, match="đã tồn tại"):
        users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")


def test_authenticate(ref_db):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    actor, error = users.authenticate(ref_db, "lan", "mat-khau-1")
    assert actor["role"] == "phan_tich" and error is None
    assert users.authenticate(ref_db, "lan", "sai")[0] is None
    assert users.authenticate(ref_db, "khong-co", "sai") == (None, "Tên đăng nhập hoặc mật khẩu không đúng.")


def test_repeated_failures_delay_that_address_only(ref_db, monkeypatch):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    monkeypatch.setenv("BTXH_NOW", "2026-01-01T08:00:00")
    for _ in range(sessions.PAIR_FREE_FAILURES):
        assert users.authenticate(ref_db, "lan", "sai", "10.0.0.9")[0] is None
    with pytest.raises(sessions.Throttled, match="thử lại sau 30 giây") as refused:
        users.authenticate(ref_db, "lan", "mat-khau-1", "10.0.0.9")
    assert refused.value.seconds == 30
    assert users.authenticate(ref_db, "lan", "mat-khau-1", "10.0.0.1")[0]["id"] == "lan"  # the owner, elsewhere
    monkeypatch.setenv("BTXH_NOW", "2026-01-01T08:00:31")
    assert users.authenticate(ref_db, "lan", "mat-khau-1", "10.0.0.9")[0]["id"] == "lan"
    assert ref_db.execute("SELECT count(*) FROM audit_log WHERE action = 'login_failed'").fetchone()[0] == 5


@pytest.mark.parametrize("failures,delay", [(4, 0), (5, 30), (6, 60), (7, 120), (20, 900)])
def test_pair_delay_doubles_up_to_fifteen_minutes(failures, delay):
    assert sessions.pair_delay(failures) == delay


def test_inactive_account_cannot_log_in(ref_db):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    ref_db.execute("UPDATE users SET active = 0 WHERE username = 'lan'")
    assert users.authenticate(ref_db, "lan", "mat-khau-1")[0] is None


@pytest.mark.parametrize("current,new,confirm,message", [
    pytest.param("sai-mat-khau", "mat-khau-moi-1", "mat-khau-moi-1", "không đúng", id="wrong-current"),
    pytest.param("mat-khau-1", "ngan", "ngan", "ít nhất 8 ký tự", id="too-short"),
    pytest.param("mat-khau-1", "mat-khau-moi-1", "mat-khau-moi-2", "không khớp", id="confirm-differs"),
    pytest.param("mat-khau-1", "mat-khau-1", "mat-khau-1", "phải khác", id="same-as-current"),
])
def test_change_password_refused(ref_db, current, new, confirm, message):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    problems = users.change_password(ref_db, "lan", current, new, confirm)
    assert any(message in p for p in problems)
    assert users.authenticate(ref_db, "lan", "mat-khau-1")[0] is not None


def test_change_password(ref_db):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    assert users.change_password(ref_db, "lan", "mat-khau-1", "mat-khau-moi-1", "mat-khau-moi-1") == []
    assert users.authenticate(ref_db, "lan", "mat-khau-1")[0] is None
    assert users.authenticate(ref_db, "lan", "mat-khau-moi-1")[0]["id"] == "lan"
    assert ref_db.execute("SELECT count(*) FROM audit_log WHERE action = 'password_change'").fetchone()[0] == 1


def test_set_communes_replaces_the_scope_and_ends_sessions(ref_db):
    users.add_user(ref_db, username="lan", role="can_bo_xa", password="mat-khau-1", communes=["00004"])
    sessions.start(ref_db, "lan")
    actor, ended = users.set_communes(ref_db, "lan", ["00008"])
    assert actor["communes"] == ["00008"] and ended == 1
    assert sessions.live(ref_db, "lan") == []
    audit = ref_db.execute("SELECT before, after FROM audit_log WHERE action = 'user_set_communes'").fetchone()
    assert "00004" in audit[0] and "00008" in audit[1]


@pytest.mark.parametrize("communes,message", [
    pytest.param([], "ít nhất một xã", id="officer-without-commune"),
    pytest.param(["99999"], "Mã xã «99999»", id="unknown-commune"),
])
def test_set_communes_refused_changes_nothing(ref_db, communes, message):
    users.add_user(ref_db, username="lan", role="can_bo_xa", password="mat-khau-1", communes=["00004"])
    session = sessions.start(ref_db, "lan")
    with pytest.raises(users.UserError, match=message):
        users.set_communes(ref_db, "lan", communes)
    assert sessions.actor(ref_db, session)["communes"] == ["00004"]


def test_disable_ends_sessions_and_login(ref_db):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    session = sessions.start(ref_db, "lan")
    assert users.disable(ref_db, "lan") == 1
    assert sessions.actor(ref_db, session) is None
    assert users.authenticate(ref_db, "lan", "mat-khau-1")[0] is None
    with pytest.raises(users.UserError, match="Không có tài khoản «ai-do»"):
        users.disable(ref_db, "ai-do")


def test_password_change_ends_the_other_sessions_only(ref_db):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    mine, other = sessions.start(ref_db, "lan"), sessions.start(ref_db, "lan")
    assert users.change_password(ref_db, "lan", "mat-khau-1", "mat-khau-moi-1", "mat-khau-moi-1",
                                 keep_session=mine) == []
    assert sessions.actor(ref_db, mine)["id"] == "lan" and sessions.actor(ref_db, other) is None


@pytest.mark.parametrize("value,expected", [
    ("/btxh/persons?category=K6", "/btxh/persons?category=K6"), ("/", "/"), ("", "/"), (None, "/"),
    ("/\\evil", "/"), ("//evil", "/"), ("/%5Cevil", "/"), ("/%2F%2Fevil", "/"), ("https:evil", "/"),
    ("/\t/evil", "/"), ("/%0D%0ALocation:x", "/"), ("/%25252F/evil", "/"),
])
def test_safe_next(value, expected):
    assert sessions.safe_next(value) == expected


def test_sessions_over_for_a_month_are_forgotten_at_the_next_login(ref_db, monkeypatch):
    users.add_user(ref_db, username="lan", role="phan_tich", password="mat-khau-1")
    monkeypatch.setenv("BTXH_NOW", "2026-01-01T08:00:00")
    sessions.start(ref_db, "lan")
    monkeypatch.setenv("BTXH_NOW", "2026-02-01T08:00:00")
    sessions.start(ref_db, "lan")
    assert ref_db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
