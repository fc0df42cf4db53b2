"""The joint-research SQL: personnel flows, consortium candidates, platforms, the collaboration network.

One statement per step, DuckDB dialect kept to the portable core (sqlglot transpiles it for
Spark). Values are bound with ``$name`` markers; the only names written into the text are the
generated marker names of ``IN`` lists (``$it0``, ``$it1``, ...).

Inputs: ``personnel_moves``, ``collaborations``, ``enterprises``, ``institutions``,
``institution_fields``, ``capabilities``, ``chain_links``, ``credit_records``, ``designations``,
``supply_links``, ``platforms``, ``platform_fields``, ``platform_usage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reforge.engine.sqlbuild import in_list  # re-exported: callers use q.in_list

INSIDE: tuple[str, ...] = ("university", "institute", "state_enterprise", "platform")
"""Organisation types inside the system (体制内); ``private_enterprise`` is outside."""


def _years(year: int | None) -> tuple[str, dict[str, Any]]:
    return ("WHERE year = $year", {"year": int(year)}) if year is not None else ("", {})


def type_matrix_sql(year: int | None) -> tuple[str, dict[str, Any]]:
    """Moves per (year, from_type, to_type): all kinds and full moves only."""
    where, b = _years(year)
    return (f"""
SELECT year, from_type, to_type, COUNT(*) AS moves,
       SUM(CASE WHEN kind = 'full_move' THEN 1 ELSE 0 END) AS full_moves
FROM personnel_moves {where}
GROUP BY year, from_type, to_type ORDER BY year, from_type, to_type""", b)


def field_flow_sql(year: int | None) -> tuple[str, dict[str, Any]]:
    """Moves per (year, field): total, into the system from outside (``in_moves``), out of it
    (``out_moves``). Moves without a field are left out."""
    where, b = _years(year)
    ins, ib = in_list("io", list(INSIDE))
    cond = "field IS NOT NULL" if not where else "field IS NOT NULL AND year = $year"
    return (f"""
SELECT year, field, COUNT(*) AS moves,
       SUM(CASE WHEN from_type NOT IN {ins} AND to_type IN {ins} THEN 1 ELSE 0 END) AS in_moves,
       SUM(CASE WHEN from_type IN {ins} AND to_type NOT IN {ins} THEN 1 ELSE 0 END) AS out_moves
FROM personnel_moves WHERE {cond}
GROUP BY year, field ORDER BY year, field""", {**b, **ib})


def field_totals_sql() -> str:
    """Moves per field over all years (moves without a field are left out)."""
    return ("SELECT field, COUNT(*) AS moves FROM personnel_moves WHERE field IS NOT NULL "
            "GROUP BY field ORDER BY field")


def leads_sql(items: Sequence[str], exclusion_kinds: Sequence[str],
              tier_kinds: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Lead candidates per target item (bindings but ``as_of``): enterprises with a capability
    on the item (``fit`` = 1) or on a chain neighbour of it (``fit`` = 0.5), with province,
    latest tax rating, active exclusion records (count and kinds as a sorted list) and tiers."""
    it, ib = in_list("it", list(items))
    xk, xb = in_list("xk", list(exclusion_kinds))
    tk, tb = in_list("tk", list(tier_kinds))
    sql = f"""
WITH nb AS (
  SELECT input_item AS item_id, output_item AS near FROM chain_links WHERE input_item IN {it}
  UNION SELECT output_item AS item_id, input_item AS near FROM chain_links WHERE output_item IN {it}
),
cand AS (
  SELECT c.item_id, c.producer_id AS uscc, 1.0 AS fit, c.tech_level FROM capabilities c
  WHERE c.producer_type = 'enterprise' AND c.item_id IN {it}
  UNION ALL
  SELECT nb.item_id, c.producer_id AS uscc, 0.5 AS fit, c.tech_level FROM nb
  JOIN capabilities c ON c.item_id = nb.near AND c.producer_type = 'enterprise'
),
best AS (
  SELECT item_id, uscc, MAX(fit) AS fit, MAX(tech_level) AS tech_level FROM cand GROUP BY item_id, uscc
),
tax AS (
  SELECT uscc, value AS tax_rating FROM (
    SELECT uscc, value, ROW_NUMBER() OVER (PARTITION BY uscc ORDER BY recorded_on DESC, record_id DESC) AS rn
    FROM credit_records WHERE kind = 'tax_rating' AND recorded_on <= CAST($as_of AS DATE)) t
  WHERE rn = 1
),
bad AS (
  SELECT uscc, COUNT(*) AS n_bad, MIN(kind) AS bad_kind FROM credit_records
  WHERE kind IN {xk} AND recorded_on <= CAST($as_of AS DATE)
    AND (expires_on IS NULL OR expires_on > CAST($as_of AS DATE))
  GROUP BY uscc
),
tier AS (
  SELECT uscc, MIN(kind) AS tier FROM designations
  WHERE kind IN {tk} AND granted_on <= CAST($as_of AS DATE)
    AND (expires_on IS NULL OR expires_on > CAST($as_of AS DATE))
    AND COALESCE(status, 'active') NOT IN ('revoked', 'expired')
  GROUP BY uscc
)
SELECT b.item_id, b.uscc, e.name, e.province_code, e.size_class, e.ownership, b.fit, b.tech_level,
       tax.tax_rating, COALESCE(bad.n_bad, 0) AS n_bad, bad.bad_kind, tier.tier
FROM best b JOIN enterprises e ON e.uscc = b.uscc
LEFT JOIN tax ON tax.uscc = b.uscc
LEFT JOIN bad ON bad.uscc = b.uscc
LEFT JOIN tier ON tier.uscc = b.uscc
ORDER BY b.item_id, b.uscc"""
    return sql, {**ib, **xb, **tb}


def active_records_sql(kinds: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Per firm, the first of its credit records of ``kinds`` in force on ``$as_of`` (a date the
    caller binds): ``(uscc, kind)``, the firms a consortium or a group leaves out."""
    xk, xb = in_list("xk", kinds)
    return (f"SELECT uscc, MIN(kind) AS kind FROM credit_records WHERE kind IN {xk} "
            "AND recorded_on <= CAST($as_of AS DATE) AND (expires_on IS NULL OR expires_on > CAST($as_of AS DATE)) "
            "GROUP BY uscc ORDER BY uscc", xb)


def institutions_sql(items: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Institutions with a field on a target item: strength, province, kind, names."""
    it, ib = in_list("it", list(items))
    return (f"""
SELECT f.field AS item_id, f.institution_id, i.name, i.name_en, i.kind, i.province_code,
       COALESCE(f.strength, 0.5) AS strength
FROM institution_fields f JOIN institutions i ON i.institution_id = f.institution_id
WHERE f.field IN {it} ORDER BY f.field, f.institution_id""", ib)


def pair_counts_sql(until_year: int | None = None) -> tuple[str, dict[str, Any]]:
    """Collaborations per (enterprise, institution), optionally up to a year (inclusive)."""
    where = "WHERE year <= $until" if until_year is not None else ""
    return (f"SELECT uscc, institution_id, COUNT(*) AS n FROM collaborations {where} "
            "GROUP BY uscc, institution_id ORDER BY uscc, institution_id",
            {"until": int(until_year)} if until_year is not None else {})


def platforms_for_sql(items: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Platforms serving a target item's field: services offered there, open or not."""
    it, ib = in_list("it", list(items))
    return (f"""
SELECT f.field AS item_id, p.platform_id, p.name, p.name_en, p.kind, p.level,
       COALESCE(p.open_services, FALSE) AS open_services, COUNT(*) AS n_services
FROM platform_fields f JOIN platforms p ON p.platform_id = f.platform_id
WHERE f.field IN {it}
GROUP BY f.field, p.platform_id, p.name, p.name_en, p.kind, p.level, p.open_services
ORDER BY f.field, p.platform_id""", ib)


def adopters_sql(items: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """Domestic buyers of a target item (any year): value bought abroad and in total."""
    it, ib = in_list("it", list(items))
    return (f"""
SELECT s.item_id, s.buyer_uscc AS uscc, e.name, SUM(s.value) AS bought,
       SUM(CASE WHEN s.supplier_type = 'foreign' THEN s.value ELSE 0 END) AS imported
FROM supply_links s JOIN enterprises e ON e.uscc = s.buyer_uscc
WHERE s.item_id IN {it}
GROUP BY s.item_id, s.buyer_uscc, e.name ORDER BY s.item_id, s.buyer_uscc""", ib)


def rd_demands_sql() -> str:
    """R&D demands with an item: the demanding firm is the first adopter."""
    return ("SELECT d.demand_id, d.uscc, d.item_id, e.name FROM demands d "
            "LEFT JOIN enterprises e ON e.uscc = d.uscc "
            "WHERE d.kind = 'rd' AND d.item_id IS NOT NULL ORDER BY d.demand_id")


def usage_by_size_sql() -> str:
    """Platform users per enterprise size class and ownership, beside the number of firms."""
    return """
WITH u AS (
  SELECT uscc, SUM(COALESCE(uses, 1)) AS uses, SUM(COALESCE(value, 0)) AS value
  FROM platform_usage GROUP BY uscc
)
SELECT COALESCE(e.size_class, 'unknown') AS size_class, COALESCE(e.ownership, 'unknown') AS ownership,
       COUNT(*) AS firms, COUNT(u.uscc) AS users, SUM(COALESCE(u.uses, 0)) AS uses,
       SUM(COALESCE(u.value, 0)) AS value
FROM enterprises e LEFT JOIN u ON u.uscc = e.uscc
GROUP BY COALESCE(e.size_class, 'unknown'), COALESCE(e.ownership, 'unknown')
ORDER BY size_class, ownership"""


def platform_summary_sql() -> str:
    """Per platform: fields, users and uses over all years."""
    return """
WITH f AS (SELECT platform_id, COUNT(DISTINCT field) AS n_fields FROM platform_fields GROUP BY platform_id),
u AS (SELECT platform_id, COUNT(DISTINCT uscc) AS users, SUM(COALESCE(uses, 1)) AS uses
      FROM platform_usage GROUP BY platform_id)
SELECT p.platform_id, p.name, p.name_en, p.kind, p.level, COALESCE(p.open_services, FALSE) AS open_services,
       COALESCE(f.n_fields, 0) AS n_fields, COALESCE(u.users, 0) AS users, COALESCE(u.uses, 0) AS uses
FROM platforms p LEFT JOIN f ON f.platform_id = p.platform_id LEFT JOIN u ON u.platform_id = p.platform_id
ORDER BY p.platform_id"""


def served_fields_sql() -> str:
    """Fields served by at least one platform, with the number of platforms."""
    return ("SELECT field, COUNT(DISTINCT platform_id) AS platforms FROM platform_fields "
            "GROUP BY field ORDER BY field")


def network_year_sql() -> str:
    """Per year and institution: collaborations, distinct partners and distinct fields."""
    return """
SELECT year, institution_id, COUNT(*) AS collaborations, COUNT(DISTINCT uscc) AS partners,
       COUNT(DISTINCT field) AS fields
FROM collaborations GROUP BY year, institution_id ORDER BY year, institution_id"""


def bridges_sql() -> str:
    """Per year and enterprise: distinct fields and institutions (bridging firms)."""
    return """
SELECT year, uscc, COUNT(DISTINCT field) AS fields, COUNT(DISTINCT institution_id) AS institutions,
       COUNT(*) AS collaborations
FROM collaborations GROUP BY year, uscc ORDER BY year, uscc"""


def collaborated_items_sql() -> str:
    """Items with at least one collaboration (on ``item_id`` or ``field``)."""
    return ("SELECT item_id, COUNT(*) AS n FROM (SELECT COALESCE(item_id, field) AS item_id FROM collaborations) c "
            "WHERE item_id IS NOT NULL GROUP BY item_id ORDER BY item_id")


__all__ = ["INSIDE", "active_records_sql", "adopters_sql", "bridges_sql", "collaborated_items_sql", "field_flow_sql", "field_totals_sql",
           "in_list", "institutions_sql", "leads_sql", "network_year_sql", "pair_counts_sql", "platform_summary_sql",
           "platforms_for_sql", "rd_demands_sql", "served_fields_sql", "type_matrix_sql", "usage_by_size_sql"]
