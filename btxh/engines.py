"""One engine factory per province: the database's reference tables, the installed
policies' rows, and the rule set the policies give that province (``btxh_rule_set``).

Calc, the payroll, decision documents and the budget all build their engine here, so a
province's rule set is the same everywhere (ADR 006 «One engine per province»).
"""

from __future__ import annotations

import json

import pluggy
from sqlite_utils import Database

from . import plugins
from .rules import Engine, RuleSet, build_engine


def _pm(pm: pluggy.PluginManager | None) -> pluggy.PluginManager:
    return pm if pm is not None else plugins.get_plugin_manager()


def engine_for_province(db: Database, province: str | None = None,
                        pm: pluggy.PluginManager | None = None) -> Engine:
    """The rule engine for ``province``'s cases (None: the national rule set)."""
    pm = _pm(pm)
    extra = plugins.extra_rows(pm)
    rows = lambda t: [dict(r) for r in db[t].rows] + extra[t]  # noqa: E731
    return build_engine(rows("coefficients"), rows("categories"), rows("base_levels"),
                        plugins.rule_set(pm, province))


class MixedRuleSets(ValueError):
    """The provinces of one payroll scope answer different rule sets (worded for staff)."""


def engine_for_scope(db: Database, scope=None, pm: pluggy.PluginManager | None = None) -> Engine:
    """The engine of a payroll scope (commune codes; None for the whole country).

    A run is computed under one rule set: the SQL fast path and the pure rules both read it
    from the engine. When the scope's provinces answer different rule sets (a province
    policy's ``btxh_rule_set``), the scope is refused and staff run each province on its
    own, instead of paying that province the national rules (ADR 006).
    """
    provinces = provinces_of(db, scope)
    if len(set(rule_sets(provinces, pm).values())) > 1:
        raise MixedRuleSets("Các tỉnh trong phạm vi này áp dụng bộ quy tắc khác nhau (chính sách riêng của tỉnh): "
                            "hãy lập bảng chi trả cho từng tỉnh. Không có gì được ghi.")
    return engine_for_province(db, provinces[0] if provinces else None, pm)


def provinces_of(db: Database, scope) -> list[str]:
    """The provinces of a scope's communes (every province for None)."""
    if scope is None:
        return [r[0] for r in db.execute("SELECT code FROM provinces ORDER BY code")]
    return [r[0] for r in db.execute(
        f"SELECT DISTINCT province_code FROM communes WHERE code IN ({','.join('?' * len(scope))})"
        " ORDER BY province_code", list(scope))]


def rule_sets(provinces, pm: pluggy.PluginManager | None = None) -> dict[str, RuleSet]:
    """The rule set of each province."""
    pm = _pm(pm)
    return {p: plugins.rule_set(pm, p) for p in provinces}


def engine_for_run(db: Database, run_id: int, pm: pluggy.PluginManager | None = None) -> Engine:
    """The engine a payroll run was computed with (from its scope)."""
    scope = db.execute("SELECT scope FROM payroll_runs WHERE id = ?", [run_id]).fetchone()[0]
    return engine_for_scope(db, None if scope is None else json.loads(scope), pm)
