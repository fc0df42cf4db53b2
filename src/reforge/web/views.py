"""Shape capability results (JSON contracts of the chain, firms, credit, policy and sectors issues)
into table rows and chart options for the templates. Pure functions, tolerant of missing keys."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from reforge.api.sql import rows
from reforge.engine.base import Engine
from reforge.engine.sqlbuild import LIKE_ESCAPE, ident, like_pattern, literal
from reforge.web import charts, names
from reforge.web.i18n import name_of

Tr = Callable[[str], str]


def fmt(v: Any, digits: int = 4) -> str:
    """A cell value for display: thousands separators for money, 4 significant digits otherwise."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1e5 else f"{v:.{digits}g}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10000 else str(v)
    if isinstance(v, list):
        return "; ".join(fmt(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={fmt(x)}" for k, x in v.items())
    return str(v)


def records(data: Any, keys: tuple[str, ...] = ("firms", "items", "rows", "warnings", "records", "cohorts",
                                                  "sectors", "review")) -> list[dict]:
    """The list of row dicts inside a result: the result itself if a list, else its first list-valued key."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict):
        for k in keys:
            v = data.get(k)
            if isinstance(v, list):
                return [r for r in v if isinstance(r, dict)]
        for v in data.values():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                return v
    return []


def key_counts(engine: Engine, region: str | None = None) -> dict[str, Any]:
    """Counts shown on the overview. Designations count when valid on ``as_of``: 31 December of
    the default data year (``coverage.default_year``), or today without enterprise-year data;
    an expiry left empty means the per-kind validity of the rules data (``firms.validity``).
    With ``region`` (a region-bound account, GB/T 2260) the enterprise and designation counts
    are that region's; chains, items and supply links are the database's."""
    from datetime import date

    from reforge.api.enterprise_queries import region_condition
    from reforge.coverage import default_year
    from reforge.firms.validity import valid_sql

    year = default_year(engine)
    as_of = date(year, 12, 31) if year else date.today()
    valid = valid_sql("CAST(? AS DATE)", "d.kind", "CAST(d.granted_on AS DATE)", "CAST(d.expires_on AS DATE)")
    inside = region_condition(region, "e")
    firms = f"SELECT e.uscc FROM enterprises e WHERE {inside}"
    q = f"""SELECT
      (SELECT COUNT(*) FROM enterprises e WHERE {inside}) AS enterprises,
      (SELECT COUNT(*) FROM chains) AS chains,
      (SELECT COUNT(DISTINCT item_id) FROM chain_items) AS items,
      (SELECT COUNT(DISTINCT d.uscc) FROM designations d WHERE d.kind = 'little_giant' AND {valid}
         AND d.uscc IN ({firms})) AS little_giants,
      (SELECT COUNT(DISTINCT d.uscc) FROM designations d WHERE d.kind = 'srdi_sme' AND {valid}
         AND d.uscc IN ({firms})) AS srdi,
      (SELECT COUNT(*) FROM supply_links) AS supply_links"""
    n = valid.count("?")
    r = engine.fetch_df(q, [as_of.isoformat()] * (2 * n)).iloc[0]
    return {**{k: int(r[k]) for k in r.index}, "as_of": as_of.isoformat()}


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per data table."""
    from reforge.schema.tables import DATA_TABLES
    q = " UNION ALL ".join(f"SELECT {literal(t)} AS t, COUNT(*) AS n FROM {ident(t, 'table')}" for t in DATA_TABLES)
    return {r["t"]: int(r["n"]) for r in engine.fetch_df(q).to_dict(orient="records")}


def series_name(code: Any, lang: str) -> str:
    """A chart legend entry for a region or country code: GB/T 2260 or CLDR name."""
    c = str(code)
    if len(c) == 6 and c.isdigit():
        return names.region_name(c, lang)
    if len(c) == 2 and c.isalpha():
        return names.country(c, lang)
    return c


def indicator_charts(rows: list[dict], tr_or: Callable[[str, str], str], lang: str = "en") -> list[dict]:
    """One line chart per indicator (a line per region, named in ``lang``)."""
    by: dict[str, dict[str, dict[int, float]]] = {}
    units: dict[str, str] = {}
    for r in rows:
        by.setdefault(r["indicator"], {}).setdefault(r["region_code"], {})[int(r["year"])] = r["value"]
        units[r["indicator"]] = r.get("unit") or ""
    out = []
    for ind, regions in sorted(by.items()):
        years = sorted({y for s in regions.values() for y in s})
        series = {series_name(reg, lang): [s.get(y) for y in years] for reg, s in sorted(regions.items())}
        title = tr_or(f"ind.{ind}", ind.replace("_", " "))
        unit = tr_or(f"unit.{units[ind]}", units[ind]) if units[ind] else ""
        out.append({"id": f"ind-{ind}", "option": charts.line(title, years, series, unit)})
    return out


def label_counts(b: Any) -> dict[str, int]:
    """Items per label in a bottlenecks result."""
    return dict(Counter(str(r.get("label")) for r in records(b)))


def item_labels(b: Any) -> dict[str, str]:
    return {str(r.get("item_id")): str(r.get("label")) for r in records(b)}


def bottleneck_rows(b: Any) -> list[dict]:
    """Bottleneck items (priority order as given), non-sound first."""
    rows = records(b)
    return sorted(rows, key=lambda r: (r.get("label") == "sound", -(r.get("priority") or 0)))


def item_metrics(b: Any, item_id: str) -> dict | None:
    for r in records(b):
        if r.get("item_id") == item_id:
            return r
    return None


def chain_map_option(cmap: dict, labels: dict[str, str], lang: str, label_names: dict[str, str]) -> dict:
    """ECharts graph of the chain template coloured by label."""
    nodes = cmap.get("nodes") or []
    edges = cmap.get("edges") or []
    ids = [str(n.get("id") or n.get("item_id")) for n in nodes]
    depth = charts.layers(ids, [{"source": str(e.get("source") or e.get("input_item")),
                                 "target": str(e.get("target") or e.get("output_item"))} for e in edges])
    ns = []
    for n, i in zip(nodes, ids, strict=True):
        ns.append({"id": i, "name": name_of(n, lang) or i, "label": labels.get(i) or n.get("label"),
                   "layer": depth.get(i, 0), "end": bool(n.get("is_end_product"))})
    es = [{"source": str(e.get("source") or e.get("input_item")),
           "target": str(e.get("target") or e.get("output_item"))} for e in edges]
    return charts.chain_graph(ns, es, label_names)


def countries(engine: Engine, chain_id: str) -> list[str]:
    """Countries of foreign suppliers of the chain's items (for the simulator)."""
    df = engine.fetch_df("""SELECT DISTINCT f.country FROM capabilities c
        JOIN foreign_suppliers f ON f.supplier_id = c.producer_id
        WHERE c.producer_type = 'foreign' AND c.item_id IN
          (SELECT item_id FROM chain_items WHERE chain_id = ?) ORDER BY f.country""", [chain_id])
    out = [str(x) for x in df["country"].tolist()]
    return out or [str(x) for x in engine.fetch_df(
        "SELECT DISTINCT country FROM foreign_suppliers ORDER BY country")["country"].tolist()]


def chain_firms(engine: Engine, chain_id: str, q: str, limit: int = 20, region: str | None = None) -> list[dict]:
    """Firms of a chain (main product or a capability on one of its items) whose name, English name
    or USCC contains ``q``: ``[{uscc, name, name_en}]`` by name; ``region`` (a region-bound
    account): its firms only."""
    from reforge.region import region_clause
    cond, bind = region_clause(region)
    return rows(engine, f"""
        WITH items AS (SELECT item_id FROM chain_items WHERE chain_id = $chain)
        SELECT e.uscc, e.name, e.name_en FROM enterprises e
        WHERE (e.main_item_id IN (SELECT item_id FROM items)
               OR e.uscc IN (SELECT producer_id FROM capabilities WHERE item_id IN (SELECT item_id FROM items)))
          AND (e.name LIKE $q {LIKE_ESCAPE} OR COALESCE(e.name_en, '') ILIKE $q {LIKE_ESCAPE}
               OR e.uscc LIKE $qu {LIKE_ESCAPE}) AND {cond}
        ORDER BY e.name, e.uscc LIMIT {int(limit)}""",
                {"chain": chain_id, "q": like_pattern(q), "qu": like_pattern(q.upper()), **bind})


def regions(engine: Engine) -> list[dict]:
    """Province and prefecture codes that have enterprises, with GB/T 2260 names (for the simulator)."""
    df = engine.fetch_df("""SELECT code, COUNT(*) AS firms FROM (
        SELECT province_code AS code FROM enterprises UNION ALL
        SELECT city_code AS code FROM enterprises WHERE city_code IS NOT NULL) t
        GROUP BY code ORDER BY code""")
    try:
        from reforge.ingest.codes import current_divisions
        names = dict(zip(current_divisions()["code"], current_divisions()["name"], strict=True))
    except (ImportError, OSError, KeyError):
        names = {}
    return [{"code": str(r["code"]), "name": names.get(str(r["code"]), ""), "firms": int(r["firms"])}
            for r in df.to_dict(orient="records")]


def simulation_view(d: Any, chain_id: str) -> dict:
    """Totals, the row of this chain in ``by_chain`` and the top items."""
    d = d if isinstance(d, dict) else {}
    by_chain = [r for r in d.get("by_chain") or [] if isinstance(r, dict)]
    this = next((r for r in by_chain if r.get("chain_id") == chain_id), None)
    items = sorted([r for r in d.get("by_item") or [] if isinstance(r, dict)],
                   key=lambda r: -(r.get("lost_value") or 0))[:20]
    hit = sorted({str(r["item_id"]) for r in d.get("by_item") or [] if isinstance(r, dict) and r.get("item_id")})
    return {"count": d.get("disrupted_firms_count", len(d.get("disrupted_firms") or [])),
            "lost_value": d.get("lost_value"), "rounds": d.get("rounds"), "this_chain": this,
            "by_chain": by_chain, "by_item": items, "firms": (d.get("disrupted_firms") or [])[:50], "hit": hit}


def panel_chart(years: list[dict], tr: Tr) -> dict | None:
    """Revenue, R&D expense and net profit over the years (CNY)."""
    if not years:
        return None
    xs = [r["year"] for r in years]
    series = {tr("ent.revenue"): [r.get("revenue") for r in years],
              tr("ent.rd_expense"): [r.get("rd_expense") for r in years],
              tr("ent.net_profit"): [r.get("net_profit") for r in years]}
    return charts.line(tr("ent.panel"), xs, series, tr("unit.yuan"))


def screening_view(d: Any) -> list[dict]:
    """Per tier: ``{tier, outcome, score, points, reasons, failed}`` from ``firms.profile``."""
    if isinstance(d, dict):
        for k in ("tiers", "screening", "screens"):
            v = d.get(k)
            if isinstance(v, dict):
                return [{"tier": t, **(x if isinstance(x, dict) else {"outcome": x})} for t, x in v.items()]
            if isinstance(v, list):
                return [x for x in v if isinstance(x, dict)]
    return records(d)


def credit_view(d: Any) -> dict | None:
    """One firm's ``{uscc, score, pd, grade, reasons, overlays}``."""
    rows = records(d)
    if rows:
        return rows[0]
    return d if isinstance(d, dict) and "grade" in d else None


def screen_view(d: Any) -> dict:
    """Candidates (pass) and near-misses of a screening result."""
    rows = records(d)
    cand = [r for r in rows if str(r.get("outcome")) == "pass"]
    near = [r for r in rows if is_near_miss(r)]
    near.sort(key=lambda r: -(r.get("score") or 0))
    cand.sort(key=lambda r: -(r.get("score") or 0))
    return {"candidates": cand[:100], "near": near[:100], "n_candidates": len(cand), "n_near": len(near),
            "n": len(rows), "all_candidates": cand, "all_near": near}


def is_near_miss(r: dict) -> bool:
    """A failing firm that misses exactly one condition and no veto (the firms issue's definition)."""
    if str(r.get("outcome")).replace("_", "-") == "near-miss":
        return True
    failed = r.get("failed") or []
    return (r.get("outcome") == "fail" and len(failed) == 1
            and not str((failed[0] or {}).get("condition", "")).startswith("veto"))


def cohort_chart(d: Any, tr: Tr) -> dict | None:
    """A line per cohort of a numeric measure over years since designation, when the shape allows."""
    rows = records(d)
    if not rows:
        return None
    keys = rows[0].keys()
    coh = next((k for k in ("cohort", "batch", "group") if k in keys), None)
    xk = next((k for k in ("year", "years_since", "e", "rel_year") if k in keys), None)
    num = [k for k in keys if k not in (coh, xk) and isinstance(rows[0].get(k), int | float)
           and not isinstance(rows[0].get(k), bool)]
    if not (coh and xk and num):
        return None
    yk = "share_passing" if "share_passing" in keys else num[0]
    xs = sorted({r[xk] for r in rows})
    series: dict[str, list] = {}
    for c in sorted({r[coh] for r in rows}):
        m = {r[xk]: r.get(yk) for r in rows if r[coh] == c}
        series[str(c)] = [m.get(x) for x in xs]
    return charts.line(f"{tr('tiers.cohorts')}: {tr('col.' + yk)}", xs, series)


def credit_page_view(d: Any, tr: Tr) -> dict:
    """Grade distribution chart and validation figures from a scores result."""
    rows = records(d)
    grades = Counter(str(r.get("grade")) for r in rows if r.get("grade") is not None)
    scale = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
    order = [g for g in scale if g in grades] + sorted(g for g in grades if g not in scale)
    dist = charts.bar(tr("credit.distribution"), order, {tr("common.count"): [grades[g] for g in order]})
    val = d.get("validation") if isinstance(d, dict) else None
    pds = {}
    for g in order:
        v = [r.get("pd") for r in rows if str(r.get("grade")) == g and isinstance(r.get("pd"), int | float)]
        pds[g] = sum(v) / len(v) if v else None
    pd_chart = charts.bar(tr("credit.default_rate"), order, {"PD": [pds[g] for g in order]})
    return {"dist": dist, "pd_chart": pd_chart, "n": len(rows), "year": d.get("year") if isinstance(d, dict) else None,
            "validation": val if isinstance(val, dict) else None,
            "worst": sorted(rows, key=lambda r: -(r.get("pd") or 0))[:20]}


def sector_names(engine: Engine, table_id: str) -> dict[str, dict]:
    """``code -> {name, name_zh}`` of an IO table's sectors."""
    rs = engine.fetch_df("SELECT code, name, name_zh FROM io_sectors WHERE table_id = ? ORDER BY code", [table_id])
    return {str(r["code"]): {"name": r["name"], "name_zh": r["name_zh"]} for r in rs.to_dict(orient="records")}


def key_sector_view(d: Any, lang: str, tr: Tr) -> dict:
    """Key-sector table and the backward/forward linkage scatter (points labelled in ``lang``)."""
    rows = records(d)
    pts = [(r.get("backward_linkage"), r.get("forward_linkage"), name_of(r, lang) or str(r.get("code"))) for r in rows
           if isinstance(r.get("backward_linkage"), int | float) and isinstance(r.get("forward_linkage"), int | float)]
    chart = charts.scatter(tr("sectors.linkages"), pts, tr("sectors.backward"), tr("sectors.forward"))
    return {"rows": rows, "chart": chart}


def warning_rows(d: Any) -> list[dict]:
    """Firms with an amber or red warning, red first."""
    order = {"red": 0, "amber": 1}
    rows = [r for r in records(d) if r.get("level") in order]
    return sorted(rows, key=lambda r: (order[r["level"]], str(r.get("uscc"))))


def warning_summary(d: Any) -> dict:
    """Counts of designated firms by warning level (green / amber / red)."""
    rows = records(d)
    by = Counter(str(r.get("level")) for r in rows if r.get("level") is not None)
    return {"n": len(rows), "year": d.get("year") if isinstance(d, dict) else None,
            "by": {k: by[k] for k in ("red", "amber", "green") if k in by} | {k: v for k, v in by.items()
                                                                             if k not in ("red", "amber", "green")}}


def import_errors(out: dict) -> list[dict]:
    """The error list of an importer result (``errors``: file, row, column, value, reason)."""
    errs = out.get("errors") if isinstance(out, dict) else None
    if isinstance(errs, list):
        return [e for e in errs if isinstance(e, dict)]
    det = out.get("detail") if isinstance(out, dict) else None
    if isinstance(det, list):
        return [{"column": ".".join(map(str, x.get("loc", []))), "reason": x.get("msg")} for x in det]
    return []
