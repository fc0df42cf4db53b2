"""``Engine.fetch_numpy`` / ``register_columns``: DuckDB's own numpy transfer gives what the Arrow
path of the base engine gives (the estimators rely on the conventions: NaN for NULL numbers,
float64 for decimals and 128-bit sums, object arrays otherwise)."""

from __future__ import annotations

import numpy as np

from reforge.engine import DuckDBEngine
from reforge.engine.base import Engine

SQL = """SELECT * FROM (VALUES
    (1, 2.5, NULL::BIGINT, 'a', 1.25::DECIMAL(10, 2), true),
    (2, NULL, 7::BIGINT, NULL, NULL::DECIMAL(10, 2), false),
    (3, -1e300, 8::BIGINT, '无锡', 3.5::DECIMAL(10, 2), NULL)) AS v(i, d, nb, s, dec, b)"""


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for c in a:
        assert a[c].dtype == b[c].dtype, c
        if a[c].dtype.kind == "f":
            np.testing.assert_array_equal(a[c], b[c])
        else:
            assert a[c].tolist() == b[c].tolist(), c


def test_duckdb_numpy_transfer_equals_the_arrow_path() -> None:
    with DuckDBEngine(":memory:") as e:
        native = e.fetch_numpy(SQL)
        via_arrow = Engine.fetch_numpy(e, SQL)
        _same(native, via_arrow)
        assert native["i"].dtype == np.int32   # INTEGER literals stay 32-bit on both paths
        assert np.isnan(native["d"][1]) and np.isnan(native["nb"][0])
        assert native["nb"].dtype == np.float64 and native["nb"][1:].tolist() == [7.0, 8.0]
        assert native["dec"].dtype == np.float64 and native["dec"][2] == 3.5
        assert native["s"].tolist() == ["a", None, "无锡"] and native["b"].tolist() == [True, False, None]
        big = "SELECT SUM(x) AS s, COUNT(*) AS n FROM (SELECT 9223372036854775807::BIGINT AS x FROM range(4))"
        _same(e.fetch_numpy(big), Engine.fetch_numpy(e, big))
        assert e.fetch_numpy(big)["s"][0] == float(4 * 9223372036854775807)
        empty = "SELECT 1.5 AS d, 2 AS i WHERE false"
        _same(e.fetch_numpy(empty), Engine.fetch_numpy(e, empty))


def test_registered_columns_read_back_the_same_on_both_paths() -> None:
    cols = {"k": np.array([3, 1, 2], dtype=np.int64), "x": np.array([0.5, np.nan, -2.0])}
    with DuckDBEngine(":memory:") as e:
        e.register_columns("native", cols)
        Engine.register_columns(e, "arrow", cols)
        q = "SELECT k, x, typeof(k) AS tk, typeof(x) AS tx FROM {} ORDER BY k"
        a, b = e.fetch_numpy(q.format("native")), e.fetch_numpy(q.format("arrow"))
        _same(a, b)
        assert a["tk"].tolist() == ["BIGINT"] * 3 and a["tx"].tolist() == ["DOUBLE"] * 3
        assert a["k"].tolist() == [1, 2, 3]
