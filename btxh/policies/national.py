"""The national rule set (ND 20/2021 as amended, rules.md) as the default policy plugin.

Its hookimpls run last (``trylast=True``), so a province policy registered beside it
answers first. The national categories, coefficients and base levels are reference data
(``btxh/data/*.csv``, loaded into the database by ``btxh init``), not hook answers: this
plugin only contributes the rule set, with every CHOICE at its rules.md default.
"""

from __future__ import annotations

from btxh.policies import hookimpl
from btxh.rules import NATIONAL


@hookimpl(trylast=True)
def btxh_rule_set(province):
    return NATIONAL
