"""The server's database handle: one read-write DuckDB connection shared by all requests.

DuckDB allows one writer process per file, so the server opens the file
read-write once. Three ways in:

- ``quick()``: short point queries (a profile, a search page, the user behind a
  token) run one at a time on one shared cursor. Measured on the 2-core machine,
  serialising them gave 4x the throughput of running them concurrently on
  separate cursors (143 vs 33 profiles/s with 8 client threads), because
  concurrent small queries contend inside DuckDB and for the GIL.
- ``reader()``: analyses (seconds of work) get their own cursor and run
  concurrently with everything else.
- ``writer()``: writes take ``write_lock`` (serialised), then clear the caches.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from reforge.engine.duckdb_engine import DuckDBEngine
from reforge.schema import ensure_schema


class CursorEngine(DuckDBEngine):
    """A DuckDBEngine over a cursor of an already open connection (no new file handle)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:  # noqa: D107
        self.path = path
        self.read_only = False
        self.con = con.cursor()
        self._temps: set[str] = set()


class Database:
    """The database file served by the app."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.root = DuckDBEngine(self.path, read_only=False)
        ensure_schema(self.root)
        self.write_lock = threading.RLock()
        self.cache: dict = {}  # page-level memo of analysis results, cleared by every write
        self.users: dict = {}  # bearer token -> (user, expiry), cleared by every write
        self.quick_lock = threading.Lock()
        self._quick = CursorEngine(self.root.con, self.path)

    @contextmanager
    def quick(self) -> Iterator[CursorEngine]:
        """The shared engine for short queries, one request at a time."""
        with self.quick_lock:
            yield self._quick

    @contextmanager
    def reader(self) -> Iterator[CursorEngine]:
        """An engine for one request (reads)."""
        e = CursorEngine(self.root.con, self.path)
        try:
            yield e
        finally:
            e.close()

    @contextmanager
    def writer(self) -> Iterator[CursorEngine]:
        """An engine for one write; writes are serialised by ``write_lock``."""
        with self.write_lock:
            e = CursorEngine(self.root.con, self.path)
            try:
                yield e
            finally:
                e.close()
                self.cache.clear()
                self.users.clear()

    def close(self) -> None:
        self._quick.close()
        self.root.close()
