"""Chain leaders (链主) and their core-part ecosystems (issue 18, point 1).

:func:`chain_leaders` ranks the buyers of a chain's items in one year by five parts (rules and
units in ``leaders.yaml``): share of the chain's end-product output, share of the chain's
purchases, domestic suppliers, depth and size of the domestic supplier tree. Each part is
scaled by its maximum over the ranked buyers (0-1); the score is their weighted mean x 100.
Reasons are coded messages (``loop.leader.*``) naming each part's value and weight.

For the ``top`` leaders, the ecosystem per year with supply links (all link years up to the
analysed one): purchases of chain items by foundation category from domestic and foreign
suppliers (CNY), the localisation rate (domestic share of those purchases, 0-1) and its change
from the previous year, the number of domestic suppliers holding a valid SRDI
(专精特新) or Little Giant designation on 31 December (and the change), and the items bought
from a single supplier (single-source exposures). All figures are set-based SQL
(:mod:`reforge.loop.sql`) on DuckDB or Spark; scaling, scores and changes are done here on
the reduced frames.
"""

from __future__ import annotations

import math

import pandas as pd

from reforge.chain.graph import load_template
from reforge.chain.metrics import resolve_year
from reforge.engine.base import Engine
from reforge.errors import DataMissing, InvalidInput, NotFound, ReforgeError
from reforge.loop import sql
from reforge.loop.result import LeadersResult
from reforge.loop.rules import PARTS, LeaderRules, load_rules
from reforge.messages import Message


def check_chain(engine: Engine, chain_id: str) -> dict:
    """The chain's id and names; InvalidInput for a bad id, NotFound for an unknown one."""
    if not isinstance(chain_id, str) or not chain_id or len(chain_id) > 200:
        raise InvalidInput(f"chain id must be a non-empty string, got {str(chain_id)[:80]!r}",
                           code="loop.chain.invalid", params={"chain": str(chain_id)[:80]})
    sql.need_tables(engine, ("chains",))
    df = engine.fetch_df("SELECT chain_id, name, name_zh FROM chains WHERE chain_id = ?", [chain_id])
    if df.empty:
        raise NotFound(f"unknown chain {chain_id[:80]!r}", code="loop.chain.not_found",
                       params={"chain": chain_id[:80]})
    return {k: (None if pd.isna(v) else str(v)) for k, v in df.iloc[0].to_dict().items()}


def _year(engine: Engine, year: int | None) -> int:
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200):
        raise InvalidInput(f"year must be an integer 1900-2200, got {str(year)[:20]!r}", code="loop.year.invalid",
                           params={"year": str(year)[:20]})
    try:
        y = resolve_year(engine, year)
    except ReforgeError:
        y = None
    if y is None:
        raise DataMissing("no supply links: leaders need purchases", code="loop.data.no_links", params={})
    return int(y)


def score_buyers(df: pd.DataFrame, rules: LeaderRules, with_tree: bool) -> pd.DataFrame:
    """``df`` with ``part_<name>`` (0-1, value over the maximum of the frame) and ``score`` (0-100);
    the tree parts count 0 when ``with_tree`` is false. Sorted by score, then uscc."""
    out = df.copy()
    wsum = rules.weight_sum()
    score = pd.Series(0.0, index=out.index)
    for p in PARTS:
        if p in ("tree_depth", "tree_size") and not with_tree:
            out[f"part_{p}"] = 0.0
            continue
        v = pd.to_numeric(out[p], errors="coerce").fillna(0.0).astype(float)
        mx = float(v.max()) if len(v) else 0.0
        out[f"part_{p}"] = v / mx if mx > 0 else 0.0
        score = score + getattr(rules.weights, p) * out[f"part_{p}"]
    out["score"] = (100.0 * score / wsum).round(6)
    return out.sort_values(["score", "uscc"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _reasons(r: dict, rules: LeaderRules) -> list[Message]:
    w = rules.weights
    return [
        Message("loop.leader.output_share", {"share": r["output_share"], "weight": w.output_share},
                f"{r['output_share']:.1%} of the chain's end-product output (weight {w.output_share:g})"),
        Message("loop.leader.purchase_share", {"share": r["purchase_share"], "weight": w.purchase_share},
                f"{r['purchase_share']:.1%} of the chain's purchases (weight {w.purchase_share:g})"),
        Message("loop.leader.domestic_suppliers", {"n": int(r["domestic_suppliers"]),
                                                   "weight": w.domestic_suppliers},
                f"{int(r['domestic_suppliers'])} domestic suppliers (weight {w.domestic_suppliers:g})"),
        Message("loop.leader.tree", {"depth": int(r["tree_depth"]), "size": int(r["tree_size"]),
                                     "wd": w.tree_depth, "ws": w.tree_size},
                f"supplier tree {int(r['tree_depth'])} tiers deep, {int(r['tree_size'])} domestic firms "
                f"(weights {w.tree_depth:g}, {w.tree_size:g})"),
    ]


def chain_leaders(engine: Engine, chain_id: str, year: int | None = None,
                  rules: dict | LeaderRules | None = None) -> LeadersResult:
    """Leaders of chain ``chain_id`` in ``year`` (default: the latest well-covered link year),
    ranked by score, with the ecosystem per link year of the ``top`` ones."""
    rl = load_rules(rules)
    chain = check_chain(engine, chain_id)
    sql.need_tables(engine)
    load_template(engine, chain_id)  # a chain without items is an error, as in bottlenecks
    y = _year(engine, year)
    with_rev = engine.table_exists("enterprise_years")
    p = sql.params(chain_id, y)
    buyers = sql.fetch(engine, sql.buyers_sql(with_rev, engine.columns("enterprises")), p)
    notes: list[Message] = []
    if not with_rev:
        notes.append(Message("loop.note.no_revenue", {}, "no enterprise_years table: output shares are 0"))
    if buyers.empty:
        notes.append(Message("loop.note.no_buyers", {"year": str(y)}, f"nobody buys the chain's items in {y}"))
        return LeadersResult(chain, y, rl, [], [], notes)
    pre = score_buyers(buyers.assign(tree_depth=0, tree_size=0), rl, with_tree=False)
    cand = pre.head(rl.candidates).drop(columns=["tree_depth", "tree_size"])
    usccs = list(cand["uscc"])
    tree = sql.fetch(engine, sql.tree_sql(len(usccs), rl.max_depth), sql.params(chain_id, y, usccs))
    cand = cand.merge(tree, on="uscc", how="left")
    cand[["tree_depth", "tree_size"]] = cand[["tree_depth", "tree_size"]].fillna(0).astype("int64")
    ranked = score_buyers(cand[list(buyers.columns) + ["tree_depth", "tree_size"]], rl, with_tree=True)
    ranked["rank"] = range(1, len(ranked) + 1)
    leaders = []
    for r in ranked.to_dict("records"):
        r = {k: _clean(v) for k, v in r.items()}
        r["reasons"] = _reasons(r, rl)
        leaders.append(r)
    top = [r["uscc"] for r in leaders[:rl.top]]
    eco = ecosystem(engine, chain_id, top, [yy for yy in sql.link_years(engine, chain_id) if yy <= y], rl)
    return LeadersResult(chain, y, rl, leaders, eco, notes)


def ecosystem(engine: Engine, chain_id: str, usccs: list[str], years: list[int],
              rules: LeaderRules | None = None) -> list[dict]:
    """One dict per leader and year (see the module doc): ``uscc``, ``year``, ``purchase_value``,
    ``domestic_value``, ``localisation`` and ``localisation_change``, ``by_foundation``
    ({foundation: {domestic_value, foreign_value, domestic_share}}), ``designated`` ({kind: n}),
    ``designated_change``, ``single_source`` (items with one supplier) and ``single_source_foreign``."""
    rl = rules or load_rules()
    if not usccs or not years:
        return []
    p = sql.params(chain_id, None, usccs, years, rl.designations)
    fnd = sql.fetch(engine, sql.foundation_sql(len(usccs), years), p)
    single = sql.fetch(engine, sql.single_source_sql(len(usccs), years), p)
    if engine.table_exists("designations") and rl.designations:
        des = sql.fetch(engine, sql.designated_sql(len(usccs), years, len(rl.designations)), p)
    else:
        des = pd.DataFrame(columns=["uscc", "year", "kind", "suppliers"])
    out: list[dict] = []
    for u in usccs:
        prev: dict | None = None
        for y in years:
            f = fnd[(fnd["uscc"] == u) & (fnd["year"].astype(int) == y)]
            if f.empty:
                prev = None
                continue
            dom, fore = float(f["domestic_value"].sum()), float(f["foreign_value"].sum())
            tot = dom + fore
            by_f = {str(r.foundation): {"domestic_value": float(r.domestic_value), "foreign_value": float(r.foreign_value),
                                        "domestic_share": _share(r.domestic_value, r.domestic_value + r.foreign_value)}
                    for r in f.itertuples(index=False)}
            d = des[(des["uscc"] == u) & (des["year"].astype(int) == y)]
            designated = {k: int(d.loc[d["kind"] == k, "suppliers"].sum()) for k in rl.designations}
            s = single[(single["uscc"] == u) & (single["year"].astype(int) == y)]
            loc = _share(dom, tot)
            row = {"uscc": u, "year": y, "purchase_value": tot, "domestic_value": dom, "localisation": loc,
                   "localisation_change": (None if prev is None or prev["localisation"] is None or loc is None
                                           else loc - prev["localisation"]),
                   "by_foundation": by_f, "designated": designated,
                   "designated_change": (None if prev is None else
                                         {k: designated[k] - prev["designated"][k] for k in designated}),
                   "single_source": sorted(s["item_id"].astype(str)),
                   "single_source_foreign": sorted(s.loc[s["supplier_type"] == "foreign", "item_id"].astype(str))}
            out.append(row)
            prev = row
    return out


def _share(a: float, b: float) -> float | None:
    return float(a) / float(b) if b and b > 0 else None


def _clean(v: object) -> object:
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
