"""Staff accounts: kept in btxh.db, passwords hashed with datasette-auth-passwords' scheme.

Hashes live in ``user_credentials``, a table no Datasette connection may read (see
plugins/btxh_access.py); only this module, on its own connection, reads it.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlite_utils import Database

from . import clock, store

MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
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
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        problems.append(f"Tài khoản «{username}» đã tồn tại.")
    if problems:
        raise UserError("\n".join(problems))
    if province is None and communes:
        provinces = {
            r[0] for r in db.execute(
                f"SELECT DISTINCT province_code FROM communes WHERE code IN ({','.join('?' * len(communes))})",
                list(communes),
            )
        }
        province = provinces.pop() if len(provinces) == 1 else None
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


def authenticate(db: Database, username: str, password: str) -> tuple[dict | None, str | None]:
    """Check a login; return (actor, None) or (None, Vietnamese reason). Counts failures."""
    now = clock.now()
    cred = db.execute(
        "SELECT c.password_hash, c.failed_logins, c.locked_until FROM user_credentials c"
        " JOIN users u USING (username) WHERE c.username = ? AND u.active = 1",
        [username],
    ).fetchone()
    generic = "Tên đăng nhập hoặc mật khẩu không đúng."
    if cred is None:
        # Same work as a real check, so timing does not reveal which accounts exist
        verify_password(password, hash_password("x"))
        return None, generic
    password_hash, failed, locked_until = cred
    if locked_until and dt.datetime.fromisoformat(locked_until.replace("Z", "+00:00")) > now:
        return None, "Tài khoản tạm khoá do đăng nhập sai nhiều lần. Vui lòng thử lại sau."
    if not verify_password(password, password_hash):
        failed += 1
        lock = None
        if failed >= MAX_FAILED_LOGINS:
            lock = (now + dt.timedelta(minutes=LOCKOUT_MINUTES)).strftime("%Y-%m-%dT%H:%M:%SZ")
            failed = 0
        with db.atomic():
            db.execute(
                "UPDATE user_credentials SET failed_logins = ?, locked_until = ? WHERE username = ?",
                [failed, lock, username],
            )
            store.audit(db, actor=username, action="login_failed", table="users", row_id=username,
                        after={"locked_until": lock})
        return None, generic
    with db.atomic():
        db.execute(
            "UPDATE user_credentials SET failed_logins = 0, locked_until = NULL WHERE username = ?",
            [username],
        )
        store.audit(db, actor=username, action="login", table="users", row_id=username)
    return actor_for(db, username), None


def change_password(db: Database, username: str, current: str, new: str, confirm: str) -> list[str]:
    """Change a password after checking the current one; return the problems (empty = done)."""
    problems = []
    actor, error = authenticate(db, username, current)
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
        db.execute("UPDATE user_credentials SET password_hash = ?, changed_at = ?, failed_logins = 0,"
                   " locked_until = NULL WHERE username = ?", [hash_password(new), now, username])
        store.audit(db, actor=username, action="password_change", table="users", row_id=username,
                    after={"changed_at": now})
    return []
