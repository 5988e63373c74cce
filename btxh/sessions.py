"""Logins the server can revoke, login throttling, and where a login may go next.

A session is a random id: the browser holds it (signed, in the ``ds_actor`` cookie), the
database holds only its SHA-256 in ``sessions``. Every request turns the id into an actor
by one indexed query that also reads the account (role, communes, active), so a change of
account takes effect on the next request. Logout, a password change, deactivation and a
change of scope revoke sessions (docs/decisions/004-access.md «Sessions»).

No Datasette here: plugins/btxh_pages.py signs the cookie and calls these functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from urllib.parse import unquote

from sqlite_utils import Database

from . import clock, store

IDLE = dt.timedelta(hours=1)       # no request for an hour: log in again
LIFETIME = dt.timedelta(hours=8)   # one working day, however active
TOUCH = dt.timedelta(minutes=1)    # last_seen_at is written at most once a minute
KEEP_ENDED = dt.timedelta(days=30) # ended sessions are kept a month (the audit log keeps more)

# Throttling (finding 11 of issue 11): a delay per (account, address), a budget per address;
# never a lock-out of the account, so the owner elsewhere still logs in
PAIR_FREE_FAILURES = 5             # failures allowed before the first delay
PAIR_FIRST_DELAY = 30              # seconds, doubled for each further failure
PAIR_MAX_DELAY = 15 * 60
ADDRESS_BUDGET = 30                # failed logins per address and window, all accounts
WINDOW = dt.timedelta(minutes=15)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


# ---- sessions -------------------------------------------------------------------------

def start(db: Database, username: str, *, user_agent: str | None = None,
          address: str | None = None) -> str:
    """Open a session for an account; return its id (for the cookie only, never stored)."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    with db.atomic():
        prune(db)
        db.execute(
            "INSERT INTO sessions (id_hash, username, created_at, last_seen_at, expires_at,"
            " user_agent, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [id_hash(session_id), username, _iso(now), _iso(now), _iso(now + LIFETIME),
             (user_agent or "")[:200] or None, address])
    return session_id


_ACTOR_SQL = """
SELECT u.username, u.full_name, u.role, u.province_code, s.last_seen_at,
       (SELECT group_concat(commune_code, ',') FROM
           (SELECT commune_code FROM user_communes WHERE username = u.username ORDER BY commune_code))
FROM sessions s JOIN users u ON u.username = s.username
WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.last_seen_at > ?
  AND u.active = 1
"""


def prune(db: Database) -> None:
    """Forget sessions over for a month and throttle counters whose window and wait are over."""
    now = clock.now()
    db.execute("DELETE FROM sessions WHERE expires_at < ?", [_iso(now - KEEP_ENDED)])
    db.execute("DELETE FROM login_throttle WHERE window_start < ? AND coalesce(blocked_until, '') < ?",
               [_iso(now - WINDOW), _iso(now)])


def actor(db: Database, session_id: str) -> dict | None:
    """The actor of a live session, read from the account now; None if revoked, idle,
    expired, or the account is inactive. One query on the primary key (plus a rare touch)."""
    now = clock.now()
    row = db.execute(_ACTOR_SQL, [id_hash(session_id), _iso(now), _iso(now - IDLE)]).fetchone()
    if row is None:
        return None
    username, full_name, role, province, last_seen, communes = row
    if _parse(last_seen) <= now - TOUCH:
        with db.atomic():
            db.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?",
                       [_iso(now), id_hash(session_id)])
    return {"id": username, "name": full_name or username, "role": role, "province": province,
            "communes": communes.split(",") if communes else []}


def revoke(db: Database, session_id: str, reason: str = "logout") -> bool:
    """End one session (logout); True if it was live."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id_hash = ? AND revoked_at IS NULL",
            [clock.now_iso(), reason, id_hash(session_id)])
        row = db.execute("SELECT username FROM sessions WHERE id_hash = ?", [id_hash(session_id)]).fetchone()
        if cursor.rowcount and row:
            store.audit(db, actor=row[0], action="logout", table="sessions", row_id=row[0],
                        after={"reason": reason})
    return bool(cursor.rowcount)


def revoke_all(db: Database, username: str, reason: str, *, keep: str | None = None,
               actor: str = "btxh-cli") -> int:
    """End every live session of an account (but ``keep``, the caller's own); audited."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE username = ?"
            " AND revoked_at IS NULL AND id_hash <> ?",
            [clock.now_iso(), reason, username, id_hash(keep) if keep else ""])
        if cursor.rowcount:
            store.audit(db, actor=actor, action="sessions_revoke", table="sessions", row_id=username,
                        after={"reason": reason, "sessions": cursor.rowcount})
    return cursor.rowcount


def live(db: Database, username: str) -> list[dict]:
    """The live sessions of an account, newest first (a short hash prefix names each)."""
    now = clock.now()
    return store.rows(db, """
        SELECT substr(id_hash, 1, 8) AS ref, created_at, last_seen_at, expires_at, user_agent, address
        FROM sessions WHERE username = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ?
        ORDER BY created_at DESC""", [username, _iso(now), _iso(now - IDLE)])


def csrf_secret(secret: str, session_id: str) -> str:
    """The CSRF token value bound to one session: HMAC(secret, session id)."""
    return hmac.new(secret.encode("utf-8"), b"csrf:" + session_id.encode("utf-8"), hashlib.sha256).hexdigest()


# ---- throttling -----------------------------------------------------------------------

class Throttled(Exception):
    """Too many failed logins from this address (for this account): wait ``seconds``."""

    def __init__(self, seconds: int):
        super().__init__(f"Đăng nhập sai nhiều lần. Vui lòng thử lại sau {seconds} giây.")
        self.seconds = seconds


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"account:{username}|{address}", f"address:{address}"


def check_throttle(db: Database, username: str, address: str) -> None:
    """Raise Throttled if this (account, address) or this address must wait."""
    now = clock.now()
    waits = [
        (_parse(row[0]) - now).total_seconds()
        for row in db.execute("SELECT blocked_until FROM login_throttle WHERE key IN (?, ?)"
                              " AND blocked_until IS NOT NULL", list(_keys(username, address)))
    ]
    wait = max(waits, default=0)
    if wait > 0:
        raise Throttled(math.ceil(wait))


def pair_delay(failures: int) -> int:
    """Seconds an (account, address) waits after its n-th failure in a window (0: none)."""
    if failures < PAIR_FREE_FAILURES:
        return 0
    return min(PAIR_FIRST_DELAY * 2 ** (failures - PAIR_FREE_FAILURES), PAIR_MAX_DELAY)


def record_failure(db: Database, username: str, address: str) -> None:
    """Count a failed login against the pair and the address (call inside a transaction)."""
    now = clock.now()
    pair, per_address = _keys(username, address)
    for key in (pair, per_address):
        row = db.execute("SELECT failures, window_start FROM login_throttle WHERE key = ?", [key]).fetchone()
        if row is None or _parse(row[1]) <= now - WINDOW:
            failures, start = 1, now
        else:
            failures, start = row[0] + 1, _parse(row[1])
        if key == pair:
            delay = pair_delay(failures)
            blocked = now + dt.timedelta(seconds=delay) if delay else None
        else:
            blocked = start + WINDOW if failures >= ADDRESS_BUDGET else None
        db.execute("INSERT OR REPLACE INTO login_throttle (key, failures, window_start, blocked_until)"
                   " VALUES (?, ?, ?, ?)", [key, failures, _iso(start), _iso(blocked) if blocked else None])


def record_success(db: Database, username: str, address: str) -> None:
    db.execute("DELETE FROM login_throttle WHERE key = ?", [_keys(username, address)[0]])


# ---- where a login goes next ----------------------------------------------------------

_SAME_SITE_PATH = re.compile(r"/(?![/\\])")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(value: str | None) -> str:
    """A same-site path to go to after login, else "/" (no open redirect).

    Accepted only if, however often it is percent-decoded, it starts with one "/" followed
    by neither "/" nor "\\", and holds no backslash, space or control character (browsers
    drop tabs and newlines, turning "/\\t/host" into "//host").
    """
    text = value or "/"
    for _ in range(4):
        if _UNSAFE.search(text) or not _SAME_SITE_PATH.match(text):
            return "/"
        decoded = unquote(text)
        if decoded == text:
            return value or "/"
        text = decoded
    return "/"
