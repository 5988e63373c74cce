"""The analysts' door (database ``phan_tich``): what its connections may read, as data.

The door exposes no person-level row (docs/decisions/008-analyst-door.md, 013-hiv-status.md):
an SQLite authorizer lets a statement read only

* the reference and layout tables in ``TABLES`` (no person in them), and
* the aggregate views in ``VIEWS`` (migration ``m014_door_views``), whose own reads of
  the registry are allowed because SQLite names the view as the reading context.

Everything else is refused: other tables, ATTACH, writes, temp objects, PRAGMA writes,
recursive CTEs, blob-making functions. A CTE named like one of our views would get the
same reading context as the view, so the text of every statement is checked for one
(``defines_door_name``) before it runs, and the statement is interrupted if it has one.
Resource limits (``LIMITS``) cap what one statement may allocate (issue 11, finding 18).
Pure: no Datasette here; plugins/btxh_access.py wires it to the door's connections.
"""

from __future__ import annotations

import re
import sqlite3

# Reference data and report layouts: readable as they are
TABLES = frozenset({
    "provinces", "communes", "legacy_provinces", "legacy_districts", "legacy_communes",
    "province_succession", "commune_succession", "villages", "area_flags", "data_sources",
    "programs", "categories", "decision_kinds", "coefficients", "base_levels", "roles",
    "support_programs", "support_groups", "payroll_runs", "report_lines", "report_line_leaves",
    "report_runs", "report_budget_runs", "sqlite_master", "sqlite_schema", "sqlite_sequence",
})
# The aggregate views analysts query (their reads of the registry are allowed)
VIEWS = frozenset({
    "door_province_cells", "door_province_money", "door_commune_groups", "door_commune_cells",
    "door_decisions", "door_budget", "door_report_inputs",
})
# Building blocks of those views: readable only from inside a door view
INTERNAL_VIEWS = frozenset({"door_runs", "door_folded_cells"})
_CONTEXTS = VIEWS | INTERNAL_VIEWS
# Relations whose number of rows a statement may count without reading a column: the door's
# own, and report_inputs, which SQLite reads that way when it flattens door_report_inputs
ROW_COUNTABLE = TABLES | VIEWS | INTERNAL_VIEWS | {"report_inputs"}

# Pragmas Datasette's pages use: introspection of a named table or index (schema only) …
SCHEMA_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
})
# … and settings read without a value (any pragma given a value is refused)
PRAGMAS = frozenset({
    "database_list", "schema_version", "data_version", "function_list", "module_list",
    "pragma_list", "compile_options", "collation_list", "journal_mode", "page_size", "page_count",
    "freelist_count", "user_version", "application_id", "encoding",
})
# Functions that make large values from nothing or reach outside SQLite
DENIED_FUNCTIONS = frozenset({
    "zeroblob", "randomblob", "load_extension", "fts3_tokenizer", "readfile", "writefile",
    "edit", "sqlite_dbpage", "sqlite_offset",
})

# Resource limits of a door connection (finding 18): no string or blob over 1 MB — so no
# group_concat, printf('%.*c') or replace() chain can grow past it — and small parse limits
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 1_000_000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_COLUMN: 200,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 100,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 250_000,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 32,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 100,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 1,
}
# At most this many pages of cache (negative: KiB) per door connection
CACHE_KIB = 65_536

_READ, _SELECT, _FUNCTION, _PRAGMA = (sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT,
                                      sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_PRAGMA)


def authorize(action: int, arg1, arg2, db_name, context) -> int:
    """The door's SQLite authorizer: SQLITE_OK only for what the module docstring allows."""
    if action == _SELECT:
        return sqlite3.SQLITE_OK
    if action == _READ:
        if arg2 == "" and db_name in (None, "main") and (arg1 or "").lower() in ROW_COUNTABLE:
            # a table named without any column (count(*) of a flattened view, ``SELECT 1
            # FROM t``): only the number of its rows, which filters would need columns for —
            # and only of the tables the door's views read, not of sessions or users
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK if may_read(arg1, db_name, context) else sqlite3.SQLITE_DENY
    if action == _FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == _PRAGMA:
        name = (arg1 or "").lower()
        ok = name in SCHEMA_PRAGMAS or (name in PRAGMAS and arg2 is None)
        return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_DENY  # writes, ATTACH, temp objects, transactions, recursive CTEs…


def readable(name: str) -> bool:
    """A table or view an analyst may browse at the door (its Datasette page)."""
    return name in TABLES or name in VIEWS


def may_read(relation: str | None, db_name: str | None, context: str | None) -> bool:
    """A column of ``relation`` may be read when it is a reference table, a door view, or
    read from inside a door view (the view then decides what leaves)."""
    if db_name not in (None, "main") or not relation:
        return False
    relation = relation.lower()
    if relation in TABLES or relation in VIEWS:
        return True
    if relation.startswith("pragma_"):  # table-valued pragma: the PRAGMA action decides
        return True
    return context in _CONTEXTS


# -- statement text: no CTE may take the name of a door view ---------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<ident>"(?:[^"]|"")*"?|\[[^\]]*\]?|`(?:[^`]|``)*`?|[^\W\d]\w*)
  | (?P<other>\d[\w.]*|.)
""", re.VERBOSE | re.DOTALL)


def _tokens(sql: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup
        if kind == "space":
            continue
        text = m.group()
        if kind == "ident" and text[0] in "\"[`":
            text = text[1:-1] if len(text) > 1 else ""
        out.append((kind, text.lower()))
    return out


def defines_door_name(sql: str) -> bool:
    """True when ``sql`` defines a CTE (or window) named like a door view:
    ``name [(columns)] AS [NOT] [MATERIALIZED] (``. Such a CTE would read the registry
    with the door view's name as its context."""
    names = _CONTEXTS
    toks = _tokens(sql)
    for i, (kind, text) in enumerate(toks):
        if kind != "ident" or text not in names:
            continue
        j = i + 1
        if j < len(toks) and toks[j][1] == "(":  # column list
            depth = 0
            while j < len(toks):
                depth += {"(": 1, ")": -1}.get(toks[j][1], 0)
                j += 1
                if depth == 0:
                    break
        if j < len(toks) and toks[j][1] == "as":
            j += 1
            while j < len(toks) and toks[j][1] in ("not", "materialized"):
                j += 1
            if j < len(toks) and toks[j][1] == "(":
                return True
    return False


def harden(conn: sqlite3.Connection) -> None:
    """Make ``conn`` a door connection: limits, cache, authorizer, statement check."""
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA temp_store = FILE")
    conn.execute("PRAGMA query_only = 1")
    conn.set_authorizer(authorize)

    def check(sql: str) -> None:
        if defines_door_name(sql):
            conn.interrupt()  # stops the statement before its first row

    conn.set_trace_callback(check)


# Columns the analysts' door never returned under the old masking authorizer; kept as the
# list of identifying columns (they are now unreachable: their tables are not readable)
MASKED_COLUMNS = frozenset({
    ("persons", "full_name"), ("persons", "cccd"), ("persons", "cmnd"), ("persons", "phone"),
    ("persons", "birth_date"), ("persons", "death_date"), ("households", "head_name"),
    ("households", "code"), ("membership_children", "full_name"), ("membership_children", "birth_date"),
    ("memberships", "hiv_positive"), ("memberships", "note"), ("audit_log", "before"), ("audit_log", "after"),
    ("applications", "facts"), ("ledger", "reason"), ("decisions", "reason"),
    ("support_listings", "full_name"), ("support_listings", "cccd"),
    ("support_listings", "person_key"), ("support_awards", "person_key"), ("care_entitlements", "note"),
    ("decisions", "number"),
})
