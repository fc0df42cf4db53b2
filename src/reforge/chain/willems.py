"""Importer and structural analysis of the Willems (2008) supply-chain data set.

Willems, S. P. (2008), "Data Set: Real-World Multiechelon Supply Chains Used for
Inventory Optimization", M&SOM 10(1):19-23: 38 chains of stages (Part, Manuf, Dist,
Trans, Retail) and arcs (upstream stage -> downstream stage). Files ``chain_NN.csv``
(an XML-to-CSV export: row 1 ``/chain,...``, row 2 the header, then arc rows with
``/arcs/arc/@from|@to`` and stage rows with ``/stages/stage/@...``).

Mapping to Reforge's chain template (``to_template_tables``): one chain
``willems_NN`` per file; one item ``wNN_<stageName>`` per stage with foundation
``component`` (Part, Manuf stages) or ``end_product`` (Dist, Trans, Retail stages);
``is_end_product`` for stages without a downstream arc, ``end_value`` = average
demand x stage cost where both are known (else NULL: equal weights); one
``chain_links`` row per arc with criticality 1.

Two readings of the arcs for single points of failure (``stage_links``):
* ``assembly`` - a stage needs every input (each arc is its own item): removing a
  stage disrupts exactly its descendants;
* ``redundant`` - any one input suffices (all arcs into a stage are one item of equal
  value, loss threshold 1 - 1e-9): removing a stage disrupts exactly the stages it
  dominates from the sources (its dominator-tree subtree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reforge.engine import Engine
from reforge.errors import ReforgeError

STAGE_COLS = {"/stages/stage/@stageName": "stage", "/stages/stage/@stageClassification": "classification",
              "/stages/stage/@stageCost": "cost", "/stages/stage/@stageTime": "time",
              "/stages/stage/@avgDemand": "avg_demand", "/stages/stage/@relDepth": "rel_depth"}
ARC_COLS = {"/arcs/arc/@from": "source", "/arcs/arc/@to": "target"}
REDUNDANT_THRESHOLD = 1.0 - 1e-9
_FOUNDATION = {"part": "component", "parts": "component", "manuf": "component", "dist": "end_product",
               "trans": "end_product", "retail": "end_product"}


@dataclass
class WillemsChain:
    """One chain: its number, stages (stage, classification, cost, time, avg_demand, rel_depth)
    and arcs (source, target)."""

    number: int
    stages: pd.DataFrame
    arcs: pd.DataFrame

    @property
    def chain_id(self) -> str:
        return f"willems_{self.number:02d}"

    def item_id(self, stage: str) -> str:
        return f"w{self.number:02d}_{stage}"


def read_chain(path: str | Path) -> WillemsChain:
    """Parse one ``chain_NN.csv``; ReforgeError on a malformed file or dangling arc."""
    p = Path(path)
    m = re.search(r"(\d+)", p.stem)
    if not p.is_file() or m is None:
        raise ReforgeError(f"{p}: not a Willems chain file (expected chain_NN.csv)")
    try:
        raw = pd.read_csv(p, header=1, encoding="utf-8-sig", dtype={"/arcs/arc/@from": str,
                                                                       "/arcs/arc/@to": str})
    except Exception as e:  # noqa: BLE001 - any parse failure is the file's fault
        raise ReforgeError(f"{p}: cannot read CSV ({e})") from None
    need = set(STAGE_COLS) | set(ARC_COLS)
    miss = sorted(need - set(raw.columns))
    if miss:
        raise ReforgeError(f"{p}: missing column(s) {', '.join(miss)}")
    arcs = raw.loc[raw["/arcs/arc/@from"].notna(), list(ARC_COLS)].rename(columns=ARC_COLS)
    arcs = arcs.drop_duplicates().reset_index(drop=True)
    stages = raw.loc[raw["/stages/stage/@stageName"].notna(), list(STAGE_COLS)].rename(columns=STAGE_COLS)
    stages = stages.drop_duplicates("stage").reset_index(drop=True)
    known = set(stages["stage"])
    bad = sorted((set(arcs["source"]) | set(arcs["target"])) - known)
    if bad:
        raise ReforgeError(f"{p}: arcs name unknown stage(s) {', '.join(bad[:5])}")
    return WillemsChain(int(m.group(1)), stages, arcs)


def read_dir(directory: str | Path) -> list[WillemsChain]:
    """All ``chain_*.csv`` files of a directory, by chain number."""
    d = Path(directory)
    if not d.is_dir():
        raise ReforgeError(f"{d} is not a directory")
    files = sorted(d.glob("chain_*.csv"))
    if not files:
        raise ReforgeError(f"{d}: no chain_*.csv files (the Willems 2008 layout)")
    return sorted((read_chain(f) for f in files), key=lambda c: c.number)


def to_template_tables(chains: list[WillemsChain]) -> dict[str, pd.DataFrame]:
    """Chain template tables (chains, items, chain_items, chain_links) for the chains."""
    ch, it, ci, cl = [], [], [], []
    for c in chains:
        ch.append({"chain_id": c.chain_id, "name": f"Willems (2008) chain {c.number}",
                   "name_zh": f"Willems (2008) 供应链 {c.number}",
                   "description": f"{len(c.stages)} stages, {len(c.arcs)} arcs; MSOM 10(1):19-23"})
        has_out = set(c.arcs["source"])
        for s in c.stages.itertuples(index=False):
            iid = c.item_id(s.stage)
            cls = str(s.classification).strip().lower()
            it.append({"item_id": iid, "name": f"{s.stage} (chain {c.number})", "name_zh": str(s.stage),
                       "foundation": _FOUNDATION.get(cls, "component"), "hs_code": None,
                       "frontier_level": None})
            end = s.stage not in has_out
            val = (float(s.avg_demand) * float(s.cost)
                   if end and pd.notna(s.avg_demand) and pd.notna(s.cost) and float(s.cost) > 0 else None)
            seg = "downstream" if cls in ("dist", "trans", "retail") else (
                "upstream" if cls in ("part", "parts") else "midstream")
            ci.append({"chain_id": c.chain_id, "item_id": iid, "segment": seg, "is_end_product": end,
                       "end_value": val, "status_note": None})
        for a in c.arcs.itertuples(index=False):
            cl.append({"chain_id": c.chain_id, "input_item": c.item_id(a.source),
                       "output_item": c.item_id(a.target), "share": None, "criticality": 1.0})
    return {"chains": pd.DataFrame(ch), "items": pd.DataFrame(it), "chain_items": pd.DataFrame(ci),
            "chain_links": pd.DataFrame(cl)}


def import_willems(engine: Engine, directory: str | Path) -> dict[str, int]:
    """Write the template tables of every chain into a DuckDB database in one transaction.

    Existing ``willems_*`` chains are replaced. Returns row counts per table.
    """
    from reforge.schema import ensure_schema
    if not engine.stores:
        raise ReforgeError("Willems chains are written into a DuckDB database opened for writing",
                           code="engine.read_only", params={"what": "chains"})
    tables = to_template_tables(read_dir(directory))
    ensure_schema(engine)
    with engine.transaction():
        engine.execute("DELETE FROM chain_links WHERE chain_id LIKE 'willems\\_%' ESCAPE '\\'")
        engine.execute("DELETE FROM chain_items WHERE chain_id LIKE 'willems\\_%' ESCAPE '\\'")
        engine.execute("DELETE FROM chains WHERE chain_id LIKE 'willems\\_%' ESCAPE '\\'")
        for name in ("chains", "items", "chain_items", "chain_links"):
            df = tables[name]
            view = f"__rf_willems_{name}"
            engine.register(view, df)
            try:
                if name == "items":
                    engine.execute(f"DELETE FROM items WHERE item_id IN (SELECT item_id FROM {view})")
                cols = ", ".join(df.columns)
                engine.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {view}")
            finally:
                engine.drop(view)
    return {k: len(v) for k, v in tables.items()}


def stage_links(chain: WillemsChain, mode: str = "assembly") -> pd.DataFrame:
    """Arcs as cascade links ``(supplier_id, buyer_id, item_id, value)`` for the given reading."""
    if mode not in ("assembly", "redundant"):
        raise ReforgeError(f"mode must be assembly or redundant, got {mode!r}")
    a = chain.arcs
    item = a["source"] if mode == "assembly" else "in:" + a["target"]
    return pd.DataFrame({"supplier_id": a["source"].astype(str), "buyer_id": a["target"].astype(str),
                         "item_id": item.astype(str), "value": 1.0})


def chain_spof(engine: Engine, chain: WillemsChain, mode: str = "assembly") -> pd.DataFrame:
    """Single points of failure of one chain's stages (see module doc for ``mode``)."""
    from reforge.chain.spof import spof_on_links
    thr = 0.5 if mode == "assembly" else REDUNDANT_THRESHOLD
    links = stage_links(chain, mode)
    with engine.scratch() as scratch:
        name = engine.temp_name("willems_links")
        scratch.append(name)
        engine.register(name, links)
        df, _n, _c, _r = spof_on_links(engine, name, f"SELECT supplier_id AS id FROM {name}", thr, scratch)
    return df


def spof_summary(engine: Engine, chains: list[WillemsChain], progress=None) -> pd.DataFrame:
    """Per chain: stages, arcs, and the top single point of failure in both readings."""
    rows = []
    for c in chains:
        a = chain_spof(engine, c, "assembly")
        r = chain_spof(engine, c, "redundant")
        n = len(c.stages)
        rows.append({
            "chain_id": c.chain_id, "stages": n, "arcs": len(c.arcs),
            "sources": int((~c.stages["stage"].isin(set(c.arcs["target"]))).sum()),
            "sinks": int((~c.stages["stage"].isin(set(c.arcs["source"]))).sum()),
            "assembly_spof_stages": len(a),
            "assembly_top": a["firm_id"].iloc[0] if len(a) else None,
            "assembly_top_count": int(a["disrupted_count"].iloc[0]) if len(a) else 0,
            "redundant_spof_stages": len(r),
            "redundant_top": r["firm_id"].iloc[0] if len(r) else None,
            "redundant_top_count": int(r["disrupted_count"].iloc[0]) if len(r) else 0,
        })
        if progress:
            progress()
    return pd.DataFrame(rows)
