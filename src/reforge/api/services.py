"""The one place where the API and the dashboard call the capability libraries.

Handlers validate and authorise, then call a function here; each function calls
the library (``reforge.chain``, ``reforge.firms``, ``reforge.credit``,
``reforge.policy``, ``reforge.sectors``) and returns JSON-safe data. Lists that
the schema tables answer directly (chains, items, indicators, IO tables) are
read from the tables. Libraries are imported where used (so the API starts without
loading every capability) and called with explicit arguments: a renamed parameter or a
broken module fails loudly (500 and a log line) instead of being dropped or shown as 501.
"""

from __future__ import annotations

from typing import Any

from reforge.api.capabilities import jsonable
from reforge.api.sql import rows
from reforge.engine.base import Engine

# ---- chains -------------------------------------------------------------------------------------

def list_chains(engine: Engine) -> list[dict]:
    """Chains with item counts: ``[{chain_id, name, name_zh, description, items, links}]``."""
    return jsonable(engine.fetch_df("""
        SELECT c.chain_id, c.name, c.name_zh, c.description,
               (SELECT COUNT(*) FROM chain_items ci WHERE ci.chain_id = c.chain_id) AS items,
               (SELECT COUNT(*) FROM chain_links cl WHERE cl.chain_id = c.chain_id) AS links
        FROM chains c ORDER BY c.chain_id"""))


def chain_exists(engine: Engine, chain_id: str) -> bool:
    return bool(engine.fetch_scalar("SELECT COUNT(*) FROM chains WHERE chain_id = ?", [chain_id]))


def bottlenecks(engine: Engine, chain_id: str, year: int | None = None, region: str | None = None,
                memo: dict | None = None) -> dict:
    """Per-item metrics and labels (blank / weak / chokepoint) of one chain in ``year`` (default:
    the latest well-covered link year); with ``region`` (a region-bound account) from the purchases
    of that region's firms, named under ``scope``. ``memo``: see ``chain.metrics.shared_bottlenecks``."""
    from reforge.chain.metrics import shared_bottlenecks
    return _region_scoped(jsonable(shared_bottlenecks(engine, chain_id, year, region, memo)), region)


def _region_scoped(res: dict, region: str | None) -> dict:
    """``res`` with ``"scope": {"region": region}`` when computed for a region (unchanged otherwise)."""
    return res if region is None else {**res, "scope": {"region": region}}


def simulate(engine: Engine, chain_id: str | None, region: str | None = None, **scenario: Any) -> dict:
    """Disruption simulation (remove a country / firm / region / item) over every chain; asked
    from one chain (``chain_id``), the result also names it (``scope_chain``) and gives its row
    of ``by_chain`` as ``chain`` (None when the scenario does not reach it). With ``region`` (a
    region-bound account) the report covers that region's firms, named under ``scope``."""
    from reforge.chain import simulate as run
    res = _region_scoped(jsonable(run(engine, region=region, **scenario)), region)
    if chain_id is not None:
        res["scope_chain"] = chain_id
        res["chain"] = next((c for c in res.get("by_chain") or [] if c.get("chain_id") == chain_id), None)
    return res


def generic_technologies(engine: Engine, top: int | None = None, region: str | None = None) -> Any:
    """Generic (cross-chain) technologies ranked; the first ``top`` items when given; with ``region``
    (a region-bound account) from that region's firms' purchases, named under ``scope``."""
    from reforge.chain import generic_technologies as run
    res = _region_scoped(jsonable(run(engine, region=region)), region)
    if top is not None and isinstance(res.get("items"), list):
        res["items"] = res["items"][:top]
    return res


def chain_map(engine: Engine, chain_id: str, year: int | None = None, region: str | None = None) -> dict:
    """``{"nodes": [...], "edges": [...]}`` of a chain in ``year`` (``reforge.chain.chain_map``);
    with ``region``, labels from that region's firms' purchases and ``scope`` as in :func:`bottlenecks`."""
    from reforge.chain import chain_map as run
    return _region_scoped(jsonable(run(engine, chain_id, year=year, region=region)), region)


def item_detail(engine: Engine, item_id: str) -> dict | None:
    """An item: names, chains, domestic producers and foreign suppliers (capabilities)."""
    p = {"item_id": item_id}
    item = engine.fetch_df("SELECT * FROM items WHERE item_id = $item_id", p)
    if item.empty:
        return None
    chains = engine.fetch_df("""SELECT c.chain_id, c.name, c.name_zh, ci.segment FROM chain_items ci
        JOIN chains c ON c.chain_id = ci.chain_id WHERE ci.item_id = $item_id ORDER BY c.chain_id""", p)
    dom = engine.fetch_df("""SELECT c.producer_id AS uscc, e.name, e.name_en, e.province_code, c.tech_level,
        c.capacity FROM capabilities c JOIN enterprises e ON e.uscc = c.producer_id
        WHERE c.item_id = $item_id AND c.producer_type = 'enterprise'
        ORDER BY c.tech_level DESC NULLS LAST, c.capacity DESC NULLS LAST, c.producer_id LIMIT 50""", p)
    foreign = engine.fetch_df("""SELECT c.producer_id AS supplier_id, f.name, f.country, c.tech_level,
        c.capacity FROM capabilities c JOIN foreign_suppliers f ON f.supplier_id = c.producer_id
        WHERE c.item_id = $item_id AND c.producer_type = 'foreign'
        ORDER BY c.tech_level DESC NULLS LAST, c.producer_id LIMIT 50""", p)
    return {"item": jsonable(item)[0], "chains": jsonable(chains), "domestic_suppliers": jsonable(dom),
            "foreign_suppliers": jsonable(foreign)}


# ---- tiers / firms -------------------------------------------------------------------------------

def latest_data_year(engine: Engine) -> int | None:
    """The latest well-covered year of the firm panel (``reforge.coverage.default_year``)."""
    from reforge.coverage import default_year
    return default_year(engine, "enterprise_years")


def _screen_year(engine: Engine, year: int | None) -> int | None:
    """Screening year: given, else the year after the last panel year (it uses that year's figures)."""
    if year is not None:
        return year
    y = latest_data_year(engine)
    return None if y is None else y + 1


def screen(engine: Engine, tier: str, year: int | None) -> Any:
    """``{"tier", "rules", "year", "firms": [{uscc, outcome, score, points, reasons, failed, missing}]}``."""
    from reforge.firms import screen as run
    return jsonable(run(engine, tier=tier, year=_screen_year(engine, year)))


def screen_shortlist(engine: Engine, tier: str, year: int | None) -> Any:
    """``screen`` restricted to the firms a page lists (passing, and failing at most one
    condition: the near-miss superset), plus ``"n"``, the number of firms screened. Only those
    are explained, which keeps the tiers page fast on a large population."""
    from reforge.firms.screen import screen as run
    from reforge.firms.screen import shortlist_mask
    s = run(engine, tier=tier, year=_screen_year(engine, year))
    out = jsonable(s.subset(shortlist_mask(s.frame, s.plans)))
    out["n"] = len(s.frame)
    return out


def review(engine: Engine, tier: str | None, year: int | None) -> Any:
    """Re-screening of designations expiring in ``year`` (default: the year after the panel)."""
    from reforge.firms import review as run
    return jsonable(run(engine, year=_screen_year(engine, year), kind=tier or None))


def warnings(engine: Engine, year: int | None = None) -> Any:
    """Early warnings of designated firms from ``year``'s figures (default: the last panel year)."""
    from reforge.firms import warnings as run
    return jsonable(run(engine, year=year or latest_data_year(engine)))


def cohorts(engine: Engine, tier: str | None = None) -> Any:
    from reforge.firms import cohorts as run
    return jsonable(run(engine, tier=tier))


def firm_analysis(engine: Engine, uscc: str) -> dict:
    """``reforge.firms.profile``: screening per tier and warnings of one firm."""
    from reforge.firms import profile as run
    return jsonable(run(engine, uscc))


def firm_screening(engine: Engine, uscc: str, year: int | None = None) -> Any:
    """``{"uscc", "screening": {tier: {year, rules, outcome, score, points, reasons, failed, missing}}}``."""
    p = firm_analysis(engine, uscc)
    return {"uscc": uscc, "screening": p.get("screening") or {}}


def firm_warnings(engine: Engine, uscc: str) -> Any:
    """``{"year", "tier", "level", "signals"}`` of the firm's last panel year, or None when not designated."""
    return firm_analysis(engine, uscc).get("warnings")


# ---- credit --------------------------------------------------------------------------------------

def credit_scores(engine: Engine, year: int | None, top_reasons: int = 3) -> Any:
    """``{"year", "firms": [...]}`` of every firm (``top_reasons`` 0: without reasons, for a
    listing that explains only the rows it shows, with :func:`credit_reasons`)."""
    from reforge.credit import score as run
    return jsonable(run(engine, year=year, top_reasons=top_reasons))


def credit_reasons(engine: Engine, usccs: list[str], year: int | None) -> dict[str, dict]:
    """``{uscc: {"reasons", "reason_codes"}}`` of some firms in ``year`` (their scores' reasons)."""
    from reforge.credit import score as run
    if not usccs:
        return {}
    d = jsonable(run(engine, year=year, uscc=list(usccs)))
    return {f["uscc"]: {"reasons": f["reasons"], "reason_codes": f["reason_codes"]} for f in d["firms"]}


def firm_credit(engine: Engine, uscc: str, year: int | None) -> Any:
    from reforge.credit import score as run
    return jsonable(run(engine, year=year, uscc=uscc))


def credit_model_metrics(engine: Engine) -> dict | None:
    """Validation metrics stored with the current credit model (AUC, KS, Gini... as trained)."""
    from reforge.credit.store import load_model
    spec = load_model(engine)
    m = spec.get("metrics") if isinstance(spec, dict) else None
    return jsonable(m) if isinstance(m, dict) else None


# ---- policy --------------------------------------------------------------------------------------

def programmes(engine: Engine) -> list[dict]:
    """Evaluable programmes: support_events programmes and designation kinds (the policy library
    accepts both), with counts: ``[{programme, source, firms, events, first, last}]``."""
    return rows(engine, """
        SELECT programme, 'support_events' AS source, COUNT(DISTINCT uscc) AS firms, COUNT(*) AS events,
               MIN(granted_on) AS first, MAX(granted_on) AS last FROM support_events GROUP BY programme
        UNION ALL
        SELECT kind AS programme, 'designations' AS source, COUNT(DISTINCT uscc) AS firms, COUNT(*) AS events,
               MIN(granted_on) AS first, MAX(granted_on) AS last FROM designations GROUP BY kind
        ORDER BY source DESC, programme""")


def evaluate(engine: Engine, programme: str, outcomes: list[str], by: str | None,
             report: str | None = None) -> Any:
    from reforge.policy import evaluate as run
    return run(engine, programme, outcomes, by=by, report=report)


# ---- sectors and indicators ----------------------------------------------------------------------

def io_tables(engine: Engine) -> list[dict]:
    """IO tables in the database: ``[{table_id, sectors, cells}]``."""
    return jsonable(engine.fetch_df("""SELECT t.table_id, COUNT(*) AS cells,
        (SELECT COUNT(*) FROM io_sectors s WHERE s.table_id = t.table_id AND s.kind = 'sector') AS sectors
        FROM io_tables t GROUP BY t.table_id ORDER BY t.table_id"""))


def key_sectors(engine: Engine, table_id: str) -> Any:
    from reforge.sectors import key_sectors as run
    return jsonable(run(engine, table_id))


def indicators(engine: Engine, region: str | None, indicator: str | None) -> list[dict]:
    """Macro indicators (long format), by region, indicator, year."""
    return jsonable(engine.fetch_df("""SELECT region_code, indicator, year, value, unit, source
        FROM indicators WHERE ($region IS NULL OR region_code = $region)
          AND ($indicator IS NULL OR indicator = $indicator)
        ORDER BY region_code, indicator, year""", {"region": region or None, "indicator": indicator or None}))
