"""Which communes a staff member may see: one pure answer for every page that lists people.

A commune officer (``can_bo_xa``) sees the communes of their account; a province officer
(``tinh``) sees their province (and any commune assigned to them); analysts and
administrators see the whole country. Anyone else sees nothing.

Kept free of Datasette and SQL, like btxh.access: the actor is the dict of
``btxh.users.actor_for`` (``role``, ``province``, ``communes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .access import role_of

NATIONWIDE_ROLES = ("phan_tich", "quan_tri")


@dataclass(frozen=True)
class Scope:
    """The communes an actor may see: everything, or a province and/or a set of communes."""

    everything: bool = False
    province: str | None = None
    communes: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        return not self.everything and self.province is None and not self.communes

    def includes(self, commune_code: str, province_code: str | None) -> bool:
        if self.everything:
            return True
        if commune_code in self.communes:
            return True
        return self.province is not None and province_code == self.province


def scope_of(actor: dict | None) -> Scope:
    role = role_of(actor)
    if role is None:
        return Scope()
    if role in NATIONWIDE_ROLES:
        return Scope(everything=True)
    communes = tuple(sorted(set(actor.get("communes") or ())))
    if role == "tinh":
        return Scope(province=actor.get("province") or None, communes=communes)
    return Scope(communes=communes)  # can_bo_xa: their own communes, never a province


def may_see_commune(actor: dict | None, commune_code: str, province_code: str | None) -> bool:
    """True when ``actor`` may see the people of ``commune_code`` (in ``province_code``)."""
    return scope_of(actor).includes(commune_code, province_code)


# Registry tables with a commune_code column: a scoped actor sees only their communes' rows
SCOPED_TABLES = frozenset({
    "persons", "memberships", "membership_children", "households", "household_poverty",
    "care_entitlements", "social_pensions", "decisions", "ledger", "villages", "area_flags",
    "audit_log", "applications", "support_listings", "support_awards",
    "report_cells", "report_budget", "report_inputs",
    "import_batches", "payment_outcomes", "suspension_proposals",
})
# Registry data without a commune column: refused to anyone whose scope is not everything
# (transfers have two communes: staff read them on /-/btxh/chuyen-xa, ADR 014)
UNSCOPABLE_TABLES = frozenset({"ledger_settled", "payroll_dirty", "transfers", "transfer_memberships"})

_TABLE = re.compile(r"^/(?P<database>[^/.]+)/(?P<table>[^/.]+)(\.(?P<format>\w+))?$")
_ROW = re.compile(r"^/(?P<database>[^/.]+)/(?P<table>[^/]+?)/(?P<pk>[^/]+?)(\.(?P<format>\w+))?$")
_DATABASE = re.compile(r"^/(?P<database>[^/.]+)(\.(?P<format>\w+))?$")


@dataclass(frozen=True)
class Gate:
    """What to do with one request of a scoped actor under a database path."""

    allow: bool
    filter_communes: bool = False          # append commune_code__in=<their communes>
    check_row: tuple[str, str] | None = None  # (table, pk): allow only if the row is theirs


def gate(scope: Scope, database: str, path: str, decode) -> Gate:
    """Decide a request to ``path`` for ``scope``; ``decode`` undoes Datasette's tilde encoding.

    Everything Datasette serves under ``/<database>`` is one of: the database page (its SQL
    needs execute-sql, which scoped roles do not have), a table (rows filtered to the
    actor's communes — JSON, CSV and facets included, since they are the same query), or a
    row (allowed only when the row's commune is theirs). Anything else is refused.
    """
    if scope.everything or not (path == f"/{database}" or path.startswith(f"/{database}/")
                                or path.startswith(f"/{database}.")):
        return Gate(True)
    if scope.nothing:
        return Gate(False)
    if _DATABASE.match(path):
        return Gate(True)
    for pattern, is_row in ((_TABLE, False), (_ROW, True)):
        match = pattern.match(path)
        if match is None or decode(match["database"]) != database:
            continue
        table = decode(match["table"]).lower()
        if table in UNSCOPABLE_TABLES:
            return Gate(False)
        if table not in SCOPED_TABLES:
            return Gate(True)  # reference data: the same for everyone
        if is_row:
            return Gate(True, check_row=(table, decode(match["pk"])))
        return Gate(True, filter_communes=True)
    return Gate(False)
