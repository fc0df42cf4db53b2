"""The one place that writes values or names into SQL text.

Values go to the engine as bound parameters (``engine.fetch_df(sql, [v])`` with ``?``, or
``{"name": v}`` with ``$name``); this module is for the rare places where text must be
inlined: identifiers (table and column names, rule ids turned into column names) and
constants in DDL or in SQL kept for later (views, exports).

- :func:`ident` accepts only names matching ``[A-Za-z_][A-Za-z0-9_]*`` (at most 63 characters)
  and returns them double-quoted (sqlglot turns ``"x"`` into Spark's `` `x` ``). Anything
  else raises :class:`~reforge.errors.InvalidInput`: names are never escaped, only checked.
- :func:`literal` writes None, booleans, finite numbers, dates and strings (quotes doubled,
  NUL rejected) as SQL constants.
- :func:`column_ref` quotes a column name of a user's own file that was checked against the
  table's columns (names such as ``first.treat`` are not plain SQL names).
- :func:`like_pattern` builds the *value* of a ``LIKE ? ESCAPE '\\'`` parameter.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from reforge.errors import InvalidInput

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

LIKE_ESCAPE = "ESCAPE '\\'"
"""The clause to put after ``LIKE ?`` when the parameter comes from :func:`like_pattern`."""


def is_ident(name: object) -> bool:
    """True when ``name`` is a plain SQL name (letters, digits, underscore; not starting with a digit)."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_ident(name: object, what: str = "name") -> str:
    """``name`` itself when it is a plain SQL name, else :class:`InvalidInput` (code ``sql.bad_identifier``)."""
    if not is_ident(name):
        shown = repr(name)[:80]
        raise InvalidInput(f"{what} {shown} is not a valid identifier (letters, digits and _ only, "
                           "not starting with a digit, at most 63 characters)",
                           code="sql.bad_identifier", params={"what": what, "name": str(name)[:80]})
    return name  # type: ignore[return-value]


def ident(name: object, what: str = "name") -> str:
    """A validated identifier, double-quoted (``"name"``); dotted names are checked part by part."""
    if isinstance(name, str) and "." in name:
        return ".".join(ident(p, what) for p in name.split("."))
    return f'"{check_ident(name, what)}"'


def column_ref(name: object) -> str:
    """A column of a user's own file (e.g. ``first.treat`` of a CSV), double-quoted with its quotes
    doubled. Only for names the caller has checked against the table's columns
    (``engine.columns``); NUL, empty and over-long names raise ``sql.bad_identifier``."""
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 255:
        raise InvalidInput(f"column name {str(name)[:80]!r} is not usable", code="sql.bad_identifier",
                           params={"what": "column", "name": str(name)[:80]})
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A SQL constant for ``value`` (None, bool, int, finite float, date/datetime, str)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        value = value.item()  # type: ignore[union-attr]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"number {value!r} cannot be written into SQL",
                               code="sql.bad_literal", params={"value": repr(value)})
        return repr(value)
    if isinstance(value, _dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, _dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("text with a NUL character cannot be written into SQL",
                               code="sql.bad_literal", params={"value": value[:40]})
        return "'" + value.replace("'", "''") + "'"
    raise InvalidInput(f"a {type(value).__name__} cannot be written into SQL",
                       code="sql.bad_literal", params={"value": type(value).__name__})


def like_pattern(text: str, anchored: bool = False) -> str:
    """The parameter value for ``col LIKE ? ESCAPE '\\'`` matching ``text`` anywhere (or as a
    prefix when ``anchored``): ``\\``, ``%`` and ``_`` in ``text`` match themselves."""
    esc = str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{esc}%" if anchored else f"%{esc}%"


def placeholders(values: Iterable[object]) -> str:
    """``?, ?, ?`` - one positional marker per value, for ``IN (...)`` lists (``NULL`` when empty,
    so ``x IN (NULL)`` matches nothing)."""
    n = sum(1 for _ in values)
    return ", ".join(["?"] * n) if n else "NULL"


def in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``($p0, $p1, ...)`` and its bindings for an ``IN`` list with named markers (``(NULL)`` when
    empty, matching nothing); ``prefix`` is a fixed name chosen by the caller."""
    if not values:
        return "(NULL)", {}
    names = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f"${n}" for n in names) + ")", names


__all__ = ["LIKE_ESCAPE", "check_ident", "ident", "in_list", "is_ident", "like_pattern", "literal", "placeholders"]
