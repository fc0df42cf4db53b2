"""Tier screening: every firm against the conditions, points and vetoes of a rule set.

The steps, one module each:

* ``compile``   - :func:`plan_tier` and :func:`tier_sql`: a tier of a rule set as one
  set-based SQL query over the feature table (:class:`TierPlan` says what it computes);
* ``run``       - :func:`data_years`, :func:`prepare_features`, :func:`screen_frame` and the
  entry points :func:`screen` and :func:`near_misses`;
* ``explain``   - :func:`explain_row`: one result row as the per-firm JSON entry (reasons
  as texts plus ``screen.reason.*`` codes);
* ``result``    - :class:`Screening`, the result object (``to_dict``, ``to_frame``, ``counts``);
* ``near_miss`` - firms failing exactly one condition, closest first; the short list a page shows;
* ``values``    - the comparison tolerance :data:`EPS` and cell helpers.

Everything runs on DuckDB and Spark alike (portable SQL only); person-readable reasons are
assembled in Python from the reduced result frame.
"""

from __future__ import annotations

from reforge.firms.screen.compile import TierPlan, plan_tier, tier_params, tier_sql
from reforge.firms.screen.explain import explain_row
from reforge.firms.screen.near_miss import near_miss_screening, near_miss_table, shortlist_mask
from reforge.firms.screen.result import Screening
from reforge.firms.screen.run import (
    Only,
    _check_year,
    data_years,
    near_misses,
    prepare_features,
    screen,
    screen_frame,
)
from reforge.firms.screen.values import EPS, _fmt, _state, _val

__all__ = [
    "EPS", "Only", "Screening", "TierPlan", "_check_year", "_fmt", "_state", "_val", "data_years",
    "explain_row", "near_miss_screening", "near_miss_table", "near_misses", "plan_tier",
    "prepare_features", "screen", "screen_frame", "shortlist_mask", "tier_params", "tier_sql",
]
