"""Cohort tracking: for each designation batch, the share still passing, warnings by
level and the median of key indicators over time.

A cohort is (tier, batch year): firms first designated for the tier in that year
(the year of ``granted_on``; ``batch`` numbers differ between data sources). For each later data year ``d`` the firms are
screened for their tier with the figures of ``d`` (screening year ``d + 1``) and
their warning level for ``d`` is counted. Medians are computed on the reduced
cohort panel in pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError
from reforge.firms.metrics import METRICS
from reforge.firms.rules_model import TIERS
from reforge.firms.screen import data_years, prepare_features, screen_frame
from reforge.firms.warnings import load_signals, warning_frame

KEY_METRICS = ("revenue", "rd_intensity", "main_share", "debt_ratio", "niche_share")


def members_sql() -> str:
    """First designation per firm and tier: the firm's cohort."""
    kinds = ", ".join(literal(t) for t in TIERS)
    return ("SELECT uscc, kind AS tier, MIN(YEAR(granted_on)) AS cohort "
            f"FROM designations WHERE kind IN ({kinds}) GROUP BY uscc, kind ORDER BY uscc, kind")


@dataclass
class Tracking:
    """Cohort × data-year table."""

    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        return {"cohorts": self.frame.to_dict(orient="records")}

    def plot(self, path: str | Path | None = None, tier: str = "little_giant"):
        """Share still passing by data year, one line per cohort; saved to ``path`` when given."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        sub = self.frame[self.frame["tier"] == tier]
        for cohort, g in sub.groupby("cohort"):
            axes[0].plot(g["year"], g["share_passing"], marker="o", label=str(cohort))
            axes[1].plot(g["year"], g["red"] / g["firms"].where(g["firms"] > 0), marker="o", label=str(cohort))
        axes[0].set_title(f"{tier}: share still passing")
        axes[1].set_title(f"{tier}: share with red warnings")
        for ax in axes:
            ax.set_xlabel("data year")
            ax.set_ylim(0, 1.05)
            ax.legend(title="cohort", fontsize=7)
        fig.tight_layout()
        if path:
            fig.savefig(path, dpi=120)
        return fig


def cohorts(engine: Engine, tier: str | None = None,
            progress: Callable[[str, float], None] | None = None) -> Tracking:
    """Cohort tracking table (columns: tier, cohort, year, firms, passing, share_passing,
    insufficient, green, amber, red, and ``median_<metric>`` for the key indicators)."""
    if not engine.table_exists("designations"):
        raise ReforgeError("table designations is missing; no cohorts to track")
    if tier is not None and tier not in TIERS:
        raise ReforgeError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")
    panel = data_years(engine)
    if not panel:
        raise ReforgeError("enterprise_years is empty; import the firm panel first")
    mem = engine.fetch_df(members_sql())
    if tier:
        mem = mem[mem["tier"] == tier]
    cols = ["tier", "cohort", "year", "firms", "passing", "share_passing", "insufficient", "green", "amber", "red",
            *[f"median_{m}" for m in KEY_METRICS]]
    if mem.empty:
        return Tracking(pd.DataFrame(columns=cols))
    tick = progress or (lambda _m, _f: None)
    years = [y + 1 for y in panel]
    tick("features", 0.0)
    kinds = ", ".join(literal(t) for t in sorted(set(mem["tier"])))  # the members' rows are all it reads
    feats = prepare_features(engine, years, among=f"SELECT uscc FROM designations WHERE kind IN ({kinds})")
    try:
        outcomes = []
        tiers = sorted(set(mem["tier"]))
        for k, t in enumerate(tiers):
            tick(f"screening {t}", 0.2 + 0.6 * k / len(tiers))
            df, _ = screen_frame(engine, t, years, features=feats)
            outcomes.append(df[["uscc", "data_year", "outcome"]].assign(tier=t))
        out = pd.concat(outcomes, ignore_index=True).rename(columns={"data_year": "year"})
        tick("warnings", 0.8)
        w = warning_frame(engine, panel, load_signals(), features=feats)[["uscc", "year", "level"]]
        msql = ", ".join(f"CAST({METRICS[m].sql} AS DOUBLE) AS {m}" for m in KEY_METRICS)
        met = engine.fetch_df(f"SELECT uscc, data_year AS year, {msql} FROM {feats} ORDER BY uscc, year")
    finally:
        engine.drop(feats)
    mem["cohort"] = mem["cohort"].astype(int)
    panel_df = (mem.merge(out, on=["uscc", "tier"], how="inner")
                .query("year >= cohort")
                .merge(w, on=["uscc", "year"], how="left")
                .merge(met, on=["uscc", "year"], how="left"))
    g = panel_df.groupby(["tier", "cohort", "year"])
    res = g.size().rename("firms").to_frame()
    res["passing"] = g["outcome"].apply(lambda s: int((s == "pass").sum()))
    res["share_passing"] = res["passing"] / res["firms"]
    res["insufficient"] = g["outcome"].apply(lambda s: int((s == "insufficient_data").sum()))
    for lv in ("green", "amber", "red"):
        res[lv] = g["level"].apply(lambda s, lv=lv: int((s == lv).sum()))
    for m in KEY_METRICS:
        res[f"median_{m}"] = g[m].median()
    res = res.reset_index()
    tick("done", 1.0)
    return Tracking(res[cols].sort_values(["tier", "cohort", "year"]).reset_index(drop=True))
