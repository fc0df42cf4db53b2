"""Generic technologies (``reforge chain generic``): items many chains need and are weak in.

For each item in at least ``min_chains`` chain templates:
* ``breadth`` - number of chains whose template contains it;
* ``chains`` - those chains, with the item's label and downstream reach in each;
* ``mean_reach`` - mean downstream reach over those chains;
* ``weakness`` - the largest label weight over those chains (thresholds.yaml:
  missing/blank 1.0, chokepoint 0.9, weak 0.6, sound 0.1);
* ``score`` = sum over chains of reach_c x label_weight_c: breadth, reach and
  weakness together. Items are ranked by score: candidates for generic technology
  platforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reforge.chain.graph import list_chains
from reforge.chain.metrics import bottlenecks
from reforge.chain.thresholds import Thresholds, load_thresholds
from reforge.engine import Engine
from reforge.errors import ReforgeError


@dataclass
class GenericTechnologies:
    """Ranked cross-chain items."""

    items: list[dict]
    min_chains: int

    def to_dict(self) -> dict:
        return {"min_chains": self.min_chains, "items": [dict(i) for i in self.items]}

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.items, columns=["item_id", "name", "name_zh", "foundation", "breadth",
                                               "mean_reach", "weakness", "score", "chains"])
        df["chains"] = df["chains"].map(lambda cs: "; ".join(f"{c['chain_id']}:{c['label']}" for c in cs))
        return df


def generic_technologies(engine: Engine, min_chains: int = 2, thresholds: dict | Thresholds | None = None,
                         year: int | None = None, region: str | None = None) -> GenericTechnologies:
    """Items used by at least ``min_chains`` chains, ranked by breadth x reach x weakness; with
    ``region`` (GB/T 2260 code) the labels and reach come from that region's firms' purchases
    (:func:`reforge.chain.bottlenecks` with ``region``)."""
    if isinstance(min_chains, bool) or not isinstance(min_chains, int) or min_chains < 1:
        raise ReforgeError(f"min_chains must be a positive integer, got {min_chains!r}")
    th = load_thresholds(thresholds)
    per_item: dict[str, dict] = {}
    for ch in list_chains(engine):
        if ch["n_items"] == 0:
            continue
        b = bottlenecks(engine, ch["chain_id"], th, year, region=region)
        for it in b.items:
            d = per_item.setdefault(it["item_id"], {
                "item_id": it["item_id"], "name": it["name"], "name_zh": it["name_zh"],
                "foundation": it["foundation"], "chains": []})
            d["chains"].append({"chain_id": ch["chain_id"], "label": it["label"],
                                "downstream_reach": it["downstream_reach"]})
    out: list[dict] = []
    for d in per_item.values():
        cs = d["chains"]
        if len(cs) < min_chains:
            continue
        d["breadth"] = len(cs)
        d["mean_reach"] = sum(c["downstream_reach"] for c in cs) / len(cs)
        d["weakness"] = max(th.label_weight(c["label"]) for c in cs)
        d["score"] = round(sum(c["downstream_reach"] * th.label_weight(c["label"]) for c in cs), 6)
        cs.sort(key=lambda c: c["chain_id"])
        out.append(d)
    out.sort(key=lambda d: (-d["score"], -d["breadth"], d["item_id"]))
    return GenericTechnologies(out, min_chains)
