"""Query results as numpy columns, and numpy columns as a table to register (the numeric I/O of
the estimators). Through Arrow buffers, so that neither pandas nor pyarrow's pandas shim loads;
``DuckDBEngine`` overrides both with DuckDB's own numpy transfer (no pyarrow at all).

Conventions of ``Engine.fetch_numpy``: fixed-width numbers as float64 / int64 (float64 with NaN
where NULL), decimals and 128-bit sums as float64, anything else as an object array.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa


def _chunk_to_numpy(a: pa.Array) -> np.ndarray:
    """One Arrow array as numpy, read from its buffers (pyarrow's own ``to_numpy`` imports
    pandas, ~0.3 s)."""
    import pyarrow as pa
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


def arrow_column_to_numpy(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A column as numpy without importing pandas (see ``_chunk_to_numpy``); read-only when zero-copy."""
    import pyarrow as pa
    if isinstance(col, pa.Array):
        return _chunk_to_numpy(col)
    parts = [_chunk_to_numpy(c) for c in col.chunks]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _chunk_to_numpy(pa.array([], type=col.type))
    return np.concatenate(parts)


def arrow_to_numpy(t: pa.Table) -> dict[str, np.ndarray]:
    """{column: numpy array} of an Arrow table (``Engine.fetch_numpy``'s conventions)."""
    return {name: arrow_column_to_numpy(col) for name, col in zip(t.column_names, t.columns, strict=True)}


def plain_numpy(v: np.ndarray) -> np.ndarray:
    """A column of DuckDB's ``fetchnumpy`` in ``fetch_numpy``'s conventions: a masked numeric
    column becomes float64 with NaN where NULL; booleans and masked others become object arrays."""
    if isinstance(v, np.ma.MaskedArray):
        if v.dtype.kind in "iuf":
            return v.astype(float).filled(np.nan)
        return np.array([None if m else x for x, m in zip(v.data.tolist(), np.ma.getmaskarray(v).tolist(),
                                                          strict=True)], dtype=object)
    if v.dtype.kind in "iuf":
        return v
    return v.astype(object)


def numpy_to_arrow(columns: Mapping[str, np.ndarray]) -> pa.Table:
    """Numeric numpy columns (int64 or float64) as an Arrow table, from their buffers
    (``pa.array`` / ``pa.table`` import pandas)."""
    import pyarrow as pa
    arrays, names = [], []
    for name, values in columns.items():
        ints = values.dtype.kind in "iu"
        x = np.ascontiguousarray(values, dtype=np.int64 if ints else np.float64)
        arrays.append(pa.Array.from_buffers(pa.int64() if ints else pa.float64(), len(x), [None, pa.py_buffer(x)]))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)
