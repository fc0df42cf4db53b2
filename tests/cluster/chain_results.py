"""The chain analyses the small-driver test compares between DuckDB and the Spark cluster: every
chain's bottleneck rows and one disruption scenario, reduced to their figures."""

from __future__ import annotations

from typing import Any

from reforge.engine.base import Engine

METRICS = ("label", "total_value", "domestic_share", "import_dependence", "n_buyers", "n_suppliers",
           "single_supplier_buyers", "domestic_producers")


def chain_results(engine: Engine) -> dict[str, Any]:
    """``{"bottlenecks": {chain_id: [{item_id, METRICS...}]}, "simulate": {...}}`` on ``engine``."""
    from reforge.chain import bottlenecks, list_chains, simulate
    chains = [c["chain_id"] for c in list_chains(engine)]
    out: dict[str, Any] = {"bottlenecks": {}}
    for cid in chains:
        rows = bottlenecks(engine, cid).items
        out["bottlenecks"][cid] = sorted(({"item_id": r["item_id"], **{k: r.get(k) for k in METRICS}}
                                          for r in rows), key=lambda r: r["item_id"])
    sim = simulate(engine, remove_country="JP").to_dict()
    out["simulate"] = {"disrupted_firms_count": sim["disrupted_firms_count"], "lost_value": sim["lost_value"],
                       "disrupted_firms": sorted(sim["disrupted_firms"]),
                       "by_chain": sorted(({k: r.get(k) for k in ("chain_id", "disrupted_firms", "lost_value")}
                                           for r in sim["by_chain"]), key=lambda r: r["chain_id"])}
    return out
