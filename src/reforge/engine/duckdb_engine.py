"""DuckDB engine: the default, an embedded database file."""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

import duckdb

from reforge.engine.base import Engine, EngineError

if TYPE_CHECKING:  # annotations only: `reforge status` runs without pandas/pyarrow
    import pandas as pd
    import pyarrow as pa


class DuckDBEngine(Engine):
    """An engine over one DuckDB database file (or ``:memory:``).

    ``read_only=True`` lets many readers share a file that another process
    (e.g. ``reforge serve``) holds for writing only if that process opened it
    read-only too; DuckDB allows one writer per file.
    """

    name = "duckdb"

    def __init__(self, path: str | Path = ":memory:", read_only: bool = False,
                 threads: int | None = None) -> None:
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:" and read_only and not Path(self.path).exists():
            raise EngineError(f"database {self.path} does not exist; create it with "
                              "`reforge demo` or `reforge import`")
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as e:
            msg = str(e)
            if "lock" in msg.lower():
                raise EngineError(
                    f"database {self.path} is locked by another process ({msg.splitlines()[0]}). "
                    "Stop that process (e.g. `reforge serve`) or use the running server's API."
                ) from None
            raise EngineError(f"cannot open {self.path}: {msg}") from None
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        if self.path == ":memory:":  # spill to the system temp dir, not ./.tmp in the caller's folder
            import tempfile
            self.con.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'reforge-duckdb'}'")
        self._temps: set[str] = set()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def fetch_arrow(self, sql: str) -> pa.Table:
        rel = self.con.sql(sql)
        if rel is None:  # a statement without a result
            import pyarrow as pa
            return pa.table({})
        if hasattr(rel, "to_arrow_table"):
            return rel.to_arrow_table()
        return rel.arrow()

    def fetch_df(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def fetch_scalar(self, sql: str):
        """The first column of the first row (None if no row), read without Arrow."""
        rows = self.con.execute(sql).fetchall()  # fetchall: a half-read result keeps the connection busy
        return rows[0][0] if rows else None

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        self.con.register(name, data)
        self._temps.add(name)

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        self._temps.add(name)

    def drop(self, name: str) -> None:
        if name in self._temps:
            try:
                self.con.unregister(name)
            except Exception:  # noqa: BLE001 - it was a table, not a view
                pass
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
            self._temps.discard(name)

    def table_exists(self, name: str) -> bool:
        n = self.con.execute(
            "SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = ? "
            "UNION ALL SELECT COUNT(*) FROM duckdb_views() WHERE view_name = ?",
            [name, name]).fetchall()
        return sum(r[0] for r in n) > 0 or name in self._temps

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name='main' "
            "ORDER BY table_name").fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:  # noqa: BLE001
            pass
