"""The chain template as a small graph: end products, downstream reach and layers.

The template (``chain_items`` + ``chain_links``, items -> items) is reduced data
(tens of items per chain), so reach and layers are computed in Python after one
SQL fetch. Firm-level networks never come here; they stay in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from reforge.engine import Engine
from reforge.errors import ReforgeError

REQUIRED = {
    "chains": ("chain_id", "name", "name_zh"),
    "items": ("item_id", "name", "name_zh", "foundation"),
    "chain_items": ("chain_id", "item_id"),
    "chain_links": ("chain_id", "input_item", "output_item"),
}


def require_tables(engine: Engine, names: dict[str, tuple[str, ...]]) -> None:
    """Raise a ReforgeError naming the first missing table or column."""
    for t, cols in names.items():
        if not engine.table_exists(t):
            raise ReforgeError(f"table {t} is missing; load data with `reforge import` or `reforge demo`")
        have = set(engine.columns(t))
        miss = [c for c in cols if c not in have]
        if miss:
            raise ReforgeError(f"table {t} lacks column(s) {', '.join(miss)}")


@dataclass
class Template:
    """One chain's template: items (with segment / end-product flags) and links."""

    chain_id: str
    items: pd.DataFrame          # item_id, name, name_zh, foundation, segment, is_end_product, end_value
    links: pd.DataFrame          # input_item, output_item, share, criticality
    succ: dict[str, list[str]] = field(default_factory=dict)
    pred: dict[str, list[str]] = field(default_factory=dict)

    @property
    def item_ids(self) -> list[str]:
        return list(self.items["item_id"])

    def end_products(self) -> dict[str, float]:
        """End products and their weights (``end_value`` CNY).

        End products are items flagged ``is_end_product``; when none is flagged, the
        items with no output inside the template. Missing ``end_value`` takes the mean
        of the known ones (1 when none is known), so each end product counts.
        """
        it = self.items
        flagged = it[it["is_end_product"].fillna(False).astype(bool)]
        if flagged.empty:
            sinks = [i for i in self.item_ids if not self.succ.get(i)]
            flagged = it[it["item_id"].isin(sinks)]
        vals = pd.to_numeric(flagged["end_value"], errors="coerce")
        fill = float(vals.mean()) if vals.notna().any() else 1.0
        vals = vals.fillna(fill)
        return {str(i): float(v) for i, v in zip(flagged["item_id"], vals, strict=True)}

    def downstream(self, item: str, min_criticality: float = 0.0) -> set[str]:
        """Items reachable from ``item`` (itself included) over links with criticality >= min."""
        crit = self._crit(min_criticality)
        seen = {item}
        stack = [item]
        while stack:
            u = stack.pop()
            for v in self.succ.get(u, []):
                if v not in seen and (u, v) in crit:
                    seen.add(v)
                    stack.append(v)
        return seen

    def _crit(self, min_criticality: float) -> set[tuple[str, str]]:
        c = pd.to_numeric(self.links["criticality"], errors="coerce").fillna(1.0)
        keep = self.links[c >= min_criticality]
        return set(zip(keep["input_item"], keep["output_item"], strict=True))

    def reach(self, min_criticality: float = 0.0) -> dict[str, float]:
        """Downstream reach per item: share (0-1) of end-product value that needs the item."""
        ends = self.end_products()
        total = sum(ends.values())
        out: dict[str, float] = {}
        for i in self.item_ids:
            down = self.downstream(i, min_criticality)
            v = sum(w for e, w in ends.items() if e in down)
            out[i] = v / total if total > 0 else 0.0
        return out

    def layers(self) -> dict[str, int]:
        """Layer of each item: longest input path from a source (0 = no inputs); cycles broken."""
        layer: dict[str, int] = {}
        visiting: set[str] = set()

        def depth(i: str) -> int:
            if i in layer:
                return layer[i]
            if i in visiting:  # a cycle: cut it here
                return 0
            visiting.add(i)
            d = 0
            for p in self.pred.get(i, []):
                d = max(d, depth(p) + 1)
            visiting.discard(i)
            layer[i] = d
            return d

        for i in self.item_ids:
            depth(i)
        return layer


def list_chains(engine: Engine) -> list[dict]:
    """Chains with their item, link and end-product counts."""
    require_tables(engine, {k: REQUIRED[k] for k in ("chains", "chain_items", "chain_links")})
    df = engine.fetch_df(
        "SELECT c.chain_id, c.name, c.name_zh, "
        "COALESCE(i.n_items, 0) AS n_items, COALESCE(l.n_links, 0) AS n_links, "
        "COALESCE(i.n_end, 0) AS n_end_products "
        "FROM chains c "
        "LEFT JOIN (SELECT chain_id, COUNT(*) AS n_items, "
        "  SUM(CASE WHEN is_end_product THEN 1 ELSE 0 END) AS n_end FROM chain_items GROUP BY chain_id) i "
        "  ON i.chain_id = c.chain_id "
        "LEFT JOIN (SELECT chain_id, COUNT(*) AS n_links FROM chain_links GROUP BY chain_id) l "
        "  ON l.chain_id = c.chain_id "
        "ORDER BY c.chain_id")
    return [{"chain_id": r.chain_id, "name": r.name, "name_zh": r.name_zh, "n_items": int(r.n_items),
             "n_links": int(r.n_links), "n_end_products": int(r.n_end_products)}
            for r in df.itertuples(index=False)]


def load_template(engine: Engine, chain_id: str) -> Template:
    """Fetch one chain's template; ReforgeError when the chain is unknown or empty."""
    if not isinstance(chain_id, str) or not chain_id:
        raise ReforgeError(f"chain id must be a non-empty string, got {chain_id!r}")
    require_tables(engine, REQUIRED)
    n = engine.fetch_scalar("SELECT COUNT(*) FROM chains WHERE chain_id = ?", [chain_id])
    if not n:
        known = engine.fetch_df("SELECT chain_id FROM chains ORDER BY chain_id")["chain_id"].tolist()
        raise ReforgeError(f"unknown chain {chain_id!r}; known: {', '.join(known) or '(none)'}",
                           code="chain.unknown_chain", params={"chain": chain_id[:80]})
    ci_cols = set(engine.columns("chain_items"))
    seg = "ci.segment" if "segment" in ci_cols else "CAST(NULL AS VARCHAR)"
    endp = "ci.is_end_product" if "is_end_product" in ci_cols else "CAST(NULL AS BOOLEAN)"
    endv = "CAST(ci.end_value AS DOUBLE)" if "end_value" in ci_cols else "CAST(NULL AS DOUBLE)"
    items = engine.fetch_df(
        f"SELECT ci.item_id, i.name, i.name_zh, i.foundation, {seg} AS segment, "
        f"{endp} AS is_end_product, {endv} AS end_value "
        f"FROM chain_items ci LEFT JOIN items i ON i.item_id = ci.item_id "
        "WHERE ci.chain_id = ? ORDER BY ci.item_id", [chain_id])
    if items.empty:
        raise ReforgeError(f"chain {chain_id!r} has no items in chain_items")
    cl_cols = set(engine.columns("chain_links"))
    share = "CAST(share AS DOUBLE)" if "share" in cl_cols else "CAST(NULL AS DOUBLE)"
    crit = "CAST(criticality AS DOUBLE)" if "criticality" in cl_cols else "CAST(NULL AS DOUBLE)"
    links = engine.fetch_df(
        f"SELECT input_item, output_item, {share} AS share, {crit} AS criticality FROM chain_links "
        "WHERE chain_id = ? ORDER BY input_item, output_item", [chain_id])
    t = Template(chain_id, items.reset_index(drop=True), links.reset_index(drop=True))
    for a, b in zip(links["input_item"], links["output_item"], strict=True):
        t.succ.setdefault(a, []).append(b)
        t.pred.setdefault(b, []).append(a)
    return t
