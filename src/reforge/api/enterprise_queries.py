"""Enterprise search and profile, read straight from the schema tables.

Pure queries over an engine (no HTTP). Money in CNY, shares 0-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reforge.api.sql import rows
from reforge.engine.base import Engine
from reforge.engine.sqlbuild import LIKE_ESCAPE, like_pattern
from reforge.region import inline_params, region_clause, region_condition  # noqa: F401 - shared with the library

TIER_KINDS = ("innovative_sme", "srdi_sme", "little_giant", "single_champion")


@dataclass(frozen=True)
class SearchFilters:
    """Filters for enterprise search; all optional and combined with AND."""

    q: str | None = None              # substring of name, English name or USCC
    province_code: str | None = None
    city_code: str | None = None
    industry_code: str | None = None  # prefix of the GB/T 4754 code
    size_class: str | None = None
    ownership: str | None = None
    designation: str | None = None    # a designation kind the firm holds (any status)
    chain_id: str | None = None       # main product's item belongs to this chain
    uscc: str | None = None           # exactly this enterprise (used for enterprise accounts)
    region: str | None = None         # GB/T 2260 code: this region and below (region-scoped accounts)


def in_region(engine: Engine, uscc: str, region: str | None) -> bool:
    """Whether enterprise ``uscc`` exists and lies in ``region`` or below."""
    cond, params = region_clause(region)
    return bool(engine.fetch_scalar(
        f"SELECT COUNT(*) FROM enterprises e WHERE e.uscc = $uscc AND {cond}", {**params, "uscc": uscc}))


def where_clause(f: SearchFilters) -> tuple[str, dict[str, Any]]:
    """The WHERE condition of ``f`` over ``enterprises e`` and its bound ``$name`` parameters."""
    w, params = ["TRUE"], {}
    if f.q:
        w.append(f"(e.name LIKE $q {LIKE_ESCAPE} OR COALESCE(e.name_en, '') ILIKE $q {LIKE_ESCAPE} "
                 f"OR e.uscc LIKE $q_upper {LIKE_ESCAPE})")
        params.update(q=like_pattern(f.q), q_upper=like_pattern(f.q.upper()))
    for col in ("province_code", "city_code", "size_class", "ownership"):
        v = getattr(f, col)
        if v:
            w.append(f"e.{col} = ${col}")
            params[col] = v
    if f.uscc:
        w.append("e.uscc = $uscc")
        params["uscc"] = f.uscc
    if f.region:
        cond, rp = region_clause(f.region)
        w.append(cond)
        params.update(rp)
    if f.industry_code:
        w.append(f"e.industry_code LIKE $industry {LIKE_ESCAPE}")
        params["industry"] = like_pattern(f.industry_code.replace("%", ""), anchored=True)
    if f.designation:
        w.append("e.uscc IN (SELECT uscc FROM designations WHERE kind = $designation)")
        params["designation"] = f.designation
    if f.chain_id:
        w.append("e.main_item_id IN (SELECT item_id FROM chain_items WHERE chain_id = $chain_id)")
        params["chain_id"] = f.chain_id
    return " AND ".join(w), params


def _where(f: SearchFilters) -> str:
    """The condition of ``f`` with its values inlined through :func:`sqlbuild.literal` (for callers
    outside the API not yet moved to :func:`where_clause`; prefer binding)."""
    return inline_params(*where_clause(f))


# sort keys of ``search``: column -> SQL expression over the matching firms ``e`` and their latest year ``l``
SORT_COLUMNS = {"uscc": "e.uscc", "name": "e.name", "province_code": "e.province_code",
                "industry_code": "e.industry_code", "size_class": "e.size_class",
                "latest_year": "l.year", "revenue": "l.revenue", "employees": "l.employees"}


def search(engine: Engine, filters: SearchFilters, page: int = 1, page_size: int = 20,
           sort: str = "uscc", desc: bool = False) -> dict[str, Any]:
    """One page of enterprises matching ``filters``, ordered by ``sort`` (a key of
    :data:`SORT_COLUMNS`, missing values last, ties by USCC; default USCC ascending).

    Returns ``{"total", "page", "page_size", "items": [{uscc, name, name_en,
    province_code, city_code, industry_code, size_class, ownership, main_item_id,
    latest_year, revenue, employees, tiers}]}`` where revenue/employees are the
    latest year's and ``tiers`` lists the gradient-tier kinds ever granted.
    """
    where, params = where_clause(filters)
    total = int(engine.fetch_scalar(f"SELECT COUNT(*) FROM enterprises e WHERE {where}", params) or 0)
    kinds = ", ".join(f"$tier{i}" for i in range(len(TIER_KINDS)))
    if sort not in SORT_COLUMNS:
        raise ValueError(f"unknown sort column {sort!r}")
    order = f"{SORT_COLUMNS[sort]} {'DESC' if desc else 'ASC'} NULLS LAST, e.uscc"
    latest_all = ("" if not SORT_COLUMNS[sort].startswith("l.") else
                  """LEFT JOIN (SELECT uscc, year, revenue, employees FROM enterprise_years
                     QUALIFY ROW_NUMBER() OVER (PARTITION BY uscc ORDER BY year DESC) = 1) l ON l.uscc = e.uscc""")
    items = rows(engine, f"""
        WITH page AS (
          SELECT e.uscc, e.name, e.name_en, e.province_code, e.city_code, e.industry_code,
                 e.size_class, e.ownership, e.main_item_id, ROW_NUMBER() OVER (ORDER BY {order}) AS _pos
          FROM enterprises e {latest_all} WHERE {where}
          ORDER BY {order} LIMIT $limit OFFSET $offset),
        latest AS (
          SELECT y.uscc, y.year, y.revenue, y.employees,
                 ROW_NUMBER() OVER (PARTITION BY y.uscc ORDER BY y.year DESC) AS rn
          FROM enterprise_years y JOIN page p ON p.uscc = y.uscc),
        tiers AS (
          SELECT d.uscc, STRING_AGG(DISTINCT d.kind, ',') AS tiers
          FROM designations d JOIN page p ON p.uscc = d.uscc
          WHERE d.kind IN ({kinds}) GROUP BY d.uscc)
        SELECT p.* EXCLUDE (_pos), l.year AS latest_year, l.revenue, l.employees, t.tiers
        FROM page p LEFT JOIN latest l ON l.uscc = p.uscc AND l.rn = 1
        LEFT JOIN tiers t ON t.uscc = p.uscc
        ORDER BY p._pos""", {**params, **{f"tier{i}": k for i, k in enumerate(TIER_KINDS)},
                             "limit": int(page_size), "offset": int((page - 1) * page_size)})
    for it in items:
        it["tiers"] = sorted(it["tiers"].split(",")) if it.get("tiers") else []
    return {"total": total, "page": page, "page_size": page_size, "items": items}


def exists(engine: Engine, uscc: str) -> bool:
    """Whether the enterprise is in the database."""
    return bool(engine.fetch_scalar("SELECT COUNT(*) FROM enterprises WHERE uscc = ?", [uscc]))


def profile(engine: Engine, uscc: str) -> dict[str, Any] | None:
    """Everything the tables say about one enterprise, or None when unknown.

    Keys: ``enterprise`` (the row), ``years`` (panel, by year), ``designations``,
    ``tier_history`` (gradient tiers by grant date), ``credit_records``,
    ``chain_position`` (chains of the main item with segment, items it can make,
    counts of suppliers and buyers in supply_links), ``support_events``.
    """
    p = {"uscc": uscc}
    ent = rows(engine, "SELECT * FROM enterprises WHERE uscc = $uscc", p)
    if not ent:
        return None
    years = rows(engine, "SELECT * EXCLUDE (uscc) FROM enterprise_years WHERE uscc = $uscc ORDER BY year", p)
    des = rows(engine, "SELECT kind, batch, level, granted_on, expires_on, status, rule_set "
                          "FROM designations WHERE uscc = $uscc ORDER BY granted_on, kind", p)
    cred = rows(engine, "SELECT record_id, kind, value, recorded_on, expires_on, source "
                           "FROM credit_records WHERE uscc = $uscc ORDER BY recorded_on, record_id", p)
    chains = rows(engine, """
        SELECT c.chain_id, c.name, c.name_zh, ci.item_id, i.name AS item_name, i.name_zh AS item_name_zh,
               ci.segment
        FROM enterprises e JOIN chain_items ci ON ci.item_id = e.main_item_id
        JOIN chains c ON c.chain_id = ci.chain_id JOIN items i ON i.item_id = ci.item_id
        WHERE e.uscc = $uscc ORDER BY c.chain_id""", p)
    caps = rows(engine, """
        SELECT c.item_id, i.name, i.name_zh, c.tech_level, c.capacity, c.since_year
        FROM capabilities c LEFT JOIN items i ON i.item_id = c.item_id
        WHERE c.producer_id = $uscc ORDER BY c.item_id""", p)
    links = rows(engine, """
        SELECT
          (SELECT COUNT(DISTINCT supplier_id) FROM supply_links WHERE buyer_uscc = $uscc) AS suppliers,
          (SELECT COUNT(DISTINCT buyer_uscc) FROM supply_links WHERE supplier_id = $uscc) AS buyers""", p)
    support = rows(engine, "SELECT event_id, programme, granted_on, amount FROM support_events "
                              "WHERE uscc = $uscc ORDER BY granted_on, event_id", p)
    return {
        "enterprise": ent[0],
        "years": years,
        "designations": des,
        "tier_history": [d for d in des if d["kind"] in TIER_KINDS],
        "credit_records": cred,
        "chain_position": {"chains": chains, "capabilities": caps, **links[0]},
        "support_events": support,
    }
