"""Enterprise tiers: screening against the official criteria (rule sets as YAML),
near-misses, three-year review, early warning, profiles and cohort tracking.

Library entry points (used by the CLI, the API and the web dashboard):

* ``screen(engine, tier, year, rules=None, province=None, only=None)`` → ``Screening``
  (``.to_dict()`` is the JSON contract ``{"tier", "rules", "year", "firms": [...]}``)
* ``near_misses(engine, tier, year, ...)`` → DataFrame
* ``review(engine, year)`` → ``Review``; ``warnings(engine, year)`` → ``Warnings``
* ``profile(engine, uscc)`` → dict; ``cohorts(engine)`` → ``Tracking``
* ``load_rules(name_or_date)`` → ``RuleSet``
"""

from __future__ import annotations

from reforge.firms.profile import profile
from reforge.firms.review import Review, review
from reforge.firms.rules_model import TIERS, RuleSet, available_rules, load_rules
from reforge.firms.screen import Screening, near_misses, screen
from reforge.firms.tracking import Tracking, cohorts
from reforge.firms.warnings import Warnings, warnings

__all__ = ["TIERS", "RuleSet", "Review", "Screening", "Tracking", "Warnings", "available_rules", "cohorts",
           "load_rules", "near_misses", "profile", "review", "screen", "warnings"]
