"""SQL of the tackling-project views (DuckDB dialect, bound parameters only).

Reads ``projects``, ``project_items``, ``project_partners``, ``project_budget``,
``project_milestones``, ``project_outputs`` with ``items``, ``chain_items``, ``chains``,
``enterprises``, ``capabilities``, ``supply_links`` and ``appraisals``. ``scope`` (a USCC) keeps
the projects where that enterprise is the lead or an enterprise partner (an enterprise account);
``region`` (a GB/T 2260 code) keeps those where a firm of that region or below is (a region-bound
analyst, issue 19).
"""

from __future__ import annotations

import pandas as pd

from reforge.engine.base import Engine
from reforge.errors import DataMissing

PROJECT_TABLES = ("projects", "project_items", "project_partners", "project_budget", "project_milestones",
                  "project_outputs")

_SCOPE = ("(CAST(? AS VARCHAR) IS NULL OR p.lead_uscc = ? OR EXISTS (SELECT 1 FROM project_partners pp "
          "WHERE pp.project_id = p.project_id AND pp.partner_type = 'enterprise' AND pp.partner_id = ?))")


def need(engine: Engine, tables: tuple[str, ...] = PROJECT_TABLES) -> None:
    """DataMissing naming the first absent table."""
    for t in tables:
        if not engine.table_exists(t):
            raise DataMissing(f"the database has no {t} table; import it first (reforge import {t} FILE)",
                              code="loop.projects.no_table", params={"table": t})


def _scope(scope: str | None) -> list[str | None]:
    return [scope, scope, scope]


def _firm_in(region: str | None, col: str) -> str:
    """The condition that the enterprise ``col`` (a fixed column reference) lies in ``region`` or
    below (``TRUE`` for None)."""
    if region is None:
        return "TRUE"
    from reforge.region import region_condition
    return f"EXISTS (SELECT 1 FROM enterprises rg WHERE rg.uscc = {col} AND {region_condition(region, 'rg')})"


def _in(region: str | None) -> str:
    """The condition keeping projects led by, or with an enterprise partner in, ``region`` or below
    (``TRUE`` for None; the checked six-digit code is inlined, the SQL keeps its ``?`` markers)."""
    if region is None:
        return "TRUE"
    return (f"({_firm_in(region, 'p.lead_uscc')} OR EXISTS (SELECT 1 FROM project_partners pr "
            "WHERE pr.project_id = p.project_id AND pr.partner_type = 'enterprise' "
            f"AND {_firm_in(region, 'pr.partner_id')}))")


def projects(engine: Engine, scope: str | None = None, item_id: str | None = None,
             region: str | None = None) -> pd.DataFrame:
    """Projects with the lead's name, target items (comma-joined ids), partners count and total budget;
    ``item_id`` keeps the projects that target it."""
    return engine.fetch_df(f"""
SELECT p.project_id, p.title, p.title_en, p.lead_uscc, e.name AS lead_name, e.name_en AS lead_name_en,
       p.department, p.programme, p.start_on, p.end_on, p.status,
       (SELECT STRING_AGG(i.item_id, ',' ORDER BY i.item_id) FROM project_items i
        WHERE i.project_id = p.project_id) AS items,
       (SELECT COUNT(*) FROM project_partners q WHERE q.project_id = p.project_id) AS n_partners,
       (SELECT SUM(CAST(b.amount AS DOUBLE)) FROM project_budget b WHERE b.project_id = p.project_id) AS budget
FROM projects p LEFT JOIN enterprises e ON e.uscc = p.lead_uscc
WHERE {_SCOPE} AND {_in(region)}
  AND (CAST(? AS VARCHAR) IS NULL OR EXISTS (SELECT 1 FROM project_items i2
       WHERE i2.project_id = p.project_id AND i2.item_id = ?))
ORDER BY p.start_on, p.project_id""", [*_scope(scope), item_id, item_id])


def item_projects(engine: Engine, as_of: str, scope: str | None = None, region: str | None = None) -> pd.DataFrame:
    """Per target item: projects not cancelled that started by ``as_of`` (``n_projects``) and, of
    those, the ones still running on ``as_of`` (``n_active``: not completed and not ended before)."""
    return engine.fetch_df(f"""
SELECT i.item_id, COUNT(*) AS n_projects,
       SUM(CASE WHEN COALESCE(p.status, 'active') NOT IN ('completed', 'suspended')
                 AND (p.end_on IS NULL OR p.end_on >= CAST(? AS DATE)) THEN 1 ELSE 0 END) AS n_active,
       STRING_AGG(p.project_id, ',' ORDER BY p.project_id) AS project_ids
FROM project_items i JOIN projects p ON p.project_id = i.project_id
WHERE COALESCE(p.status, '') <> 'cancelled' AND p.start_on <= CAST(? AS DATE) AND {_SCOPE} AND {_in(region)}
GROUP BY i.item_id ORDER BY i.item_id""", [as_of, as_of, *_scope(scope)])


def budget(engine: Engine, scope: str | None = None, region: str | None = None) -> pd.DataFrame:
    """Budget by chain, foundation category and source (CNY). A project's amount is split equally
    over its target items and an item's part equally over the chains that hold it; a project
    without items or an item on no chain gives a NULL chain (and foundation). Cancelled projects
    are left out."""
    return engine.fetch_df(f"""
WITH pi AS (
  SELECT project_id, item_id, 1.0 / COUNT(*) OVER (PARTITION BY project_id) AS w FROM project_items),
ic AS (
  SELECT item_id, chain_id, 1.0 / COUNT(*) OVER (PARTITION BY item_id) AS w FROM chain_items)
SELECT ic.chain_id, it.foundation, b.source,
       SUM(CAST(b.amount AS DOUBLE) * COALESCE(pi.w, 1.0) * COALESCE(ic.w, 1.0)) AS amount
FROM project_budget b
JOIN projects p ON p.project_id = b.project_id
LEFT JOIN pi ON pi.project_id = b.project_id
LEFT JOIN items it ON it.item_id = pi.item_id
LEFT JOIN ic ON ic.item_id = pi.item_id
WHERE COALESCE(p.status, '') <> 'cancelled' AND {_SCOPE} AND {_in(region)}
GROUP BY ic.chain_id, it.foundation, b.source
ORDER BY ic.chain_id NULLS LAST, it.foundation NULLS LAST, b.source""", _scope(scope))


def overdue(engine: Engine, as_of: str, scope: str | None = None, item_id: str | None = None,
            region: str | None = None) -> pd.DataFrame:
    """Milestones overdue on ``as_of``: due before it, not done by it (no ``done_on`` or a later one),
    neither the milestone nor its project cancelled; ``days_overdue`` = as_of - due_on."""
    return engine.fetch_df(f"""
SELECT m.project_id, p.title AS project_title, p.title_en AS project_title_en, p.lead_uscc,
       e.name AS lead_name, m.milestone_id, m.title, m.due_on, m.done_on, m.status,
       CAST(DATE_DIFF('day', m.due_on, CAST(? AS DATE)) AS INTEGER) AS days_overdue
FROM project_milestones m JOIN projects p ON p.project_id = m.project_id
LEFT JOIN enterprises e ON e.uscc = p.lead_uscc
WHERE m.due_on < CAST(? AS DATE) AND (m.done_on IS NULL OR m.done_on > CAST(? AS DATE))
  AND COALESCE(m.status, '') <> 'cancelled' AND COALESCE(p.status, '') <> 'cancelled' AND {_SCOPE} AND {_in(region)}
  AND (CAST(? AS VARCHAR) IS NULL OR EXISTS (SELECT 1 FROM project_items i2
       WHERE i2.project_id = p.project_id AND i2.item_id = ?))
ORDER BY m.due_on, m.project_id, m.milestone_id""", [as_of, as_of, as_of, *_scope(scope), item_id, item_id])


def milestones(engine: Engine, project_ids: list[str]) -> pd.DataFrame:
    """All milestones of the projects."""
    if not project_ids:
        return pd.DataFrame(columns=["project_id", "milestone_id", "title", "due_on", "done_on", "status"])
    marks = ", ".join("?" for _ in project_ids)
    return engine.fetch_df("SELECT project_id, milestone_id, title, due_on, done_on, status FROM project_milestones "
                           f"WHERE project_id IN ({marks}) ORDER BY project_id, due_on, milestone_id", project_ids)


def leads(engine: Engine, scope: str | None = None, region: str | None = None) -> pd.DataFrame:
    """Lead enterprises of projects not cancelled, with their project ids."""
    return engine.fetch_df(f"""
SELECT p.lead_uscc AS uscc, e.name, e.name_en, STRING_AGG(p.project_id, ',' ORDER BY p.project_id) AS project_ids
FROM projects p LEFT JOIN enterprises e ON e.uscc = p.lead_uscc
WHERE COALESCE(p.status, '') <> 'cancelled' AND {_SCOPE} AND {_in(region)}
GROUP BY p.lead_uscc, e.name, e.name_en ORDER BY p.lead_uscc""", _scope(scope))


def firms_with_year(engine: Engine, usccs: list[str], year: int) -> list[str]:
    """The firms among ``usccs`` with a row in ``enterprise_years`` for ``year``."""
    if not usccs or not engine.table_exists("enterprise_years"):
        return []
    marks = ", ".join("?" for _ in usccs)
    df = engine.fetch_df(f"SELECT DISTINCT uscc FROM enterprise_years WHERE year = ? AND uscc IN ({marks}) "
                         "ORDER BY uscc", [int(year), *usccs])
    return [str(u) for u in df.uscc]


def item(engine: Engine, item_id: str) -> pd.DataFrame:
    """The item's names and foundation."""
    return engine.fetch_df("SELECT item_id, name, name_zh, foundation FROM items WHERE item_id = ?", [item_id])


def item_chains(engine: Engine, item_id: str) -> pd.DataFrame:
    """Chains that hold the item, with names."""
    return engine.fetch_df("SELECT ci.chain_id, c.name, c.name_zh FROM chain_items ci "
                           "LEFT JOIN chains c ON c.chain_id = ci.chain_id WHERE ci.item_id = ? ORDER BY ci.chain_id",
                           [item_id])


def producers(engine: Engine, item_id: str, year: int | None) -> pd.DataFrame:
    """Domestic producers of the item (capabilities of enterprises active in ``year``)."""
    return engine.fetch_df("""
SELECT c.producer_id AS uscc, e.name, e.name_en, e.province_code, c.tech_level, c.capacity, c.since_year
FROM capabilities c LEFT JOIN enterprises e ON e.uscc = c.producer_id
WHERE c.item_id = ? AND c.producer_type = 'enterprise'
  AND (CAST(? AS INTEGER) IS NULL OR c.since_year IS NULL OR c.since_year <= ?)
ORDER BY c.tech_level DESC NULLS LAST, c.capacity DESC NULLS LAST, c.producer_id""", [item_id, year, year])


def adoption(engine: Engine, item_id: str, region: str | None = None) -> pd.DataFrame:
    """Per year: purchase value of the item, domestic value and share, domestic suppliers and buyers
    of domestic supply (CNY); ``region``: the purchases of that region's buyers only."""
    return engine.fetch_df(f"""
SELECT year, SUM(CAST(value AS DOUBLE)) AS total_value,
       SUM(CASE WHEN supplier_type = 'enterprise' THEN CAST(value AS DOUBLE) ELSE 0 END) AS domestic_value,
       COUNT(DISTINCT CASE WHEN supplier_type = 'enterprise' THEN supplier_id END) AS domestic_suppliers,
       COUNT(DISTINCT CASE WHEN supplier_type = 'enterprise' THEN buyer_uscc END) AS domestic_buyers
FROM supply_links WHERE item_id = ? AND {_firm_in(region, "supply_links.buyer_uscc")}
GROUP BY year ORDER BY year""", [item_id])


def appraisals(engine: Engine, item_id: str, region: str | None = None) -> pd.DataFrame:
    """Appraisals of the item with the applicant's name (``region``: applicants of that region)."""
    return engine.fetch_df("SELECT a.appraisal_id, a.kind, a.title, a.uscc, e.name, a.year FROM appraisals a "
                           f"LEFT JOIN enterprises e ON e.uscc = a.uscc WHERE a.item_id = ? AND {_firm_in(region, 'a.uscc')} "
                           "ORDER BY a.year NULLS LAST, a.appraisal_id", [item_id])


def link_years(engine: Engine) -> list[int]:
    """Years present in ``supply_links``."""
    if not engine.table_exists("supply_links"):
        return []
    return [int(y) for y in engine.fetch_df("SELECT DISTINCT year FROM supply_links ORDER BY year").year]
