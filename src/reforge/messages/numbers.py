"""Numbers, percentages, lists and country names in the reader's language (Babel / CLDR).

Chinese readers count large amounts in 万 (10^4) and 亿 (10^8), not in thousands and
millions; :func:`big_number` writes them that way (``123456789`` → ``1.23亿``,
``56789`` → ``5.68万``, below 10^4 the plain grouped number). English gets the grouped
number (``123,456,789``). Decimals and percentages use the locale's symbols through
Babel's ``format_decimal`` / ``format_percent``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

BABEL_LOCALE = {"en": "en", "zh": "zh_Hans_CN"}
"""Our language codes → Babel locale identifiers."""

_ZH_UNITS = ((10**8, "亿"), (10**4, "万"))


def _loc(lang: str) -> str:
    return BABEL_LOCALE.get(lang, "en")


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


@lru_cache(maxsize=64)
def _pattern(pattern: str):  # noqa: ANN202 - babel.numbers.NumberPattern
    """Babel's parsed pattern, once per pattern (``format_decimal`` parses it on every call)."""
    from babel.numbers import parse_pattern
    return parse_pattern(pattern)


@lru_cache(maxsize=8)
def _locale(lang: str):  # noqa: ANN202 - babel.Locale
    from babel import Locale
    return Locale.parse(_loc(lang))


def _apply(value: float, pattern: str, lang: str) -> str:
    """= ``babel.numbers.format_decimal / format_percent(value, format=pattern, locale=…)``, with
    the pattern and the locale parsed once (a message renders thousands of numbers)."""
    return _pattern(pattern).apply(value, _locale(lang), decimal_quantization=True, group_separator=True,
                                   numbering_system="latn")


def decimal(value: float, digits: int = 2, lang: str = "en", group: bool = True) -> str:
    """``value`` with exactly ``digits`` decimals, grouped thousands (``-1,234.50``)."""
    return _apply(value, ("#,##0" if group else "0") + ("." + "0" * digits if digits > 0 else ""), lang)


def percent(value: float, digits: int = 1, lang: str = "en") -> str:
    """A fraction as a percentage (``0.1234`` → ``12.3%``)."""
    return _apply(value, "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%", lang)


def integer(value: int, lang: str = "en") -> str:
    """A whole number with grouped thousands (``12,345``)."""
    return _apply(int(value), "#,##0", lang)


def big_number(value: float, lang: str = "en", digits: int = 2) -> str:
    """A large amount as a reader expects it: zh ``1.23亿`` / ``5.68万``; en ``123,456,789``.

    zh: amounts of at least 10^8 in 亿, of at least 10^4 in 万, each with ``digits``
    decimals (trailing zeros kept, so columns line up); smaller ones as plain numbers.
    en: the number rounded to an integer with grouped thousands.
    """
    if lang == "zh":
        for unit, name in _ZH_UNITS:
            if abs(value) >= unit:
                return decimal(value / unit, digits, lang) + name
        return decimal(value, 0 if float(value).is_integer() else digits, lang)
    return integer(round(value), lang)


def join_list(items: Iterable[object], lang: str = "en") -> str:
    """Items joined the locale's way for an enumeration (zh ``甲、乙、丙``; en ``a, b, c``)."""
    parts = [str(i) for i in items]
    return ("、" if lang == "zh" else ", ").join(parts)


@lru_cache(maxsize=8)
def _territories(lang: str) -> dict[str, str]:
    from babel import Locale
    return dict(Locale.parse(_loc(lang)).territories)


def country_name(code: str, lang: str = "en") -> str:
    """The name of the country or territory with ISO 3166 alpha-2 ``code`` in ``lang``
    (CLDR data shipped with Babel: ``JP`` → ``Japan`` / ``日本``); the code itself if unknown."""
    return _territories(lang).get(str(code).upper(), str(code))


__all__ = ["BABEL_LOCALE", "big_number", "country_name", "decimal", "integer", "join_list", "percent"]
