"""An independent in-memory threshold cascade (plain dicts, no SQL) and random layered networks."""

from __future__ import annotations

import random
from collections import defaultdict
from fractions import Fraction

import pandas as pd


def cascade_reference(links: list[tuple[str, str, str, float]], removed: set[str], threshold: float,
                      removed_items: frozenset[str] = frozenset()) -> tuple[dict[str, int], float]:
    """Round-synchronous cascade: returns ({firm: round disrupted}, lost value).

    ``links`` = (supplier, buyer, item, value). A buyer is disrupted when for some item
    the lost share of its purchases exceeds ``threshold``; checked against the set
    that is down at the start of each round. Exact arithmetic: values are whole cents
    and shares are ``Fraction``s compared with the threshold's decimal fraction.
    """
    thr = Fraction(repr(float(threshold)))
    total: dict[tuple[str, str], int] = defaultdict(int)
    for _s, b, i, v in links:
        total[(b, i)] += round(v * 100)
    down: dict[str, int] = {f: 0 for f in removed}
    k = 0
    while True:
        k += 1
        lost: dict[tuple[str, str], int] = defaultdict(int)
        for s, b, i, v in links:
            if s in down or i in removed_items:
                lost[(b, i)] += round(v * 100)
        new = {b for (b, i), x in lost.items() if b not in down and total[(b, i)] > 0
               and Fraction(x, total[(b, i)]) > thr}
        if not new:
            break
        for b in new:
            down[b] = k
    lost_value = sum(v for s, _b, i, v in links if s in down or i in removed_items)
    return {f: r for f, r in down.items() if r > 0}, lost_value


def random_layered(seed: int, layers: int = 4, width: int = 6, items_per_layer: int = 2,
                   max_suppliers: int = 3, n_foreign: int = 3, prefix: str = "") -> pd.DataFrame:
    """A random layered supply network as supply_links rows (year 2024).

    Layer-0 suppliers are foreign (``F<j>``: country JP/DE/US by j mod 3); each firm of
    layer k >= 1 buys one to ``items_per_layer`` items made in layer k - 1, each from
    1..max_suppliers suppliers with random integer values (so shares sometimes tie at
    0.5). ``prefix`` goes before every firm and item id (to union independent networks).
    """
    rng = random.Random(seed)
    firms: list[list[str]] = [[f"{prefix}F{j}" for j in range(n_foreign)]]
    for k in range(1, layers):
        firms.append([f"{prefix}E{k}_{j}" for j in range(width)])
    rows = []
    for k in range(1, layers):
        items = [f"{prefix}I{k - 1}_{m}" for m in range(items_per_layer)]
        for b in firms[k]:
            for it in rng.sample(items, rng.randint(1, len(items))):
                sup = rng.sample(firms[k - 1], min(len(firms[k - 1]), rng.randint(1, max_suppliers)))
                for s in sup:
                    rows.append((s, "foreign" if s[len(prefix):].startswith("F") else "enterprise", b, it, 2024,
                                 float(rng.randint(1, 6))))
    return pd.DataFrame(rows, columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year",
                                       "value"])


def network_tables(links: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Minimal tables simulate() needs around a supply_links frame."""
    ent = sorted(set(links.loc[links.supplier_type == "enterprise", "supplier_id"]) | set(links.buyer_uscc))
    fo = sorted(set(links.loc[links.supplier_type == "foreign", "supplier_id"]))
    items = sorted(set(links.item_id))
    return {
        "supply_links": links,
        "enterprises": pd.DataFrame({"uscc": ent, "name": ent, "province_code": ["320000"] * len(ent)}),
        "foreign_suppliers": pd.DataFrame({"supplier_id": fo, "name": fo,
                                           "country": [country_of(f) for f in fo]}),
        "items": pd.DataFrame({"item_id": items, "name": items, "name_zh": items,
                               "foundation": ["component"] * len(items)}),
    }


def country_of(foreign_id: str) -> str:
    """Country of a generated foreign supplier ``[prefix]F<j>``: JP, DE, US by j mod 3."""
    return ["JP", "DE", "US"][int(foreign_id.rsplit("F", 1)[1]) % 3]
