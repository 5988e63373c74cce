"""Who may do what: the one module that decides (Datasette's hook only asks it).

Default deny. An anonymous visitor may do nothing that Datasette guards — not even
``view-instance`` — so every Datasette page, JSON, CSV, SQL and download URL is refused;
the public pages are our own routes, listed in ``PUBLIC_PATHS``.

Kept free of Datasette so that the move from 0.65's ``permission_allowed`` to 1.0's
resource SQL is one plugin file (docs/decisions/004-access.md).
"""

from __future__ import annotations

import re

from .roles import STAFF_ROLES, role_of  # noqa: F401  (re-exported: callers import them from here)

# The analysts' door: the same file served a second time as this database, whose
# connections read only reference tables and aggregate views (btxh/door.py) (docs/decisions/008-analyst-door.md)
ANALYST_DATABASE = "phan_tich"
ANALYST_ROLES = ("phan_tich", "quan_tri")

# Identifying columns (kept for callers; the door now reads no person-level table at all)
from .door import MASKED_COLUMNS  # noqa: E402,F401
from .door import readable as door_readable  # noqa: E402

# Tables no Datasette page may show to anyone (secrets, internals)
HIDDEN_TABLES = frozenset({"user_credentials", "_sqlite_migrations", "sessions", "login_throttle"})
# Accounts and the SQL log: the administrator only, in either database (issue 11, finding 15)
ADMIN_ONLY_TABLES = frozenset({"users", "user_communes", "sql_log"})

# Tables no Datasette connection may read at all, whatever SQL is sent: who is logged in from
# where is read by the session layer on its own connection (docs/decisions/004-access.md «Sessions»)
SERVER_ONLY_TABLES = frozenset({"sessions", "login_throttle"})

# Our own routes an anonymous visitor may reach (regexes on the path)
PUBLIC_PATHS = (
    r"^/$",
    r"^/-/login$",
    r"^/-/logout$",
    r"^/-/static/.*",
    r"^/-/static-plugins/.*",
    r"^/btxh-static/.*",
    r"^/favicon\.ico$",
    r"^/cong-khai/?$",
    r"^/cong-khai/\d{2}$",
    r"^/cong-khai/xa/\d{5}$",
    r"^/cong-khai/xa/\d{5}/(quyet-dinh(/20\d\d-(0[1-9]|1[0-2]))?|niem-yet|ho-tro(/[A-Z0-9]{2,30})?)$",
)
_PUBLIC = [re.compile(p) for p in PUBLIC_PATHS]


def is_public_path(path: str) -> bool:
    return any(p.match(path) for p in _PUBLIC)


# Our own routes for staff (regex on the path → roles that may reach it); the plugin behind
# each one still checks the actor's communes. Adding a route is one line here. Datasette's own
# pages (`/-/…` introspection, `/_internal`, other databases) are not listed: only the
# administrator reaches them. Database URLs (/btxh…, /phan_tich…) are decided by
# btxh.scoping.decide.
WRITERS = ("can_bo_xa", "quan_tri")
ROUTES = (
    (r"^/-/password-tool$", STAFF_ROLES),
    (r"^/-/btxh/mat-khau$", STAFF_ROLES),
    (r"^/-/btxh/tinh-thu/?$", STAFF_ROLES),
    (r"^/-/btxh/bao-cao(/.*)?$", STAFF_ROLES),
    (r"^/-/btxh/chi-tra(/.*)?$", ("can_bo_xa", "tinh", "quan_tri")),
    (r"^/-/btxh/nhap(/.*)?$", ("can_bo_xa", "tinh", "quan_tri")),
    # case pages and decision documents show a person's category and article: never for tinh
    (r"^/-/btxh/ho-so(/.*)?$", WRITERS),
    (r"^/-/btxh/doi-tuong(/.*)?$", WRITERS),
    (r"^/-/btxh/quyet-dinh(/.*)?$", WRITERS),
    (r"^/-/btxh/chuyen-xa(/.*)?$", WRITERS),
)
_ROUTES = [(re.compile(p), roles) for p, roles in ROUTES]

# The one route that takes a multipart body (a file); every other form is urlencoded
UPLOAD_PATHS = (r"^/-/btxh/nhap/?$",)
_UPLOAD = [re.compile(p) for p in UPLOAD_PATHS]


def may_upload_to(path: str) -> bool:
    return any(p.match(path) for p in _UPLOAD)


def route_allowed(actor: dict | None, path: str) -> bool | None:
    """True/False for a path of the public list or of ROUTES; None for any other path."""
    if is_public_path(path):
        return True
    for pattern, roles in _ROUTES:
        if pattern.match(path):
            return role_of(actor) in roles
    return None


# Roles that may see who a person is (names, dates of birth) on our own pages: payment
# lists, decision documents, case files. Analysts work through their masked door only.
IDENTITY_ROLES = ("can_bo_xa", "tinh", "quan_tri")


def may_see_identities(actor: dict | None) -> bool:
    return role_of(actor) in IDENTITY_ROLES


def may_count_references(actor: dict | None) -> bool:
    """May ``actor`` see the "links from other tables" of a Datasette row page? They count the
    rows of every commune that point at the row (persons of a commune, K8 memberships of a
    category, its accounts): the administrator only (red team A)."""
    return role_of(actor) == "quan_tri"


def allowed(actor: dict | None, action: str, resource=None) -> bool:
    """Decide a Datasette action for an actor. Always True or False, never "don't know"."""
    role = role_of(actor)
    if role is None:
        return False
    if action == "view-instance":
        return True
    if action == "view-database":
        if resource == ANALYST_DATABASE:
            return role in ANALYST_ROLES
        if role == "phan_tich":
            return False  # analysts use their door, never the identified database
        return resource != "_internal" or role == "quan_tri"
    if action == "view-table":
        database, table = resource
        if table in HIDDEN_TABLES:
            return False
        if database == ANALYST_DATABASE:  # only what the door's authorizer lets it read (the
            return role in ANALYST_ROLES and door_readable(table)  # admin too: same connection)
        if table in ADMIN_ONLY_TABLES:
            return role == "quan_tri"
        if role == "phan_tich":
            return False
        if role == "quan_tri":
            return True
        from .scoping import TABLES_FOR  # the allowlist of tables per scoped role

        return table in TABLES_FOR.get(role, ())
    if action == "view-query":
        # canned queries (metadata.yml) live on the analysts' door: SQL has no commune scoping,
        # so commune and province staff get none and use the report pages (ADR 010)
        database = resource[0] if isinstance(resource, (tuple, list)) else resource
        if database == ANALYST_DATABASE:
            return role in ANALYST_ROLES
        return role == "quan_tri"
    if action == "execute-sql":
        if resource == ANALYST_DATABASE:
            return role in ANALYST_ROLES
        return role == "quan_tri"
    if action in ("permissions-debug", "debug-menu"):
        return role == "quan_tri"
    # view-database-download, insert-row, delete-row, update-row, create-table,
    # drop-table and anything unknown: refused. Writes go through our own forms.
    return False


# Who may know a person's HIV status (K3/K8, the hiv_positive flag, anything that implies
# them): the administrator, and the commune officer of that person's commune, who decides the
# case (Luật Phòng, chống HIV/AIDS 64/2006 Art. 8(5); issue 11). Nobody else — not province
# staff, not analysts, not the public — may see it, directly or by inference.
HIV_KNOWER_ROLES = ("quan_tri", "can_bo_xa")


def may_know_hiv(actor: dict | None, communes) -> bool:
    """True when ``actor`` may know the HIV status of people in every one of ``communes``.

    An administrator always may; a commune officer only for their own communes (and only
    when ``communes`` names at least one); every other role never. Call it with the communes
    whose people a page or figure covers; a page over no named commune is for admins only.
    """
    role = role_of(actor)
    if role == "quan_tri":
        return True
    if role != "can_bo_xa":
        return False
    wanted = {c for c in (communes or ()) if c}
    return bool(wanted) and wanted <= set(actor.get("communes") or ())
