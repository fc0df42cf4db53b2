"""GB/T 2260 regions: their names (Chinese from the shipped 2024 list; English for the 34
provincial-level divisions, the official romanised forms) and SQL conditions over ``enterprises``
(issue 19): the one place that says which enterprises lie in a region "or below", shared by the
library (chain metrics and programme evaluations of a region's firms) and the API and dashboard
(region-bound accounts). Pure SQL text with bound ``$reg_*`` parameters; no web framework.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from reforge.engine.sqlbuild import check_ident, literal
from reforge.errors import InvalidInput

_CODE = re.compile(r"[0-9]{6}")


def check_region(region: object) -> str:
    """``region`` itself when it is a six-digit GB/T 2260 code (``320500``), else
    :class:`~reforge.errors.InvalidInput` (code ``region.bad_code``)."""
    if not isinstance(region, str) or not _CODE.fullmatch(region):
        raise InvalidInput(f"not a GB/T 2260 code: {region!r} (six digits such as 320500)",
                           code="region.bad_code", params={"value": str(region)[:40]})
    return region


def region_clause(region: str | None, alias: str = "e") -> tuple[str, dict[str, str]]:
    """SQL condition with its bound ``$reg_*`` parameters: the enterprise (``enterprises`` as
    ``alias``) lies in GB/T 2260 ``region`` or below (``("TRUE", {})`` for None or "").

    Province ``xx0000``: ``province_code``; prefecture ``xxxx00``: ``city_code``, or a county code
    under it when the city is missing; county: ``county_code``. Anything but six digits raises
    ``region.bad_code`` (:func:`check_region`).
    """
    if region is None or region == "":
        return "TRUE", {}
    region = check_region(region)
    a = check_ident(alias, "alias")
    if region.endswith("0000"):
        return f"{a}.province_code = $reg_code", {"reg_code": region}
    if region.endswith("00"):
        return (f"({a}.city_code = $reg_code OR "
                f"({a}.city_code IS NULL AND LEFT({a}.county_code, 4) = $reg_prefix))",
                {"reg_code": region, "reg_prefix": region[:4]})
    return f"{a}.county_code = $reg_code", {"reg_code": region}


def region_firms(engine: Any, region: str) -> set[str]:
    """USCCs of the enterprises in ``region`` or below (``engine``: any Reforge engine)."""
    cond, params = region_clause(region)
    df = engine.fetch_df(f"SELECT e.uscc FROM enterprises e WHERE {cond}", params)
    return set(df["uscc"].astype(str))


def region_condition(region: str | None, alias: str = "e") -> str:
    """:func:`region_clause` with its values inlined through :func:`sqlbuild.literal` (for SQL
    that takes no parameters, e.g. a materialized table; the code is checked to be six digits)."""
    return inline_params(*region_clause(region, alias))


def inline_params(sql: str, params: dict[str, Any]) -> str:
    """``sql`` with each ``$name`` replaced by the literal of its value, in one pass (text written
    for one marker is never scanned again)."""
    return re.sub(r"\$([a-z_0-9]+)", lambda m: literal(params[m.group(1)]), sql)


PROVINCE_EN: dict[str, str] = {
    "110000": "Beijing", "120000": "Tianjin", "130000": "Hebei", "140000": "Shanxi",
    "150000": "Inner Mongolia", "210000": "Liaoning", "220000": "Jilin", "230000": "Heilongjiang",
    "310000": "Shanghai", "320000": "Jiangsu", "330000": "Zhejiang", "340000": "Anhui",
    "350000": "Fujian", "360000": "Jiangxi", "370000": "Shandong", "410000": "Henan",
    "420000": "Hubei", "430000": "Hunan", "440000": "Guangdong", "450000": "Guangxi",
    "460000": "Hainan", "500000": "Chongqing", "510000": "Sichuan", "520000": "Guizhou",
    "530000": "Yunnan", "540000": "Tibet", "610000": "Shaanxi", "620000": "Gansu",
    "630000": "Qinghai", "640000": "Ningxia", "650000": "Xinjiang", "710000": "Taiwan",
    "810000": "Hong Kong", "820000": "Macao",
}


@lru_cache(maxsize=1)
def divisions() -> dict[str, str]:
    """``{code: Chinese name}`` of the 2024 GB/T 2260 list."""
    from reforge.ingest.codes import current_divisions
    df = current_divisions()
    return dict(zip(df["code"].astype(str), df["name"].astype(str), strict=True))


def region_name(code: Any, lang: str = "en") -> str:
    """The GB/T 2260 name of a division code (the code itself when unknown)."""
    c = "" if code is None else str(code)
    if lang != "zh" and c in PROVINCE_EN:
        return PROVINCE_EN[c]
    return divisions().get(c, c)


__all__ = ["PROVINCE_EN", "check_region", "divisions", "inline_params", "region_clause", "region_condition",
           "region_firms", "region_name"]
