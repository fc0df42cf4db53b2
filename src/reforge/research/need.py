"""Which items need joint research: the chain capability's labels (blank, chokepoint, weak).

A research *field* is an item id or a technology keyword (as in ``institution_fields``,
``collaborations.field``, ``personnel_moves.field`` and ``platform_fields``). A field that is an
item id maps to that item; a keyword maps to no item (so it carries no need). No extra
mapping table is needed.
"""

from __future__ import annotations

import pandas as pd

from reforge.engine import Engine

NEED_LABELS: tuple[str, ...] = ("blank", "chokepoint", "weak")
"""Labels that make an item a target of joint research."""


def item_labels(engine: Engine, year: int | None = None, memo: dict | None = None) -> pd.DataFrame:
    """One row per (chain, item) labelled blank/chokepoint/weak by ``reforge.chain``:
    ``chain_id, item_id, name, name_zh, label, weight`` (the label's priority weight, 0-1).
    Empty when the chain tables are missing. ``memo``: a dict the caller keeps while the data are
    unchanged; the labels are computed once per memo and year (the same frame is returned: do not
    modify it), each chain's bottlenecks shared with the caller's other analyses
    (``reforge.chain.metrics.shared_bottlenecks``). Failures are not kept."""
    if memo is None:
        return _item_labels(engine, year, None)
    key = ("item_labels", year)
    if key not in memo:
        memo[key] = _item_labels(engine, year, memo)
    return memo[key]


def _item_labels(engine: Engine, year: int | None, memo: dict | None) -> pd.DataFrame:
    from reforge.chain.graph import list_chains
    from reforge.chain.metrics import shared_bottlenecks
    from reforge.chain.thresholds import load_thresholds
    cols = ["chain_id", "item_id", "name", "name_zh", "label", "weight"]
    if not all(engine.table_exists(t) for t in ("chains", "chain_items", "items", "supply_links")):
        return pd.DataFrame(columns=cols)
    th = load_thresholds()
    rows = []
    for ch in list_chains(engine):
        if ch["n_items"] == 0:
            continue
        for it in shared_bottlenecks(engine, ch["chain_id"], year, None, memo).items:
            if it["label"] in NEED_LABELS:
                rows.append((ch["chain_id"], it["item_id"], it["name"], it["name_zh"], it["label"],
                             th.label_weight(it["label"])))
    return pd.DataFrame(rows, columns=cols).sort_values(["item_id", "chain_id"]).reset_index(drop=True)


def need_by_field(labels: pd.DataFrame) -> pd.DataFrame:
    """Need per field (= item): the largest label weight over chains, the worst label, the chains."""
    cols = ["field", "label", "need", "chains"]
    if labels.empty:
        return pd.DataFrame(columns=cols)
    order = {lab: k for k, lab in enumerate(NEED_LABELS)}
    g = labels.assign(o=labels["label"].map(order)).sort_values(["item_id", "o", "chain_id"])
    out = g.groupby("item_id").agg(label=("label", "first"), need=("weight", "max"),
                                   chains=("chain_id", lambda s: sorted(set(s)))).reset_index()
    return out.rename(columns={"item_id": "field"})[cols]
