"""Item metrics of a chain (``reforge chain bottlenecks``): set-based SQL plus labels.

All metrics are per item over the purchases recorded in ``supply_links`` for one
year (default: the latest year present) and the producers in ``capabilities``
(active in that year: ``since_year`` NULL or <= year) and in ``supply_links``.

* ``domestic_producers`` / ``foreign_producers`` - distinct producers (enterprise /
  foreign supplier) with a capability or a supply link for the item;
* ``total_value`` - purchase value of the item by all buyers in the data (CNY);
  ``domestic_share`` = value from enterprises / total; ``import_dependence`` =
  1 - domestic_share (NULL when nobody buys the item);
* ``foreign_country_hhi`` - Herfindahl index (0-1) of import value over supplier
  countries; ``top_country`` / ``top_country_share`` - the largest country and its
  share of imports;
* ``supplier_hhi`` / ``top1_share`` - Herfindahl index and largest share of purchase
  value over all suppliers (domestic and foreign);
* ``best_domestic_level`` - highest ``tech_level`` of a domestic capability;
  ``tech_gap`` = frontier level - best domestic level (NULL without domestic level);
* ``single_supplier_buyers`` - buyers that buy the item from exactly one supplier;
* ``downstream_reach`` - share of the chain's end-product value that needs the item
  through the template (see ``graph.Template.reach``).

Missing inputs never look healthy (issue 14): each item carries ``missing``, a list of
``{"code", "params"}`` naming the inputs a label rule could not be checked on -
``tech_level_unknown`` (domestic producers, none with a technology level active in the
year, e.g. a supplier whose capability row starts later) and ``no_purchases`` (nobody
buys the item in the year, so shares are unknown; not for end products, whose buyers are
final demand outside ``supply_links``). An item that would otherwise be
``sound`` is labelled ``insufficient_data`` instead, with a reason; a label that a
known input already decides (missing, blank, chokepoint, weak) stands, since an unknown
input can only add a rule of lower precedence.

Region scope (issue 19): with ``region`` (a GB/T 2260 code) the purchases are only the supply
links whose *buyer* is an enterprise in that region or below (``reforge.region.region_clause``),
so value, shares, concentrations, buyer counts and everything derived from them (labels, reasons,
priority) describe the region's firms. The producers (``domestic_producers``,
``foreign_producers``: capabilities and suppliers of the year's links of any buyer) and
``best_domestic_level`` stay national: a region's firms may buy from anywhere in China, and
"domestic" means Chinese, not local. The year is the national default year unless given.

How close a label is to flipping (issue 14): ``margin`` names the metric nearest its cut-off
(relative to the cut) with its signed distance, and ``stable`` says whether the label survives
each share input moved by 10 % up and down (``label_stable``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reforge.chain.graph import Template, load_template, require_tables
from reforge.chain.thresholds import Thresholds, load_thresholds
from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.messages import Message, codes_of
from reforge.region import check_region, region_clause

LABELS = ("missing", "blank", "chokepoint", "weak", "insufficient_data", "sound")
MISSING_CODES = ("tech_level_unknown", "no_purchases")
METRIC_COLUMNS = ("domestic_producers", "foreign_producers", "total_value", "domestic_value",
                  "domestic_share", "import_dependence", "foreign_country_hhi", "top_country",
                  "top_country_share", "supplier_hhi", "top1_share", "n_suppliers", "n_buyers",
                  "best_domestic_level", "frontier_level", "tech_gap", "single_supplier_buyers")


def resolve_year(engine: Engine, year: int | None) -> int | None:
    """The analysed year: ``year`` if given, else the latest well-covered year of ``supply_links``
    (``reforge.coverage.default_year``: a stray future row does not move it)."""
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int):
            raise ReforgeError(f"year must be an integer, got {year!r}")
        return year
    if not engine.table_exists("supply_links"):
        return None
    from reforge.coverage import default_year
    return default_year(engine, "supply_links")


def purchases_sql(item_sql: str, year: int | None, buyers: str | None = None) -> str:
    """The year's supply links of the items of ``item_sql``; with ``buyers`` (a condition over
    ``enterprises e``, e.g. ``reforge.region.region_clause``'s, its parameters bound by the
    caller) only the links whose buyer is such an enterprise."""
    yf = f"s.year = {int(year)}" if year is not None else "1 = 1"
    bf = f" AND s.buyer_uscc IN (SELECT e.uscc FROM enterprises e WHERE {buyers})" if buyers else ""
    return f"""
SELECT s.supplier_id, s.supplier_type, s.buyer_uscc, s.item_id, CAST(s.value AS DOUBLE) AS value
FROM supply_links s WHERE {yf} AND s.item_id IN ({item_sql}){bf}"""


def item_metrics_sql(item_sql: str, year: int | None, sl_table: str, default_frontier: int = 5,
                     producer_sl_table: str | None = None) -> str:
    """One query: metrics (see module doc) for the items of ``item_sql``; ``sl_table`` holds
    ``purchases_sql`` (a table or a parenthesised subquery). Keys are relied on, not
    re-checked: a supply link is unique per (supplier, buyer, item) within a year and a
    capability per (producer, item), so producers are capabilities plus the suppliers without
    one (an anti-join, no DISTINCT over both) and counts need no DISTINCT. ``sl_table`` is
    read twice rather than through a CTE, which DuckDB would copy (materialize).

    ``producer_sl_table`` (the national purchases when ``sl_table`` holds a region's): the links
    whose suppliers count as producers; default ``sl_table``'s."""
    cf = f"(c.since_year IS NULL OR c.since_year <= {int(year)})" if year is not None else "1 = 1"
    psup = ("sup" if producer_sl_table is None else
            f"(SELECT item_id, supplier_id, supplier_type FROM {producer_sl_table} pl "
            f"GROUP BY item_id, supplier_id, supplier_type)")
    return f"""
WITH it AS (
  SELECT i.item_id, i.name, i.name_zh, i.foundation,
         COALESCE(i.frontier_level, {int(default_frontier)}) AS frontier_level
  FROM items i WHERE i.item_id IN ({item_sql})
),
sup AS (
  SELECT item_id, supplier_id, supplier_type, SUM(value) AS v FROM {sl_table} sl
  GROUP BY item_id, supplier_id, supplier_type
),
cap AS (
  SELECT c.item_id, c.producer_id, c.producer_type, c.tech_level FROM capabilities c
  WHERE {cf} AND c.item_id IN (SELECT item_id FROM it)
),
prod AS (
  SELECT item_id, producer_id, producer_type, tech_level FROM cap
  UNION ALL
  SELECT s.item_id, s.supplier_id AS producer_id, s.supplier_type AS producer_type,
         CAST(NULL AS INTEGER) AS tech_level
  FROM {psup} s LEFT JOIN cap c
    ON c.item_id = s.item_id AND c.producer_id = s.supplier_id AND c.producer_type = s.supplier_type
  WHERE c.producer_id IS NULL
),
pstat AS (
  SELECT item_id,
         SUM(CASE WHEN producer_type = 'enterprise' THEN 1 ELSE 0 END) AS domestic_producers,
         SUM(CASE WHEN producer_type = 'foreign' THEN 1 ELSE 0 END) AS foreign_producers,
         MAX(CASE WHEN producer_type = 'enterprise' THEN tech_level END) AS best_domestic_level
  FROM prod GROUP BY item_id
),
vstat AS (
  SELECT item_id, SUM(v) AS total_value,
         SUM(CASE WHEN supplier_type = 'enterprise' THEN v ELSE 0 END) AS domestic_value,
         SUM(CASE WHEN supplier_type = 'foreign' THEN v ELSE 0 END) AS foreign_value,
         COUNT(*) AS n_suppliers
  FROM sup GROUP BY item_id
),
sstat AS (
  SELECT s.item_id,
         SUM((s.v / v.total_value) * (s.v / v.total_value)) AS supplier_hhi,
         MAX(s.v) / MAX(v.total_value) AS top1_share
  FROM sup s JOIN vstat v ON v.item_id = s.item_id WHERE v.total_value > 0 GROUP BY s.item_id
),
ctry AS (
  SELECT s.item_id, COALESCE(f.country, '??') AS country, SUM(s.v) AS v
  FROM sup s LEFT JOIN foreign_suppliers f ON f.supplier_id = s.supplier_id
  WHERE s.supplier_type = 'foreign' GROUP BY s.item_id, COALESCE(f.country, '??')
),
cstat AS (
  SELECT c.item_id, SUM((c.v / v.foreign_value) * (c.v / v.foreign_value)) AS foreign_country_hhi
  FROM ctry c JOIN vstat v ON v.item_id = c.item_id WHERE v.foreign_value > 0 GROUP BY c.item_id
),
ctop AS (
  SELECT item_id, country AS top_country, share AS top_country_share FROM (
    SELECT c.item_id, c.country, c.v / v.foreign_value AS share,
           ROW_NUMBER() OVER (PARTITION BY c.item_id ORDER BY c.v DESC, c.country) AS rn
    FROM ctry c JOIN vstat v ON v.item_id = c.item_id WHERE v.foreign_value > 0
  ) r WHERE rn = 1
),
bsup AS (
  SELECT item_id, buyer_uscc, COUNT(*) AS k FROM {sl_table} sl GROUP BY item_id, buyer_uscc
),
single AS (
  SELECT item_id, SUM(CASE WHEN k = 1 THEN 1 ELSE 0 END) AS single_supplier_buyers,
         COUNT(*) AS n_buyers
  FROM bsup GROUP BY item_id
)
SELECT it.item_id, it.name, it.name_zh, it.foundation,
       CAST(COALESCE(p.domestic_producers, 0) AS BIGINT) AS domestic_producers,
       CAST(COALESCE(p.foreign_producers, 0) AS BIGINT) AS foreign_producers,
       CAST(COALESCE(v.total_value, 0) AS DOUBLE) AS total_value,
       CAST(COALESCE(v.domestic_value, 0) AS DOUBLE) AS domestic_value,
       CASE WHEN v.total_value > 0 THEN v.domestic_value / v.total_value END AS domestic_share,
       CASE WHEN v.total_value > 0 THEN v.foreign_value / v.total_value END AS import_dependence,
       cs.foreign_country_hhi, ct.top_country, ct.top_country_share,
       ss.supplier_hhi, ss.top1_share,
       CAST(COALESCE(v.n_suppliers, 0) AS BIGINT) AS n_suppliers,
       CAST(COALESCE(sg.n_buyers, 0) AS BIGINT) AS n_buyers,
       CAST(p.best_domestic_level AS DOUBLE) AS best_domestic_level,
       CAST(it.frontier_level AS DOUBLE) AS frontier_level,
       CAST(it.frontier_level - p.best_domestic_level AS DOUBLE) AS tech_gap,
       CAST(COALESCE(sg.single_supplier_buyers, 0) AS BIGINT) AS single_supplier_buyers
FROM it
LEFT JOIN pstat p ON p.item_id = it.item_id
LEFT JOIN vstat v ON v.item_id = it.item_id
LEFT JOIN sstat ss ON ss.item_id = it.item_id
LEFT JOIN cstat cs ON cs.item_id = it.item_id
LEFT JOIN ctop ct ON ct.item_id = it.item_id
LEFT JOIN single sg ON sg.item_id = it.item_id
ORDER BY it.item_id
"""


def _num(x: object) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def missing_inputs(m: dict) -> list[dict]:
    """The label inputs that are unknown for an item with domestic producers (codes in
    ``MISSING_CODES``, each ``{"code", "params"}``); empty when every rule could be checked."""
    dom = int(m.get("domestic_producers") or 0)
    if dom == 0:
        return []  # missing / blank are decided by the producer counts alone
    out: list[dict] = []
    if _num(m.get("tech_gap")) is None:
        out.append({"code": "tech_level_unknown", "params": {"domestic_producers": dom}})
    if _num(m.get("domestic_share")) is None and not m.get("is_end_product"):
        out.append({"code": "no_purchases", "params": {}})
    return out


def label_item(m: dict, th: Thresholds) -> tuple[str, list[Message]]:
    """Label and reasons of one item from its metrics; precedence missing > blank > chokepoint >
    weak > insufficient_data > sound (``insufficient_data``: see ``missing_inputs``).

    Reasons name every rule that holds (not only the winning one) with the metric values. Each
    reason is a :class:`~reforge.messages.Message` (code ``chain.reason.*`` + parameters): an
    English string that the faces render in the reader's language.
    """
    reasons: list[Message] = []
    dom = int(m.get("domestic_producers") or 0)
    fore = int(m.get("foreign_producers") or 0)
    imp = _num(m.get("import_dependence"))
    top = _num(m.get("top_country_share"))
    reach = _num(m.get("downstream_reach")) or 0.0
    dshare = _num(m.get("domestic_share"))
    gap = _num(m.get("tech_gap"))
    missing = dom == 0 and fore == 0
    blank = dom == 0
    if missing:
        reasons.append(Message("chain.reason.missing"))
    elif blank:
        reasons.append(Message("chain.reason.blank", {"foreign": fore}))
    choke = (imp is not None and top is not None and imp >= th.chokepoint_import_dependence
             and top >= th.chokepoint_top_country_share and reach >= th.chokepoint_downstream_reach)
    if choke:
        reasons.append(Message("chain.reason.chokepoint", {
            "import_dependence": imp, "import_cut": th.chokepoint_import_dependence,
            "country": m.get("top_country"), "top_share": top, "top_cut": th.chokepoint_top_country_share,
            "reach": reach, "reach_cut": th.chokepoint_downstream_reach}))
    weak = False
    if dom > 0:
        if dshare is not None and dshare < th.weak_domestic_share:
            weak = True
            reasons.append(Message("chain.reason.weak_share", {"share": dshare, "cut": th.weak_domestic_share}))
        if gap is not None and gap >= th.weak_tech_gap:
            weak = True
            reasons.append(Message("chain.reason.weak_gap", {
                "gap": gap, "cut": th.weak_tech_gap, "best": _num(m.get("best_domestic_level")),
                "frontier": _num(m.get("frontier_level"))}))
    if missing:
        label = "missing"
    elif blank:
        label = "blank"
    elif choke:
        label = "chokepoint"
    elif weak:
        label = "weak"
    elif gaps := missing_inputs(m):
        label = "insufficient_data"
        for g in gaps:
            code = ("chain.reason.insufficient_tech" if g["code"] == "tech_level_unknown"
                    else "chain.reason.insufficient_purchases")
            reasons.append(Message(code, {"domestic": dom}))
    else:
        label = "sound"
        reasons.append(Message("chain.reason.sound", {"domestic": dom, "share": dshare, "gap": gap}))
    return label, reasons


STABILITY_STEP = 0.10  # relative change of each input for the stability flag


def _cuts(th: Thresholds) -> list[tuple[str, float]]:
    """(metric, cut-off) of every continuous label rule."""
    return [("import_dependence", th.chokepoint_import_dependence),
            ("top_country_share", th.chokepoint_top_country_share),
            ("downstream_reach", th.chokepoint_downstream_reach),
            ("domestic_share", th.weak_domestic_share), ("tech_gap", th.weak_tech_gap)]


def label_margin(m: dict, th: Thresholds) -> dict | None:
    """The nearest cut-off: ``{"metric", "value", "cut", "distance"}`` (distance = value - cut, in
    the metric's unit) for the metric closest to its cut relative to the cut; None without any
    known metric."""
    best: tuple[float, dict] | None = None
    for k, cut in _cuts(th):
        v = _num(m.get(k))
        if v is None:
            continue
        rel = abs(v - cut) / max(abs(cut), 1e-12)
        if best is None or rel < best[0]:
            best = (rel, {"metric": k, "value": v, "cut": cut, "distance": round(v - cut, 12)})
    return None if best is None else best[1]


def label_stable(m: dict, th: Thresholds, label: str, step: float = STABILITY_STEP) -> bool:
    """Whether the label survives each input moved by ``step`` (relative) up and down, one at a
    time: domestic share (import dependence moves with it), top-country share, downstream reach
    (shares clipped to 0-1). The technology gap is a whole number of levels and is not moved."""
    for k in ("domestic_share", "top_country_share", "downstream_reach"):
        v = _num(m.get(k))
        if v is None:
            continue
        for f in (1 - step, 1 + step):
            m2 = dict(m)
            m2[k] = min(max(v * f, 0.0), 1.0)
            if k == "domestic_share":
                m2["import_dependence"] = 1.0 - m2[k]
            if label_item(m2, th)[0] != label:
                return False
    return True


def priority_score(label: str, m: dict, th: Thresholds) -> float:
    """Priority 0-100 (see thresholds.yaml): label weight and import dependence, scaled by reach."""
    reach = _num(m.get("downstream_reach")) or 0.0
    imp = _num(m.get("import_dependence"))
    imp = 1.0 if imp is None else imp
    rf = th.priority_reach_floor + (1 - th.priority_reach_floor) * reach
    sev = (th.label_weight(label) + th.priority_import_weight * imp) / (1 + th.priority_import_weight)
    return round(100.0 * rf * sev, 4)


@dataclass
class Bottlenecks:
    """Item metrics, labels and priorities of one chain; items sorted by priority (desc)."""

    chain_id: str
    thresholds: Thresholds
    items: list[dict]
    year: int | None = None
    template: Template | None = field(default=None, repr=False)
    region: str | None = None  # GB/T 2260 code whose firms' purchases the metrics cover (None: all)

    def to_dict(self) -> dict:
        """``{"chain_id", "thresholds", "items": [...]}`` (JSON-safe)."""
        return {"chain_id": self.chain_id, "thresholds": self.thresholds.model_dump(),
                "items": [dict(i) for i in self.items]}

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """One row per item; ``reasons`` joined by '; ', in ``lang`` (default: English, or
        ``$REFORGE_LANG``) rendered from ``reason_codes``."""
        from reforge.messages import render_coded, resolve_lang
        lg = resolve_lang(lang)
        df = pd.DataFrame(self.items)
        if not df.empty:
            df["reasons"] = [
                "; ".join(render_coded(c, lg) for c in codes) if codes else "; ".join(rs)
                for codes, rs in zip(df.get("reason_codes", [None] * len(df)), df["reasons"], strict=True)]
            df = df.drop(columns=["reason_codes"], errors="ignore")  # the codes are for JSON readers
            df["missing"] = df["missing"].map(lambda gs: ", ".join(g["code"] for g in gs))
            df["margin"] = df["margin"].map(lambda g: "" if not g else f"{g['metric']} {g['distance']:+.3g}")
        return df

    def by_label(self) -> dict[str, list[str]]:
        """Item ids per label."""
        out: dict[str, list[str]] = {k: [] for k in LABELS}
        for i in self.items:
            out[i["label"]].append(i["item_id"])
        return out

    def plot(self, path: str | None = None):
        """Chain map + priority bars (matplotlib figure); saved to ``path`` if given."""
        from reforge.chain.plot import plot_bottlenecks
        return plot_bottlenecks(self, path)


def _clean(v: object) -> object:
    """A plain Python value: NaN, ``pd.NA`` and ``pd.NaT`` (a NULL of a nullable column) -> None."""
    if v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


METRICS_TABLES = {
    "items": ("item_id", "name", "name_zh", "foundation", "frontier_level"),
    "capabilities": ("producer_id", "producer_type", "item_id", "tech_level", "since_year"),
    "supply_links": ("supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"),
    "foreign_suppliers": ("supplier_id", "country"),
}


REGION_TABLES = {"enterprises": ("uscc", "province_code", "city_code", "county_code")}


def fetch_item_metrics(engine: Engine, item_sql: str, year: int | None, th: Thresholds,
                       params: dict[str, Any] | None = None, region: str | None = None) -> pd.DataFrame:
    """The metrics frame (one row per item) for the items of ``item_sql``, whose ``$name``
    markers are bound to ``params`` (named markers: ``item_sql`` appears more than once).
    ``region``: purchases by that region's enterprises only, producers national (module doc)."""
    require_tables(engine, METRICS_TABLES)
    # the purchases stay a subquery: two scans of the year's links cost less than a copy
    if region is None:
        sl = f"({purchases_sql(item_sql, year)})"
        return engine.fetch_df(item_metrics_sql(item_sql, year, sl, th.default_frontier_level), params)
    require_tables(engine, REGION_TABLES)
    cond, reg_params = region_clause(check_region(region), "e")
    sl = f"({purchases_sql(item_sql, year, cond)})"
    national = f"({purchases_sql(item_sql, year)})"
    return engine.fetch_df(item_metrics_sql(item_sql, year, sl, th.default_frontier_level, national),
                           {**(params or {}), **reg_params})


def shared_bottlenecks(engine: Engine, chain_id: str, year: int | None, region: str | None,
                       memo: dict | None) -> Bottlenecks:
    """:func:`bottlenecks` with the default thresholds, once per ``memo`` (a dict the caller
    keeps while the data are unchanged: the boards of a batch, or the server's analyses between
    two data changes); ``year`` None is resolved first, so that both spellings share an entry.
    Errors are not kept."""
    y = resolve_year(engine, year)
    if memo is None:
        return bottlenecks(engine, chain_id, year=y, region=region)
    key = ("bottlenecks", chain_id, y, region)
    if key not in memo:
        memo[key] = bottlenecks(engine, chain_id, year=y, region=region)
    return memo[key]


def bottlenecks(engine: Engine, chain_id: str, thresholds: dict | Thresholds | None = None,
                year: int | None = None, region: str | None = None) -> Bottlenecks:
    """Metrics, label, reasons and priority of every item of chain ``chain_id``.

    ``region`` (a six-digit GB/T 2260 code; None: the whole database): the metrics come from the
    supply links whose buyer is an enterprise in that region or below; producer counts and the
    best domestic technology level stay national (a region's firms may buy from anywhere in
    China; "domestic" means Chinese). Labels, reasons and priority follow from these metrics.
    A code that is not six digits raises ``region.bad_code``.
    """
    if region is not None:
        check_region(region)
    th = load_thresholds(thresholds)
    tpl = load_template(engine, chain_id)
    y = resolve_year(engine, year)
    df = fetch_item_metrics(engine, "SELECT item_id FROM chain_items WHERE chain_id = $chain_id", y, th,
                            {"chain_id": chain_id}, region)
    reach = tpl.reach(th.reach_min_criticality)
    info = tpl.items.set_index("item_id")
    rows: list[dict] = []
    for rec in df.to_dict(orient="records"):
        m = {k: _clean(v) for k, v in rec.items()}
        iid = m["item_id"]
        m["downstream_reach"] = float(reach.get(iid, 0.0))
        m["segment"] = _clean(info.at[iid, "segment"]) if iid in info.index else None
        ep = _clean(info.at[iid, "is_end_product"]) if iid in info.index else None
        m["is_end_product"] = None if ep is None else bool(ep)
        label, reasons = label_item(m, th)
        row = {"item_id": iid, "name": m["name"], "name_zh": m["name_zh"], "foundation": m["foundation"],
               "label": label, "reasons": [str(r) for r in reasons], "reason_codes": codes_of(reasons),
               "priority": priority_score(label, m, th),
               "segment": m["segment"], "is_end_product": m["is_end_product"],
               "downstream_reach": m["downstream_reach"], "missing": missing_inputs(m),
               "margin": label_margin(m, th), "stable": label_stable(m, th, label)}
        for c in METRIC_COLUMNS:
            row[c] = m.get(c)
        rows.append(row)
    missing_items = set(tpl.item_ids) - {r["item_id"] for r in rows}
    if missing_items:
        raise ReforgeError(f"chain {chain_id!r} lists items absent from table items: "
                           f"{', '.join(sorted(missing_items))}")
    rows.sort(key=lambda r: (-r["priority"], r["item_id"]))
    return Bottlenecks(chain_id, th, rows, y, tpl, region)
