"""The matching SQL: candidate generation and hard filters, set-based on either engine.

One statement per step, DuckDB dialect kept to the portable core (sqlglot transpiles it for
Spark). Values are bound with ``$name`` markers; the only names written into the text are
the generated marker names of ``IN`` lists (``$dk0``, ``$dk1``, ...).

Inputs: ``demands``, ``enterprises``, ``capabilities``, ``offers``, ``supply_links``,
``credit_records``, ``designations`` (and ``chain_items`` for the degree per chain).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reforge.engine.sqlbuild import in_list  # re-exported: callers use q.in_list

NEIGHBOURS_SQL = """
  SELECT DISTINCT a.input_item AS item_id, b.input_item AS near
  FROM chain_links a JOIN chain_links b
    ON a.chain_id = b.chain_id AND a.output_item = b.output_item AND a.input_item <> b.input_item
  UNION SELECT input_item AS item_id, output_item AS near FROM chain_links
  UNION SELECT output_item AS item_id, input_item AS near FROM chain_links"""
"""Pairs (item, near item) of a chain template: inputs of the same output, or linked directly."""


def candidates_sql(dishonesty_kinds: Sequence[str], designation_kinds: Sequence[str],
                   demand_ids: Sequence[str] | None, neighbours: bool = False,
                   shortlist: str | None = None, inferred: str | None = None) -> tuple[str, dict[str, Any]]:
    """SQL (and bindings except ``as_of``) giving one row per (demand, domestic candidate).

    A candidate is an enterprise other than the buyer that has a capability on the demanded
    item, an offer on it, or it as its main product (``via_item`` = the demanded item,
    ``near`` false). With ``neighbours`` (needs ``chain_links`` and ``items``), an enterprise
    with no such tie but a capability or offer on a neighbouring item - same ``foundation``
    and, in a chain template, an input of the same output or linked directly - is a candidate
    too, through the first such item by id (``via_item``, ``near`` true). Columns: the demand's
    fields, the candidate's level and spare capacity on ``via_item`` (offer capacity, else the
    capability's spare capacity, else capacity minus its sales of the item in its latest
    supply_links year), province, the number of active dishonesty records, an active
    designation flag, past supply to the buyer, the latest tax credit rating recorded by ``as_of``
    (``tax_rating``), and the hard-filter flags ``x_dishonest``,
    ``x_level``, ``x_capacity``, ``x_region``.

    ``shortlist`` (a validated name of a ``(demand_id, producer_id)`` table; at scale): the
    exact candidates are the listed pairs only, and there are no neighbour candidates.

    ``inferred`` (a validated name of a ``(demand_id, item_id)`` table): the item proposed from
    the words of a demand recorded without one; such a demand is matched on it and its rows have
    ``item_from_text`` true.
    """
    dk, dk_bind = in_list("dk", list(dishonesty_kinds))
    gk, gk_bind = in_list("gk", list(designation_kinds))
    only, only_bind = in_list("dm", list(demand_ids or []))
    demand_filter = f"AND d.demand_id IN {only}" if demand_ids is not None else ""
    sql = f"""
WITH d AS (
  SELECT d.demand_id, d.uscc AS buyer, {{item}} AS item_id, {{from_text}} AS item_from_text,
         COALESCE(d.kind, 'purchase') AS kind, d.text AS demand_text,
         d.value, d.required_level, d.region_code, COALESCE(d.region_only, FALSE) AS region_only,
         b.province_code AS buyer_province
  FROM demands d LEFT JOIN enterprises b ON b.uscc = d.uscc{{inferred}}
  WHERE {{item}} IS NOT NULL {demand_filter}
),
cap AS (
  SELECT producer_id, item_id, MAX(tech_level) AS cap_level, SUM(capacity) AS capacity,
         SUM(spare_capacity) AS spare
  FROM capabilities WHERE producer_type = 'enterprise' GROUP BY producer_id, item_id
),
latest AS (
  SELECT supplier_id, item_id, MAX(year) AS y FROM supply_links
  WHERE supplier_type = 'enterprise' GROUP BY supplier_id, item_id
),
sold AS (
  SELECT s.supplier_id, s.item_id, SUM(s.value) AS sold
  FROM supply_links s JOIN latest l ON s.supplier_id = l.supplier_id AND s.item_id = l.item_id AND s.year = l.y
  WHERE s.supplier_type = 'enterprise' GROUP BY s.supplier_id, s.item_id
),
off AS (
  SELECT provider_id, item_id, MAX(tech_level) AS off_level, SUM(capacity) AS off_capacity
  FROM offers WHERE provider_type = 'enterprise' AND item_id IS NOT NULL GROUP BY provider_id, item_id
),
keys AS (
  SELECT producer_id, item_id FROM cap
  UNION SELECT provider_id, item_id FROM off
  UNION SELECT uscc, main_item_id FROM enterprises WHERE main_item_id IS NOT NULL
),
exact AS (
  {{exact}}
),{{near_cte}}
pairs AS (
  SELECT * FROM exact{{near_union}}
),
bad AS (
  SELECT uscc, COUNT(*) AS n_bad FROM credit_records
  WHERE kind IN {dk} AND recorded_on <= CAST($as_of AS DATE)
    AND (expires_on IS NULL OR expires_on > CAST($as_of AS DATE))
  GROUP BY uscc
),
honour AS (
  SELECT uscc, COUNT(*) AS n_honours FROM designations
  WHERE kind IN {gk} AND granted_on <= CAST($as_of AS DATE)
    AND (expires_on IS NULL OR expires_on > CAST($as_of AS DATE))
    AND COALESCE(status, 'active') NOT IN ('revoked', 'expired')
  GROUP BY uscc
),
tax AS (
  SELECT uscc, value AS tax_rating FROM (
    SELECT uscc, value, ROW_NUMBER() OVER (PARTITION BY uscc ORDER BY recorded_on DESC, record_id DESC) AS rn
    FROM credit_records WHERE kind = 'tax_rating' AND recorded_on <= CAST($as_of AS DATE)
  ) t WHERE rn = 1
),
rel AS (
  SELECT supplier_id, buyer_uscc, SUM(value) AS past_value FROM supply_links
  WHERE supplier_type = 'enterprise' GROUP BY supplier_id, buyer_uscc
),
c AS (
  SELECT d.*, k.producer_id, k.via_item, k.near, p.name AS producer_name, p.province_code AS producer_province,
         p.main_product,
         cap.producer_id IS NOT NULL AS has_capability, off.provider_id IS NOT NULL AS has_offer,
         CASE WHEN cap.cap_level IS NULL THEN off.off_level WHEN off.off_level IS NULL THEN cap.cap_level
              WHEN cap.cap_level > off.off_level THEN cap.cap_level ELSE off.off_level END AS tech_level,
         COALESCE(off.off_capacity, cap.spare, cap.capacity - COALESCE(sold.sold, 0)) AS spare_capacity,
         COALESCE(bad.n_bad, 0) AS n_dishonest, COALESCE(honour.n_honours, 0) > 0 AS designated,
         COALESCE(rel.past_value, 0) AS past_value, tax.tax_rating
  FROM d
  JOIN pairs k ON k.demand_id = d.demand_id
  JOIN enterprises p ON p.uscc = k.producer_id
  LEFT JOIN cap ON cap.producer_id = k.producer_id AND cap.item_id = k.via_item
  LEFT JOIN off ON off.provider_id = k.producer_id AND off.item_id = k.via_item
  LEFT JOIN sold ON sold.supplier_id = k.producer_id AND sold.item_id = k.via_item
  LEFT JOIN bad ON bad.uscc = k.producer_id
  LEFT JOIN honour ON honour.uscc = k.producer_id
  LEFT JOIN rel ON rel.supplier_id = k.producer_id AND rel.buyer_uscc = d.buyer
  LEFT JOIN tax ON tax.uscc = k.producer_id
  WHERE k.producer_id <> d.buyer
)
SELECT c.*,
       n_dishonest > 0 AS x_dishonest,
       (required_level IS NOT NULL AND (tech_level IS NULL OR tech_level < required_level)) AS x_level,
       (spare_capacity IS NOT NULL AND spare_capacity <= 0) AS x_capacity,
       (region_only AND region_code IS NOT NULL
        AND (producer_province IS NULL OR producer_province <> region_code)) AS x_region
FROM c
ORDER BY demand_id, producer_id
"""
    exact = ("SELECT d.demand_id, k.producer_id, d.item_id AS via_item, FALSE AS near\n"
             "  FROM d JOIN keys k ON k.item_id = d.item_id")
    if shortlist is not None:
        from reforge.engine.sqlbuild import ident
        exact = ("SELECT d.demand_id, s.producer_id, d.item_id AS via_item, FALSE AS near\n"
                 f"  FROM d JOIN {ident(shortlist, 'table')} s ON s.demand_id = d.demand_id")
        neighbours = False
    sql = sql.replace("{exact}", exact)
    if inferred is not None:
        from reforge.engine.sqlbuild import ident
        sql = (sql.replace("{item}", "COALESCE(d.item_id, t.item_id)")
               .replace("{from_text}", "(d.item_id IS NULL)")
               .replace("{inferred}", f"\n  LEFT JOIN {ident(inferred, 'table')} t ON t.demand_id = d.demand_id"))
    else:
        sql = sql.replace("{item}", "d.item_id").replace("{from_text}", "FALSE").replace("{inferred}", "")
    near_cte = near_union = ""
    if neighbours:
        near_cte = f"""
nbr AS ({NEIGHBOURS_SQL}
),
nb AS (
  SELECT DISTINCT n.item_id, n.near FROM nbr n
  JOIN items i1 ON i1.item_id = n.item_id JOIN items i2 ON i2.item_id = n.near
  WHERE i1.foundation = i2.foundation AND n.item_id <> n.near
),
near_all AS (
  SELECT d.demand_id, t.producer_id, nb.near AS via_item,
         ROW_NUMBER() OVER (PARTITION BY d.demand_id, t.producer_id ORDER BY nb.near) AS rn
  FROM d JOIN nb ON nb.item_id = d.item_id
  JOIN (SELECT producer_id, item_id FROM cap UNION SELECT provider_id, item_id FROM off) t ON t.item_id = nb.near
  LEFT JOIN exact x ON x.demand_id = d.demand_id AND x.producer_id = t.producer_id
  WHERE x.producer_id IS NULL
),
near_one AS (
  SELECT demand_id, producer_id, via_item, TRUE AS near FROM near_all WHERE rn = 1
),"""
        near_union = "\n  UNION ALL SELECT * FROM near_one"
    sql = sql.replace("{near_cte}", near_cte).replace("{near_union}", near_union)
    return sql, {**dk_bind, **gk_bind, **only_bind}


def offer_texts_sql() -> str:
    """Texts of enterprises' offers, one row per offer (``provider_id``, ``item_id``, ``text``)."""
    return ("SELECT provider_id, item_id, text FROM offers "
            "WHERE provider_type = 'enterprise' AND item_id IS NOT NULL ORDER BY offer_id")


def demands_sql(demand_ids: Sequence[str] | None) -> tuple[str, dict[str, Any]]:
    """The demands to match (``demand_id``, ``uscc``, ``item_id``, ``kind``, ``value``)."""
    only, bind = in_list("dm", list(demand_ids or []))
    where = f"WHERE demand_id IN {only}" if demand_ids is not None else ""
    return (f"SELECT demand_id, uscc, item_id, COALESCE(kind, 'purchase') AS kind, value, text "
            f"FROM demands {where} ORDER BY demand_id", bind)


def degree_sql(matched_table: str, by_chain: bool) -> str:
    """Demand value and the part of it with a qualified domestic candidate, per item (or per
    chain and item), over the demands listed in ``matched_table``, a validated name of a
    (demand_id, matched) table."""
    from reforge.engine.sqlbuild import ident
    m = ident(matched_table, "table")
    if by_chain:
        return f"""
SELECT ci.chain_id, d.item_id, COUNT(*) AS n_demands,
       SUM(CASE WHEN m.matched THEN 1 ELSE 0 END) AS n_matchable,
       SUM(COALESCE(d.value, 0)) AS demand_value,
       SUM(CASE WHEN m.matched THEN COALESCE(d.value, 0) ELSE 0 END) AS matchable_value
FROM demands d JOIN chain_items ci ON ci.item_id = d.item_id
JOIN {m} m ON m.demand_id = d.demand_id
GROUP BY ci.chain_id, d.item_id ORDER BY ci.chain_id, d.item_id"""
    return f"""
SELECT d.item_id, COUNT(*) AS n_demands,
       SUM(CASE WHEN m.matched THEN 1 ELSE 0 END) AS n_matchable,
       SUM(COALESCE(d.value, 0)) AS demand_value,
       SUM(CASE WHEN m.matched THEN COALESCE(d.value, 0) ELSE 0 END) AS matchable_value
FROM demands d JOIN {m} m ON m.demand_id = d.demand_id
WHERE d.item_id IS NOT NULL
GROUP BY d.item_id ORDER BY d.item_id"""


__all__ = ["candidates_sql", "degree_sql", "demands_sql", "in_list", "offer_texts_sql"]
