"""Macro indicators: China's manufacturing figures (CRITERIA §5), year-on-year changes, charts.

Values are stored as fractions (0.274 = 27.4 %) with ``unit = 'fraction'``; growth rates
likewise (0.135 = +13.5 % on the previous year). ``change`` is the year-on-year
difference (for a share: percentage points / 100), ``pct_change`` the relative change;
both are null when the previous calendar year is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from reforge.engine import Engine

VA_SHARE = "manufacturing_va_share_gdp"
FAI_GROWTH = "manufacturing_fai_growth"

_SRC = "shared/spec/CRITERIA.md §5 (NBS statistical communiqués as reprinted by official media)"
NATIONAL: tuple[tuple[str, int, float, str, str], ...] = (
    # indicator, year, value (fraction), confidence, source note
    (VA_SHARE, 2020, 0.263, "B", "derived: 2021 share 27.4% minus the reported +1.1 points; " + _SRC),
    (VA_SHARE, 2021, 0.274, "A", _SRC),
    (VA_SHARE, 2022, 0.277, "A", _SRC),
    (VA_SHARE, 2023, 0.262, "A", _SRC),
    (VA_SHARE, 2024, 0.249, "B", _SRC),
    (FAI_GROWTH, 2021, 0.135, "A", _SRC),
    (FAI_GROWTH, 2023, 0.065, "A", _SRC),
    (FAI_GROWTH, 2024, 0.092, "A", _SRC),
)


def national_frame() -> pd.DataFrame:
    """China's national series (region ``CN``) as rows of the ``indicators`` table."""
    return pd.DataFrame([{"region_code": "CN", "indicator": i, "year": y, "value": v, "unit": "fraction",
                          "source": s, "confidence": c} for i, y, v, c, s in NATIONAL])


def seed_national(engine: Engine) -> int:
    """Insert the national series where (region, indicator, year) is not present yet; return rows added."""
    tmp = engine.temp_name("ind_cn")
    engine.register(tmp, national_frame())
    try:
        before = engine.fetch_scalar("SELECT COUNT(*) FROM indicators")
        engine.execute(f"""INSERT INTO indicators (region_code, indicator, year, value, unit, source, confidence)
            SELECT n.region_code, n.indicator, CAST(n.year AS INTEGER), n.value, n.unit, n.source, n.confidence
            FROM {tmp} n LEFT JOIN indicators i
              ON i.region_code = n.region_code AND i.indicator = n.indicator AND i.year = n.year
            WHERE i.region_code IS NULL""")
        return int(engine.fetch_scalar("SELECT COUNT(*) FROM indicators")) - int(before)
    finally:
        engine.drop(tmp)


def indicator_frame(engine: Engine, region: str | None = None, indicator: str | None = None) -> pd.DataFrame:
    """Indicators with ``change`` and ``pct_change`` on the previous calendar year (plain SQL)."""
    w, params = ["1 = 1"], []
    if region:
        w.append("region_code = ?")
        params.append(region)
    if indicator:
        w.append("indicator = ?")
        params.append(indicator)
    return engine.fetch_df(f"""
        WITH s AS (
          SELECT region_code, indicator, year, value, unit, source, confidence,
                 LAG(year) OVER (PARTITION BY region_code, indicator ORDER BY year) AS prev_year,
                 LAG(value) OVER (PARTITION BY region_code, indicator ORDER BY year) AS prev_value
          FROM indicators WHERE {' AND '.join(w)})
        SELECT region_code, indicator, year, value, unit, source, confidence,
               CASE WHEN prev_year = year - 1 THEN value - prev_value END AS change,
               CASE WHEN prev_year = year - 1 AND prev_value <> 0
                    THEN (value - prev_value) / ABS(prev_value) END AS pct_change
        FROM s ORDER BY region_code, indicator, year""", params)


def indicator_records(engine: Engine, region: str | None = None,
                      indicator: str | None = None) -> list[dict[str, Any]]:
    """:func:`indicator_frame` as JSON-ready records (NaN → None)."""
    df = indicator_frame(engine, region, indicator)
    df = df.astype(object).where(df.notna(), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]


def indicators_plot(data: pd.DataFrame | list[dict], path: str | Path | None = None, title: str | None = None):
    """One panel per indicator, one line per region; values shown in percent. Saves to ``path``
    (PNG/SVG/PDF by extension) when given; returns the matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    df = pd.DataFrame(data)
    if df.empty:
        raise ValueError("no indicator values to plot")
    inds = sorted(df["indicator"].unique())
    fig, axes = plt.subplots(len(inds), 1, figsize=(7, 2.8 * len(inds)), squeeze=False)
    for ax, ind in zip(axes[:, 0], inds, strict=True):
        sub = df[df["indicator"] == ind]
        for region, g in sub.groupby("region_code", sort=True):
            g = g.sort_values("year")
            scale = 100.0 if (g["unit"] == "fraction").all() else 1.0
            ax.plot(g["year"], g["value"] * scale, marker="o", label=str(region))
        ax.set_title(ind.replace("_", " "))
        ax.set_ylabel("%" if (sub["unit"] == "fraction").all() else str(sub["unit"].iloc[0]))
        ax.grid(alpha=0.3)
        if sub["region_code"].nunique() > 1:
            ax.legend(fontsize=7, ncol=4)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
