"""Independent computation of issue 3's item labels from the demo DataFrames (pandas + networkx)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd


def item_metrics(tables: dict[str, pd.DataFrame], chain_id: str, buyers_in_chain: bool = False) -> pd.DataFrame:
    """Per template item: domestic producers, domestic share, import dependence, top country share,
    technology gap, downstream reach and the label (latest link year)."""
    ci = tables["chain_items"].query("chain_id == @chain_id")
    cl = tables["chain_links"].query("chain_id == @chain_id")
    items = tables["items"].set_index("item_id")
    sl = tables["supply_links"]
    sl = sl[sl.year == sl.year.max()]
    if buyers_in_chain:
        ent = tables["enterprises"][["uscc", "main_item_id"]]
        sl = sl.merge(ent, left_on="buyer_uscc", right_on="uscc")
        pairs = set(zip(cl.input_item, cl.output_item, strict=True))
        sl = sl[[(a, b) in pairs for a, b in zip(sl.item_id, sl.main_item_id, strict=True)]]
    fs = tables["foreign_suppliers"].set_index("supplier_id").country
    caps = tables["capabilities"]
    g = nx.DiGraph()
    g.add_nodes_from(ci.item_id)
    g.add_edges_from(zip(cl.input_item, cl.output_item, strict=True))
    ev = ci[ci.is_end_product.astype(bool)].set_index("item_id").end_value.astype(float)
    rows = []
    for item in ci.item_id:
        s = sl[sl.item_id == item]
        total = s.value.sum()
        dom = s[s.supplier_type == "enterprise"].value.sum()
        imp = s[s.supplier_type == "foreign"]
        by_c = imp.groupby(imp.supplier_id.map(fs)).value.sum()
        top = (by_c.max() / by_c.sum()) if len(by_c) and by_c.sum() > 0 else 0.0
        dcaps = caps[(caps.item_id == item) & (caps.producer_type == "enterprise")]
        n_dom = dcaps.producer_id.nunique()
        best = dcaps.tech_level.max() if n_dom else np.nan
        gap = items.at[item, "frontier_level"] - best if n_dom else np.nan
        reach_set = nx.descendants(g, item) | {item}
        reach = ev.reindex(list(reach_set)).fillna(0).sum() / ev.sum()
        dshare = dom / total if total > 0 else np.nan
        rows.append({"item_id": item, "domestic_producers": n_dom, "domestic_share": dshare,
                     "import_dependence": 1 - dshare if total > 0 else np.nan, "top_country_share": top,
                     "tech_gap": gap, "reach": reach, "purchases": total})
    m = pd.DataFrame(rows)
    is_blank = m.domestic_producers == 0
    is_choke = (m.import_dependence >= 0.5) & (m.top_country_share >= 0.5) & (m.reach >= 0.2)
    is_weak = ~is_blank & ((m.domestic_share < 0.3) | (m.tech_gap >= 2))
    m["n_rules"] = is_blank.astype(int) + is_choke.astype(int) + is_weak.astype(int)
    m["label"] = np.select([is_blank, is_choke, is_weak], ["blank", "chokepoint", "weak"], "sound")
    return m
