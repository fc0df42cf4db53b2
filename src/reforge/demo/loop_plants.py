"""Planted chain leaders (链主) with known ecosystems and label transitions over the years
(issue 18, point 6), for ``reforge.loop``.

**Leaders.** In each demo chain the leader is, among firms whose main item is an end product
of the chain with at least ``MIN_INPUTS`` template inputs (or the most inputs when none has
that many) and whose main item's first chain is that chain, the one with the largest revenue
in the link year (2024). For every input item of its main item (template links of that
chain) with domestic producers, it buys in 2023 and 2024 from the ``SUPPLIERS_PER_INPUT``
largest-capacity domestic producers of the item (itself excluded). The value it buys from
them is ``TAKE`` (60 %) of what the other buyers of the same (item, buyer chain) cell bought
from domestic suppliers that year, and those buyers' domestic purchases are scaled by
``1 - TAKE``: every item's domestic value and country split per cell stay as generated, so the
item labels do not move. :func:`planted_leaders` recomputes the plan from the tables (it uses
revenue, main items and capacities, which neither the planting nor realism change).

**Label transitions.** For two items per chain the 2023 purchase mix is reset (the 2024 links,
and so the 2024 labels, are untouched), keeping each item's 2023 total:

- ``resolved``: a weak item (not shared by two chains, top import country < 0.5, downstream
  reach >= 0.3; the one with the lowest designed domestic share) gets a 2023 domestic share of
  0.10 and 85 % of its imports from its largest country, so it is a **chokepoint in 2023** and
  **weak in 2024** (resolved since 2023);
- ``newly_choked``: a chokepoint item (not shared; the one with the highest designed domestic
  share) gets a 2023 domestic share of 0.80, so it is **not a chokepoint in 2023** (weak or
  sound, by its technology gap) and a **chokepoint in 2024**.

A missing 2023 domestic link is added (the item's largest-capacity producer selling to the
buyer of the item's largest 2023 link). Both lists are in ``PLANTED["label_transitions"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.demo.atlas import designs, downstream_reach, template

SUPPLIERS_PER_INPUT = 8
MIN_INPUTS = 3                   # the leader's end product has at least this many template inputs
TAKE = 0.6
YEARS = (2023, 2024)
LINK_YEAR = 2024
RESOLVED_SHARES = (0.10, 0.85)   # 2023 domestic share, share of imports from the top country
NEWLY_CHOKED_SHARE = 0.80        # 2023 domestic share


def transition_items() -> dict[str, list[dict]]:
    """Per chain, the planted transitions: ``{"item_id", "kind", "labels": {2023: ..., 2024: ...}}``.

    The 2023 label of a newly choked item is ``weak`` or ``sound`` by its technology gap (the
    planted generator's levels; with realism a late or unknown level may make it
    ``insufficient_data``: it is never ``chokepoint``)."""
    t = template()
    ds = designs()
    ci = t["chain_items"]
    shared = set(ci.item_id[ci.item_id.duplicated()])
    out: dict[str, list[dict]] = {}
    for cid in t["chains"].chain_id:
        reach = downstream_reach(cid)
        mem = [i for i in ci[ci.chain_id == cid].item_id if i not in shared]
        weak = sorted((ds[i].domestic_share, i) for i in mem if ds[i].state == "weak"
                      and ds[i].top_country[1] < 0.5 and reach[i] >= 0.3 and ds[i].countries)
        choke = sorted((-ds[i].domestic_share, i) for i in mem if ds[i].state == "chokepoint"
                       and ds[i].best_tech is not None)
        rows = []
        if weak:
            rows.append({"item_id": weak[0][1], "kind": "resolved", "labels": {2023: "chokepoint", 2024: "weak"}})
        if choke:
            d = ds[choke[0][1]]
            before = "weak" if 5 - int(d.best_tech) >= 2 else "sound"
            rows.append({"item_id": choke[0][1], "kind": "newly_choked",
                         "labels": {2023: before, 2024: "chokepoint"}})
        out[cid] = rows
    return out


def _first_chain(tables: dict[str, pd.DataFrame]) -> pd.Series:
    return tables["chain_items"].drop_duplicates("item_id").set_index("item_id")["chain_id"]


def planted_leaders(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The plan: one row per chain (``chain_id``, ``uscc``, ``main_item_id``, ``suppliers``: list of
    ``(item_id, supplier uscc)``), from the tables (before or after planting and realism)."""
    ci = tables["chain_items"]
    fc = _first_chain(tables)
    ent = tables["enterprises"][["uscc", "main_item_id"]].dropna()
    ey = tables["enterprise_years"]
    rev = ey[ey["year"] == LINK_YEAR].set_index("uscc")["revenue"]
    ent = ent.assign(revenue=ent["uscc"].map(rev), chain=ent["main_item_id"].map(fc)).dropna(subset=["revenue"])
    caps = tables["capabilities"]
    caps = caps[caps["producer_type"] == "enterprise"]
    links = tables["chain_links"]
    rows = []
    for cid in tables["chains"]["chain_id"]:
        ends = set(ci[(ci.chain_id == cid) & ci.is_end_product.fillna(False).astype(bool)].item_id)
        lk = links[links.chain_id == cid]
        n_in = lk[lk.output_item.isin(ends)].groupby("output_item").input_item.nunique()
        cand = ent[(ent["chain"] == cid) & ent["main_item_id"].isin(ends)]
        cand = cand.assign(n_inputs=cand["main_item_id"].map(n_in).fillna(0))
        cand = cand[cand["n_inputs"] >= min(MIN_INPUTS, cand["n_inputs"].max())] if len(cand) else cand
        if cand.empty:
            continue
        lead = cand.sort_values(["revenue", "uscc"], ascending=[False, True]).iloc[0]
        inputs = sorted(links[(links.chain_id == cid) & (links.output_item == lead.main_item_id)].input_item)
        sups = []
        for i in inputs:
            c = caps[(caps.item_id == i) & (caps.producer_id != lead.uscc)]
            c = c.sort_values(["capacity", "producer_id"], ascending=[False, True]).head(SUPPLIERS_PER_INPUT)
            sups += [(i, str(p)) for p in c.producer_id]
        rows.append({"chain_id": cid, "uscc": str(lead.uscc), "main_item_id": str(lead.main_item_id),
                     "suppliers": sups})
    return pd.DataFrame(rows, columns=["chain_id", "uscc", "main_item_id", "suppliers"])


def _cell_chain(tables: dict[str, pd.DataFrame], sl: pd.DataFrame) -> np.ndarray:
    """Chain of each link's buyer (first chain of its main item; None outside the chains)."""
    fc = _first_chain(tables)
    main = tables["enterprises"].set_index("uscc")["main_item_id"]
    return sl["buyer_uscc"].map(main).map(fc).to_numpy()


def _plant_leader(sl: pd.DataFrame, cell: np.ndarray, plan: dict) -> pd.DataFrame:
    lead = plan["uscc"]
    by_item: dict[str, list[str]] = {}
    for i, s in plan["suppliers"]:
        by_item.setdefault(i, []).append(s)
    new = []
    for y in YEARS:
        for item, sups in by_item.items():
            others = ((sl["year"] == y) & (sl["item_id"] == item) & (sl["supplier_type"] == "enterprise")
                      & (sl["buyer_uscc"] != lead) & (cell == plan["chain_id"])).to_numpy()
            take = float(sl.loc[others, "value"].sum()) * TAKE
            if take <= 0:
                continue
            sl.loc[others, "value"] = np.maximum(np.round(sl.loc[others, "value"] * (1 - TAKE), 2), 0.01)
            each = round(take / len(sups), 2)
            for s in sups:
                hit = ((sl["year"] == y) & (sl["item_id"] == item) & (sl["buyer_uscc"] == lead)
                       & (sl["supplier_id"] == s)).to_numpy()
                if hit.any():
                    sl.loc[hit, "value"] = sl.loc[hit, "value"] + each
                else:
                    new.append({"supplier_id": s, "supplier_type": "enterprise", "buyer_uscc": lead, "item_id": item,
                                "year": np.int32(y), "value": each, "basis": "observed", "confidence": 1.0,
                                "source": "vat_invoice"})
    return pd.concat([sl, pd.DataFrame(new)], ignore_index=True) if new else sl


def _remix(sl: pd.DataFrame, item: str, year: int, dom_share: float, top_share: float | None,
           country: pd.Series, producers: list[str]) -> pd.DataFrame:
    """Reset one item's purchase mix in one year (total kept): domestic share ``dom_share``;
    ``top_share`` of imports from the largest country (None: imports scaled as they are)."""
    m = ((sl["item_id"] == item) & (sl["year"] == year)).to_numpy()
    if not m.any():
        return sl
    tot = float(sl.loc[m, "value"].sum())
    dom = m & (sl["supplier_type"] == "enterprise").to_numpy()
    if not dom.any():
        big = sl[m].sort_values(["value", "buyer_uscc"], ascending=[False, True]).iloc[0]
        prod = next((p for p in producers if p != big.buyer_uscc), None)
        if prod is None:
            return sl
        sl = pd.concat([sl, pd.DataFrame([{"supplier_id": prod, "supplier_type": "enterprise",
                                           "buyer_uscc": big.buyer_uscc, "item_id": item, "year": np.int32(year),
                                           "value": 1.0, "basis": "observed", "confidence": 1.0,
                                           "source": "vat_invoice"}])], ignore_index=True)
        m = ((sl["item_id"] == item) & (sl["year"] == year)).to_numpy()
        dom = m & (sl["supplier_type"] == "enterprise").to_numpy()
    fore = m & ~dom
    if not fore.any():
        return sl

    def scale(mask: np.ndarray, target: float) -> None:
        cur = float(sl.loc[mask, "value"].sum())
        if cur > 0:
            sl.loc[mask, "value"] = np.maximum(np.round(sl.loc[mask, "value"] * target / cur, 2), 0.01)

    scale(dom, dom_share * tot)
    imp = (1 - dom_share) * tot
    if top_share is None:
        scale(fore, imp)
        return sl
    ctry = sl["supplier_id"].map(country).fillna("??").to_numpy()
    by = pd.Series(sl.loc[fore, "value"].to_numpy(), index=ctry[fore]).groupby(level=0).sum()
    top = by.sort_values(ascending=False).index[0]
    tmask = fore & (ctry == top)
    rest = fore & (ctry != top)
    if rest.any():
        scale(tmask, top_share * imp)
        scale(rest, (1 - top_share) * imp)
    else:
        scale(tmask, imp)
    return sl


def plant_loop(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """A copy of ``tables`` with the planted leaders and 2023 label transitions (``seed`` unused:
    the plan is deterministic in the tables)."""
    del seed
    out = dict(tables)
    sl = tables["supply_links"].copy().reset_index(drop=True)
    for plan in planted_leaders(tables).to_dict("records"):
        sl = _plant_leader(sl, _cell_chain(tables, sl), plan)
    country = tables["foreign_suppliers"].set_index("supplier_id")["country"]
    caps = tables["capabilities"]
    caps = caps[caps["producer_type"] == "enterprise"].sort_values(["capacity", "producer_id"],
                                                                     ascending=[False, True])
    for rows in transition_items().values():
        for r in rows:
            prods = [str(p) for p in caps.loc[caps.item_id == r["item_id"], "producer_id"]]
            if r["kind"] == "resolved":
                sl = _remix(sl, r["item_id"], 2023, RESOLVED_SHARES[0], RESOLVED_SHARES[1], country, prods)
            else:
                sl = _remix(sl, r["item_id"], 2023, NEWLY_CHOKED_SHARE, None, country, prods)
    out["supply_links"] = sl.sort_values(["year", "item_id", "buyer_uscc", "supplier_id"],
                                         kind="stable").reset_index(drop=True)
    return out


def planted_facts() -> dict:
    """``PLANTED["leaders"]`` (the rule; :func:`planted_leaders` gives the firms for given tables)
    and ``PLANTED["label_transitions"]`` (per chain: item, kind, label per year)."""
    return {
        "leaders": {"rule": f"per chain: among makers of chain end products with >= {MIN_INPUTS} template inputs "
                            "(main item, first chain = the chain), the one with the largest 2024 revenue; buys each input of its main item from the "
                            f"{SUPPLIERS_PER_INPUT} largest-capacity domestic producers in 2023 and 2024, "
                            f"taking {TAKE:.0%} of the other same-cell buyers' domestic purchases",
                    "suppliers_per_input": SUPPLIERS_PER_INPUT, "take": TAKE, "years": list(YEARS),
                    "expected": "top-ranked by reforge loop leaders in every chain (also with realism)",
                    "plan": "reforge.demo.loop_plants.planted_leaders(tables)"},
        "label_transitions": transition_items(),
    }
