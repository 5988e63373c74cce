"""Which communes a staff member may see: one pure answer for every page that lists people.

A commune officer (``can_bo_xa``) sees the communes of their account; a province officer
(``tinh``) sees their province (and any commune assigned to them); analysts and
administrators see the whole country. Anyone else sees nothing.

Kept free of Datasette and SQL, like btxh.access: the actor is the dict of
``btxh.users.actor_for`` (``role``, ``province``, ``communes``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .roles import role_of

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


def scope_sql(scope: Scope) -> tuple[str, dict]:
    """The SQL condition "the row's commune_code is in ``scope``", with its parameters: ANDed
    into every table query of a scoped actor and used by the row check (one definition)."""
    params = {f"btxh_c{i}": code for i, code in enumerate(scope.communes)}
    parts = ["commune_code IN ({})".format(", ".join(f":{k}" for k in params))] if params else []
    if scope.province:
        params["btxh_province"] = scope.province
        parts.append("commune_code IN (SELECT code FROM communes WHERE province_code = :btxh_province)")
    return "(" + (" OR ".join(parts) or "0") + ")", params


def may_see_commune(actor: dict | None, commune_code: str, province_code: str | None) -> bool:
    """True when ``actor`` may see the people of ``commune_code`` (in ``province_code``)."""
    return scope_of(actor).includes(commune_code, province_code)


# What a writer is told when a CCCD they enter is already held by someone outside their
# communes: that it is taken (it is unique), never whose it is — a name, birth date, person id
# or commune would answer "who holds this CCCD, where" for people they may not see (ADR 007).
CCCD_ELSEWHERE = ("số CCCD này đã có trong sổ, của một người ở xã ngoài phạm vi của bạn: kiểm tra lại"
                  " số; nếu đúng người, xã đang quản lý làm thủ tục chuyển nơi cư trú sang xã bạn")

# SQLite's largest integer: a larger id in a URL names no row
MAX_ROW_ID = 2**63 - 1


def row_refusal(actor: dict | None, where: tuple[str, str | None] | None) -> int | None:
    """None when ``actor`` may see a row whose (commune, province) is ``where``; else the status
    to answer. ``where`` None means no such row: 404 only for whoever sees every commune (it
    tells them nothing), else 403 — the same page as another commune's row, so our pages'
    ids are no oracle of what exists elsewhere (docs/decisions/007-commune-scoping.md)."""
    scope = scope_of(actor)
    if where is None:
        return 404 if scope.everything else 403
    return None if scope.includes(*where) else 403


# Registry tables with a commune_code column: a scoped actor sees only their communes' rows
SCOPED_TABLES = frozenset({
    "persons", "memberships", "membership_children", "households", "household_poverty",
    "care_entitlements", "social_pensions", "decisions", "ledger", "villages", "area_flags",
    "audit_log", "applications", "support_listings", "support_awards",
    "report_cells", "report_budget", "report_inputs",
    "import_batches", "payment_outcomes", "suspension_proposals",
})
# (transfers and transfer_memberships have two communes: no table page for scoped roles;
# staff read them on /-/btxh/chuyen-xa, ADR 014)
# Data that is the same for everyone (no person in it): served to every staff role
REFERENCE_TABLES = frozenset({
    "provinces", "communes", "legacy_provinces", "legacy_districts", "legacy_communes",
    "province_succession", "commune_succession", "data_sources", "programs", "categories",
    "decision_kinds", "coefficients", "base_levels", "roles", "report_lines",
    "report_line_leaves", "report_runs", "report_budget_runs", "support_programs",
    "support_groups", "payroll_runs",
})

# --- The allowlist (issue 11): which tables, columns and parameters each scoped role may use.
# Tables each scoped role may browse in the identified database, with their rows filtered to
# the role's communes when the table has a commune column. Province staff get no table that
# carries a category, a legal basis, a reason or an amount per person, or links to one: they
# must not learn anyone's HIV status (btxh.access.may_know_hiv) and read aggregates on the
# report pages instead.
TABLES_FOR = {
    "can_bo_xa": (SCOPED_TABLES - {"audit_log"}) | REFERENCE_TABLES,
    "tinh": frozenset({"persons", "households", "household_poverty", "villages", "area_flags",
                       "audit_log"}) | REFERENCE_TABLES,
}
# Columns a role never sees: removed server-side (?_nocol=…), never filterable, sortable or
# facetable; the table's row pages are refused to that role (a row page shows every column).
HIDDEN_COLUMNS = {
    "tinh": {"persons": frozenset({"cccd", "cmnd", "death_cause"}),
             "audit_log": frozenset({"before", "after"})},
}
# Filter operators (Datasette's `column__op=value`) a scoped role may use
FILTER_OPS = frozenset({"exact", "not", "in", "notin", "contains", "startswith", "endswith",
                        "gt", "gte", "lt", "lte", "date", "isnull", "notnull", "isblank", "notblank"})
_FLAG = r"^(1|0|on|off|true|false)$"
# Special parameters a scoped role may send on a table page → the form of their value;
# "column" means a column the role may see. Anything else starting with "_" is refused.
TABLE_PARAMS = {
    "_size": r"^(max|[1-9]\d{0,3})$",
    "_next": r"^[A-Za-z0-9_~.,$+-]{1,400}$",  # tilde-encoded; "+" is a space
    "_sort": "column", "_sort_desc": "column", "_facet": "column", "_nocol": "column",
    "_col": "column", "_sort_by_desc": _FLAG,
    "_facet_size": r"^(max|[1-9]\d{0,2})$",
    "_shape": r"^(objects|array|arrays|object)$",
    "_labels": _FLAG, "_nocount": _FLAG, "_nofacet": _FLAG, "_nosuggest": _FLAG,
    # formatting only, offered by the table page's export links and CSV form
    "_dl": _FLAG, "_nl": _FLAG,
}
# The table page's sort form sends an empty `_sort` when no column is chosen
_MAY_BE_EMPTY = frozenset({"_sort", "_sort_desc"})
# Parameters that may repeat (everything else appears at most once)
REPEATABLE = frozenset({"_facet", "_nocol", "_col"})
ROW_PARAMS = {"_shape": r"^(objects|array|arrays|object)$"}
# The filter form of Datasette's table page (redirected to `column__op=value`)
_FILTER_FORM = re.compile(r"^_filter_(column|op|value)(_\d{1,2})?$")

# Datasette's special parameters an unscoped actor (administrator, analysts on their door) may
# send; filters and canned-query parameters are plain names. `_where` and `sql` are logged.
OPEN_PARAMS = frozenset(TABLE_PARAMS) | {
    "sql", "_where", "_through", "_search", "_searchmode", "_facet_array", "_facet_date",
    "_json", "_nl", "_label", "_stream", "_dl", "_timelimit", "_hide_sql", "_show_sql"}
_OPEN_SEARCH = re.compile(r"^_search_[A-Za-z0-9_]{1,64}$")
_PLAIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

# URL shapes under a database (the path Datasette routes on, before any decoding)
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./-]*$")
_NAME = r"[a-z][a-z0-9_]{0,63}"
_DATABASE_URL = re.compile(rf"^/(?P<database>{_NAME})(\.(?P<format>json))?$")
_TABLE_URL = re.compile(rf"^/(?P<database>{_NAME})/(?P<table>{_NAME})(\.(?P<format>json|csv))?$")
_ROW_URL = re.compile(rf"^/(?P<database>{_NAME})/(?P<table>{_NAME})/(?P<pk>[A-Za-z0-9_-]{{1,64}})(\.(?P<format>json))?$")
_INTEGER_KEY = re.compile(r"^[1-9][0-9]{0,17}$")   # < 2**63: SQLite's integer range
_TEXT_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Table:
    """What the guard needs to know of one table or view (read once from the schema)."""

    columns: tuple[str, ...]
    pks: tuple[tuple[str, str], ...] = ()   # (name, declared type) of each primary-key column
    is_view: bool = False


@dataclass(frozen=True)
class Decision:
    """What to do with one request under a database path."""

    allow: bool
    filter_communes: bool = False               # AND scope_sql(<their scope>) into the query
    check_row: tuple[str, str] | None = None    # (table, id): allow only if that row is theirs
    hide: tuple[str, ...] = ()                  # columns to remove (?_nocol=…)


REFUSE = Decision(False)

# Datasette's database URLs are read with GET (HEAD): it answers a POST to a table with a 500
# («You may only POST to a canned query») and others with a bare 405; we have no canned write
# query and refuse its write API, so other methods get our 403 (red team A)
DATABASE_METHODS = ("GET", "HEAD")


def is_database_path(path: str, databases) -> bool:
    return any(path == f"/{d}" or path.startswith((f"/{d}/", f"/{d}.")) for d in databases)


def decide(actor: dict | None, database: str, path: str, args, schema: dict[str, Table],
           door: str) -> Decision:
    """Decide a request to ``path`` (the raw path Datasette routes on) with query ``args``
    (decoded (name, value) pairs) for ``actor``; ``schema`` maps table names to ``Table``.

    An allowlist: only the URL shapes and parameters written above pass; any other request is
    refused, whatever rows exist, so a refusal says nothing about any row.
    """
    role = role_of(actor)
    if role is None or not _SAFE_PATH.match(path):
        return REFUSE
    if database == door:
        return _decide_open(path, args, schema) if role in ("phan_tich", "quan_tri") else REFUSE
    if role == "quan_tri":
        return _decide_open(path, args, schema)
    scope = scope_of(actor)
    tables = TABLES_FOR.get(role, frozenset())
    hidden = HIDDEN_COLUMNS.get(role, {})
    if scope.nothing or not tables:
        return REFUSE
    if (database_url := _DATABASE_URL.match(path)) is not None:
        # the HTML table list only: its JSON counts every commune's rows (red team A)
        return Decision(not args and not database_url["format"])
    match = _TABLE_URL.match(path) or _ROW_URL.match(path)
    if match is None or match["database"] != database or match["table"] not in tables \
            or match["table"] not in schema:
        return REFUSE
    table, info = match["table"], schema[match["table"]]
    scoped = table in SCOPED_TABLES and "commune_code" in info.columns
    if "pk" in match.groupdict():
        return _decide_row(table, info, match["pk"], args, scoped, table in hidden)
    visible = tuple(c for c in info.columns if c not in hidden.get(table, ()))
    if not _table_args_allowed(args, visible, info.columns, table in hidden) or not _next_fits(info, args):
        return REFUSE
    return Decision(True, filter_communes=scoped, hide=tuple(sorted(hidden.get(table, ()))))


def _decide_row(table, info, pk, args, scoped, has_hidden) -> Decision:
    if has_hidden or info.is_view or len(info.pks) != 1 or not _args_match(args, ROW_PARAMS):
        return REFUSE
    if not _canonical_key(info, pk):
        return REFUSE
    if scoped:
        if info.pks[0][0] != "id":
            return REFUSE
        return Decision(True, check_row=(table, pk))
    return Decision(table not in SCOPED_TABLES)


def _next_fits(info: Table, args) -> bool:
    """A view pages by offset: Datasette reads its `_next` with int() (a 500 otherwise). A table
    pages by its sort value (when sorted) and its key columns, comma-separated: another count
    of parts made Datasette build broken SQL and quote SQLite's error (red team A)."""
    if info.is_view:
        return all(re.match(r"^[0-9]{1,9}$", v) for k, v in args if k == "_next")
    parts = (len(info.pks) or 1) + any(k in ("_sort", "_sort_desc") and v for k, v in args)
    return all(v.count(",") + 1 == parts for k, v in args if k == "_next")


def _in_value_fits(value: str) -> bool:
    """Datasette reads an `__in`/`__notin` value starting with `[` as JSON: only a list of plain
    values binds (anything else was a 500 quoting the JSON parser, red team A)."""
    if not value.startswith("["):
        return True
    try:
        values = json.loads(value)
    except ValueError:
        return False
    return isinstance(values, list) and all(isinstance(v, (str, int, float)) for v in values)


def _canonical_key(info: Table, pk: str) -> bool:
    """Digits without sign or leading zero for an integer key; plain text for a text key."""
    integer = "INT" in info.pks[0][1].upper()
    return bool((_INTEGER_KEY if integer else _TEXT_KEY).match(pk))


def _args_match(args, allowed: dict) -> bool:
    names = [k for k, _ in args]
    return len(names) == len(set(names)) and all(
        k in allowed and re.match(allowed[k], v) for k, v in args)


def _filter_form_pairs(args):
    """The `column__op` filters Datasette's filter form asks for (it redirects to them)."""
    form = {k: v for k, v in args if _FILTER_FORM.match(k)}
    pairs = []
    for key, column in form.items():
        if key.startswith("_filter_column"):
            suffix = key[len("_filter_column"):]
            op = form.get("_filter_op" + suffix) or "exact"
            pairs.append((f"{column}__{op.split('__', 1)[0]}" if column else "", ""))
    return pairs


def _table_args_allowed(args, visible, columns, has_hidden: bool) -> bool:
    """The allowlist of one table page's parameters. ``_nocol`` may name any column (our own
    ``_nocol`` of hidden columns comes back in Datasette's links); all else only visible ones."""
    names = [k for k, _ in args]
    if any(names.count(k) > 1 for k in set(names) - REPEATABLE):
        return False  # duplicate filters or scope parameters
    filters = [(k, v) for k, v in args if not k.startswith("_")]
    filters += [pair for pair in _filter_form_pairs(args) if pair[0]]
    for key, value in args:
        if key.startswith("_") and not _FILTER_FORM.match(key):
            rule = TABLE_PARAMS.get(key)
            if rule is None or (key == "_col" and has_hidden):
                return False
            if rule == "column" and value not in (columns if key == "_nocol" else visible) \
                    and not (value == "" and key in _MAY_BE_EMPTY):
                return False
            if rule != "column" and not re.match(rule, value):
                return False
    for key, value in filters:
        column, _, op = key.partition("__")
        if column not in visible or (op and op not in FILTER_OPS):
            return False
        if op in ("in", "notin") and not _in_value_fits(value):
            return False
    return True


def _decide_open(path: str, args, schema) -> Decision:
    """Administrator anywhere, analysts on their door: Datasette's parameters, canonical keys."""
    for key, _ in args:
        if key.startswith("_"):
            if key not in OPEN_PARAMS and not _OPEN_SEARCH.match(key) and not _FILTER_FORM.match(key):
                return REFUSE
        elif not _PLAIN_NAME.match(key.partition("__")[0]):
            return REFUSE
    match = _ROW_URL.match(path)
    if match is not None and match["table"] in schema:
        info = schema[match["table"]]
        if info.is_view or not info.pks:
            return REFUSE
        if len(info.pks) != 1:
            return REFUSE  # compound keys: browse the table with filters instead
        return Decision(_canonical_key(info, match["pk"]))
    table = _TABLE_URL.match(path)
    if table is not None and table["table"] in schema:
        info = schema[table["table"]]
        return Decision(_open_columns_exist(args, info.columns) and _next_fits(info, args))
    return Decision(bool(table or _DATABASE_URL.match(path)))


_COLUMN_PARAMS = frozenset({"_sort", "_sort_desc", "_facet", "_facet_array", "_facet_date", "_col", "_nocol"})


def _open_columns_exist(args, columns) -> bool:
    """Every column a table request names exists (Datasette answers some misses with a 500)."""
    for key, value in args:
        if key in _COLUMN_PARAMS and value not in columns and not (value == "" and key in _MAY_BE_EMPTY):
            return False
        if not key.startswith("_") and key.partition("__")[0] not in columns:
            return False
    return True
