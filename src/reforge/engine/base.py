"""The engine interface: one SQL dialect (DuckDB's), two back ends (DuckDB, Spark).

Analyses are written as SQL strings in DuckDB's dialect over named tables. An
``Engine`` runs them; ``SparkEngine`` transpiles them with sqlglot first. Only
reduced results come back to Python, as pandas or Arrow.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing the engine must not load pandas/pyarrow
    import pandas as pd
    import pyarrow as pa


class EngineError(RuntimeError):
    """A problem opening or using an engine, with a message meant for a person."""


class Engine(ABC):
    """Runs DuckDB-dialect SQL over named tables and returns reduced results."""

    name: str = "abstract"
    _counter = itertools.count()

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement for its side effect (DDL, INSERT, ...)."""

    @abstractmethod
    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    def fetch_df(self, sql: str) -> pd.DataFrame:
        """Run a query and return its result as a pandas DataFrame."""
        return self.fetch_arrow(sql).to_pandas()

    def fetch_scalar(self, sql: str):
        """Run a query returning one row and one column; return that value."""
        t = self.fetch_arrow(sql)
        if t.num_rows == 0:
            return None
        return t.column(0)[0].as_py()

    @abstractmethod
    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make an in-memory table queryable under ``name`` (replacing any view of that name)."""

    @abstractmethod
    def materialize(self, name: str, sql: str) -> None:
        """Compute ``sql`` once and keep the result as table/view ``name`` for later steps."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget an intermediate table created by ``register`` or ``materialize``."""

    @abstractmethod
    def table_exists(self, name: str) -> bool:
        """True when a table or view of that name can be queried."""

    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the stored (persistent) tables."""

    def columns(self, name: str) -> list[str]:
        """Column names of a table, in order."""
        return list(self.fetch_arrow(f"SELECT * FROM {name} LIMIT 0").schema.names)

    def count(self, name: str) -> int:
        """Row count of a table."""
        return int(self.fetch_scalar(f"SELECT COUNT(*) FROM {name}"))

    def temp_name(self, stem: str) -> str:
        """A fresh name for an intermediate table."""
        return f"__rf_{stem}_{next(self._counter)}"

    @contextmanager
    def scratch(self) -> Iterator[list[str]]:
        """Collect intermediate table names and drop them on exit."""
        names: list[str] = []
        try:
            yield names
        finally:
            for n in names:
                try:
                    self.drop(n)
                except Exception:  # noqa: BLE001 - best-effort cleanup
                    pass

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
