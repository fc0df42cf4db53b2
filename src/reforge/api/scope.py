"""Region scope of firm-level results (issue 19): what a region-bound account may see of a
screening, review, warning or credit result computed for the whole database.

Firm rows (dicts with a ``uscc``) outside the account's GB/T 2260 region are removed; lists of
aggregate rows (no ``uscc``: cohort statistics, warning summaries) describe firms of every
region, so they are withheld and named under ``scope.withheld``. Results of unscoped accounts
pass unchanged.
"""

from __future__ import annotations

from typing import Any


def scope_result(data: Any, region: str | None, usccs: set[str] | None) -> Any:
    """``data`` as a region-bound account sees it (unchanged when ``region`` is None)."""
    if region is None or usccs is None:
        return data
    if isinstance(data, list):
        return _rows(data, usccs)
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    withheld: list[str] = []
    for k, v in data.items():
        if isinstance(v, list) and v and all(isinstance(r, dict) for r in v):
            if any("uscc" in r for r in v):
                out[k] = _rows(v, usccs)
            else:
                withheld.append(k)
        else:
            out[k] = v
    out["scope"] = {"region": region, "withheld": withheld}
    return out


def _rows(rows: list, usccs: set[str]) -> list:
    return [r for r in rows if not isinstance(r, dict) or str(r.get("uscc")) in usccs]
