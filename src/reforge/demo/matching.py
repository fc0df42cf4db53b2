"""Planted supplier-demand pairs and decoys for the matching capability (``reforge.match``).

For up to ``n_pairs`` chain items with at least four domestic producers and no dishonesty
record among the chosen ones, a buyer (a firm that does not make the item) posts a demand
with a value (CNY per year), a required technology level and a text that names the item by a
synonym or its Chinese name with specifications and a process word. Four producers of the
item are then set up:

- the **true supplier**: level >= required, spare capacity twice the demand value, an offer
  whose text describes the same product in other words;
- a **full** decoy: level >= required but no spare capacity;
- a **low** decoy: the best text (nearly the demand's own words) at the item's lowest level,
  below the required one;
- a **dishonest** decoy: with spare capacity, under an active serious-dishonesty record.

Generated technology levels are not changed (the chain labels depend on them).

:func:`planted_pairs` gives the plan (demand, buyer, item, the four firms) from the same tables
and seed; planting changes nothing the plan depends on, so it can be recomputed after loading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPEC_WORDS = ["额定寿命不低于2万小时", "精度等级P4", "满足车规级AEC-Q100", "批量一致性CPK≥1.33", "耐温-40~125℃",
              "交期8周以内", "通过IATF 16949认证", "纯度6N"]
PROCESS_WORDS = ["精密磨削", "真空热处理", "激光焊接", "数控加工", "化学气相沉积", "注塑成型", "精密铸造", "表面涂层"]
DISHONEST = ("serious_dishonesty", "dishonest_debtor")


def _clean_producers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Domestic producers (``producer_id``, ``item_id``, ``tech_level``) without a dishonesty record
    of their own (planted ``CRP*`` records do not count, so the plan survives planting)."""
    caps = tables["capabilities"]
    caps = caps[(caps["producer_type"] == "enterprise") & caps["tech_level"].notna()]
    caps = caps[["producer_id", "item_id", "tech_level"]].drop_duplicates(["producer_id", "item_id"])
    cr = tables["credit_records"]
    bad = set(cr.loc[cr["kind"].isin(DISHONEST) & ~cr["record_id"].astype(str).str.startswith("CRP"), "uscc"])
    return caps[~caps["producer_id"].isin(bad)].sort_values(["item_id", "producer_id"])


def planted_pairs(tables: dict[str, pd.DataFrame], seed: int, n_pairs: int = 12) -> pd.DataFrame:
    """The plan: one row per planted demand (``demand_id``, ``buyer``, ``item_id``, ``true_id``,
    ``full_id``, ``low_id``, ``bad_id``, ``value``, ``required_level``).

    Technology levels are left as generated (chain labels depend on them): the low decoy is a
    producer at the item's lowest level, the required level is the lower of the true supplier's
    and the full decoy's levels (both above the low decoy's). The dishonest decoy is a producer
    without designations (a dishonesty record must not disturb the tier plants)."""
    rng = np.random.default_rng([int(seed), 15])
    prod = _clean_producers(tables)
    honoured = set(tables["designations"]["uscc"]) if "designations" in tables else set()
    items = []
    for item, g in prod.groupby("item_id", sort=True):
        low = g[g["tech_level"] == g["tech_level"].min()]
        high = g[g["tech_level"] > g["tech_level"].min()]
        if len(high) >= 2 and len(g) >= 4 and len(set(g["producer_id"]) - honoured
                                                 - set(low["producer_id"][:1])) >= 3:
            items.append((item, g))
    pick = sorted(rng.choice(len(items), size=min(n_pairs, len(items)), replace=False)) if items else []
    firms = sorted(tables["enterprises"]["uscc"])
    makers = set(tables["capabilities"]["producer_id"])
    rows = []
    for i in pick:
        item, g = items[i]
        level = dict(zip(g["producer_id"], g["tech_level"].astype(int), strict=True))
        lo = min(level.values())
        low_id = sorted(p for p, v in level.items() if v == lo)[int(rng.integers(0, sum(v == lo for v in level.values())))]
        high = sorted(p for p, v in level.items() if v > lo)
        true_id, full_id = (high[j] for j in rng.permutation(len(high))[:2])
        rest = sorted(set(level) - {low_id, true_id, full_id} - honoured)
        if not rest:
            continue
        bad_id = rest[int(rng.integers(0, len(rest)))]
        buyer = None
        while buyer is None or buyer in makers:
            buyer = firms[int(rng.integers(0, len(firms)))]
        value = float(np.round(np.exp(rng.normal(np.log(5e6), 0.6)), -3))
        rows.append((f"DMP{len(rows) + 1:05d}", buyer, item, true_id, full_id, low_id, bad_id, value,
                     min(level[true_id], level[full_id]), level[low_id], level[true_id]))
    return pd.DataFrame(rows, columns=["demand_id", "buyer", "item_id", "true_id", "full_id", "low_id", "bad_id",
                                       "value", "required_level", "low_level", "true_level"])


def _name(item_zh: str, rng: np.random.Generator) -> str:
    """The item's Chinese name, half of the time with a word swapped for a synonym (synonyms.yaml)."""
    from reforge.match.text import synonyms
    pairs = sorted((c, w) for w, c in synonyms().items() if c != w and c in item_zh and not w.isascii())
    if pairs and rng.random() < 0.5:
        c, w = pairs[int(rng.integers(0, len(pairs)))]
        return item_zh.replace(c, w)
    return item_zh


def plant_matching(tables: dict[str, pd.DataFrame], seed: int, n_pairs: int = 12) -> dict[str, pd.DataFrame]:
    """``tables`` with the planted demands, offers, capability changes and credit records added."""
    plan = planted_pairs(tables, seed, n_pairs)
    if plan.empty:
        return tables
    rng = np.random.default_rng([int(seed), 16])
    out = dict(tables)
    zh = tables["items"].set_index("item_id")["name_zh"]
    caps = tables["capabilities"].copy()
    for col in ("spare_capacity",):
        if col not in caps:
            caps[col] = np.nan
    d_rows, o_rows, c_rows = [], [], []
    for k, p in enumerate(plan.itertuples(index=False)):
        name = str(zh.get(p.item_id, p.item_id))
        spec = [SPEC_WORDS[j] for j in rng.permutation(len(SPEC_WORDS))[:2]]
        proc = PROCESS_WORDS[int(rng.integers(0, len(PROCESS_WORDS)))]
        text = f"采购{_name(name, rng)}，{spec[0]}，{spec[1]}，{proc}工艺，年用量稳定"
        d_rows.append((p.demand_id, p.buyer, p.item_id, "purchase", text, None, None, p.value,
                       int(p.required_level), 2025))
        o_rows.append((f"OFP{k + 1:05d}T", p.true_id, "enterprise", p.item_id,
                       f"专业生产{name}，{spec[1]}，{spec[0]}，采用{proc}，可批量供货", 2025, 2 * p.value,
                       int(p.true_level)))
        o_rows.append((f"OFP{k + 1:05d}L", p.low_id, "enterprise", p.item_id,
                       f"{text}，价格优惠", 2025, 2 * p.value, int(p.low_level)))
        c_rows.append((f"CRP{k + 1:05d}", p.bad_id, "serious_dishonesty", pd.Timestamp("2025-06-01"),
                       pd.Timestamp("2028-06-01"), "demo"))
        on_item = caps["item_id"] == p.item_id
        for firm, spare in ((p.true_id, 2 * p.value), (p.full_id, 0.0), (p.low_id, 2 * p.value),
                            (p.bad_id, 3 * p.value)):
            caps.loc[on_item & (caps["producer_id"] == firm), "spare_capacity"] = spare
    out["capabilities"] = caps
    d = pd.DataFrame(d_rows, columns=["demand_id", "uscc", "item_id", "kind", "text", "quantity", "unit", "value",
                                      "required_level", "year"])
    out["demands"] = _append(tables["demands"], d)
    o = pd.DataFrame(o_rows, columns=["offer_id", "provider_id", "provider_type", "item_id", "text", "year",
                                      "capacity", "tech_level"])
    out["offers"] = _append(tables["offers"], o)
    c = pd.DataFrame(c_rows, columns=["record_id", "uscc", "kind", "recorded_on", "expires_on", "source"])
    out["credit_records"] = _append(tables["credit_records"], c)
    for name, col in (("demands", "required_level"), ("offers", "tech_level")):
        out[name][col] = pd.array(out[name][col], dtype="Int64") if col in out[name] else out[name].get(col)
    return out


def _append(base: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``base`` with ``rows`` appended (the columns of both, ``base``'s first). An empty side is
    left out. A column that is all NA on one side (a shard of the national generator may have no
    demand with a deadline) keeps the other side's dtype, as pandas does today; its coming change
    of that rule would not matter, since the tables are typed from the schema when they are
    written (``demo.national``) or imported (``demo.load``), so its warning is not shown."""
    import warnings
    parts = [x for x in (base, rows) if len(x)]
    if not parts:
        return base
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The behavior of DataFrame concatenation with empty or all-NA",
                                category=FutureWarning)
        out = pd.concat(parts, ignore_index=True)
    return out.reindex(columns=list(dict.fromkeys([*base.columns, *rows.columns])))


def planted_truth(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The planted pairs read back from stored tables (after import, realism noise or edits):
    demand ``DMPk``, true supplier = provider of offer ``OFPkT``, low decoy = of ``OFPkL``,
    dishonest decoy = firm of credit record ``CRPk``, full decoy = the producer of the item with
    spare capacity 0. Columns as :func:`planted_pairs` (without the levels)."""
    d = tables["demands"]
    d = d[d["demand_id"].astype(str).str.match(r"^DMP\d{5}$")].sort_values("demand_id")
    off = tables["offers"].set_index("offer_id")["provider_id"]
    cr = tables["credit_records"].set_index("record_id")["uscc"]
    caps = tables["capabilities"]
    full = caps[caps["spare_capacity"].fillna(-1) == 0] if "spare_capacity" in caps else caps.iloc[:0]
    rows = []
    for r in d.itertuples(index=False):
        k = str(r.demand_id)[3:]
        f = sorted(full.loc[full["item_id"] == r.item_id, "producer_id"])
        rows.append((r.demand_id, r.uscc, r.item_id, off.get(f"OFP{k}T"), f[0] if f else None, off.get(f"OFP{k}L"),
                     cr.get(f"CRP{k}"), r.value, r.required_level))
    return pd.DataFrame(rows, columns=["demand_id", "buyer", "item_id", "true_id", "full_id", "low_id", "bad_id",
                                       "value", "required_level"])


__all__ = ["planted_pairs", "planted_truth", "plant_matching"]
