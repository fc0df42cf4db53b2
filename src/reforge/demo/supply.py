"""Capabilities (who can make what, at what level) and supply links (who buys from whom).

Buyers are enterprises whose main item is the output of a template link; for each
input they buy from one to three sources (domestic producers of the input, weighted
by capacity, or foreign suppliers of the input by the item's country mix). Values are
then rescaled per item so that, over all buyers of the latest year, the domestic share
and the import split by country equal the item's design (``atlas.designs``) exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.demo.atlas import FRONTIER, designs, template
from reforge.demo.firms import Firms

LINK_YEAR = 2024
PURCHASE_RATIO = 0.6     # share of a buyer's revenue spent on template inputs, before cost shares
OBSERVED_SHARE = 0.6


def make_capabilities(rng: np.random.Generator, f: Firms) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Capabilities of domestic firms (main item + a secondary item for 8%) and foreign suppliers.

    Returns (capabilities, domestic producer list with integer firm index and capacity).
    """
    t = template()
    items = t["items"]
    ds = designs()
    item_ids = items.item_id.to_numpy()
    best = np.array([ds[i].best_tech if ds[i].best_tech is not None else 0 for i in item_ids])
    rev = np.nan_to_num(f.revenue[:, t_idx(LINK_YEAR)], nan=0.0)
    firm = np.flatnonzero(f.item_idx >= 0)
    firm = firm[best[f.item_idx[firm]] > 0]
    item = f.item_idx[firm]
    # secondary capability: another non-blank item of the same chain
    ci = t["chain_items"]
    pos = {iid: k for k, iid in enumerate(item_ids)}
    chain_members = {c: np.array([pos[i] for i in g.item_id if best[pos[i]] > 0]) for c, g in ci.groupby("chain_id")}
    sec_firm = firm[rng.random(len(firm)) < 0.08]
    sec_item = np.empty(len(sec_firm), dtype=np.int64)
    chains = f.chain[sec_firm]
    for c, members in chain_members.items():
        m = chains == c
        sec_item[m] = members[rng.integers(0, len(members), int(m.sum()))]
    keep = sec_item != f.item_idx[sec_firm]
    all_firm = np.concatenate([firm, sec_firm[keep]])
    all_item = np.concatenate([item, sec_item[keep]])
    drop = rng.choice(3, size=len(all_firm), p=[0.35, 0.4, 0.25])
    level = np.maximum(1, best[all_item] - drop)
    cap = np.round(np.maximum(rev[all_firm], 1e5) * rng.uniform(1.0, 1.4, len(all_firm)) *
                   np.where(np.arange(len(all_firm)) < len(firm), 1.0, 0.3))
    dom = pd.DataFrame({"firm": all_firm, "item": all_item, "level": level, "capacity": cap})
    # the largest producer of every item reaches the designed best level
    top = dom.sort_values(["item", "capacity"], ascending=[True, False]).drop_duplicates("item").index
    dom.loc[top, "level"] = best[dom.loc[top, "item"].to_numpy()]
    since = np.minimum(2024, f.founded_year[dom.firm.to_numpy()] + rng.integers(0, 6, len(dom)))
    caps_dom = pd.DataFrame({"producer_id": f.table.uscc.to_numpy()[dom.firm.to_numpy()],
                             "producer_type": "enterprise", "item_id": item_ids[dom.item.to_numpy()],
                             "tech_level": dom.level.to_numpy().astype(np.int64),
                             "capacity": dom.capacity.to_numpy(), "since_year": since.astype(np.int64)})
    si = t["supplier_items"]
    first = ~si.duplicated("item_id")
    lev_f = np.where(first, FRONTIER, rng.choice([4, 5], size=len(si), p=[0.4, 0.6]))
    caps_for = pd.DataFrame({"producer_id": si.supplier_id.to_numpy(), "producer_type": "foreign",
                             "item_id": si.item_id.to_numpy(), "tech_level": lev_f.astype(np.int64),
                             "capacity": np.round(np.exp(rng.normal(np.log(5e9), 1.0, len(si))), -3),
                             "since_year": rng.integers(1960, 2012, len(si)).astype(np.int64)})
    caps = pd.concat([caps_dom, caps_for], ignore_index=True)
    return caps, dom


def t_idx(year: int) -> int:
    return year - 2015


def make_supply_links(rng: np.random.Generator, f: Firms, dom: pd.DataFrame) -> pd.DataFrame:
    """Supply links of LINK_YEAR with exact item-level domestic shares and country splits."""
    t = template()
    items = t["items"]
    ds = designs()
    item_ids = items.item_id.to_numpy()
    pos = {iid: k for k, iid in enumerate(item_ids)}
    ni = len(item_ids)
    links = t["chain_links"].drop_duplicates(["input_item", "output_item"])
    lin = np.array([pos[i] for i in links.input_item])
    lout = np.array([pos[o] for o in links.output_item])
    lshare = links.share.to_numpy()
    order = np.argsort(lout, kind="stable")
    lin, lout, lshare = lin[order], lout[order], lshare[order]
    start = np.searchsorted(lout, np.arange(ni))
    count = np.searchsorted(lout, np.arange(ni), side="right") - start
    yi = t_idx(LINK_YEAR)
    rev = f.revenue[:, yi]
    buyers = np.flatnonzero((f.item_idx >= 0) & ~np.isnan(rev))
    buyers = buyers[count[f.item_idx[buyers]] > 0]
    k = count[f.item_idx[buyers]]
    pair_buyer = np.repeat(buyers, k)
    offs = np.arange(len(pair_buyer)) - np.repeat(np.cumsum(k) - k, k)
    li = np.repeat(start[f.item_idx[buyers]], k) + offs
    pair_item = lin[li]
    pair_need = rev[pair_buyer] * lshare[li] * PURCHASE_RATIO
    npairs = len(pair_buyer)
    # a cell is an (input item, chain of the buyer) pair: shares are made exact per cell
    chain_ids = list(t["chains"].chain_id)
    first_chain = t["chain_items"].drop_duplicates("item_id").set_index("item_id").chain_id
    item_chain = np.array([chain_ids.index(first_chain[i]) for i in item_ids])
    nch = len(chain_ids)
    pair_cell = pair_item * nch + item_chain[f.item_idx[pair_buyer]]
    # sources per pair
    m = rng.choice([1, 2, 3, 4], size=npairs, p=[0.3, 0.35, 0.25, 0.1])
    src_pair = np.repeat(np.arange(npairs), m)
    src_item = pair_item[src_pair]
    d_share = np.array([ds[i].domestic_share for i in item_ids])
    is_dom = rng.random(len(src_pair)) < d_share[src_item]
    w = rng.exponential(1.0, len(src_pair))
    wsum = np.bincount(src_pair, weights=w, minlength=npairs)
    value = pair_need[src_pair] * w / wsum[src_pair]
    # group of each source: 0 = domestic, 1.. = country index of the item's design
    countries = sorted({c for d in ds.values() for c in d.countries})
    cpos = {c: j + 1 for j, c in enumerate(countries)}
    cmat = np.zeros((ni, len(countries) + 1))
    for iid, d in ds.items():
        for c, s in d.countries.items():
            cmat[pos[iid], cpos[c]] = s
    cum = np.cumsum(cmat[:, 1:], axis=1)
    u = rng.random(len(src_pair)) * np.maximum(cum[src_item, -1], 1e-12)
    grp = 1 + (u[:, None] > cum[src_item]).sum(axis=1)
    grp = np.where(is_dom, 0, grp)
    # coverage: every group with a target share gets at least one source of the item
    target = cmat.copy()
    target[:, 0] = d_share
    target[:, 1:] *= (1 - d_share)[:, None]
    ncell = ni * nch
    have = np.zeros((ncell, target.shape[1]), dtype=bool)
    have[pair_cell[src_pair], grp] = True
    cell_target = np.repeat(target, nch, axis=0)
    miss_c, miss_g = np.nonzero((cell_target > 0) & ~have)
    pair_of_cell = pd.Series(np.arange(npairs)).groupby(pair_cell).first()
    ok = np.isin(miss_c, pair_of_cell.index.to_numpy())
    miss_c, miss_g = miss_c[ok], miss_g[ok]
    add_pair = pair_of_cell.reindex(miss_c).to_numpy()
    miss_i = miss_c // nch
    src_pair = np.concatenate([src_pair, add_pair])
    src_item = np.concatenate([src_item, miss_i])
    grp = np.concatenate([grp, miss_g])
    value = np.concatenate([value, 0.3 * pair_need[add_pair]])
    buyer = pair_buyer[src_pair]
    # pick the supplier: domestic by capacity within the item, foreign uniformly within item x country
    sup_firm = np.full(len(src_pair), -1, dtype=np.int64)
    dm = grp == 0
    dd = dom.sort_values(["item", "firm"]).reset_index(drop=True)
    dcum = np.cumsum(dd.capacity.to_numpy())
    d_start = np.searchsorted(dd.item.to_numpy(), np.arange(ni))
    d_end = np.searchsorted(dd.item.to_numpy(), np.arange(ni), side="right")
    base = np.where(d_start > 0, dcum[np.maximum(d_start - 1, 0)], 0.0)
    tot = np.where(d_end > d_start, dcum[np.maximum(d_end - 1, 0)] - base, 0.0)
    it = src_item[dm]
    r = base[it] + rng.random(int(dm.sum())) * tot[it]
    idx = np.clip(np.searchsorted(dcum, r, side="right"), d_start[it], np.maximum(d_end[it] - 1, d_start[it]))
    sup_firm[dm] = dd.firm.to_numpy()[idx]
    uscc = f.table.uscc.to_numpy()
    sup_id = np.empty(len(src_pair), dtype=object)
    sup_id[dm] = uscc[sup_firm[dm]]
    si = t["supplier_items"].copy()
    si["item"] = si.item_id.map(pos)
    si["grp"] = si.country.map(cpos)
    si = si.sort_values(["item", "grp", "supplier_id"]).reset_index(drop=True)
    key_si = si.item.to_numpy() * 100 + si.grp.to_numpy()
    fm = ~dm
    key = src_item[fm] * 100 + grp[fm]
    s0 = np.searchsorted(key_si, key)
    s1 = np.searchsorted(key_si, key, side="right")
    pick = s0 + np.floor(rng.random(int(fm.sum())) * (s1 - s0)).astype(np.int64)
    sup_id[fm] = si.supplier_id.to_numpy()[pick]
    df = pd.DataFrame({"supplier_id": sup_id, "is_dom": dm, "grp": grp, "buyer": buyer, "item": src_item,
                       "cell": pair_cell[src_pair], "value": value})
    df = df[~(df.is_dom & (sup_firm == df.buyer.to_numpy()))]
    df = df.groupby(["supplier_id", "buyer", "item"], sort=False, as_index=False).agg(
        value=("value", "sum"), grp=("grp", "first"), is_dom=("is_dom", "first"), cell=("cell", "first"))
    # exact rescaling per cell x group to the design
    tot_cell = df.groupby("cell").value.transform("sum").to_numpy()
    cur = df.groupby(["cell", "grp"]).value.transform("sum").to_numpy()
    tgt = target[df.item.to_numpy(), df.grp.to_numpy()] * tot_cell
    df["value"] = np.round(df.value.to_numpy() * tgt / cur, 2)
    df = df[df.value > 0]
    n = len(df)
    observed = rng.random(n) < OBSERVED_SHARE
    conf = np.where(observed, 1.0, np.round(rng.uniform(0.5, 0.95, n), 2))
    src = np.where(observed, np.where(df.is_dom.to_numpy(), "vat_invoice", "customs_declaration"),
                   "inferred_from_capability_and_template")
    out = pd.DataFrame({"supplier_id": df.supplier_id.to_numpy(),
                        "supplier_type": np.where(df.is_dom.to_numpy(), "enterprise", "foreign"),
                        "buyer_uscc": uscc[df.buyer.to_numpy()], "item_id": item_ids[df.item.to_numpy()],
                        "year": np.int32(LINK_YEAR), "value": df.value.to_numpy(),
                        "basis": np.where(observed, "observed", "inferred"), "confidence": conf, "source": src})
    # the previous year: 90% of the same links, values moved with the buyer's revenue
    prev_rev = f.revenue[:, yi - 1]
    b = df.buyer.to_numpy()
    keep = (rng.random(n) < 0.9) & ~np.isnan(prev_rev[b])
    prev = out[keep].copy()
    ratio = prev_rev[b[keep]] / rev[b[keep]]
    prev["year"] = np.int32(LINK_YEAR - 1)
    prev["value"] = np.round(prev.value.to_numpy() * ratio * rng.uniform(0.9, 1.1, int(keep.sum())), 2)
    out = pd.concat([out, prev[prev.value > 0]], ignore_index=True)
    return out.sort_values(["year", "item_id", "buyer_uscc", "supplier_id"], kind="stable").reset_index(drop=True)


def import_exposure() -> dict[str, float]:
    """Per output item: cost-share-weighted import dependence of its template inputs (0-1)."""
    t = template()
    ds = designs()
    lk = t["chain_links"].drop_duplicates(["input_item", "output_item"])
    imp = lk.input_item.map(lambda i: 1 - ds[i].domestic_share)
    g = (imp * lk.share).groupby(lk.output_item).sum() / lk.share.groupby(lk.output_item).sum()
    return g.to_dict()
