"""Disruption simulation (``reforge chain simulate``): remove producers, propagate, report.

The shock: ``remove_country`` (ISO-2; every foreign supplier of that country),
``remove_firm`` (an enterprise USCC or a foreign supplier id), ``remove_region``
(a GB/T 2260 code; enterprises whose province, city or county code equals it) and
``remove_item`` (every supply link of that item stops). Several may be combined.
Propagation: ``cascade.run_cascade`` over the year's ``supply_links``.

Reported: ``disrupted_firms`` (firms disrupted by the cascade, not counting the
removed ones), ``lost_value`` (CNY: value of every supply link of the year that
stops because its supplier is removed or disrupted, or its item is removed),
``rounds`` (propagation rounds that disrupted at least one firm), ``by_item``
(lost value, lost links and buyers disrupted through each item) and ``by_chain``
(lost value, items hit, disrupted firms trading chain items, end products hit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from reforge.chain.cascade import cents, run_cascade, share_exceeds
from reforge.chain.graph import require_tables
from reforge.chain.metrics import resolve_year
from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError

SIM_TABLES = {
    "supply_links": ("supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"),
    "foreign_suppliers": ("supplier_id", "country"),
    "enterprises": ("uscc", "province_code"),
}


@dataclass
class Simulation:
    """Result of one disruption scenario."""

    disrupted_firms: list[str]
    lost_value: float
    rounds: int
    by_chain: list[dict]
    by_item: list[dict]
    removed: list[str] = field(default_factory=list)
    scenario: dict = field(default_factory=dict)
    year: int | None = None
    region: str | None = None  # the GB/T 2260 region the report covers (None: all)

    @property
    def disrupted_firms_count(self) -> int:
        return len(self.disrupted_firms)

    def to_dict(self) -> dict:
        """The JSON contract: disrupted_firms_count, lost_value, disrupted_firms, rounds, by_chain, by_item."""
        return {"disrupted_firms_count": self.disrupted_firms_count, "lost_value": self.lost_value,
                "disrupted_firms": list(self.disrupted_firms), "rounds": self.rounds,
                "by_chain": [dict(r) for r in self.by_chain], "by_item": [dict(r) for r in self.by_item]}

    def to_frame(self) -> pd.DataFrame:
        """One row per affected item."""
        return pd.DataFrame(self.by_item, columns=["item_id", "name", "lost_value", "lost_links",
                                                   "disrupted_buyers"])


def links_sql(year: int | None) -> str:
    """The year's supply links as ``(supplier_id, buyer_id, item_id, value)``."""
    yf = f"WHERE year = {int(year)}" if year is not None else ""
    return (f"SELECT supplier_id, buyer_uscc AS buyer_id, item_id, CAST(value AS DOUBLE) AS value "
            f"FROM supply_links {yf}")


def _validate_threshold(loss_threshold: float) -> float:
    if isinstance(loss_threshold, bool) or not isinstance(loss_threshold, (int, float)):
        raise ReforgeError(f"loss threshold must be a number in [0, 1), got {loss_threshold!r}")
    t = float(loss_threshold)
    if not (0.0 <= t < 1.0):
        raise ReforgeError(f"loss threshold must be in [0, 1), got {loss_threshold!r}")
    return t


def _seed_sql(engine: Engine, remove_country: str | None, remove_firm: str | None,
              remove_region: str | None) -> str:
    """The seed ids as SQL text (kept for an intermediate table, so the checked values are
    inlined as constants through ``sqlbuild.literal``)."""
    parts: list[str] = []
    if remove_country is not None:
        cc = str(remove_country).strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", cc):
            raise ReforgeError(f"the country to remove needs an ISO 3166 alpha-2 code like JP, got {remove_country!r}",
                               code="chain.simulate.bad_country", params={"value": str(remove_country)[:40]})
        parts.append(f"SELECT supplier_id AS id FROM foreign_suppliers WHERE UPPER(country) = {literal(cc)}")
    if remove_firm is not None:
        fid = str(remove_firm).strip()
        n = engine.fetch_scalar(
            "SELECT (SELECT COUNT(*) FROM enterprises WHERE uscc = $id) + "
            "(SELECT COUNT(*) FROM foreign_suppliers WHERE supplier_id = $id) + "
            "(SELECT COUNT(*) FROM supply_links WHERE supplier_id = $id)", {"id": fid})
        if not n:
            raise ReforgeError(f"unknown firm {fid!r}: not an enterprise USCC, foreign supplier id or supplier",
                               code="chain.simulate.unknown_firm", params={"firm": fid[:80]})
        parts.append(f"SELECT {literal(fid)} AS id")
    if remove_region is not None:
        code = str(remove_region).strip()
        if not re.fullmatch(r"\d{6}", code):
            raise ReforgeError(f"the region to remove needs a 6-digit GB/T 2260 code, got {remove_region!r}",
                               code="chain.simulate.bad_region", params={"value": str(remove_region)[:40]})
        cols = set(engine.columns("enterprises"))
        conds = [f"{c} = {literal(code)}" for c in ("province_code", "city_code", "county_code") if c in cols]
        parts.append(f"SELECT uscc AS id FROM enterprises WHERE {' OR '.join(conds)}")
    if not parts:
        return "SELECT CAST(NULL AS VARCHAR) AS id WHERE 1 = 0"
    return " UNION ".join(parts)


def simulate(engine: Engine, *, remove_country: str | None = None, remove_firm: str | None = None,
             remove_region: str | None = None, remove_item: str | None = None,
             loss_threshold: float = 0.5, year: int | None = None, region: str | None = None) -> Simulation:
    """Remove producers (and/or an item), propagate disruption to the fixed point, report.

    ``region`` (GB/T 2260 code, issue 19): the cascade runs over the whole network (a region's
    firms buy from anywhere), but the report covers that region's firms only: its disrupted and
    removed firms (foreign suppliers stay), the value its buyers lose, per item and chain."""
    if all(v is None for v in (remove_country, remove_firm, remove_region, remove_item)):
        raise ReforgeError("give at least one of remove_country, remove_firm, remove_region, remove_item")
    thr = _validate_threshold(loss_threshold)
    require_tables(engine, SIM_TABLES)
    y = resolve_year(engine, year)
    scenario = {k: v for k, v in (("remove_country", remove_country), ("remove_firm", remove_firm),
                                  ("remove_region", remove_region), ("remove_item", remove_item),
                                  ("loss_threshold", thr), ("year", y)) if v is not None}
    with engine.scratch() as scratch:
        links = engine.temp_name("sim_links")
        scratch.append(links)
        engine.materialize(links, links_sql(y))
        seeds = engine.temp_name("sim_seeds")
        scratch.append(seeds)
        engine.materialize(seeds, f"SELECT DISTINCT 'S' AS seed, CAST(id AS VARCHAR) AS id "
                                  f"FROM ({_seed_sql(engine, remove_country, remove_firm, remove_region)}) s "
                                  f"WHERE id IS NOT NULL")
        dead0 = None
        item_cond = "1 = 0"
        if remove_item is not None:
            iid = str(remove_item)
            if not engine.fetch_scalar("SELECT COUNT(*) FROM items WHERE item_id = ?", [iid]):
                raise ReforgeError(f"unknown item {iid!r}", code="chain.simulate.unknown_item",
                                   params={"item": iid[:80]})
            dead0 = engine.temp_name("sim_dead0")
            scratch.append(dead0)
            engine.materialize(dead0, f"SELECT 'S' AS seed, buyer_id, item_id, value AS lost FROM {links} "
                                      f"WHERE item_id = {literal(iid)}")  # (kept as a table: inlined)
            item_cond = f"l.item_id = {literal(iid)}"
        res = run_cascade(engine, links, seeds, thr, scratch, dead0=dead0, unique_links=True)  # the key
        down = engine.fetch_df(f"SELECT id, rnd FROM {res.down} ORDER BY rnd, id")
        removed = down.loc[down["rnd"] == 0, "id"].tolist()
        disrupted = down.loc[down["rnd"] > 0, "id"].tolist()
        dead = engine.temp_name("sim_dead")
        scratch.append(dead)
        engine.materialize(dead, f"""
SELECT l.supplier_id, l.buyer_id, l.item_id, l.value FROM {links} l
LEFT JOIN {res.down} d ON d.id = l.supplier_id
WHERE d.id IS NOT NULL OR {item_cond}""")
        down = res.down
        if region is not None:  # report the region's buyers and firms only
            from reforge.region import region_condition
            cond = region_condition(region, "e")
            dead_r, down_r = engine.temp_name("sim_dead_r"), engine.temp_name("sim_down_r")
            scratch += [dead_r, down_r]
            engine.materialize(dead_r, f"SELECT x.* FROM {dead} x JOIN enterprises e ON e.uscc = x.buyer_id "
                                       f"WHERE {cond}")
            engine.materialize(down_r, f"SELECT d.* FROM {res.down} d LEFT JOIN enterprises e ON e.uscc = d.id "
                                       f"WHERE {cond} OR (d.rnd = 0 AND e.uscc IS NULL)")  # + foreign seeds
            dead, down = dead_r, down_r
            kept = engine.fetch_df(f"SELECT id, rnd FROM {down} ORDER BY rnd, id")
            removed = kept.loc[kept["rnd"] == 0, "id"].tolist()
            disrupted = kept.loc[kept["rnd"] > 0, "id"].tolist()
        # sums in integer cents: exact, and the same on every engine
        lost_value = float(engine.fetch_scalar(
            f"SELECT COALESCE(SUM({cents('value')}), 0) FROM {dead}") or 0) / 100
        by_item = engine.fetch_df(f"""
WITH li AS (SELECT item_id, CAST(SUM({cents('value')}) AS DOUBLE) / 100 AS lost_value, COUNT(*) AS lost_links
           FROM {dead} GROUP BY item_id),
via AS (
  SELECT a.item_id, COUNT(DISTINCT a.buyer_id) AS disrupted_buyers
  FROM {res.acc} a JOIN {down} d ON d.id = a.buyer_id AND d.rnd > 0
  WHERE {share_exceeds('a.lost', 'a.total', thr)} GROUP BY a.item_id
)
SELECT li.item_id, i.name, CAST(li.lost_value AS DOUBLE) AS lost_value,
       CAST(li.lost_links AS BIGINT) AS lost_links,
       CAST(COALESCE(via.disrupted_buyers, 0) AS BIGINT) AS disrupted_buyers
FROM li LEFT JOIN via ON via.item_id = li.item_id LEFT JOIN items i ON i.item_id = li.item_id
ORDER BY lost_value DESC, li.item_id""")
        by_chain = _by_chain(engine, dead, down, links)
    return Simulation(disrupted_firms=[str(x) for x in disrupted], lost_value=lost_value,
                      rounds=int(res.rounds), by_chain=by_chain,
                      by_item=[_rec(r) for r in by_item.to_dict(orient="records")],
                      removed=[str(x) for x in removed], scenario=scenario, year=y, region=region)


def _rec(r: dict) -> dict:
    out = {}
    for k, v in r.items():
        if hasattr(v, "item") and not isinstance(v, str):
            v = v.item()
        out[k] = None if isinstance(v, float) and v != v else v
    return out


def _by_chain(engine: Engine, dead: str, down: str, links: str) -> list[dict]:
    """Per chain: lost value, items hit, disrupted firms trading its items, end products hit."""
    if not (engine.table_exists("chain_items") and engine.table_exists("chains")):
        return []
    ci_cols = set(engine.columns("chain_items"))
    endp = "ci.is_end_product" if "is_end_product" in ci_cols else "CAST(NULL AS BOOLEAN)"
    cap = ""
    if engine.table_exists("capabilities"):
        cap = (f"UNION SELECT c.item_id FROM capabilities c JOIN {down} d ON d.id = c.producer_id")
    df = engine.fetch_df(f"""
WITH lost AS (SELECT item_id, CAST(SUM({cents('value')}) AS DOUBLE) / 100 AS v FROM {dead} GROUP BY item_id),
hit_items AS (SELECT item_id FROM {dead} {cap}),
dfirms AS (
  SELECT DISTINCT ci.chain_id, x.id FROM chain_items ci JOIN (
    SELECT sl.item_id, d.id FROM {links} sl JOIN {down} d ON d.rnd > 0 AND d.id = sl.buyer_id
    UNION SELECT sl.item_id, d.id FROM {links} sl JOIN {down} d ON d.rnd > 0 AND d.id = sl.supplier_id
  ) x ON x.item_id = ci.item_id
),
per AS (
  SELECT ci.chain_id, SUM(COALESCE(l.v, 0)) AS lost_value,
         SUM(CASE WHEN l.v > 0 THEN 1 ELSE 0 END) AS items_hit
  FROM chain_items ci LEFT JOIN lost l ON l.item_id = ci.item_id GROUP BY ci.chain_id
),
ends AS (
  SELECT DISTINCT ci.chain_id, ci.item_id FROM chain_items ci
  JOIN hit_items h ON h.item_id = ci.item_id WHERE {endp}
)
SELECT p.chain_id, CAST(p.lost_value AS DOUBLE) AS lost_value, CAST(p.items_hit AS BIGINT) AS items_hit,
       CAST(COALESCE(f.n, 0) AS BIGINT) AS disrupted_firms, e.item_id AS end_product
FROM per p
LEFT JOIN (SELECT chain_id, COUNT(*) AS n FROM dfirms GROUP BY chain_id) f ON f.chain_id = p.chain_id
LEFT JOIN ends e ON e.chain_id = p.chain_id
ORDER BY p.chain_id, e.item_id""")
    out: list[dict] = []
    for cid, g in df.groupby("chain_id", sort=True):
        first = g.iloc[0]
        ends = sorted(str(x) for x in g["end_product"].dropna().unique())
        row = {"chain_id": str(cid), "lost_value": float(first["lost_value"]),
               "items_hit": int(first["items_hit"]), "disrupted_firms": int(first["disrupted_firms"]),
               "end_products_affected": ends}
        if row["lost_value"] > 0 or row["disrupted_firms"] > 0 or ends:
            out.append(row)
    out.sort(key=lambda r: (-r["lost_value"], r["chain_id"]))
    return out
