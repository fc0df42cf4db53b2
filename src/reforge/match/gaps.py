"""The matching degree of one chain's items and its gaps matching cannot close.

Shared by the chain page's matching card and ``reforge chain bottlenecks --matching``: per item
of the chain, the degree of :func:`reforge.match.rank.matching_degree` over that item's demands,
and the items whose degree is below ``MatchParams.gap_below`` (lowest first): demand that no
domestic supplier qualifies for, which introductions cannot close (it needs capacity or tackling).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from reforge.match.params import MatchParams, default_params
from reforge.match.rank import matching_degree


def chain_gaps(engine, chain_id: str, as_of: str | _dt.date | None = None, region: str | None = None,
               params: MatchParams | None = None) -> dict[str, Any]:
    """JSON-ready ``{"as_of", "chain_id", "gap_below", "chain": {n_demands, n_matchable,
    demand_value, matchable_value, degree} | None, "items": [...], "gaps": [item_id, ...]}``.

    ``items``: one row per chain item with demands (``item_id``, the four figures, ``degree``,
    ``gap``), lowest degree first; values in CNY per year. ``region``: a GB/T 2260 code, only
    the demands of that region's firms (their candidates stay national)."""
    p = params or default_params()
    items = [str(r[0]) for r in engine.fetch_rows(
        "SELECT item_id FROM chain_items WHERE chain_id = ? ORDER BY item_id", [chain_id])]
    res = matching_degree(engine, as_of=as_of, params=p, items=items, region=region).to_dict()
    rows = [{**r, "gap": r["degree"] is not None and r["degree"] < p.gap_below}
            for r in res["items"] if r["item_id"] in set(items)]
    rows.sort(key=lambda r: (r["degree"] is None, r["degree"] or 0.0, r["item_id"]))
    total = next((c for c in res["chains"] if c["chain_id"] == chain_id), None)
    return {"as_of": res["as_of"], "chain_id": chain_id, "gap_below": p.gap_below, "region": region,
            "chain": None if total is None else {k: v for k, v in total.items() if k != "chain_id"},
            "items": rows, "gaps": [r["item_id"] for r in rows if r["gap"]]}


__all__ = ["chain_gaps"]
