"""The demo chain atlas: template tables and the designed state of every item.

``atlas.yaml`` holds the six chains of ``CHAIN_ATLAS.md`` §1 (parsed once) plus the
demo's own choices: input cost shares, end-product values and planted states.
Everything here is independent of ``n_firms`` and ``seed``: the planted truth is a
property of the template, and the generator only realises it in firm-level data.

Item design (``ItemDesign``): the target domestic share ``d`` of the province's
purchase value of the item, the split of imports by country, and the best domestic
technology level. The generator rescales supply-link values so that these targets
hold exactly over all buyers of the item in the latest year.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from reforge.settings.yaml_files import safe_load

ATLAS_PATH = Path(__file__).with_name("atlas.yaml")
FRONTIER = 5

# Thresholds of the chain issue (issue 3) used to state the expected label.
IMPORT_DEP_MIN = 0.5
TOP_COUNTRY_MIN = 0.5
REACH_MIN = 0.2
WEAK_SHARE_MAX = 0.3
WEAK_GAP_MIN = 2


@dataclass(frozen=True)
class ItemDesign:
    """Designed supply structure of one item (shares are fractions 0-1)."""

    item_id: str
    state: str                       # blank | chokepoint | weak | sound (designed)
    domestic_share: float            # share of purchase value from domestic firms
    countries: dict[str, float]      # share of import value per ISO-2 country (sums to 1 if imports)
    best_tech: int | None            # best domestic tech level (None when blank)
    planted: bool = False            # chosen explicitly (see PLANTED.md) rather than by the default rule
    note: str = ""
    chains: tuple[str, ...] = field(default_factory=tuple)

    @property
    def top_country(self) -> tuple[str | None, float]:
        if not self.countries:
            return None, 0.0
        c = max(self.countries, key=lambda k: (self.countries[k], k))
        return c, self.countries[c]


@lru_cache(maxsize=1)
def load_atlas() -> dict:
    """The parsed ``atlas.yaml``."""
    with ATLAS_PATH.open(encoding="utf-8") as fh:
        return safe_load(fh)


def _unit(key: str) -> float:
    """A deterministic number in [0, 1) from a string (design choices that must not depend on the seed)."""
    return (zlib.crc32(key.encode()) % 10_000) / 10_000


def supplier_id(name: str, country: str) -> str:
    """Stable id such as ``F-JP-NABTESCO``."""
    slug = re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")
    return f"F-{country}-{slug}"


@lru_cache(maxsize=1)
def template() -> dict[str, pd.DataFrame]:
    """chains, items, chain_items, chain_links, foreign_suppliers and the supplier-item list."""
    atlas = load_atlas()
    chains, items, chain_items, links, sups, sup_items = [], {}, [], [], {}, []
    for ch in atlas["chains"]:
        cid = ch["chain_id"]
        chains.append({"chain_id": cid, "name": ch["name"], "name_zh": ch["name_zh"],
                       "description": ch["description"]})
        ids = [it["id"] for it in ch["items"]]
        n_in: dict[str, int] = dict.fromkeys(ids, 0)
        for it in ch["items"]:
            for f in it["feeds"]:
                n_in[f["item"]] += 1
        for it in ch["items"]:
            iid = it["id"]
            items.setdefault(iid, {"item_id": iid, "name": it["name"], "name_zh": it["name_zh"],
                                   "foundation": it["foundation"], "hs_code": it.get("hs"),
                                   "frontier_level": FRONTIER, "industry": it["industry"]})
            end = not it["feeds"]
            seg = "downstream" if end else ("upstream" if n_in[iid] == 0 else "midstream")
            chain_items.append({"chain_id": cid, "item_id": iid, "segment": seg, "is_end_product": end,
                                "end_value": float(it["end_value"]) if end else None,
                                "status_note": it["position"]})
            for s in it["suppliers"]:
                sid = supplier_id(s["name"], s["country"])
                sups[sid] = {"supplier_id": sid, "name": s["name"], "country": s["country"]}
                sup_items.append({"supplier_id": sid, "item_id": iid, "country": s["country"]})
        # input cost shares per output: given shares kept, the others split 70% of the rest
        by_out: dict[str, list[tuple[str, float | None]]] = {}
        for it in ch["items"]:
            for f in it["feeds"]:
                by_out.setdefault(f["item"], []).append((it["id"], f.get("share")))
        for out, ins in by_out.items():
            given = sum(s for _, s in ins if s is not None)
            free = [i for i, s in ins if s is None]
            rest = max(0.85 - given, 0.02 * len(free)) / len(free) if free else 0.0
            rest = min(rest, 0.25)
            scale = min(1.0, 0.98 / (given + rest * len(free)))
            for inp, s in ins:
                share = round((s if s is not None else rest) * scale, 4)
                crit = 1.0 if items[inp]["foundation"] in ("component", "material", "equipment",
                                                           "electronic_component") else 0.7
                links.append({"chain_id": cid, "input_item": inp, "output_item": out,
                              "share": float(share), "criticality": crit})
    si = pd.DataFrame(sup_items).drop_duplicates(["supplier_id", "item_id"]).reset_index(drop=True)
    return {"chains": pd.DataFrame(chains), "items": pd.DataFrame(list(items.values())),
            "chain_items": pd.DataFrame(chain_items), "chain_links": pd.DataFrame(links),
            "foreign_suppliers": pd.DataFrame(list(sups.values())), "supplier_items": si}


def downstream_reach(chain_id: str) -> dict[str, float]:
    """Share of the chain's end-product value reachable from each item through the template."""
    t = template()
    ci = t["chain_items"][t["chain_items"].chain_id == chain_id]
    lk = t["chain_links"][t["chain_links"].chain_id == chain_id]
    succ: dict[str, list[str]] = {}
    for a, b in zip(lk.input_item, lk.output_item, strict=True):
        succ.setdefault(a, []).append(b)
    ev = {r.item_id: (r.end_value or 0.0) for r in ci.itertuples() if r.is_end_product}
    total = sum(ev.values())
    out = {}
    for item in ci.item_id:
        seen, stack = {item}, [item]
        while stack:
            for nxt in succ.get(stack.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[item] = sum(ev.get(x, 0.0) for x in seen) / total if total else 0.0
    return out


def expected_label(d: ItemDesign, reach: float) -> str:
    """The label issue 3's definitions give to this design (blank before chokepoint before weak)."""
    if d.best_tech is None:
        return "blank"
    _, top = d.top_country
    if 1 - d.domestic_share >= IMPORT_DEP_MIN and top >= TOP_COUNTRY_MIN and reach >= REACH_MIN:
        return "chokepoint"
    if d.domestic_share < WEAK_SHARE_MAX or FRONTIER - d.best_tech >= WEAK_GAP_MIN:
        return "weak"
    return "sound"


def _countries_by_count(iid: str, si: pd.DataFrame) -> list[str]:
    cs = si[si.item_id == iid].country.tolist()
    order = sorted(set(cs), key=lambda c: (-cs.count(c), cs.index(c)))
    return order


@lru_cache(maxsize=1)
def designs() -> dict[str, ItemDesign]:
    """The designed state of every item (planted ones from ``atlas.yaml``, the rest by rule).

    Default rule for items not planted explicitly, from the atlas' China position:
    no foreign supplier -> sound, all domestic; ``sound`` or ``weak→sound`` -> sound
    (domestic share 0.60-0.90, best level 4-5); ``weak`` -> weak by technology (share
    0.55-0.70, best level 3); ``chokepoint`` -> chokepoint (share 0.33-0.45, one country
    0.70 of imports) when its downstream reach is >= 0.2, else weak by share (0.20).
    """
    atlas = load_atlas()
    t = template()
    si = t["supplier_items"]
    reach_all = {c["chain_id"]: downstream_reach(c["chain_id"]) for c in atlas["chains"]}
    chains_of: dict[str, list[str]] = {}
    entries: dict[str, dict] = {}
    for ch in atlas["chains"]:
        for it in ch["items"]:
            chains_of.setdefault(it["id"], []).append(ch["chain_id"])
            entries.setdefault(it["id"], it)
    out: dict[str, ItemDesign] = {}
    for iid, it in entries.items():
        cs = _countries_by_count(iid, si)
        u = _unit(iid)
        min_reach = min(reach_all[c][iid] for c in chains_of[iid])
        plant = it.get("plant")
        chains = tuple(chains_of[iid])
        if plant:
            state = plant["state"]
            if state == "blank":
                out[iid] = ItemDesign(iid, "blank", 0.0, dict(plant["countries"]), None, True, chains=chains)
                continue
            d = float(plant["d"])
            countries = dict(plant.get("countries") or _even(cs))
            best = FRONTIER - int(plant.get("tech_gap", 1 if state != "sound" else 0))
            out[iid] = ItemDesign(iid, state, d, countries if d < 1 else {}, best, True, chains=chains)
            continue
        pos = it["position"].lower()
        terminal = all(iid not in set(t["chain_links"][t["chain_links"].chain_id == c].input_item)
                       for c in chains_of[iid])
        if terminal:
            # nobody in the province buys it as an input: only the technology gap can make it weak
            good = pos.startswith("sound") or pos.startswith("weak→sound")
            out[iid] = ItemDesign(iid, "sound" if good else "weak", round(0.60 + 0.30 * u, 3) if cs else 1.0,
                                  _even(cs), (5 if u < 0.4 else 4) if good else 3, chains=chains,
                                  note="end product sold to final demand: no purchases in supply_links")
        elif not cs:
            out[iid] = ItemDesign(iid, "sound", 1.0, {}, 5 if u < 0.5 else 4, chains=chains,
                                  note="no foreign supplier in the atlas")
        elif pos.startswith("sound") or pos.startswith("weak→sound"):
            out[iid] = ItemDesign(iid, "sound", round(0.60 + 0.30 * u, 3), _even(cs), 5 if u < 0.4 else 4,
                                  chains=chains)
        elif pos.startswith("chokepoint") and min_reach >= REACH_MIN:
            top = cs[0]
            rest = cs[1:]
            countries = {top: 1.0} if not rest else {top: 0.7, **{c: 0.3 / len(rest) for c in rest}}
            out[iid] = ItemDesign(iid, "chokepoint", round(0.33 + 0.12 * u, 3), countries, 4, chains=chains)
        elif pos.startswith("chokepoint"):
            out[iid] = ItemDesign(iid, "weak", 0.20, _even(cs), 4, chains=chains,
                                  note="atlas chokepoint with small downstream reach: weak by share")
        else:
            out[iid] = ItemDesign(iid, "weak", round(0.55 + 0.15 * u, 3), _even(cs), 3, chains=chains)
    # self-check: the designed state is the label issue 3's rules give, in every chain
    for iid, d in out.items():
        for c in d.chains:
            lab = expected_label(d, reach_all[c][iid])
            if lab != d.state:
                raise AssertionError(f"design of {iid} in {c}: state {d.state} but rules give {lab}")
    return out


def _even(cs: list[str]) -> dict[str, float]:
    return {c: 1.0 / len(cs) for c in cs} if cs else {}
