"""SQL helpers for the API: result rows as JSON-ready dicts, values bound as parameters.

Request values are bound: ``rows(engine, "... WHERE uscc = ?", [uscc])`` and
``"name LIKE ? " + LIKE_ESCAPE`` with ``like_pattern(q)`` (both from :mod:`reforge.engine.sqlbuild`,
the one module that puts values into SQL text).
"""

from __future__ import annotations

from reforge.engine.base import Params, norm_params, wrap_query_error


def rows(engine: object, sql: str, params: Params = None) -> list[dict]:
    """Result rows as dicts, JSON-safe (dates ISO, NaN -> None); fast path on DuckDB (no pandas).

    ``params`` are bound to the ``?`` / ``$name`` markers of ``sql``.
    """
    from reforge.api.capabilities import jsonable
    con = getattr(engine, "con", None)
    if con is not None and hasattr(con, "execute") and hasattr(con, "description"):
        import duckdb
        bound = norm_params(params)
        try:
            cur = con.execute(sql, bound) if bound is not None else con.execute(sql)
            names = [d[0] for d in cur.description]
            return [jsonable(dict(zip(names, r, strict=True))) for r in cur.fetchall()]
        except duckdb.Error as e:
            raise wrap_query_error(e, sql, bound) from e
    return jsonable(engine.fetch_df(sql, params))  # type: ignore[attr-defined]


__all__ = ["rows"]
