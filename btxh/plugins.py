"""The plugin manager of btxh's own hooks (see btxh/hookspecs.py)."""

from __future__ import annotations

import importlib

import pluggy

from . import hookspecs
from .policies import DEFAULT_PLUGINS
from .rules import NATIONAL, RuleSet


def get_plugin_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A new plugin manager: the national default policy, then the ``btxh`` entry points."""
    pm = pluggy.PluginManager("btxh")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints("btxh")
    return pm


def rule_set(pm: pluggy.PluginManager, province: str | None = None) -> RuleSet:
    """The rule set for ``province`` (the first plugin that answers; national otherwise)."""
    return pm.hook.btxh_rule_set(province=province) or NATIONAL


def extra_rows(pm: pluggy.PluginManager) -> dict[str, list[dict]]:
    """Rows every plugin adds: ``base_levels`` (both programs), ``categories``, ``coefficients``."""
    flat = lambda answers: [row for rows in answers if rows for row in rows]  # noqa: E731
    return {
        "base_levels": flat(pm.hook.btxh_base_levels(program="TCXH"))
        + flat(pm.hook.btxh_base_levels(program="HTXH")),
        "categories": flat(pm.hook.btxh_categories()),
        "coefficients": flat(pm.hook.btxh_coefficients()),
    }
