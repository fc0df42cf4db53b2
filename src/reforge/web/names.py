"""Names instead of codes for the dashboard and its exports, in English and Chinese.

Regions: GB/T 2260 (``reforge.ingest.codes``, Chinese names); English names exist for the 34
provincial-level divisions (below, the official romanised forms); a prefecture or county
has no English name in the shipped list, so English pages show its Chinese name.
Industries: GB/T 4754-2017 (Chinese names only in the shipped list); English pages show the
Chinese class name after the English name of its section (A-T), which is given here.
Countries: ISO 3166 alpha-2 to CLDR names via Babel (``reforge.messages.numbers``).
Firms: ``enterprises.name`` / ``name_en`` from the database.
Failed screening conditions: a sentence such as ``main-business share 86.1 % < 90 %``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from reforge.api.sql import rows
from reforge.engine.base import Engine
from reforge.engine.sqlbuild import placeholders
from reforge.firms.condition_names import CONDITIONS, MONEY, NOT_MET, PERCENT  # noqa: F401 - re-exported
from reforge.firms.condition_names import condition_name as _condition_name
from reforge.messages.numbers import country_name, percent
from reforge.region import PROVINCE_EN, region_name  # noqa: F401 - re-exported for the pages
from reforge.region import divisions as _divisions

SECTION_EN: dict[str, str] = {
    "A": "Agriculture, forestry, animal husbandry and fishery", "B": "Mining", "C": "Manufacturing",
    "D": "Electricity, heat, gas and water", "E": "Construction", "F": "Wholesale and retail",
    "G": "Transport, storage and post", "H": "Accommodation and catering",
    "I": "Information transmission, software and IT services", "J": "Finance", "K": "Real estate",
    "L": "Leasing and business services", "M": "Scientific research and technical services",
    "N": "Water conservancy, environment and public facilities", "O": "Resident services and repair",
    "P": "Education", "Q": "Health and social work", "R": "Culture, sports and entertainment",
    "S": "Public administration and social organisations", "T": "International organisations",
}


def region_label(province: Any, city: Any = None, county: Any = None, lang: str = "en") -> str:
    """``江苏省 苏州市`` / ``Jiangsu, 苏州市``: the names of the given levels, largest first."""
    parts = [region_name(c, lang) for c in (province, city, county) if c]
    return (" " if lang == "zh" else ", ").join(parts)


def _norm(s: str) -> str:
    return "".join(s.lower().split())


@lru_cache(maxsize=1)
def _province_index() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in _divisions().items():
        if not code.endswith("0000"):
            continue
        out[_norm(name)] = code
        for suffix in ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区"):
            if name.endswith(suffix):
                out[_norm(name[: -len(suffix)])] = code
    for code, en in PROVINCE_EN.items():
        out[_norm(en)] = code
    out["neimenggu"] = out["内蒙古"] = "150000"
    return out


def resolve_province(text: str | None) -> str | None:
    """A province code from a code, a Chinese name (``江苏`` / ``江苏省``) or an English name
    (``Jiangsu``, any case); None when nothing matches."""
    if not text or not text.strip():
        return None
    s = text.strip()
    if len(s) == 6 and s.isdigit():
        return s
    return _province_index().get(_norm(s))


def province_options(lang: str) -> list[dict[str, str]]:
    """``[{code, name}]`` of the provincial-level divisions (for a picker)."""
    return [{"code": c, "name": region_name(c, lang)} for c in sorted(_divisions()) if c.endswith("0000")]


@lru_cache(maxsize=1)
def _industries() -> dict[str, tuple[str, str]]:
    from reforge.ingest.codes import industry_table
    df = industry_table()
    return {str(r["code"]): (str(r["name"]), str(r["section"])) for r in df.to_dict(orient="records")}


def industry_name(code: Any, lang: str = "en") -> str:
    """The GB/T 4754-2017 name of an industry code (Chinese list; English gives the section's
    English name and the Chinese class name); the code itself when unknown."""
    c = "" if code is None else str(code)
    hit = _industries().get(c)
    if hit is None:
        return c
    name, section = hit
    if lang == "zh" or section not in SECTION_EN:
        return name
    return f"{SECTION_EN[section]}: {name}" if c != section else SECTION_EN[section]


def resolve_industry(text: str | None) -> str | None:
    """A GB/T 4754 code (prefix) from a code or a Chinese name: the exact name, else the one
    highest-level class whose name contains the text; None when nothing or several match."""
    if not text or not text.strip():
        return None
    s = text.strip()
    if s.upper() in _industries() or re.fullmatch(r"[A-Z]?\d{1,4}", s.upper()):
        return s.upper()
    exact = [c for c, (n, _) in _industries().items() if n == s]
    if exact:
        return min(exact, key=len)
    hits = [c for c, (n, _) in _industries().items() if s in n]
    if not hits:
        return None
    top = min(len(c) for c in hits)
    best = [c for c in hits if len(c) == top]
    return best[0] if len(best) == 1 else None


def country(code: Any, lang: str = "en") -> str:
    """The CLDR name of an ISO 3166 alpha-2 country code in ``lang``."""
    return country_name(str(code or ""), lang) if code else ""


def firm_names(engine: Engine, usccs: Iterable[str]) -> dict[str, dict[str, str | None]]:
    """``uscc -> {name, name_en}`` for the given USCCs (unknown ones are absent)."""
    us = sorted({str(u) for u in usccs if u})
    if not us:
        return {}
    if len(us) <= 200:
        found = rows(engine, f"SELECT uscc, name, name_en FROM enterprises WHERE uscc IN ({placeholders(us)})", us)
    else:   # a long list (a table of every firm) joins a registered list: an IN list of thousands of
        # literals costs more to plan than the lookup itself
        import pandas as pd
        tmp = engine.temp_name("names_usccs")
        engine.register(tmp, pd.DataFrame({"uscc": pd.Series(us, dtype=object)}))
        try:
            found = rows(engine, f"SELECT e.uscc, e.name, e.name_en FROM enterprises e JOIN {tmp} u ON u.uscc = e.uscc")
        finally:
            engine.drop(tmp)
    return {str(r["uscc"]): {"name": r["name"], "name_en": r["name_en"]} for r in found}


def item_names(engine: Engine, item_ids: Iterable[str]) -> dict[str, dict[str, str | None]]:
    """``item_id -> {name, name_zh}`` for the given items (unknown ones are absent)."""
    ids = sorted({str(i) for i in item_ids if i})
    if not ids or not engine.table_exists("items"):
        return {}
    df = engine.fetch_df(f"SELECT item_id, name, name_zh FROM items WHERE item_id IN ({', '.join('?' for _ in ids)})",
                         ids)
    return {str(r.item_id): {"name": r.name, "name_zh": r.name_zh} for r in df.itertuples(index=False)}


def add_firm_names(engine: Engine, records: list[dict]) -> list[dict]:
    """Set ``name`` / ``name_en`` on every record with a ``uscc`` (in place; returns the list)."""
    names = firm_names(engine, (r.get("uscc") for r in records))
    for r in records:
        n = names.get(str(r.get("uscc")))
        if n:
            r.setdefault("name", n["name"])
            r.setdefault("name_en", n["name_en"])
    return records


def condition_name(condition: str, lang: str = "en") -> str:
    """The name of a screening condition id (see ``reforge.firms.condition_names``)."""
    return _condition_name(condition, lang)


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _value(key: str, v: float, lang: str) -> str:
    if key in PERCENT:
        return percent(v, 0 if round(v * 100, 6).is_integer() else 1, lang)
    if key in MONEY:
        if lang == "zh":
            for unit, word in ((1e8, "亿"), (1e4, "万")):
                if abs(v) >= unit:
                    return f"{v / unit:,.2f}".rstrip("0").rstrip(".") + word + "元"
            return f"{v:,.0f}元"
        return f"{v:,.0f} CNY"
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 1000 else f"{v:,.3g}"


def condition_text(f: dict, lang: str = "en") -> str:
    """A failed condition in words: ``main-business share 86.1 % < 90 %`` / ``主营业务收入占比
    86.1% < 90%``. Numeric conditions compare value and threshold (a failed "at least" shows
    ``<``, a failed "at most" ``>``); yes/no conditions and vetoes say "not met" or name the list."""
    cond = str(f.get("condition") or "")
    name = condition_name(cond, lang)
    v, th = f.get("value"), f.get("threshold")
    if cond.startswith("veto."):
        return name
    if _num(v) and _num(th):
        key = cond if cond in PERCENT | MONEY else cond.rpartition(".")[2]
        rel = "<" if v < th else ">"
        return f"{name} {_value(key, float(v), lang)} {rel} {_value(key, float(th), lang)}"
    return f"{name}{'：' if lang == 'zh' else ': '}{NOT_MET[1 if lang == 'zh' else 0]}"
