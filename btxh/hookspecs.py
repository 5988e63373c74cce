"""The hooks of btxh: how a policy plugin (the national rules, a province's local policy)
changes the rules without a code change.

Hooks are called with keyword arguments. The national rules are the default plugin
(``btxh.policies.national``, registered with ``trylast=True``); a province policy is a
plugin registered after it, found through the setuptools entry point group ``btxh`` or
registered with ``pm.register``. See :func:`btxh.plugins.get_plugin_manager`.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("btxh")


@hookspec(firstresult=True)
def btxh_rule_set(province):
    """Return the :class:`btxh.rules.RuleSet` (every rules.md CHOICE as data) that applies to
    cases of ``province`` (a 2-digit code, or None for a case without one), or None to leave
    the decision to the next plugin. The first non-None answer wins; the national default
    answers last with ``RuleSet()``.
    """


@hookspec
def btxh_base_levels(program):
    """Return extra base-level rows for ``program`` (``"TCXH"`` or ``"HTXH"``): a list of
    mappings ``{program, jurisdiction, valid_from, amount, legal_basis}``, like
    ``btxh/data/base_levels.csv``. A province row (jurisdiction = its code) applies from its
    ``valid_from`` to that province's cases, and only where it is higher than the national
    level (rules.md §2). Every plugin's rows are used.
    """


@hookspec
def btxh_categories():
    """Return extra local categories: a list of mappings shaped like
    ``btxh/data/categories.csv`` (``code, program, label, min_age, max_age, sort_order,
    sensitive, legal_basis``) that may also carry ``condition`` — a callable
    ``(case, membership, month, age) -> bool`` the membership must satisfy in the month, on
    top of its window, life, age bounds and decision window — and ``condition_text``, the
    condition in Vietnamese for the reason shown when it fails. The coefficients of a new
    category come from :func:`btxh_coefficients`. Every plugin's rows are used.
    """


@hookspec
def btxh_coefficients():
    """Return extra coefficient rows shaped like ``btxh/data/coefficients.csv``
    (``category, level, min_age, max_age, tenths, per_child, valid_from, legal_basis``):
    the bands of a local category, or a new band of an existing one from a date (the row
    in force on the first day of the month, latest ``valid_from`` first). Every plugin's
    rows are used.
    """
