"""The chain map as data for the dashboard: nodes (label, reach, layer) and edges."""

from __future__ import annotations

from reforge.chain.metrics import Bottlenecks, bottlenecks
from reforge.chain.thresholds import Thresholds
from reforge.engine import Engine


def map_from_bottlenecks(b: Bottlenecks) -> dict:
    """``{"nodes": [...], "edges": [...]}`` from a bottleneck result (layer 0 = most upstream)."""
    tpl = b.template
    assert tpl is not None
    layers = tpl.layers()
    nodes = [{"id": i["item_id"], "name": i["name"], "name_zh": i["name_zh"], "foundation": i["foundation"],
              "label": i["label"], "reach": i["downstream_reach"], "layer": int(layers.get(i["item_id"], 0))}
             for i in sorted(b.items, key=lambda r: (layers.get(r["item_id"], 0), r["item_id"]))]
    edges = [{"source": str(r.input_item), "target": str(r.output_item),
              "share": None if r.share != r.share else float(r.share)}
             for r in tpl.links.itertuples(index=False)]
    return {"nodes": nodes, "edges": edges}


def chain_map(engine: Engine, chain_id: str, thresholds: dict | Thresholds | None = None,
              year: int | None = None, region: str | None = None) -> dict:
    """Nodes ``{id, name, name_zh, foundation, label, reach, layer}`` and edges ``{source, target, share}``.

    ``region`` (GB/T 2260 code): labels from the purchases of that region's firms only, producers
    and best domestic technology level national (see :func:`~reforge.chain.metrics.bottlenecks`)."""
    return map_from_bottlenecks(bottlenecks(engine, chain_id, thresholds, year, region))
