"""Iterative SQL loops on Spark: materialized tables must not inherit compounding size estimates.

Without CBO Spark estimates a join's size as the product of its inputs' estimates, and a
local checkpoint copies the estimate of the query it computed. A loop that joins the last
round's tables therefore doubled the estimate's digits every round, and planning time with
it (a 15-round cascade took minutes). ``SparkEngine.materialize`` drops the inherited
estimate; these tests fail (or hang) when it does not.
"""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.chain.simulate import links_sql
from reforge.chain.spof import spof_on_links

pytestmark = pytest.mark.spark


def _estimate_digits(engine, name: str) -> int:
    plan = engine.spark.table(name)._jdf.queryExecution().optimizedPlan()
    return len(str(plan.stats().sizeInBytes()))


def test_materialized_join_does_not_compound_its_size_estimate(spark_engine):
    e = spark_engine
    e.register("__loop_t0", pd.DataFrame({"x": range(50)}))
    prev = "__loop_t0"
    with e.scratch() as scratch:
        for k in range(1, 9):
            name = f"__loop_t{k}"
            e.materialize(name, f"SELECT a.x FROM {prev} a JOIN {prev} b ON a.x = b.x")
            scratch.append(name)
            if k == 1:  # a sensible estimate (a few KB) is kept for static join planning
                assert _estimate_digits(e, name) <= 6
            prev = name
        # 8 self-joins of a compounding estimate would have ~2^8 times the digits of the first
        # (699 before the fix); now at most 1e18 or Long.MaxValue (Spark's default), 19 digits
        assert _estimate_digits(e, prev) <= 19
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM {prev}") == 50
    e.drop("__loop_t0")


def test_long_cascade_on_spark_equals_duckdb(spark_engine):
    """A single-sourced path F0 -> F1 -> ... -> F16: removing F0 disrupts 16 firms in 16 rounds."""
    n = 17
    sl = pd.DataFrame({"supplier_id": [f"F{i:02d}" for i in range(n - 1)],
                       "supplier_type": "enterprise",
                       "buyer_uscc": [f"F{i:02d}" for i in range(1, n)],
                       "item_id": "X", "year": 2024, "value": 10.0})
    from reforge.engine import DuckDBEngine
    got = {}
    for eng in (spark_engine, DuckDBEngine(":memory:")):
        eng.register("supply_links", sl)
        with eng.scratch() as scratch:
            df, n_firms, _c, rounds = spof_on_links(eng, f"({links_sql(2024)})", None, 0.5, scratch,
                                                    unique_links=True)
        got[eng.name] = (dict(zip(df["firm_id"], df["disrupted_count"], strict=True)), n_firms, rounds)
        eng.drop("supply_links")
    counts, n_firms, rounds = got["spark"]
    assert got["spark"] == got["duckdb"]
    assert counts["F00"] == n - 1 and counts["F15"] == 1 and n_firms == n - 1 and rounds == n - 1
