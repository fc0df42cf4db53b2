"""SQL of the loop capability's leaders and ecosystems (DuckDB dialect, portable core for Spark).

Every value is bound (``$chain``, ``$year``, ``$kind0``...; leader lists as ``$u0, $u1...``).
The only inlined text is SQL built here from integers (the tier count of the unrolled
supplier tree) and the designation-validity expression of ``reforge.firms.validity``.
Reads ``chain_items``, ``supply_links``, ``enterprises``, ``enterprise_years``, ``items``
and ``designations``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from reforge.engine.base import Engine
from reforge.errors import DataMissing

NEEDED = ("chains", "chain_items", "items", "supply_links", "enterprises")


def need_tables(engine: Engine, names: Sequence[str] = NEEDED) -> None:
    """DataMissing (code ``loop.data.no_table``) naming the first absent table."""
    for t in names:
        if not engine.table_exists(t):
            raise DataMissing(f"the database has no {t} table; import it first", code="loop.data.no_table",
                              params={"table": t})


def _chain_sl(year_cond: str) -> str:
    """Supply links of the chain's items (purchases of a chain item count for every chain holding it)."""
    return ("SELECT s.supplier_id, s.supplier_type, s.buyer_uscc, s.item_id, CAST(s.year AS BIGINT) AS year, "
            "CAST(s.value AS DOUBLE) AS value FROM supply_links s "
            f"WHERE {year_cond} AND s.item_id IN (SELECT item_id FROM chain_items WHERE chain_id = $chain)")


def buyers_sql(with_revenue: bool, ent_cols: Sequence[str] = ("name", "name_en", "province_code", "main_item_id")) -> str:
    """Per buyer of the chain's items in ``$year``: purchases, domestic value and suppliers, items
    bought, and its share of the chain's end-product output (revenue of the makers of end products).
    ``ent_cols``: the columns the enterprises table has (others read as NULL)."""
    have = set(ent_cols)
    ecols = ", ".join(f"e.{c}" if c in have else f"CAST(NULL AS VARCHAR) AS {c}"
                      for c in ("name", "name_en", "province_code", "main_item_id"))
    out = ("SELECT e.uscc, CAST(y.revenue AS DOUBLE) AS output FROM enterprises e "
           "JOIN enterprise_years y ON y.uscc = e.uscc AND y.year = $year "
           "WHERE e.main_item_id IN (SELECT item_id FROM chain_items WHERE chain_id = $chain "
           "AND is_end_product) AND y.revenue > 0") if with_revenue else \
        "SELECT CAST(NULL AS VARCHAR) AS uscc, CAST(NULL AS DOUBLE) AS output FROM chains WHERE 1 = 0"
    return f"""
WITH sl AS ({_chain_sl("s.year = $year")}),
buy AS (
  SELECT buyer_uscc AS uscc, SUM(value) AS purchase_value,
         SUM(CASE WHEN supplier_type = 'enterprise' THEN value ELSE 0 END) AS domestic_value,
         COUNT(DISTINCT CASE WHEN supplier_type = 'enterprise' THEN supplier_id END) AS domestic_suppliers,
         COUNT(DISTINCT CASE WHEN supplier_type = 'foreign' THEN supplier_id END) AS foreign_suppliers,
         COUNT(DISTINCT item_id) AS items_bought
  FROM sl GROUP BY buyer_uscc
),
tot AS (SELECT SUM(value) AS v FROM sl),
outp AS ({out}),
otot AS (SELECT SUM(output) AS v FROM outp)
SELECT b.uscc, {ecols},
       CAST(b.purchase_value AS DOUBLE) AS purchase_value,
       CAST(b.domestic_value AS DOUBLE) AS domestic_value,
       CASE WHEN t.v > 0 THEN b.purchase_value / t.v ELSE 0.0 END AS purchase_share,
       CAST(b.domestic_suppliers AS BIGINT) AS domestic_suppliers,
       CAST(b.foreign_suppliers AS BIGINT) AS foreign_suppliers,
       CAST(b.items_bought AS BIGINT) AS items_bought,
       CAST(COALESCE(o.output, 0.0) AS DOUBLE) AS output,
       CASE WHEN ot.v > 0 THEN COALESCE(o.output, 0.0) / ot.v ELSE 0.0 END AS output_share
FROM buy b CROSS JOIN tot t CROSS JOIN otot ot
LEFT JOIN enterprises e ON e.uscc = b.uscc
LEFT JOIN outp o ON o.uscc = b.uscc
ORDER BY b.uscc"""


def marks(prefix: str, n: int) -> str:
    return ", ".join(f"${prefix}{i}" for i in range(n))


def tree_sql(n_leaders: int, depth: int) -> str:
    """Per leader ``$u0..``: depth (deepest tier reached, 1 = direct suppliers) and size (distinct
    domestic firms) of its domestic supplier tree over the chain's items in ``$year``, following
    buyer -> supplier links tier by tier up to ``depth`` tiers (unrolled joins, no recursion; a
    firm counts at the first tier it is reached; the leader itself is not counted)."""
    depth = max(1, int(depth))
    tiers = ["t1 AS (SELECT DISTINCT d.b AS leader, d.s AS firm FROM dl d "
             f"WHERE d.b IN ({marks('u', int(n_leaders))}))"]
    for k in range(2, depth + 1):
        tiers.append(f"t{k} AS (SELECT DISTINCT t.leader, d.s AS firm FROM t{k - 1} t JOIN dl d ON d.b = t.firm)")
    union = " UNION ALL ".join(f"SELECT leader, firm, {k} AS tier FROM t{k}" for k in range(1, depth + 1))
    return f"""
WITH dl AS (
  SELECT DISTINCT buyer_uscc AS b, supplier_id AS s FROM ({_chain_sl("s.year = $year")}) x
  WHERE supplier_type = 'enterprise'
),
{", ".join(tiers)},
allt AS ({union}),
firsts AS (SELECT leader, firm, MIN(tier) AS tier FROM allt WHERE firm <> leader GROUP BY leader, firm)
SELECT leader AS uscc, CAST(MAX(tier) AS BIGINT) AS tree_depth, CAST(COUNT(*) AS BIGINT) AS tree_size
FROM firsts GROUP BY leader ORDER BY leader"""


def _years_cond(years: Sequence[int] | None) -> str:
    return "1 = 1" if years is None else f"s.year IN ({marks('y', len(years))})"


def foundation_sql(n_leaders: int, years: Sequence[int] | None) -> str:
    """Per leader, year and foundation category of the item: domestic and foreign purchase value."""
    return f"""
SELECT sl.buyer_uscc AS uscc, sl.year, i.foundation,
       CAST(SUM(CASE WHEN sl.supplier_type = 'enterprise' THEN sl.value ELSE 0 END) AS DOUBLE) AS domestic_value,
       CAST(SUM(CASE WHEN sl.supplier_type = 'foreign' THEN sl.value ELSE 0 END) AS DOUBLE) AS foreign_value
FROM ({_chain_sl(_years_cond(years))}) sl JOIN items i ON i.item_id = sl.item_id
WHERE sl.buyer_uscc IN ({marks('u', n_leaders)})
GROUP BY sl.buyer_uscc, sl.year, i.foundation ORDER BY uscc, year, foundation"""


def single_source_sql(n_leaders: int, years: Sequence[int] | None) -> str:
    """Per leader, year and chain item bought from exactly one supplier: the supplier and its type."""
    return f"""
WITH sl AS ({_chain_sl(_years_cond(years))}),
k AS (SELECT buyer_uscc, year, item_id, COUNT(*) AS n, MIN(supplier_id) AS supplier_id,
             MIN(supplier_type) AS supplier_type, SUM(value) AS value
      FROM sl WHERE buyer_uscc IN ({marks('u', n_leaders)}) GROUP BY buyer_uscc, year, item_id)
SELECT buyer_uscc AS uscc, year, item_id, supplier_id, supplier_type, CAST(value AS DOUBLE) AS value
FROM k WHERE n = 1 ORDER BY uscc, year, item_id"""


def designated_sql(n_leaders: int, years: Sequence[int] | None, n_kinds: int) -> str:
    """Per leader, year and designation kind: distinct domestic suppliers (of chain items that
    year) holding a valid designation of the kind on 31 December of the year (not revoked;
    validity as in ``reforge.firms.validity``)."""
    from reforge.firms.validity import valid_sql
    valid = valid_sql("p.as_of", "d.kind", "CAST(d.granted_on AS DATE)", "CAST(d.expires_on AS DATE)")
    return f"""
WITH p AS (
  SELECT DISTINCT buyer_uscc, supplier_id, year,
         CAST(CAST(year AS VARCHAR) || '-12-31' AS DATE) AS as_of
  FROM ({_chain_sl(_years_cond(years))}) x
  WHERE supplier_type = 'enterprise' AND buyer_uscc IN ({marks('u', n_leaders)})
)
SELECT p.buyer_uscc AS uscc, p.year, d.kind, CAST(COUNT(DISTINCT p.supplier_id) AS BIGINT) AS suppliers
FROM p JOIN designations d ON d.uscc = p.supplier_id
WHERE d.kind IN ({marks('k', n_kinds)}) AND COALESCE(d.status, '') <> 'revoked' AND {valid}
GROUP BY p.buyer_uscc, p.year, d.kind ORDER BY uscc, year, kind"""


def link_years(engine: Engine, chain_id: str) -> list[int]:
    """Years with purchases of the chain's items, ascending."""
    df = engine.fetch_df("SELECT DISTINCT CAST(year AS BIGINT) AS year FROM supply_links WHERE item_id IN "
                         "(SELECT item_id FROM chain_items WHERE chain_id = $chain) ORDER BY year",
                         {"chain": chain_id})
    return [int(y) for y in df["year"]]


def params(chain_id: str, year: int | None = None, usccs: Sequence[str] = (),
           years: Sequence[int] | None = None, kinds: Sequence[str] = ()) -> dict[str, object]:
    """The bound values for the statements above."""
    p: dict[str, object] = {"chain": chain_id}
    if year is not None:
        p["year"] = int(year)
    p.update({f"u{i}": str(u) for i, u in enumerate(usccs)})
    p.update({f"y{i}": int(y) for i, y in enumerate(years or [])})
    p.update({f"k{i}": str(k) for i, k in enumerate(kinds)})
    return p


def fetch(engine: Engine, sql: str, p: dict[str, object]) -> pd.DataFrame:
    """``fetch_df`` with only the parameters the statement uses (Spark rejects unused ones)."""
    import re
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return engine.fetch_df(sql, {k: v for k, v in p.items() if k in used})
