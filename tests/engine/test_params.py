"""The engine seam: bound parameters on both engines, transactions, wrapped errors, sqlbuild."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.engine.base import EngineError, QueryError
from reforge.engine.dialect import to_spark_sql
from reforge.engine.sqlbuild import LIKE_ESCAPE, ident, like_pattern, literal, placeholders
from reforge.errors import EngineFailure, InvalidInput, ReforgeError
from tests.conftest import put_tables

HOSTILE = ["'", "''", "'; DROP TABLE t; --", "a\\b", "\\'", "100%_x", "企业'名\"称", "x" * 10_000,
           "$name", "?", "\u202e\U0001f600", "O'Brien\n\t"]


@pytest.fixture
def words():
    return pd.DataFrame({"k": list(range(len(HOSTILE))), "s": HOSTILE})


def test_positional_and_named_parameters_on_each_engine(any_engine, words):
    put_tables(any_engine, {"w": words})
    for k, s in enumerate(HOSTILE):
        assert any_engine.fetch_scalar("SELECT k FROM w WHERE s = ?", [s]) == k
        assert any_engine.fetch_scalar("SELECT k FROM w WHERE s = $v", {"v": s}) == k
        assert any_engine.fetch_scalar("SELECT ?", (s,)) == s
    df = any_engine.fetch_df("SELECT k FROM w WHERE k >= ? AND k < ? ORDER BY k", [2, 5])
    assert df["k"].tolist() == [2, 3, 4]
    t = any_engine.fetch_arrow("SELECT s FROM w WHERE s LIKE ? " + LIKE_ESCAPE + " ORDER BY k",
                               [like_pattern("%_")])
    assert t.column("s").to_pylist() == ["100%_x"]  # % and _ match themselves, not any text
    assert any_engine.fetch_scalar("SELECT COUNT(*) FROM w WHERE s = ?", ["nothing"]) == 0
    assert any_engine.fetch_scalar("SELECT COUNT(*) FROM w") == len(HOSTILE)


def test_bound_values_are_stored_verbatim_and_change_no_other_row():
    with DuckDBEngine(":memory:") as e:
        e.execute("CREATE TABLE t (k INTEGER, s VARCHAR)")
        for k, s in enumerate(HOSTILE):
            e.execute("INSERT INTO t VALUES (?, ?)", [k, s])
        e.execute("INSERT INTO t VALUES ($k, $s)", {"k": 99, "s": "a\x00b"})
        got = e.fetch_df("SELECT k, s FROM t ORDER BY k")
        assert got["s"].tolist() == HOSTILE + ["a\x00b"]
        assert e.tables() == ["t"]


def test_numpy_scalars_bind_as_plain_values():
    import numpy as np
    with DuckDBEngine(":memory:") as e:
        assert e.fetch_scalar("SELECT ? + ?", [np.int64(2), np.float64(0.5)]) == 2.5


def test_transaction_commits_rolls_back_and_nests(tmp_path):
    with DuckDBEngine(tmp_path / "t.duckdb") as e:
        e.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        with e.transaction():
            e.execute("INSERT INTO t VALUES (?)", [1])
            with e.transaction():  # joins the outer one
                e.execute("INSERT INTO t VALUES (?)", [2])
        assert e.fetch_scalar("SELECT COUNT(*) FROM t") == 2
        with pytest.raises(QueryError), e.transaction():
            e.execute("INSERT INTO t VALUES (?)", [3])
            e.execute("INSERT INTO t VALUES (?)", [1])  # duplicate key: the whole block is undone
        assert e.fetch_df("SELECT k FROM t ORDER BY k")["k"].tolist() == [1, 2]
        with pytest.raises(ValueError), e.transaction():
            e.execute("INSERT INTO t VALUES (?)", [4])
            raise ValueError("not the database's fault")
        assert e.fetch_scalar("SELECT COUNT(*) FROM t") == 2
        with e.transaction():  # usable again after a rollback
            e.execute("INSERT INTO t VALUES (?)", [5])
        assert e.fetch_scalar("SELECT MAX(k) FROM t") == 5


def test_engine_failures_carry_the_sql_outside_the_message():
    with DuckDBEngine(":memory:") as e:
        e.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        e.execute("INSERT INTO t VALUES (1)")
        sql = "INSERT INTO t VALUES (?)"
        with pytest.raises(QueryError) as ei:
            e.execute(sql, [1])
        err = ei.value
        # one object, caught by every handler that used to see the driver's exception
        assert isinstance(err, duckdb.ConstraintException)
        assert isinstance(err, EngineError) and isinstance(err, EngineFailure)
        assert isinstance(err, ReforgeError)
        assert err.code == "engine.query_failed" and err.sql == sql and err.bound == [1]
        assert "INSERT" not in str(err) and "Constraint Error" in str(err)
        assert any(sql in n for n in err.__notes__)  # printed by tracebacks (--debug) and logs
        with pytest.raises(QueryError) as ei:
            e.fetch_df("SELECT secret_column FROM t WHERE k = ?", [1])
        assert "secret_column" not in str(ei.value).split(":", 1)[0]
        assert ei.value.sql.startswith("SELECT secret_column")
        with pytest.raises(QueryError):
            e.fetch_arrow("SELEC 1")


def test_sqlbuild_rejects_bad_identifiers_and_writes_safe_literals():
    assert ident("enterprises") == '"enterprises"'
    assert ident("main.t_1") == '"main"."t_1"'
    for bad in ["", "1abc", 'a"b', "a b", "t; DROP TABLE t", "名称", "a-b", "x" * 64, None, 3]:
        with pytest.raises(InvalidInput) as ei:
            ident(bad)
        assert ei.value.code == "sql.bad_identifier"
    with DuckDBEngine(":memory:") as e:
        for s in HOSTILE:
            assert e.fetch_scalar(f"SELECT {literal(s)}") == s
        assert e.fetch_scalar(f"SELECT {literal(-1.5)} + {literal(2)}") == 0.5
        assert e.fetch_scalar(f"SELECT {literal(None)} IS NULL AND {literal(True)}") is True
        import datetime as dt
        assert e.fetch_scalar(f"SELECT {literal(dt.date(2024, 2, 29))}") == dt.date(2024, 2, 29)
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM range(5) WHERE range IN ({placeholders([1, 3])})",
                              [1, 3]) == 2
        assert e.fetch_scalar(f"SELECT COUNT(*) FROM range(5) WHERE range IN ({placeholders([])})") == 0
    for bad in ["a\x00b", float("nan"), float("inf"), object()]:
        with pytest.raises(InvalidInput):
            literal(bad)


def test_spark_transpile_keeps_parameter_markers():
    assert to_spark_sql("SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '\\' AND d = '?'") \
        .count("?") == 3
    out = to_spark_sql("SELECT $name AS x FROM t WHERE y IN (?, ?)")
    assert ":name" in out and out.count("?") == 2


def test_count_and_columns_check_the_table_name():
    with DuckDBEngine(":memory:") as e:
        e.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
        assert e.columns("t") == ["a", "b"] and e.count("t") == 0
        with pytest.raises(InvalidInput):
            e.count("t; DROP TABLE t")
        assert e.tables() == ["t"]


@pytest.mark.spark
def test_spark_failure_is_wrapped(spark_engine):
    with pytest.raises(QueryError) as ei:
        spark_engine.fetch_df("SELECT no_such_col FROM VALUES (1) AS v(a) WHERE a = ?", [1])
    assert ei.value.sql.startswith("SELECT no_such_col")
    with spark_engine.transaction():  # no-op on Spark
        assert spark_engine.fetch_scalar("SELECT ? + 1", [1]) == 2


def test_a_read_only_engine_knows_its_tables_without_asking_each_time(tmp_path):
    """``table_exists`` on a read-only engine reads the stored names once (nothing can change
    them while it is open); temporary and registered tables are still seen as they come and go."""
    path = tmp_path / "t.duckdb"
    with DuckDBEngine(path) as w:
        w.execute("CREATE TABLE items (item_id VARCHAR)")
        w.execute("CREATE VIEW v_items AS SELECT * FROM items")
    with DuckDBEngine(path, read_only=True) as e:
        assert e.table_exists("items") and e.table_exists("v_items") and not e.table_exists("nope")
        assert e._stored == frozenset({"items", "v_items"})
        e.materialize("scratch_t", "SELECT 1 AS x")
        e.register("reg_t", pd.DataFrame({"x": [1]}))
        e.execute("CREATE TEMP TABLE own_temp AS SELECT 1 AS x")   # not through the engine's helpers
        assert e.table_exists("scratch_t") and e.table_exists("reg_t") and e.table_exists("own_temp")
        e.drop("scratch_t")
        e.execute("DROP TABLE own_temp")
        assert not e.table_exists("scratch_t") and not e.table_exists("own_temp")


def test_remember_keeps_a_result_only_while_the_data_cannot_change(tmp_path):
    """``Engine.remember``: a read-only engine computes once per key; a writable one every time."""
    path = tmp_path / "r.duckdb"
    n = {"calls": 0}

    def compute() -> int:
        n["calls"] += 1
        return n["calls"]
    with DuckDBEngine(path) as w:
        assert [w.remember(("k",), compute) for _ in range(3)] == [1, 2, 3]
    with DuckDBEngine(path, read_only=True) as r:
        assert [r.remember(("k",), compute) for _ in range(3)] == [4, 4, 4]
        assert r.remember(("other",), compute) == 5


def test_the_read_cursors_of_one_handle_share_what_they_remember(tmp_path):
    """``api.db.CursorEngine`` with a shared memo: a second cursor reuses the first one's result
    and stored columns; a cursor whose temporary table shadows a stored one computes for itself."""
    import pandas as pd

    from reforge.api.db import CursorEngine
    path = tmp_path / "c.duckdb"
    with DuckDBEngine(path) as w:
        w.execute("CREATE TABLE firms (uscc VARCHAR, name VARCHAR)")
    n = {"calls": 0}

    def compute() -> int:
        n["calls"] += 1
        return n["calls"]

    with DuckDBEngine(path, read_only=True) as root:
        shared: dict = {}
        a, b, c = (CursorEngine(root.con, root.path, memo=shared) for _ in range(3))
        try:
            assert a.remember(("k",), compute) == 1 and b.remember(("k",), compute) == 1
            assert a.columns("firms") == ["uscc", "name"] and ("columns", "firms") in shared
            assert b.columns("firms") == ["uscc", "name"]
            c.register("firms", pd.DataFrame({"other": [1]}))   # shadows the stored table here only
            assert c.columns("firms") == ["other"] and c.remember(("k",), compute) == 2
            assert b.columns("firms") == ["uscc", "name"] and b.remember(("k",), compute) == 1
            assert CursorEngine(root.con, root.path, memo={}).remember(("k",), compute) == 3  # a new handle's memo
        finally:
            for e in (a, b, c):
                e.close()
