"""Engine layer: run the same set-based SQL on DuckDB (default) or Spark."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reforge.engine.base import Engine, EngineError

if TYPE_CHECKING:
    from reforge.engine.duckdb_engine import DuckDBEngine


def __getattr__(name: str) -> Any:
    """``DuckDBEngine`` is imported on first use, so that importing the package does not load DuckDB."""
    if name == "DuckDBEngine":
        from reforge.engine.duckdb_engine import DuckDBEngine
        return DuckDBEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

DEFAULT_DB = Path(".reforge") / "reforge.duckdb"


def default_db_path() -> Path:
    """The database file: ``$REFORGE_DB`` or ``./.reforge/reforge.duckdb`` (:mod:`reforge.settings`)."""
    from reforge.settings import get_settings
    return Path(get_settings().db)


def open_engine(kind: str = "duckdb", db: str | Path | None = None,
                warehouse: str | Path | None = None, read_only: bool = True) -> Engine:
    """Open an engine by name.

    duckdb: the database file ``db`` (default ``default_db_path()``).
    spark: the Parquet warehouse ``warehouse``; when absent, the DuckDB file is
    exported to a warehouse beside it (``<db>.warehouse/``) first if that is
    missing or older than the file.
    """
    from reforge.engine.duckdb_engine import DuckDBEngine
    if kind == "duckdb":
        return DuckDBEngine(db or default_db_path(), read_only=read_only)
    if kind == "spark":
        from reforge.engine.spark_engine import SparkEngine
        if warehouse is None:
            from reforge.settings import get_settings
            warehouse = get_settings().warehouse  # $REFORGE_WAREHOUSE
        if warehouse is None:
            src = Path(db or default_db_path())
            if not src.exists():
                raise EngineError(f"database {src} does not exist; give --warehouse DIR or build it "
                                  "with `reforge demo`")
            warehouse = src.with_suffix(".warehouse")
            stamp = warehouse / "_SOURCE_MTIME"
            mtime = str(src.stat().st_mtime_ns)
            if not stamp.exists() or stamp.read_text() != mtime:
                from reforge.engine.export import export_parquet
                with DuckDBEngine(src, read_only=True) as e:
                    export_parquet(e, warehouse)
                stamp.write_text(mtime)
        return SparkEngine(warehouse)
    raise EngineError(f"unknown engine {kind!r}; use duckdb or spark")


__all__ = ["Engine", "EngineError", "DuckDBEngine", "open_engine", "default_db_path"]
