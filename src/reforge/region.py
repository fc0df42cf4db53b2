"""GB/T 2260 regions as SQL conditions over ``enterprises`` (issue 19): the one place that says
which enterprises lie in a region "or below", shared by the library (chain metrics computed from a
region's firms) and the API and dashboard (region-bound accounts). Pure SQL text with bound
``$reg_*`` parameters; no web framework.
"""

from __future__ import annotations

import re

from reforge.engine.sqlbuild import check_ident
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


__all__ = ["check_region", "region_clause"]
