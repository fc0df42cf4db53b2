"""SQL literals for values that come from requests (quoted, never interpolated raw)."""

from __future__ import annotations


def lit(v: object) -> str:
    """A SQL literal: NULL, a number, TRUE/FALSE or a single-quoted string with quotes doubled."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def like(v: str) -> str:
    """A LIKE pattern literal matching ``v`` anywhere (``%``/``_`` in ``v`` are escaped)."""
    esc = v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return lit(f"%{esc}%") + " ESCAPE '\\'"


def rows(engine: object, sql: str) -> list[dict]:
    """Result rows as dicts, JSON-safe (dates ISO, NaN -> None); fast path on DuckDB (no pandas)."""
    from reforge.api.capabilities import jsonable
    con = getattr(engine, "con", None)
    if con is not None and hasattr(con, "execute") and hasattr(con, "description"):
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [jsonable(dict(zip(names, r, strict=True))) for r in cur.fetchall()]
    return jsonable(engine.fetch_df(sql))  # type: ignore[attr-defined]
