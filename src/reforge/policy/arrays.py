"""Small query results as numpy columns and keyed rows, through Arrow (no pandas import).

The estimator fetches only reduced data this way (per-period counts, per-cohort or per-cell
sums, one row per design); the units × cells influence matrix goes through ``sql.py``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from reforge.engine import Engine
from reforge.engine.base import Params


def _chunk_to_numpy(a: pa.Array) -> np.ndarray:
    """One Arrow array as numpy, read from its buffers (pyarrow's own ``to_numpy`` imports
    pandas, ~0.3 s). Fixed-width numbers: float64 / int64 (float64 with NaN where NULL);
    decimals become float64; anything else (strings, booleans) becomes a list's array."""
    if pa.types.is_decimal(a.type):   # small results only (sums of integers); a cast would load pyarrow.compute
        return np.array([np.nan if v is None else float(v) for v in a.to_pylist()], dtype=float)
    if not (pa.types.is_floating(a.type) or pa.types.is_integer(a.type)):
        return np.array(a.to_pylist(), dtype=object)
    dtype = np.dtype(a.type.to_pandas_dtype())
    n = len(a)
    if n == 0:
        return np.empty(0, dtype=float if a.null_count else dtype)
    validity, data = a.buffers()[:2]
    vals = np.frombuffer(data, dtype=dtype, count=n, offset=a.offset * dtype.itemsize)
    if not a.null_count:
        return vals
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[a.offset:a.offset + n]
    return np.where(bits.astype(bool), vals.astype(float), np.nan)


def to_numpy(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A column as numpy without importing pandas (see ``_chunk_to_numpy``); read-only when zero-copy."""
    if isinstance(col, pa.Array):
        return _chunk_to_numpy(col)
    parts = [_chunk_to_numpy(c) for c in col.chunks]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _chunk_to_numpy(pa.array([], type=col.type))
    return np.concatenate(parts)


def fetch_columns(engine: Engine, sql: str, params: Params = None) -> dict[str, np.ndarray]:
    """The result of ``sql`` as {column: numpy array}. Decimals (DuckDB's HUGEINT sums) become
    float64, as pandas would give them; NULLs in numeric columns become NaN."""
    t = engine.fetch_arrow(sql, params)
    return {name: to_numpy(col) for name, col in zip(t.column_names, t.columns, strict=True)}


def rows_by(cols: dict[str, np.ndarray], key: str) -> dict[float, dict[str, float]]:
    """{float(key value): {column: float value}} for numeric columns keyed by ``key`` (e.g. the cohort)."""
    keys = cols[key]
    names = [c for c in cols if c != key]
    return {float(k): {c: float(cols[c][i]) for c in names} for i, k in enumerate(keys)}


def design_table(columns: dict[str, list]) -> pa.Table:
    """A small table to register on the engine: a column of Python ints becomes BIGINT, any other
    DOUBLE. Built from numpy buffers (``pa.array``/``pa.table`` import pandas)."""
    arrays, names = [], []
    for name, values in columns.items():
        ints = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values)
        x = np.ascontiguousarray(values, dtype=np.int64 if ints else np.float64)
        arrays.append(pa.Array.from_buffers(pa.int64() if ints else pa.float64(), len(x), [None, pa.py_buffer(x)]))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def total(rows: list[dict[str, float]], col: str) -> float:
    """Σ ``row[col]`` over ``rows``, NaN counted as 0 (as pandas ``Series.sum``), numpy's summation order."""
    a = np.array([r[col] for r in rows], dtype=float)
    return float(np.where(np.isnan(a), 0.0, a).sum())
