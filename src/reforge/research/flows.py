"""Personnel flow (``reforge match flows``): R&D people moving between organisation types and fields.

- **Type matrix**: moves per (year, from_type, to_type), all kinds and full moves only.
- **Field flows**: moves per (year, field), with the moves into the system from outside
  (``in_moves``) and out of it (``out_moves``). *Inside the system* (体制内) = university,
  institute, state-owned enterprise, platform; *outside* = private enterprise.
- **Two-way index** per year: ``balance = (in - out) / (in + out)`` (-1 all outward, +1 all
  inward) and ``two_way = 2 min(in, out) / (in + out)`` (1 = as many each way, 0 = one way only).
- **Need and thin flow**: fields that are blank/chokepoint/weak items (``reforge.research.need``)
  with their moves over all years; a field is *thin* when its moves are below ``thin_share`` x
  the median moves of all fields with moves (``params.yaml``).

Counting is set-based SQL (:mod:`reforge.research.sql`), identical on DuckDB and Spark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.engine import Engine
from reforge.messages import Localized, Message
from reforge.research import sql as q
from reforge.research.common import check_tables, check_year
from reforge.research.need import item_labels, need_by_field
from reforge.research.params import ResearchParams, default_params
from reforge.research.result import FlowResult


def two_way_index(fields: pd.DataFrame) -> pd.DataFrame:
    """Per year: in_moves, out_moves, balance, two_way (NaN when no move crosses the border)."""
    g = fields.groupby("year")[["in_moves", "out_moves"]].sum().reset_index()
    tot = (g["in_moves"] + g["out_moves"]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["balance"] = np.where(tot > 0, (g["in_moves"] - g["out_moves"]) / tot, np.nan)
        g["two_way"] = np.where(tot > 0, 2 * np.minimum(g["in_moves"], g["out_moves"]) / tot, np.nan)
    return g.astype({"year": int, "in_moves": int, "out_moves": int})


def personnel_flows(engine: Engine, year: int | None = None, params: ResearchParams | None = None,
                    labels: pd.DataFrame | None = None) -> FlowResult:
    """Flow matrices, two-way index and thin fields of needed items, for ``year`` (default all years).

    ``labels`` (chain, item, label, weight as :func:`reforge.research.need.item_labels`) defaults to
    the chain capability's labels on the engine's data.
    """
    p = params or default_params()
    year = check_year(year)
    check_tables(engine, ["personnel_moves"])
    sql, b = q.type_matrix_sql(year)
    types = engine.fetch_df(sql, b)
    sql, b = q.field_flow_sql(year)
    fields = engine.fetch_df(sql, b)
    for c in ("moves", "full_moves"):
        types[c] = types[c].astype(int)
    for c in ("moves", "in_moves", "out_moves"):
        fields[c] = fields[c].astype(int)
    types["year"] = types["year"].astype(int)
    fields["year"] = fields["year"].astype(int)
    tw = two_way_index(fields)
    labels = item_labels(engine) if labels is None else labels
    need = need_by_field(labels)
    totals = fields.groupby("field")["moves"].sum()
    threshold = float(totals.median()) * p.thin_share if len(totals) else None
    names = labels.drop_duplicates("item_id").set_index("item_id") if len(labels) else None
    rows = []
    for r in need.itertuples():
        n = int(totals.get(r.field, 0))
        thin = threshold is not None and n < threshold
        nm = None if names is None else names.at[r.field, "name"]
        nz = None if names is None else names.at[r.field, "name_zh"]
        code = "research.flows.thin" if thin else "research.flows.enough"
        rows.append({"field": r.field, "name": nm, "name_zh": nz, "label": r.label, "need": float(r.need),
                     "moves": n, "thin": bool(thin),
                     "reason": Message(code, {"item": Localized({"en": nm or r.field, "zh": nz}),
                                              "label": Message(f"research.label.{r.label}"),
                                              "moves": n, "threshold": threshold or 0.0})})
    need_df = pd.DataFrame(rows, columns=["field", "name", "name_zh", "label", "need", "moves", "thin", "reason"])
    if len(need_df):
        need_df = need_df.sort_values(["thin", "need", "moves", "field"], ascending=[False, False, True, True])
    return FlowResult(year, list(q.INSIDE), types, fields, tw, need_df.reset_index(drop=True), threshold)





def flow_did(engine: Engine, control: str = "notyet", bootstrap: int = 0, seed: int | None = None):
    """Staggered DiD (Callaway-Sant'Anna, ``reforge.policy``) of the moves into a field per year
    after its programme date: the first year a platform serving the field was founded.

    Panel: every field with a move x every year with a move; outcome = moves in the field that
    year (0 when none); group = the programme year (0 = no platform, never treated). Fields
    whose programme predates the first year are dropped by the estimator. Returns the policy
    capability's ``DidResult`` (``to_dict()``: att_gt, aggregates, pretest).
    """
    from reforge.policy.did import att_gt
    check_tables(engine, ["personnel_moves", "platforms", "platform_fields"])
    sql = """
WITH yrs AS (SELECT DISTINCT year FROM personnel_moves),
f AS (SELECT DISTINCT field FROM personnel_moves WHERE field IS NOT NULL),
cnt AS (SELECT field, year, COUNT(*) AS moves FROM personnel_moves WHERE field IS NOT NULL GROUP BY field, year),
prog AS (SELECT pf.field, MIN(p.founded_year) AS g FROM platform_fields pf
         JOIN platforms p ON p.platform_id = pf.platform_id WHERE p.founded_year IS NOT NULL GROUP BY pf.field)
SELECT f.field, y.year, COALESCE(c.moves, 0) AS moves, COALESCE(prog.g, 0) AS g
FROM f CROSS JOIN yrs y LEFT JOIN cnt c ON c.field = f.field AND c.year = y.year
LEFT JOIN prog ON prog.field = f.field"""
    with engine.scratch() as tmp:
        name = engine.temp_name("research_flow_panel")
        engine.materialize(name, sql)
        tmp.append(name)
        return att_gt(engine, name, unit="field", time="year", group="g", outcome="moves", control=control,
                      bootstrap=bootstrap, seed=seed)
__all__ = ["flow_did", "personnel_flows", "two_way_index"]
