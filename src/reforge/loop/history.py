"""Label history of a chain's items (issue 18, point 3).

:func:`label_history` gives the bottleneck label (``reforge.chain.bottlenecks(year=t)``, not
re-implemented) of every item of a chain for every year with supply links of its items, the
transitions between consecutive years, and two lists against a ``since`` year (default: the
year before the last): **resolved** (missing, blank or chokepoint then; weak or sound now)
and **newly choked** (missing, blank or chokepoint now; anything else then).

Rows are stored once per data change in the service table ``label_history`` (one row per
chain, year and item) with an ``inputs_fingerprint`` per chain and year: the year's supply
links of the chain's items (count and value in whole cents), the capabilities of its items
(count, levels and start years), the template (items, links, shares, criticality, end
values), the foreign suppliers and the thresholds. A year whose stored fingerprint differs
from the current one is stale and recomputed; stored rows are only written with the default
thresholds and on a DuckDB database opened for writing (otherwise the years are computed
and nothing is written).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pandas as pd

from reforge.chain import bottlenecks, load_thresholds
from reforge.engine import DuckDBEngine
from reforge.engine.base import Engine
from reforge.loop import sql
from reforge.loop.leaders import check_chain
from reforge.loop.result import HistoryResult

TABLE = "label_history"
COLS = ("chain_id", "year", "item_id", "label", "priority", "domestic_share", "import_dependence", "top_country",
        "top_country_share", "downstream_reach", "tech_gap", "domestic_producers", "reason_codes",
        "inputs_fingerprint", "computed_at")
PROBLEM = ("missing", "blank", "chokepoint")
# severity of a label for the direction of a transition (lower = worse); insufficient_data has none
SEVERITY = {"missing": 0, "blank": 0, "chokepoint": 1, "weak": 2, "sound": 3}


def fingerprints(engine: Engine, chain_id: str, thresholds: dict | None = None) -> dict[int, str]:
    """``{year: fingerprint}`` of the label inputs for each year with supply links of the chain's items."""
    p = {"chain": chain_id}
    items = "(SELECT item_id FROM chain_items WHERE chain_id = $chain)"
    links = engine.fetch_df(
        "SELECT CAST(year AS BIGINT) AS year, COUNT(*) AS n, "
        "CAST(SUM(CAST(FLOOR(value * 100) AS DECIMAL(38, 0))) AS VARCHAR) AS cents, "
        "SUM(CASE WHEN supplier_type = 'enterprise' THEN 1 ELSE 0 END) AS n_dom "
        f"FROM supply_links WHERE item_id IN {items} GROUP BY year ORDER BY year", p)
    caps = engine.fetch_df(
        "SELECT COUNT(*) AS n, SUM(COALESCE(tech_level, 0)) AS lv, SUM(COALESCE(since_year, 0)) AS sy, "
        "SUM(CASE WHEN producer_type = 'enterprise' THEN 1 ELSE 0 END) AS nd "
        f"FROM capabilities WHERE item_id IN {items}", p) if engine.table_exists("capabilities") else None
    tpl = engine.fetch_df(
        "SELECT (SELECT COUNT(*) FROM chain_items WHERE chain_id = $chain) AS ni, "
        "(SELECT SUM(CASE WHEN is_end_product THEN 1 ELSE 0 END) FROM chain_items WHERE chain_id = $chain) AS ne, "
        "(SELECT CAST(SUM(COALESCE(end_value, 0)) AS VARCHAR) FROM chain_items WHERE chain_id = $chain) AS ev, "
        "(SELECT COUNT(*) FROM chain_links WHERE chain_id = $chain) AS nl, "
        "(SELECT CAST(ROUND(SUM(COALESCE(share, 0) + 2 * COALESCE(criticality, 1)), 6) AS VARCHAR) "
        " FROM chain_links WHERE chain_id = $chain) AS ls, "
        f"(SELECT SUM(COALESCE(frontier_level, 0)) FROM items WHERE item_id IN {items}) AS fl, "
        "(SELECT COUNT(*) FROM foreign_suppliers) AS nf", p)
    th = load_thresholds(thresholds).model_dump()
    base = json.dumps({"caps": None if caps is None else [_canon(v) for v in caps.iloc[0].tolist()],
                       "tpl": [_canon(v) for v in tpl.iloc[0].tolist()], "th": th}, sort_keys=True)
    h = hashlib.sha1(base.encode()).hexdigest()[:16]
    return {int(r.year): f"{int(r.n)}:{_int_text(r.cents)}:{int(r.n_dom)}:{h}" for r in links.itertuples(index=False)}


def _canon(v: object) -> str:
    """A value as the same text on every engine (numbers to 6 decimals, missing as 'null')."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "null"
    try:
        return f"{float(v):.6f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)


def _int_text(v: object) -> str:
    s = "0" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()
    return s.split(".")[0]


def _stored(engine: Engine, chain_id: str) -> dict[int, str | None]:
    if not engine.table_exists(TABLE):
        return {}
    df = engine.fetch_df(f"SELECT CAST(year AS BIGINT) AS year, MIN(inputs_fingerprint) AS lo, "
                         f"MAX(inputs_fingerprint) AS hi FROM {TABLE} WHERE chain_id = $chain GROUP BY year",
                         {"chain": chain_id})
    return {int(r.year): (r.lo if r.lo == r.hi else None) for r in df.itertuples(index=False)}


def compute_year(engine: Engine, chain_id: str, year: int, thresholds: dict | None = None,
                 region: str | None = None) -> pd.DataFrame:
    """The rows of one year (without fingerprint and time), from ``bottlenecks(year=year)``
    (``region``: from the supply links of that GB/T 2260 region's buyers)."""
    b = bottlenecks(engine, chain_id, thresholds, year=int(year), region=region)
    rows = [{"chain_id": chain_id, "year": int(year), "item_id": i["item_id"], "label": i["label"],
             "priority": i["priority"], "domestic_share": i.get("domestic_share"),
             "import_dependence": i.get("import_dependence"), "top_country": i.get("top_country"),
             "top_country_share": i.get("top_country_share"), "downstream_reach": i.get("downstream_reach"),
             "tech_gap": i.get("tech_gap"), "domestic_producers": i.get("domestic_producers"),
             "reason_codes": json.dumps(i.get("reason_codes") or [], ensure_ascii=False, default=str)}
            for i in b.items]
    return pd.DataFrame(rows, columns=list(COLS[:-2]))


def label_history(engine: Engine, chain_id: str, thresholds: dict | None = None, since: int | None = None,
                  store: bool = True, region: str | None = None) -> HistoryResult:
    """Labels per item and year, transitions, resolved and newly-choked lists (see the module doc).

    ``store``: write missing or stale years to ``label_history`` when possible (default
    thresholds, writable DuckDB); reading never needs write access. ``region`` (GB/T 2260 code):
    the labels of that region's buyers, always computed (the stored history is national)."""
    chain = check_chain(engine, chain_id)
    sql.need_tables(engine, ("chain_items", "chain_links", "items", "supply_links", "foreign_suppliers"))
    fps = fingerprints(engine, chain_id, thresholds)
    years = sorted(fps)
    stored = _stored(engine, chain_id) if thresholds is None and region is None else {}
    fresh = [y for y in years if stored.get(y) == fps[y]]
    todo = [y for y in years if y not in fresh]
    parts = []
    if fresh:
        marks = sql.marks("y", len(fresh))
        df = engine.fetch_df(f"SELECT {', '.join(COLS[:-2])} FROM {TABLE} WHERE chain_id = $chain "
                             f"AND year IN ({marks})", sql.params(chain_id, years=fresh))
        parts.append(df)
    new = [compute_year(engine, chain_id, y, thresholds, region) for y in todo]
    parts += new
    orphaned = sorted(y for y in stored if y not in fps)
    writable = engine.stores
    if store and thresholds is None and region is None and writable and (todo or orphaned):
        _write(engine, chain_id, pd.concat(new, ignore_index=True) if new else None, fps, todo + orphaned)
    rows = (pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts)
            else pd.DataFrame(columns=list(COLS[:-2])))
    rows["year"] = rows["year"].astype("int64")
    rows = rows.sort_values(["item_id", "year"], kind="stable").reset_index(drop=True)
    items = engine.fetch_df("SELECT i.item_id, i.name, i.name_zh, i.foundation FROM chain_items ci "
                            "JOIN items i ON i.item_id = ci.item_id WHERE ci.chain_id = $chain ORDER BY i.item_id",
                            {"chain": chain_id})
    if since is None and len(years) >= 2:
        since = years[-2]
    tr = transitions(rows, items)
    res, newc = changes(rows, items, since, years[-1] if years else None)
    return HistoryResult(chain, years, rows, items, tr, res, newc, since if years else None, fresh, todo, region)


def _write(engine: DuckDBEngine, chain_id: str, df: pd.DataFrame | None, fps: dict[int, str],
           clear: list[int]) -> None:
    from reforge.schema.ddl import create_table_sql
    from reforge.schema.tables import get_table
    engine.execute(create_table_sql(get_table(TABLE)))
    with engine.transaction():
        engine.execute(f"DELETE FROM {TABLE} WHERE chain_id = $chain AND year IN ({sql.marks('y', len(clear))})",
                       sql.params(chain_id, years=clear))
        if df is not None and len(df):
            out = df.copy()
            out["inputs_fingerprint"] = out["year"].map(fps)
            out["computed_at"] = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
            tmp = engine.temp_name("label_history_new")
            engine.register(tmp, out[list(COLS)])
            try:
                engine.execute(f"INSERT INTO {TABLE} ({', '.join(COLS)}) SELECT {', '.join(COLS)} FROM {tmp}")
            finally:
                engine.drop(tmp)


def direction(a: str, b: str) -> str:
    """``better``, ``worse``, ``lateral`` (same severity) or ``unknown`` (insufficient data on a side)."""
    sa, sb = SEVERITY.get(a), SEVERITY.get(b)
    if sa is None or sb is None:
        return "unknown"
    return "better" if sb > sa else "worse" if sb < sa else "lateral"


def _names(items: pd.DataFrame) -> dict[str, dict]:
    return {str(r.item_id): {"name": r.name, "name_zh": r.name_zh} for r in items.itertuples(index=False)}


def transitions(rows: pd.DataFrame, items: pd.DataFrame) -> list[dict]:
    """Label changes between consecutive years with data of each item, by item then year."""
    nm = _names(items)
    out = []
    for iid, g in rows.sort_values(["item_id", "year"]).groupby("item_id", sort=True):
        prev = None
        for r in g.itertuples(index=False):
            if prev is not None and prev.label != r.label:
                out.append({"item_id": str(iid), **nm.get(str(iid), {"name": None, "name_zh": None}),
                            "from_year": int(prev.year), "to_year": int(r.year), "from_label": str(prev.label),
                            "to_label": str(r.label), "direction": direction(str(prev.label), str(r.label))})
            prev = r
    return out


def changes(rows: pd.DataFrame, items: pd.DataFrame, since: int | None, last: int | None) -> tuple[list[dict], list[dict]]:
    """(resolved, newly choked) between ``since`` and ``last`` (see the module doc)."""
    if since is None or last is None or since == last:
        return [], []
    nm = _names(items)
    a = rows[rows["year"] == since].set_index("item_id")["label"]
    b = rows[rows["year"] == last].set_index("item_id")["label"]
    resolved, newly = [], []
    for iid in sorted(set(a.index) & set(b.index)):
        was, now = str(a[iid]), str(b[iid])
        row = {"item_id": iid, **nm.get(iid, {"name": None, "name_zh": None}), "was": was, "now": now}
        if was in PROBLEM and now in ("weak", "sound"):
            resolved.append(row)
        elif now in PROBLEM and was not in PROBLEM:
            newly.append(row)
    return resolved, newly
