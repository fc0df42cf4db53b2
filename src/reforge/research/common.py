"""Shared checks of the joint-research entry points (tables present, dates, years)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from reforge.dates import parse_as_of
from reforge.engine import Engine
from reforge.errors import DataMissing, InvalidInput


def check_tables(engine: Engine, names: Sequence[str]) -> None:
    """Raise ``DataMissing`` (code ``research.no_table``) naming the missing tables."""
    missing = [n for n in names if not engine.table_exists(n)]
    if missing:
        raise DataMissing(f"joint research needs the tables {', '.join(missing)}; import them first",
                          code="research.no_table", params={"tables": missing})


def as_of_date(as_of: str | _dt.date | None) -> str:
    """ISO date (default today in UTC); ``InvalidInput`` (``research.bad_date``) otherwise
    (see :func:`reforge.dates.parse_as_of`)."""
    return parse_as_of(as_of, "as_of", code="research.bad_date")


def check_year(year: int | None) -> int | None:
    """A year 1949-2100 or None; ``InvalidInput`` (``research.bad_year``) otherwise."""
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100:
        raise InvalidInput(f"year {year!r} is not a year 1949-2100", code="research.bad_year",
                           params={"value": str(year)[:20]})
    return year
