"""Panel summaries used by the overview: revenue, R&D intensity and enterprise
counts by province, industry and year (one set-based query, any engine)."""

from __future__ import annotations

import pandas as pd

from reforge.engine.base import Engine

LEVELS = {"province": "e.province_code", "industry_division": "SUBSTR(e.industry_code, 1, 2)",
          "industry": "e.industry_code"}


def panel_summary_sql(by: tuple[str, ...] = ("province", "industry_division"),
                      years: tuple[int, int] | None = None) -> str:
    """SQL for totals per group and year.

    Columns: the ``by`` keys, year, enterprises (count of firms reporting),
    revenue (CNY, sum), rd_expense (CNY, sum), rd_intensity (sum R&D / sum
    revenue, a fraction; NULL when revenue is 0), median-free so it runs anywhere.
    """
    for b in by:
        if b not in LEVELS:
            raise ValueError(f"unknown grouping {b!r}; use {', '.join(LEVELS)}")
    keys = [f"{LEVELS[b]} AS {b}" for b in by]
    where = f"WHERE y.year BETWEEN {int(years[0])} AND {int(years[1])}" if years else ""
    group = ", ".join([LEVELS[b] for b in by] + ["y.year"])
    order = ", ".join(list(by) + ["year"])
    return (
        f"SELECT {', '.join(keys)}, y.year AS year, COUNT(DISTINCT y.uscc) AS enterprises, "
        "SUM(y.revenue) AS revenue, SUM(y.rd_expense) AS rd_expense, "
        "CASE WHEN SUM(y.revenue) > 0 THEN SUM(y.rd_expense) / SUM(y.revenue) END AS rd_intensity "
        f"FROM enterprise_years y JOIN enterprises e ON e.uscc = y.uscc {where} "
        f"GROUP BY {group} ORDER BY {order}")


def panel_summary(engine: Engine, by: tuple[str, ...] = ("province", "industry_division"),
                  years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Run ``panel_summary_sql`` on the engine and return the reduced table."""
    return engine.fetch_df(panel_summary_sql(by, years))
