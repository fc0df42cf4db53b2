"""Default years from the data's coverage, one rule for every analysis (issue 19, finding 8).

A default year used to be ``MAX(year)``, so one stray row for 2030 made 2030 the default
for everybody (credit scores, screening, chain metrics, the dashboard). Here the default
is the **latest year whose row count is at least ``MIN_SHARE`` of the largest yearly row
count** of the table: a year the data actually cover. Explicit years are not affected.

Used by ``chain.metrics.resolve_year`` (``supply_links``), ``credit.features.year_range``
and the API/dashboard services (``enterprise_years``; screening year = that year + 1).
"""

from __future__ import annotations

from reforge.engine import Engine
from reforge.errors import ReforgeError

MIN_SHARE = 0.5  # a default year holds at least half as many rows as the best-covered year
TABLES = ("enterprise_years", "supply_links")


def year_counts(engine: Engine, table: str) -> dict[int, int]:
    """Rows per year of ``table`` (column ``year``; NULL years left out), ascending by year."""
    if table not in TABLES:
        raise ReforgeError(f"no year coverage for table {table!r}; known: {', '.join(TABLES)}")
    if not engine.table_exists(table):
        return {}

    def count() -> dict[int, int]:
        rows = engine.fetch_rows(f"SELECT CAST(year AS INTEGER) AS year, COUNT(*) AS n FROM {table} "
                                 "WHERE year IS NOT NULL GROUP BY year ORDER BY year")
        return {int(y): int(n) for y, n in rows}
    return dict(engine.remember(("coverage.year_counts", table), count))


def covered_years(counts: dict[int, int], min_share: float = MIN_SHARE) -> list[int]:
    """Years whose row count is at least ``min_share`` of the largest yearly count."""
    if not counts:
        return []
    top = max(counts.values())
    return [y for y, n in sorted(counts.items()) if n >= min_share * top]


def default_year(engine: Engine, table: str = "enterprise_years", min_share: float = MIN_SHARE) -> int | None:
    """The latest well-covered year of ``table`` (None when it has no rows)."""
    ys = covered_years(year_counts(engine, table), min_share)
    return ys[-1] if ys else None


__all__ = ["MIN_SHARE", "covered_years", "default_year", "year_counts"]
