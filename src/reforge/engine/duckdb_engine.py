"""DuckDB engine: the default, an embedded database file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from reforge.engine.base import Engine, EngineError, Params, QueryError, T, norm_params, wrap_query_error
from reforge.engine.sqlbuild import ident, literal

if TYPE_CHECKING:  # annotations only: `reforge status` runs without pandas/pyarrow
    import numpy as np
    import pandas as pd
    import pyarrow as pa


def private_files() -> None:
    """Make files this process creates from now on private to its user (umask |= 0o077).

    A database file holds password hashes; DuckDB creates it, and re-creates its ``.wal`` after
    every checkpoint, with the process umask, so only the umask keeps both at mode 0600
    (a ``chmod`` after the fact would miss every new WAL).
    """
    old = os.umask(0o077)
    os.umask(old | 0o077)


class DuckDBEngine(Engine):
    """An engine over one DuckDB database file (or ``:memory:``).

    DuckDB allows many read-only processes or one read-write process per file. An open that
    finds the file locked by another process waits up to ``wait`` seconds (default
    ``$REFORGE_WAIT``, 60) and a read-write open asks a running ``reforge serve`` to release the
    file meanwhile (``reforge.engine.sharing``); ``tag`` marks that request as the caller's own.
    """

    name = "duckdb"

    _request = None  # class default: CursorEngine (api/db.py) skips __init__

    def __init__(self, path: str | Path = ":memory:", read_only: bool = False,
                 threads: int | None = None, wait: float | None = None, tag: str | None = None) -> None:
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:" and read_only and not Path(self.path).exists():
            raise EngineError(f"database {self.path} does not exist; create it with "
                              "`reforge demo` or `reforge import`")
        if self.path == ":memory:":
            self.con = duckdb.connect(self.path, read_only=read_only)
        else:
            if not read_only:
                private_files()
            from reforge.engine.sharing import connect
            self.con, self._request = connect(self.path, read_only, wait=wait, tag=tag)
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        if self.path == ":memory:":  # spill to the system temp dir, not ./.tmp in the caller's folder
            import tempfile
            self.con.execute(f"SET temp_directory = {literal(str(Path(tempfile.gettempdir()) / 'reforge-duckdb'))}")
        self._temps: set[str] = set()

    _tx_depth = 0  # class default: CursorEngine (api/db.py) skips __init__

    def execute(self, sql: str, params: Params = None) -> None:
        bound = norm_params(params)
        try:
            self.con.execute(sql, bound) if bound is not None else self.con.execute(sql)
        except duckdb.Error as e:
            raise wrap_query_error(e, sql, bound) from e

    def _relation(self, sql: str, params: Params, read: Callable[[Any], T]) -> T:
        """``read(relation)`` of the query (the relation is None for a statement without a result),
        inside the error handling: a half-read result would keep the connection busy."""
        bound = norm_params(params)
        try:
            return read(self.con.sql(sql, params=bound) if bound is not None else self.con.sql(sql))
        except duckdb.Error as e:
            raise wrap_query_error(e, sql, bound) from e

    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        def read(rel: Any) -> pa.Table:
            if rel is None:  # a statement without a result
                import pyarrow as pa
                return pa.table({})
            return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
        return self._relation(sql, params, read)

    def fetch_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        bound = norm_params(params)
        try:
            return (self.con.execute(sql, bound) if bound is not None else self.con.execute(sql)).df()
        except duckdb.Error as e:
            raise wrap_query_error(e, sql, bound) from e

    def _fetchall(self, sql: str, params: Params) -> tuple[list[str], list[tuple]]:
        """Column names and all rows, read without Arrow (fetchall inside the error handling: a
        half-read result would keep the connection busy)."""
        bound = norm_params(params)
        try:
            cur = self.con.execute(sql, bound) if bound is not None else self.con.execute(sql)
            return [d[0] for d in cur.description or []], cur.fetchall()
        except duckdb.Error as e:
            raise wrap_query_error(e, sql, bound) from e

    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple]:
        """The rows as tuples of Python values (small results)."""
        return self._fetchall(sql, params)[1]

    def fetch_records(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """The rows as dicts of Python values (small results: accounts, tokens)."""
        names, rows = self._fetchall(sql, params)
        return [dict(zip(names, r, strict=True)) for r in rows]

    def fetch_scalar(self, sql: str, params: Params = None):
        """The first column of the first row (None if no row)."""
        rows = self._fetchall(sql, params)[1]
        return rows[0][0] if rows else None

    def columns(self, name: str) -> list[str]:
        """Column names of a table, in order (from the statement's description, without Arrow);
        a stored table's are remembered by a read-only engine."""
        def read() -> list[str]:
            return self._fetchall(f"SELECT * FROM {ident(name, 'table')} LIMIT 0", None)[0]
        if self.read_only and name not in self._temps and name in self._stored_names():
            return list(self.remember(("columns", name), read))
        return read()

    @property
    def stores(self) -> bool:
        return not self.read_only

    @contextmanager
    def transaction(self) -> Iterator[DuckDBEngine]:
        """BEGIN ... COMMIT around the block; ROLLBACK (and re-raise) if it raises. A nested
        ``transaction()`` joins the outer one (DuckDB has no nested transactions)."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield self
            finally:
                self._tx_depth -= 1
            return
        self.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield self
        except BaseException:
            self._tx_depth = 0
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:  # already rolled back by the failure
                pass
            raise
        self._tx_depth = 0
        try:
            self.execute("COMMIT")
        except QueryError:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        self.con.register(name, data)
        self._temps.add(name)

    def register_columns(self, name: str, columns: Mapping[str, np.ndarray]) -> None:
        """DuckDB scans a dict of numpy arrays itself (no Arrow table, no pyarrow import)."""
        import numpy as np
        self.register(name, {c: np.ascontiguousarray(v) for c, v in columns.items()})

    def fetch_numpy(self, sql: str, params: Params = None) -> dict[str, np.ndarray]:
        """DuckDB's own numpy transfer (pyarrow is not loaded), in ``Engine.fetch_numpy``'s conventions."""
        from reforge.engine.columns import plain_numpy
        return self._relation(sql, params, lambda rel: {} if rel is None else
                              {c: plain_numpy(v) for c, v in rel.fetchnumpy().items()})

    def materialize(self, name: str, sql: str) -> None:
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        self._temps.add(name)

    def drop(self, name: str) -> None:
        if name in self._temps:
            try:
                self.con.unregister(name)
            except Exception:  # noqa: BLE001 - it was a table, not a view
                pass
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
            self._temps.discard(name)

    _stored: frozenset[str] | None = None  # class defaults: CursorEngine (api/db.py) skips __init__
    _memo: dict | None = None

    def remember(self, key: tuple, compute: Callable[[], T]) -> T:
        """Kept while a read-only engine is open (nothing can change its stored tables then,
        see ``table_exists``); a writable engine computes every time. The server's read cursors
        share one memo per open handle (``api.db.CursorEngine``); a cursor with a temporary table
        named like a stored one computes for itself."""
        if not self.read_only or (self._temps and not self._temps.isdisjoint(self._stored_names())):
            return compute()
        if self._memo is None:
            self._memo = {}
        memo = self._memo
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def _stored_names(self) -> frozenset[str]:
        """The stored tables' and views' names (read once per read-only engine or shared memo)."""
        if self._stored is None:
            memo = self._memo if self._memo is not None else {}
            if ("stored_names",) not in memo:
                memo[("stored_names",)] = frozenset(r[0] for r in self.con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                    "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal"
                ).fetchall())
            self._stored = memo[("stored_names",)]
        return self._stored

    def table_exists(self, name: str) -> bool:
        """Whether a table or view ``name`` exists (stored, temporary or registered).

        A read-only engine reads the stored tables' names once: nothing can create or drop one
        while it is open (DuckDB lets no other process write meanwhile, and the server's readers
        hold the file shared). A page asks this dozens of times; each catalog query costs ~1 ms."""
        if name in self._temps:
            return True
        if self.read_only and name in self._stored_names():
            return True
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
        if self._request is not None:  # the file is free again: withdraw the write request
            self._request.withdraw()
            self._request = None
