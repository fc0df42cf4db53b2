"""The engine interface: one SQL dialect (DuckDB's), two back ends (DuckDB, Spark).

Analyses are written as SQL strings in DuckDB's dialect over named tables. An
``Engine`` runs them; ``SparkEngine`` transpiles them with sqlglot first. Only
reduced results come back to Python, as pandas or Arrow.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from reforge.engine.sqlbuild import ident
from reforge.errors import EngineFailure

if TYPE_CHECKING:  # annotations only: importing the engine must not load pandas/pyarrow
    import numpy as np
    import pandas as pd
    import pyarrow as pa

T = TypeVar("T")

Params = Sequence[Any] | Mapping[str, Any] | None
"""Bound parameters: a sequence for ``?`` markers or a mapping for ``$name`` markers."""


class EngineError(EngineFailure, RuntimeError):
    """A problem opening or using an engine, with a message meant for a person.

    ``sql`` and ``bound`` hold the statement that failed and its parameters (None when the
    failure was not a statement). They stay out of ``str()`` - which API clients may see -
    and are added as an exception note, so tracebacks (``--debug``) and logs show them.
    """

    def __init__(self, message: str = "", *args: object, sql: str | None = None,
                 params: Params = None, code: str | None = None,
                 error_params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, *args, code=code, params=error_params)
        self.sql = sql
        self.bound = params
        if sql is not None:
            self.add_note(f"SQL: {sql}" + (f"\nparameters: {params!r}" if params else ""))


class QueryError(EngineError):
    """A statement failed inside the engine (code ``engine.query_failed``).

    Raised as a subclass of both this class and the driver's own exception class (e.g.
    ``duckdb.ConstraintException``), so callers that catch either keep working.
    """

    default_code = "engine.query_failed"


@lru_cache(maxsize=64)
def _query_error_class(base: type[BaseException]) -> type[QueryError]:
    if issubclass(base, QueryError) or not issubclass(base, Exception):
        return QueryError
    try:
        return type(f"QueryError_{base.__name__}", (QueryError, base), {"__module__": __name__})
    except TypeError:  # an exception class that cannot be mixed in
        return QueryError


def wrap_query_error(exc: BaseException, sql: str, params: Params = None) -> QueryError:
    """``exc`` (raised by the engine's driver) as a :class:`QueryError` carrying ``sql``.

    The message keeps the driver's first line (its kind and reason, e.g. ``Constraint Error:
    Duplicate key ...``); later lines, which may quote the SQL, are left out.
    """
    if isinstance(exc, QueryError):
        return exc
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    err = _query_error_class(type(exc))(f"the database could not run a statement: {first}",
                                        sql=sql, params=params,
                                        error_params={"reason": first, "kind": type(exc).__name__})
    err.__cause__ = exc
    return err


def norm_params(params: Params) -> list[Any] | dict[str, Any] | None:
    """Parameters as a list or dict of plain Python values (numpy scalars unwrapped)."""
    if params is None:
        return None

    def plain(v: Any) -> Any:
        if hasattr(v, "item") and not isinstance(v, str | bytes) and getattr(v, "ndim", 0) == 0:
            return v.item()
        return v

    if isinstance(params, Mapping):
        return {str(k): plain(v) for k, v in params.items()}
    if isinstance(params, str | bytes):
        raise TypeError("params must be a sequence or a mapping, not a string")
    return [plain(v) for v in params]


class Engine(ABC):
    """Runs DuckDB-dialect SQL over named tables and returns reduced results."""

    name: str = "abstract"
    _counter = itertools.count()

    # Every statement method takes bound parameters: ``?`` markers with a sequence, or
    # ``$name`` markers with a mapping (not ``$1``: Spark has no numbered markers). Values
    # never go into the SQL text; see reforge.engine.sqlbuild for names and rare constants.
    # Failures inside the engine raise QueryError (an EngineError carrying the SQL).

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement for its side effect (DDL, INSERT, ...)."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    def remember(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()``, kept under ``key`` while the engine is open when the stored tables cannot
        change meanwhile (a read-only DuckDB engine); computed on every call otherwise. For small
        facts that many analyses of one request ask again (the panel's years, its coverage).
        The caller must not mutate what it gets back."""
        return compute()

    def fetch_numpy(self, sql: str, params: Params = None) -> dict[str, np.ndarray]:
        """Run a query and return {column: numpy array} (see ``reforge.engine.columns``)."""
        from reforge.engine.columns import arrow_to_numpy
        return arrow_to_numpy(self.fetch_arrow(sql, params))

    def fetch_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a query and return its result as a pandas DataFrame."""
        return self.fetch_arrow(sql, params).to_pandas()

    def fetch_rows(self, sql: str, params: Params = None) -> list[tuple]:
        """Run a (small) query and return its rows as tuples of Python values, in order."""
        t = self.fetch_arrow(sql, params)
        return list(zip(*(c.to_pylist() for c in t.columns), strict=True)) if t.num_columns else []

    def fetch_records(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Run a (small) query and return its rows as dicts of Python values, in order."""
        return self.fetch_arrow(sql, params).to_pylist()

    def fetch_scalar(self, sql: str, params: Params = None):
        """Run a query returning one row and one column; return that value (None if no row)."""
        t = self.fetch_arrow(sql, params)
        if t.num_rows == 0:
            return None
        return t.column(0)[0].as_py()

    @property
    def stores(self) -> bool:
        """True when tables written through this engine persist (a DuckDB database opened for
        writing). Writers check this instead of the engine's class."""
        return False

    @contextmanager
    def transaction(self) -> Iterator[Engine]:
        """Run the block's statements as one transaction: committed at the end, rolled back
        if the block raises. Nested use joins the outer transaction. The base engine has no
        transactions (the block runs as it is); DuckDB overrides this."""
        yield self

    @abstractmethod
    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make an in-memory table queryable under ``name`` (replacing any view of that name)."""

    def register_columns(self, name: str, columns: Mapping[str, np.ndarray]) -> None:
        """Register numeric numpy columns (int64 / float64) as a small table ``name``."""
        from reforge.engine.columns import numpy_to_arrow
        self.register(name, numpy_to_arrow(columns))

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
        return list(self.fetch_arrow(f"SELECT * FROM {ident(name, 'table')} LIMIT 0").schema.names)

    def count(self, name: str) -> int:
        """Row count of a table."""
        return int(self.fetch_scalar(f"SELECT COUNT(*) FROM {ident(name, 'table')}"))

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
