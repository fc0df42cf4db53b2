"""The one parser of as-of dates given by users (CLI options, API query parameters, library calls).

An as-of date is an ISO calendar date written ``YYYY-MM-DD`` (exactly ten characters; the
compact and week forms that ``date.fromisoformat`` also reads are refused), a
``datetime.date`` (a ``datetime`` counts by its date), or None for today in UTC (so the
answer does not depend on the server's time zone). Anything else raises
:class:`~reforge.errors.InvalidInput` with a code (``input.bad_date`` unless the caller keeps
an older code of its own) and the params ``param`` (the parameter's name) and ``value``.
"""

from __future__ import annotations

import datetime as _dt
import re

from reforge.errors import InvalidInput

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today_utc() -> _dt.date:
    """Today's date in UTC."""
    return _dt.datetime.now(_dt.UTC).date()


def parse_as_of(value: str | _dt.date | None, param: str = "as_of", code: str = "input.bad_date") -> str:
    """``value`` as ``YYYY-MM-DD`` (None: today in UTC); :class:`InvalidInput` (``code``, params
    ``param`` and ``value`` cut to 40 characters) when it is not a valid ISO date."""
    if value is None:
        return today_utc().isoformat()
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value)
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        shown = text[:40]
        raise InvalidInput(f"{param} must be a date YYYY-MM-DD, got {shown!r}", code=code,
                           params={"param": param, "value": shown}) from None


__all__ = ["parse_as_of", "today_utc"]
