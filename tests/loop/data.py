"""A hand-made two-chain database over 2022-2024 for the loop tests, and an independent pandas
reference for leaders and ecosystems.

Chain ``c1``: end product E <- X, Y, Z; X <- S. Chain ``c2``: end product W <- X (X shared).
Item X is a chokepoint in 2022 (domestic 0.20, all imports from JP), weak in 2023 (domestic 0.25,
imports split JP/US/DE 0.4/0.33/0.27) and sound in 2024; Y is sound, sound, then a chokepoint
(domestic 0.30, JP 0.70); Z is blank (foreign producers only); S is sound throughout.
"""

from __future__ import annotations

from datetime import date

import networkx as nx
import pandas as pd
import yaml

U = {k: f"9132000000000000{i:02d}" for i, k in enumerate(
    ["L1", "L2", "L3", "PX1", "PX2", "PY", "PS"], start=1)}
FOREIGN = {"FJ": "JP", "FU": "US", "FD": "DE"}
EXPECTED_LABELS = {"X": {2022: "chokepoint", 2023: "weak", 2024: "sound"},
                   "Y": {2022: "sound", 2023: "sound", 2024: "chokepoint"},
                   "Z": {2022: "blank", 2023: "blank", 2024: "blank"}}

LINKS = {  # (supplier, buyer, item): value, per year
    2022: [("PX1", "L1", "X", 20), ("FJ", "L1", "X", 80), ("PY", "L1", "Y", 90), ("FJ", "L2", "Y", 10),
           ("FJ", "L1", "Z", 5), ("PS", "PX1", "S", 10)],
    2023: [("PX1", "L1", "X", 15), ("PX2", "L2", "X", 10), ("FJ", "L1", "X", 30), ("FU", "L2", "X", 25),
           ("FD", "L1", "X", 20), ("PY", "L1", "Y", 85), ("FJ", "L2", "Y", 15), ("FJ", "L2", "Z", 5),
           ("PS", "PX1", "S", 12), ("PS", "PX2", "S", 3)],
    2024: [("PX1", "L1", "X", 50), ("PX2", "L1", "X", 20), ("PX2", "L2", "X", 10), ("FJ", "L2", "X", 20),
           ("PX1", "L3", "X", 40), ("PY", "L1", "Y", 30), ("FJ", "L1", "Y", 40), ("FJ", "L2", "Y", 30),
           ("FJ", "L1", "Z", 6), ("PS", "PX1", "S", 15), ("PS", "PX2", "S", 5)],
}


def tables() -> dict[str, pd.DataFrame]:
    """Every table the loop reads, as DataFrames (schema column names and types)."""
    ent = pd.DataFrame({"uscc": list(U.values()), "name": [f"企业{k}" for k in U], "name_en": [f"Firm {k}" for k in U],
                        "province_code": "320000", "industry_code": "3484",
                        "main_item_id": ["E", "E", "W", "X", "X", "Y", "S"]})
    ey = pd.DataFrame([(U[k], y, float(r)) for k, revs in
                       {"L1": (400, 500, 600), "L2": (300, 400, 300), "L3": (200, 200, 200), "PX1": (90, 95, 100),
                        "PX2": (50, 50, 60), "PY": (80, 80, 80), "PS": (30, 30, 30)}.items()
                       for y, r in zip((2022, 2023, 2024), revs, strict=True)], columns=["uscc", "year", "revenue"])
    chains = pd.DataFrame({"chain_id": ["c1", "c2"], "name": ["Chain one", "Chain two"], "name_zh": ["一号链", "二号链"],
                           "description": [None, None]})
    items = pd.DataFrame({"item_id": ["E", "X", "Y", "Z", "S", "W"],
                          "name": ["End", "Ex", "Why", "Zed", "Soft", "Double"],
                          "name_zh": ["终端", "零件X", "材料Y", "元件Z", "软件S", "终端W"],
                          "foundation": ["end_product", "component", "material", "electronic_component", "software",
                                         "end_product"],
                          "hs_code": None, "frontier_level": [5, 5, 5, 5, 5, 5]})
    ci = pd.DataFrame({"chain_id": ["c1"] * 5 + ["c2"] * 2, "item_id": ["E", "X", "Y", "Z", "S", "W", "X"],
                       "segment": None, "is_end_product": [True, False, False, False, False, True, False],
                       "end_value": [100.0, None, None, None, None, 50.0, None], "status_note": None})
    cl = pd.DataFrame({"chain_id": ["c1"] * 4 + ["c2"], "input_item": ["X", "Y", "Z", "S", "X"],
                       "output_item": ["E", "E", "E", "X", "W"], "share": [0.3, 0.3, 0.1, 0.2, 0.5],
                       "criticality": [1.0, 1.0, 1.0, 1.0, 1.0]})
    caps = pd.DataFrame([(U[p], "enterprise", i, lv, 2000) for p, i, lv in
                         (("PX1", "X", 4), ("PX2", "X", 3), ("PY", "Y", 4), ("PS", "S", 5), ("L1", "E", 4),
                          ("L2", "E", 4), ("L3", "W", 4))]
                        + [(f, "foreign", i, 5, 1990) for f, i in (("FJ", "X"), ("FJ", "Y"), ("FJ", "Z"), ("FU", "X"),
                                                                   ("FD", "X"))],
                        columns=["producer_id", "producer_type", "item_id", "tech_level", "since_year"])
    caps["capacity"] = 1000.0
    fs = pd.DataFrame({"supplier_id": list(FOREIGN), "name": list(FOREIGN), "country": list(FOREIGN.values())})
    sl = pd.DataFrame([(U.get(s, s), "foreign" if s in FOREIGN else "enterprise", U[b], i, y, float(v), "observed", 1.0,
                        None) for y, rows in LINKS.items() for s, b, i, v in rows],
                      columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value", "basis",
                               "confidence", "source"])
    des = pd.DataFrame([(U["PX1"], "srdi_sme", date(2022, 6, 1), None, "active"),
                        (U["PX2"], "little_giant", date(2023, 7, 1), date(2026, 6, 30), "active"),
                        (U["PY"], "srdi_sme", date(2019, 1, 1), date(2021, 12, 31), "expired"),
                        (U["PS"], "little_giant", date(2022, 1, 1), None, "revoked")],
                       columns=["uscc", "kind", "granted_on", "expires_on", "status"])
    return {"enterprises": ent, "enterprise_years": ey, "chains": chains, "items": items, "chain_items": ci,
            "chain_links": cl, "capabilities": caps, "foreign_suppliers": fs, "supply_links": sl, "designations": des}


def fill_duckdb(e) -> None:
    """Insert the tables into a DuckDB engine that has the schema (bound rows through a view)."""
    for name, df in tables().items():
        tmp = f"__fill_{name}"
        e.register(tmp, df)
        cols = ", ".join(df.columns)
        e.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {tmp}")
        e.drop(tmp)


# --- the independent reference ------------------------------------------------------------------
def _rules() -> dict:
    from importlib import resources
    return yaml.safe_load(resources.files("reforge.loop").joinpath("leaders.yaml").read_text(encoding="utf-8"))


def reference_leaders(t: dict[str, pd.DataFrame], chain: str, year: int) -> pd.DataFrame:
    """Per buyer of the chain's items in ``year``: the five parts, scaled parts and score, ranked."""
    rules = _rules()
    items = set(t["chain_items"].query("chain_id == @chain").item_id)
    ends = set(t["chain_items"].query("chain_id == @chain and is_end_product").item_id)
    sl = t["supply_links"]
    sl = sl[(sl.year == year) & sl.item_id.isin(items)]
    g = sl.groupby("buyer_uscc")
    df = pd.DataFrame({"purchase_value": g.value.sum(),
                       "domestic_suppliers": g.apply(lambda x: x[x.supplier_type == "enterprise"].supplier_id.nunique(),
                                                     include_groups=False)})
    df["purchase_share"] = df.purchase_value / sl.value.sum()
    ent = t["enterprises"].set_index("uscc")
    ey = t["enterprise_years"].query("year == @year").set_index("uscc").revenue
    makers = [u for u in ent.index if ent.at[u, "main_item_id"] in ends and u in ey.index]
    out_tot = sum(ey[u] for u in makers)
    df["output_share"] = [ey[u] / out_tot if u in makers else 0.0 for u in df.index]
    dom = sl[sl.supplier_type == "enterprise"]
    graph = nx.DiGraph(list(zip(dom.buyer_uscc, dom.supplier_id, strict=True)))
    depth, size = [], []
    for u in df.index:
        dist = nx.single_source_shortest_path_length(graph, u, cutoff=rules["max_depth"]) if u in graph else {u: 0}
        dist.pop(u, None)
        depth.append(max(dist.values(), default=0))
        size.append(len(dist))
    df["tree_depth"], df["tree_size"] = depth, size
    w = rules["weights"]
    score = 0.0
    for p in ("output_share", "purchase_share", "domestic_suppliers", "tree_depth", "tree_size"):
        mx = df[p].max()
        df[f"part_{p}"] = df[p] / mx if mx > 0 else 0.0
        score = score + w[p] * df[f"part_{p}"]
    df["score"] = 100 * score / sum(w.values())
    df = df.reset_index(names="uscc").sort_values(["score", "uscc"], ascending=[False, True], ignore_index=True)
    df["rank"] = range(1, len(df) + 1)
    return df


def reference_ecosystem(t: dict[str, pd.DataFrame], chain: str, uscc: str, year: int) -> dict:
    """One leader-year: localisation, by-foundation values, designated suppliers, single-source items."""
    from reforge.firms.validity import effective_expiry
    items = set(t["chain_items"].query("chain_id == @chain").item_id)
    sl = t["supply_links"]
    sl = sl[(sl.year == year) & sl.item_id.isin(items) & (sl.buyer_uscc == uscc)]
    fnd = t["items"].set_index("item_id").foundation
    by = {}
    for f, g in sl.groupby(sl.item_id.map(fnd)):
        d = g[g.supplier_type == "enterprise"].value.sum()
        fo = g[g.supplier_type == "foreign"].value.sum()
        by[f] = {"domestic_value": d, "foreign_value": fo, "domestic_share": d / (d + fo)}
    dom = set(sl[sl.supplier_type == "enterprise"].supplier_id)
    as_of = date(year, 12, 31)
    des = {"srdi_sme": 0, "little_giant": 0}
    for k in des:
        valid = set()
        for r in t["designations"].itertuples():
            exp = effective_expiry(r.kind, r.granted_on, r.expires_on)
            if r.kind == k and r.status != "revoked" and r.granted_on <= as_of and (exp is None or exp >= as_of):
                valid.add(r.uscc)
        des[k] = len(dom & valid)
    n = sl.groupby("item_id").supplier_id.nunique()
    single = sorted(n[n == 1].index)
    fore = sorted(i for i in single if (sl[sl.item_id == i].supplier_type == "foreign").all())
    tot = sl.value.sum()
    return {"localisation": sl[sl.supplier_type == "enterprise"].value.sum() / tot if tot else None,
            "by_foundation": by, "designated": des, "single_source": single, "single_source_foreign": fore}
