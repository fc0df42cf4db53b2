"""Differences between the SQL dialects the engines speak.

Analyses write DuckDB SQL; ``to_spark_sql`` transpiles it with sqlglot. Keep
analysis SQL to the portable core (CTEs, joins, window functions, CASE,
aggregates, COALESCE, LEAST/GREATEST, ln/exp/sqrt, CAST to DOUBLE/BIGINT/VARCHAR).
"""

from __future__ import annotations

import sqlglot


def to_spark_sql(sql: str) -> str:
    """Transpile one DuckDB statement to Spark SQL."""
    out = sqlglot.transpile(sql, read="duckdb", write="spark")
    if len(out) != 1:
        raise ValueError("one statement at a time")
    return out[0]
