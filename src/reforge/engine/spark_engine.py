"""Spark engine (PySpark local mode or a cluster), over a Parquet warehouse.

SQL arrives in DuckDB's dialect and is transpiled with sqlglot. Each table of
the warehouse is the Parquet directory or file ``WAREHOUSE/<table>.parquet``
(the layout ``reforge export --to parquet`` writes).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

from reforge.engine.base import Engine, EngineError, Params, norm_params, wrap_query_error
from reforge.engine.dialect import to_spark_sql

_SESSION = None


def spark_session(shuffle_partitions: int = 4):
    """One shared local SparkSession bound to loopback, UI off (created on first use)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the extra
        raise EngineError("the Spark engine needs the extra: pip install 'reforge[spark]'") from None
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    from reforge.settings import get_settings
    conf = get_settings()
    # REFORGE_SPARK_TINY=1 (tests): tiny data, so one core (unless a master is set) and one shuffle
    # partition (two xdist workers share two cores; more tasks per stage only add scheduling)
    tiny = conf.spark_tiny
    master = "local[1]" if tiny and "spark_master" not in conf.model_fields_set else conf.spark_master
    if tiny:
        shuffle_partitions = 1
    builder = (
        SparkSession.builder.master(master).appName("reforge")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", conf.spark_memory)
        # a collect bigger than this fails (a clear error below) instead of exhausting the driver
        .config("spark.driver.maxResultSize", conf.spark_max_result)
        .config("spark.sql.ansi.enabled", "false")
        # Spark 4.3 fails ("key not found: seed#n" in Union.rewriteConstraints) on a UNION of
        # checkpointed tables derived from one another (iterative SQL loops do this); constraint
        # propagation only infers extra filters, so turning it off changes no result.
        .config("spark.sql.constraintPropagation.enabled", "false")
    )
    if tiny:
        # tiny data: the JIT's optimising tier and a parallel GC cost more CPU than they save in short
        # runs (tests/chain/test_simulate.py -m spark -k hand: 45 s / 49 s -> 40 s / 37 s wall)
        builder = builder.config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    _SESSION = builder.getOrCreate()
    if tiny:
        # tiny data (tests): compiling generated code and re-planning cost more than they save
        _SESSION.conf.set("spark.sql.codegen.wholeStage", "false")
        _SESSION.conf.set("spark.sql.adaptive.enabled", "false")
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


class SparkEngine(Engine):
    """An engine whose tables are Spark temp views over a Parquet warehouse."""

    name = "spark"

    def __init__(self, warehouse: str | Path | None = None) -> None:
        self.spark = spark_session()
        self.warehouse = Path(warehouse) if warehouse else None
        self._stored: list[str] = []
        self._temps: dict[str, object] = {}
        if self.warehouse is not None:
            if not self.warehouse.is_dir():
                raise EngineError(f"warehouse {self.warehouse} is not a directory; "
                                  "write one with `reforge export --to parquet DIR`")
            for p in sorted(self.warehouse.iterdir()):
                if p.name.endswith(".parquet"):
                    name = p.name[: -len(".parquet")]
                    try:
                        self.spark.read.parquet(str(p)).createOrReplaceTempView(name)
                    except Exception as e:
                        if _is_spark_error(e):
                            raise self._wrap(e, f"-- read {p.name}", None) from e
                        raise
                    self._stored.append(name)

    @staticmethod
    @lru_cache(maxsize=4096)
    def _sql(sql: str) -> str:
        return to_spark_sql(sql)

    def _run(self, sql: str, params: Params = None):
        """The Spark DataFrame of ``sql`` (transpiled) with ``params`` bound: a list for ``?``
        markers, a dict for ``$name`` markers (sqlglot writes them as Spark's ``:name``)."""
        bound = norm_params(params)
        try:
            if bound is None:
                return self.spark.sql(self._sql(sql))
            return self.spark.sql(self._sql(sql), args=bound)
        except Exception as e:
            if _is_spark_error(e):
                raise self._wrap(e, sql, bound) from e
            raise

    def _wrap(self, e: BaseException, sql: str, params: Params) -> EngineError:
        """A Spark failure as a Reforge error; a warehouse file the executors cannot open
        (the folder is not shared with the workers) gets a message saying so."""
        text = str(e)
        if self.warehouse is not None and any(k in text for k in _UNREADABLE) \
                and str(self.warehouse.resolve()) in text:
            wh = str(self.warehouse.resolve())
            err = EngineError(
                f"the Spark workers cannot read the warehouse {wh}: a table file "
                "that the driver sees is missing on the workers. Put the warehouse on a file system "
                "that every worker mounts under the same path (see docs/spark.md).",
                code="engine.spark.warehouse_unreadable", error_params={"warehouse": wh})
            err.__cause__ = e
            return err
        if "spark.driver.maxResultSize" in text:   # a collect bigger than the driver may take
            limit = str(self.spark.sparkContext.getConf().get("spark.driver.maxResultSize", "1g"))
            err = EngineError(
                f"the result is larger than the Spark driver may collect (spark.driver.maxResultSize = "
                f"{limit}, setting REFORGE_SPARK_MAX_RESULT)", sql=sql, params=params,
                code="engine.spark.result_too_large", error_params={"limit": limit})
            err.__cause__ = e
            return err
        return wrap_query_error(e, sql, params)

    def execute(self, sql: str, params: Params = None) -> None:
        df = self._run(sql, params)
        try:
            df.collect()
        except Exception as e:
            if _is_spark_error(e):
                raise self._wrap(e, sql, params) from e
            raise

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        df = self._run(sql, params)
        try:
            if hasattr(df, "toArrow"):
                return df.toArrow()
            return pa.Table.from_pandas(df.toPandas(), preserve_index=False)
        except Exception as e:
            if _is_spark_error(e):
                raise self._wrap(e, sql, params) from e
            raise

    def fetch_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self.fetch_arrow(sql, params).to_pandas()

    # transaction(): inherited no-op. A Spark warehouse is Parquet files written by
    # `reforge export`; the Spark engine reads it and keeps intermediate results as temp
    # views, so there are no multi-statement writes to make atomic.

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        if isinstance(data, pa.Table):
            data = data.to_pandas()
        if len(data) == 0:
            sdf = self.spark.createDataFrame(data, schema=_empty_schema(data))
        else:
            sdf = self.spark.createDataFrame(data)
        sdf.createOrReplaceTempView(name)
        self._temps[name] = sdf

    def materialize(self, name: str, sql: str) -> None:
        """Compute once (local checkpoint: lineage cut) and register as a view.

        Spark copies the size estimate of the query into the checkpoint. Without CBO a join's
        estimate is the product of its inputs' estimates, so in an iterative loop (each round
        joining the last round's tables) the estimate's digits double every round and
        planning time explodes (a 600-link cascade took seconds per round by round 12 and
        minutes by round 15). An estimate beyond ``_MAX_ESTIMATE`` bytes - no longer a size,
        only a product - is dropped: the table gets Spark's default estimate, and adaptive
        execution still picks broadcast joins from the real sizes at run time. Sensible
        estimates are kept, so static join planning is unchanged where it worked.
        """
        cp = self.spark.sql(self._sql(sql)).localCheckpoint(eager=True)
        sdf = _without_estimate(self.spark, cp)
        sdf.createOrReplaceTempView(name)
        self._temps[name] = sdf

    def drop(self, name: str) -> None:
        sdf = self._temps.pop(name, None)
        if sdf is not None:
            try:
                sdf.unpersist()
            except Exception:  # noqa: BLE001
                pass
            self.spark.catalog.dropTempView(name)

    def table_exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def tables(self) -> list[str]:
        return list(self._stored)

    def close(self) -> None:
        for n in list(self._temps):
            self.drop(n)
        for n in self._stored:
            self.spark.catalog.dropTempView(n)


_MAX_ESTIMATE = 10**18  # bytes (about 1 EB): larger estimates are products, not sizes


def _without_estimate(spark, cp):
    """The checkpointed DataFrame ``cp``, or - when its inherited size estimate exceeds
    ``_MAX_ESTIMATE`` - a new DataFrame over the same checkpointed rows without that estimate
    (see ``SparkEngine.materialize``); ``cp`` itself when this Spark build does not expose the
    JVM calls used."""
    from pyspark.sql import DataFrame
    try:
        plan = cp._jdf.queryExecution().analyzed()  # a LogicalRDD over the checkpointed RDD
        if plan.getClass().getSimpleName() != "LogicalRDD":
            return cp
        if int(str(plan.stats().sizeInBytes())) <= _MAX_ESTIMATE:
            return cp
        jdf = spark._jsparkSession.internalCreateDataFrame(plan.rdd(), cp._jdf.schema(), False)
        return DataFrame(jdf, spark)
    except Exception:  # noqa: BLE001 - an internal API: fall back to the plain checkpoint
        return cp


_UNREADABLE = ("FileNotFoundException", "FILE_NOT_EXIST", "PATH_NOT_FOUND", "does not exist")


def _is_spark_error(e: BaseException) -> bool:
    """True for errors raised by Spark or its Py4J bridge (wrapped as QueryError)."""
    mod = type(e).__module__ or ""
    return mod.startswith(("pyspark", "py4j"))


def _empty_schema(df: pd.DataFrame):
    from pyspark.sql import types as T

    def t(dtype) -> T.DataType:
        k = getattr(dtype, "kind", "O")
        return {"i": T.LongType(), "u": T.LongType(), "f": T.DoubleType(),
                "b": T.BooleanType(), "M": T.TimestampType()}.get(k, T.StringType())
    return T.StructType([T.StructField(str(c), t(df[c].dtype), True) for c in df.columns])
