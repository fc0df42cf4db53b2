"""Small query results (``Engine.fetch_numpy``: per-period counts, per-cohort or per-cell sums, one
row per design) as keyed rows and totals, and small design tables to register. No pandas import;
on DuckDB no pyarrow either."""

from __future__ import annotations

import numpy as np


def rows_by(cols: dict[str, np.ndarray], key: str) -> dict[float, dict[str, float]]:
    """{float(key value): {column: float value}} for numeric columns keyed by ``key`` (e.g. the cohort)."""
    keys = cols[key]
    names = [c for c in cols if c != key]
    return {float(k): {c: float(cols[c][i]) for c in names} for i, k in enumerate(keys)}


def design_table(columns: dict[str, list]) -> dict[str, np.ndarray]:
    """A small table for ``Engine.register_columns``: a column of Python ints becomes BIGINT,
    any other DOUBLE."""
    out = {}
    for name, values in columns.items():
        ints = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values)
        out[name] = np.ascontiguousarray(values, dtype=np.int64 if ints else np.float64)
    return out


def total(rows: list[dict[str, float]], col: str) -> float:
    """Σ ``row[col]`` over ``rows``, NaN counted as 0 (as pandas ``Series.sum``), numpy's summation order."""
    a = np.array([r[col] for r in rows], dtype=float)
    return float(np.where(np.isnan(a), 0.0, a).sum())
