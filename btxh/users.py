"""Staff accounts: kept in btxh.db, passwords hashed with datasette-auth-passwords' scheme.

Hashes live in ``user_credentials``, a table no Datasette connection may read (see
plugins/btxh_access.py); only this module, on its own connection, reads it.
"""

from __future__ import annotations

import re

from sqlite_utils import Database

from . import clock, sessions, store

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """A refused account change, worded for staff (Vietnamese)."""


def hash_password(password: str) -> str:
    # datasette-auth-passwords' pbkdf2_sha256 scheme; its utils module is plain hashlib,
    # imported here so that the rest of btxh never loads Datasette.
    from datasette_auth_passwords.utils import hash_password as _hash

    return _hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    from datasette_auth_passwords.utils import verify_password as _verify

    return _verify(password, password_hash)


def roles(db: Database) -> dict[str, str]:
    return dict(db.execute("SELECT code, label FROM roles ORDER BY code").fetchall())


def _scope_problems(db: Database, role: str, communes, province: str | None) -> list[str]:
    """What is wrong with a role's communes and province (Vietnamese; empty = fine)."""
    problems = []
    for code in communes:
        if not db.execute("SELECT 1 FROM communes WHERE code = ?", [code]).fetchone():
            problems.append(f"Mã xã «{code}» không có trong danh mục đơn vị hành chính từ 01/07/2025.")
    if province is not None and not db.execute(
        "SELECT 1 FROM provinces WHERE code = ?", [province]
    ).fetchone():
        problems.append(f"Mã tỉnh «{province}» không có trong danh mục 34 tỉnh, thành phố.")
    if role == "can_bo_xa" and not communes:
        problems.append("Cán bộ xã phải được gán ít nhất một xã (--commune MÃ_XÃ).")
    if role == "tinh" and not province and not communes:
        problems.append("Cán bộ tỉnh phải được gán một tỉnh (--province MÃ_TỈNH).")
    return problems


def _province_of(db: Database, communes) -> str | None:
    """The one province of a list of communes, else None."""
    if not communes:
        return None
    provinces = {
        r[0] for r in db.execute(
            f"SELECT DISTINCT province_code FROM communes WHERE code IN ({','.join('?' * len(communes))})",
            list(communes),
        )
    }
    return provinces.pop() if len(provinces) == 1 else None


def add_user(db: Database, *, username: str, role: str, password: str,
             communes: list[str] = (), province: str | None = None,
             full_name: str | None = None, actor: str = "btxh-cli") -> dict:
    """Create an account, all or nothing; return its actor dict."""
    known_roles = roles(db)
    problems = []
    if not USERNAME_RE.match(username or ""):
        problems.append(
            f"Tên đăng nhập «{username}» không hợp lệ: 2–40 ký tự, chữ thường không dấu, số, . _ -"
        )
    if role not in known_roles:
        problems.append(
            f"Vai trò «{role}» không tồn tại. Các vai trò: {', '.join(sorted(known_roles))}."
        )
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.append(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    problems += _scope_problems(db, role, communes, province)
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        problems.append(f"Tài khoản «{username}» đã tồn tại.")
    if problems:
        raise UserError("\n".join(problems))
    province = _province_of(db, communes) if province is None else province
    now = clock.now_iso()
    row = {"username": username, "full_name": full_name, "role": role,
           "province_code": province, "active": 1, "created_at": now}
    with db.atomic():
        db["users"].insert(row)
        db["user_communes"].insert_all(
            [{"username": username, "commune_code": c} for c in sorted(set(communes))]
        )
        db["user_credentials"].insert(
            {"username": username, "password_hash": hash_password(password),
             "failed_logins": 0, "locked_until": None, "changed_at": now}
        )
        store.audit(db, actor=actor, action="user_add", table="users", row_id=username,
                    after={**row, "communes": sorted(set(communes))})
    return actor_for(db, username)


def actor_for(db: Database, username: str) -> dict | None:
    """The actor dict Datasette carries for an active account (no secrets in it)."""
    row = db.execute(
        "SELECT username, full_name, role, province_code FROM users WHERE username = ? AND active = 1",
        [username],
    ).fetchone()
    if row is None:
        return None
    communes = [r[0] for r in db.execute(
        "SELECT commune_code FROM user_communes WHERE username = ? ORDER BY commune_code", [username]
    )]
    return {"id": row[0], "name": row[1] or row[0], "role": row[2], "province": row[3],
            "communes": communes}


# A real hash of a password nobody has: an unknown account costs the same one PBKDF2 run
# as a known one (hashing a fresh dummy first would cost two, and tell which names exist)
_NO_ACCOUNT_HASH = "pbkdf2_sha256$480000$13f67708dcc1b9400c4522046fa41bd7$mberXy7qO0Nowe929u3EQaUvsgXDV9RoMqcT4kjp9Q8="
WRONG_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."


def authenticate(db: Database, username: str, password: str,
                 address: str = "-") -> tuple[dict | None, str | None]:
    """Check a login; return (actor, None) or (None, Vietnamese reason).

    Raises sessions.Throttled while this (account, address) or this address must wait.
    Known and unknown accounts take the same path: one PBKDF2 run, one throttle write,
    one audit row (docs/decisions/004-access.md «Sessions»).
    """
    username = (username or "")[:64]  # no account name is longer: a huge one is just unknown
    sessions.check_throttle(db, username, address)
    cred = db.execute(
        "SELECT c.password_hash FROM user_credentials c"
        " JOIN users u USING (username) WHERE c.username = ? AND u.active = 1",
        [username],
    ).fetchone()
    ok = verify_password(password, cred[0] if cred else _NO_ACCOUNT_HASH) and cred is not None
    with db.atomic():
        if ok:
            sessions.record_success(db, username, address)
        else:
            sessions.record_failure(db, username, address)
        store.audit(db, actor=username, action="login" if ok else "login_failed", table="users",
                    row_id=username, after=None if ok else {"address": address})
    return (actor_for(db, username), None) if ok else (None, WRONG_LOGIN)


def change_password(db: Database, username: str, current: str, new: str, confirm: str, *,
                    address: str = "-", keep_session: str | None = None) -> list[str]:
    """Change a password after checking the current one; return the problems (empty = done).

    Every other session of the account ends (``keep_session``, the one asking, stays)."""
    problems = []
    try:
        actor, error = authenticate(db, username, current, address)
    except sessions.Throttled as e:
        actor, error = None, str(e)
    if actor is None:
        problems.append(error or "Mật khẩu hiện tại không đúng.")
    if len(new or "") < MIN_PASSWORD_LENGTH:
        problems.append(f"Mật khẩu mới phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if new != confirm:
        problems.append("Hai lần nhập mật khẩu mới không khớp.")
    if new and new == current:
        problems.append("Mật khẩu mới phải khác mật khẩu hiện tại.")
    if problems:
        return problems
    now = clock.now_iso()
    with db.atomic():
        db.execute("UPDATE user_credentials SET password_hash = ?, changed_at = ? WHERE username = ?",
                   [hash_password(new), now, username])
        store.audit(db, actor=username, action="password_change", table="users", row_id=username,
                    after={"changed_at": now})
        sessions.revoke_all(db, username, "password_change", keep=keep_session, actor=username)
    return []


def _existing(db: Database, username: str) -> dict:
    row = store.row(db, "SELECT username, role, province_code, active FROM users WHERE username = ?", [username])
    if row is None:
        raise UserError(f"Không có tài khoản «{username}».")
    return row


def disable(db: Database, username: str, *, actor: str = "btxh-cli") -> int:
    """Deactivate an account and end all its sessions; return how many ended."""
    _existing(db, username)
    with db.atomic():
        db.execute("UPDATE users SET active = 0 WHERE username = ?", [username])
        store.audit(db, actor=actor, action="user_disable", table="users", row_id=username,
                    after={"active": 0})
        return sessions.revoke_all(db, username, "disabled", actor=actor)


def set_communes(db: Database, username: str, communes: list[str], province: str | None = None, *,
                 actor: str = "btxh-cli") -> tuple[dict, int]:
    """Replace an account's communes (and province); end all its sessions.

    Return the account's new actor dict (None if inactive) and how many sessions ended."""
    user = _existing(db, username)
    problems = _scope_problems(db, user["role"], communes, province)
    if problems:
        raise UserError("\n".join(problems))
    province = _province_of(db, communes) if province is None else province
    before = {"province_code": user["province_code"], "communes": [r[0] for r in db.execute(
        "SELECT commune_code FROM user_communes WHERE username = ? ORDER BY commune_code", [username])]}
    with db.atomic():
        db.execute("DELETE FROM user_communes WHERE username = ?", [username])
        db["user_communes"].insert_all(
            [{"username": username, "commune_code": c} for c in sorted(set(communes))])
        db.execute("UPDATE users SET province_code = ? WHERE username = ?", [province, username])
        store.audit(db, actor=actor, action="user_set_communes", table="users", row_id=username,
                    before=before, after={"province_code": province, "communes": sorted(set(communes))})
        ended = sessions.revoke_all(db, username, "scope_change", actor=actor)
    return actor_for(db, username), ended
