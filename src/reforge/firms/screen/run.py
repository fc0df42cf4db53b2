"""Screening, step 2: run the tier query, and the entry points ``screen`` and ``near_misses``.

:func:`data_years` checks the firm panel and lists its years; :func:`prepare_features`
materialises the feature table; :func:`screen_frame` runs the compiled query of each rule
set in force (one row per firm and screening year, firms without figures added as
``insufficient_data``); :func:`screen` wraps it in a :class:`Screening` (optionally only one
outcome, or the near-misses) and :func:`near_misses` returns the near-miss table.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.firms.metrics import feature_sql
from reforge.firms.rules_model import TIERS, RuleSet, load_rules, rules_for_year
from reforge.firms.screen.compile import TierPlan, plan_tier, tier_params, tier_sql
from reforge.firms.screen.near_miss import near_miss_screening, near_miss_table
from reforge.firms.screen.result import Screening

Only = Literal["pass", "fail", "near-miss", "insufficient_data"]


def data_years(engine: Engine) -> list[int]:
    """Years present in ``enterprise_years`` (after checking its key columns and uniqueness)."""
    return list(engine.remember(("firms.data_years",), lambda: _data_years(engine)))


def _data_years(engine: Engine) -> list[int]:
    if not engine.table_exists("enterprise_years"):
        raise ReforgeError("table enterprise_years is missing; import the firm panel first")
    cols = set(engine.columns("enterprise_years"))
    if not {"uscc", "year"} <= cols:
        raise ReforgeError("enterprise_years needs columns uscc and year; it has " + ", ".join(sorted(cols)))
    dup = engine.fetch_df("SELECT uscc, year FROM enterprise_years GROUP BY uscc, year HAVING COUNT(*) > 1 "
                          "ORDER BY uscc, year LIMIT 3")
    if len(dup):
        ex = ", ".join(f"{u}/{int(y)}" for u, y in dup.itertuples(index=False))
        raise ReforgeError(f"enterprise_years has duplicate (uscc, year) rows, e.g. {ex}")
    df = engine.fetch_df("SELECT DISTINCT year FROM enterprise_years WHERE year IS NOT NULL ORDER BY year")
    return [int(y) for y in df["year"]]


def prepare_features(engine: Engine, years: list[int], uscc: str | None = None, among: str | None = None) -> str:
    """Materialise the feature table for screening ``years`` (of firm ``uscc`` only, or of the
    firms the caller's query ``among`` returns, when given); return its (temporary) name."""
    name = engine.temp_name("firm_features")
    engine.materialize(name, feature_sql(engine, years, uscc, among))
    return name


def _check_year(engine: Engine, year: int) -> None:
    ys = data_years(engine)
    if not ys:
        raise ReforgeError("enterprise_years is empty; import the firm panel first")
    if int(year) - 1 not in ys:
        raise ReforgeError(f"no figures for {int(year) - 1} (screening year {year} uses the previous year's "
                           f"figures); the panel covers {ys[0]}-{ys[-1]}, so screen years {ys[0] + 1}-{ys[-1] + 1}")


def _resolve_rules(rules: str | RuleSet | None, years: list[int]) -> dict[str, tuple[RuleSet, list[int]]]:
    if isinstance(rules, RuleSet):
        return {rules.id: (rules, years)}
    if rules is not None:
        r = load_rules(str(rules))
        return {r.id: (r, years)}
    out: dict[str, tuple[RuleSet, list[int]]] = {}
    for y in years:
        r = rules_for_year(y)
        out.setdefault(r.id, (r, []))[1].append(y)
    return out


def screen_frame(engine: Engine, tier: str, years: list[int], rules: str | RuleSet | None = None,
                 province: str | None = None, features: str | None = None,
                 review: bool = False) -> tuple[pd.DataFrame, dict[str, TierPlan]]:
    """Run the tier query; return the wide result (one row per firm and year) and the plans used."""
    if tier not in TIERS:
        raise ReforgeError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")
    own = features is None
    feats = features or prepare_features(engine, years)
    try:
        frames, plans = [], {}
        for rid, (rs, ys) in _resolve_rules(rules, years).items():
            plan = plan_tier(rs, tier, review=review)
            df = engine.fetch_arrow(tier_sql(plan, feats, ys, province), tier_params(province)).to_pandas()
            df["rules"] = rid
            frames.append(df)
            plans[rid] = plan
    finally:
        if own:
            engine.drop(feats)
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(years) == 1 and engine.table_exists("enterprises"):
        df = _add_firms_without_figures(engine, df, years[0], province)
    return df.sort_values(["uscc", "year"], kind="stable").reset_index(drop=True), plans


def _add_firms_without_figures(engine: Engine, df: pd.DataFrame, year: int, province: str | None) -> pd.DataFrame:
    """Enterprises with no figures for the data year: ``insufficient_data`` rows, so every firm is listed."""
    cols = set(engine.columns("enterprises"))
    prov = "province_code" if "province_code" in cols else "CAST(NULL AS VARCHAR)"
    where = f" AND {prov} = $province" if province else ""
    params: dict[str, object] = {"data_year": int(year) - 1, **(tier_params(province) or {})}
    extra = engine.fetch_df(f"SELECT uscc, {prov} AS province_code FROM enterprises "
                            "WHERE uscc NOT IN (SELECT uscc FROM enterprise_years WHERE year = $data_year "
                            f"AND uscc IS NOT NULL){where} ORDER BY uscc", params)
    extra = extra[~extra["uscc"].isin(df["uscc"])]
    if extra.empty:
        return df
    rid = df["rules"].iloc[0] if len(df) else None
    if rid is None:
        return df
    add = extra.assign(year=int(year), data_year=int(year) - 1, outcome="insufficient_data", rules=rid,
                       no_figures=True)
    out = pd.concat([df.assign(no_figures=False), add], ignore_index=True)
    return out



def screen(engine: Engine, tier: str, year: int | None, rules: str | RuleSet | None = None,
           province: str | None = None, only: Only | None = None, features: str | None = None,
           review: bool = False) -> Screening:
    """Screen every firm for ``tier`` in screening ``year`` (None = every year of the panel).

    ``rules``: ``"2022"``, ``"2026"``, a YAML path or a ``RuleSet``; by default the
    rule set in force in the screening year. ``only`` keeps ``pass``, ``fail``,
    ``insufficient_data`` or ``near-miss`` (fails exactly one condition, no veto).
    """
    if only is not None and only not in ("pass", "fail", "near-miss", "insufficient_data"):
        raise ReforgeError(f"only must be pass, fail, near-miss or insufficient_data, not {only!r}", code="input.choice",
                           params={"name": "only", "value": str(only)[:40],
                                   "choices": ["pass", "fail", "near-miss", "insufficient_data"]})
    if year is None:
        years = [y + 1 for y in data_years(engine)]
        if not years:
            raise ReforgeError("enterprise_years is empty; import the firm panel first")
    else:
        _check_year(engine, int(year))
        years = [int(year)]
    df, plans = screen_frame(engine, tier, years, rules, province, features, review)
    if only == "near-miss":
        return near_miss_screening(tier, None if year is None else int(year), df, plans)
    if only is not None:
        df = df[df["outcome"] == only].reset_index(drop=True)
    return Screening(tier, None if year is None else int(year), df, plans, only)


def near_misses(engine: Engine, tier: str, year: int, rules: str | RuleSet | None = None,
                province: str | None = None, features: str | None = None) -> pd.DataFrame:
    """Firms failing exactly one condition (no veto), closest first.

    Columns: uscc, year, condition, label, value, threshold, gap, relative_gap
    (gap / |threshold|; 1 for yes/no conditions), improve (what to change).
    """
    return near_miss_table(screen(engine, tier, year, rules, province, only="near-miss", features=features))
