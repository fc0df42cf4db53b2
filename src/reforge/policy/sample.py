"""What a programme estimate rests on: the firms the estimator used (treated and comparison),
treated firms per event time, the small-sample floors, the outcome's unit and the p-value.

Floors (documented in docs/policy.md): an estimate from fewer than ``MIN_TREATED`` treated
firms is flagged as resting on few treated firms; an event time whose cells hold fewer than
``MIN_CELL_TREATED`` treated firms gets no confidence band (its spread cannot be estimated
with any reliability), and neither does one whose standard error could not be computed.
"""

from __future__ import annotations

import math
from typing import Any

from reforge.messages import Message
from reforge.policy.did import DidResult

MIN_TREATED = 30
MIN_CELL_TREATED = 5

# Units of the derived outcomes: (unit code, factor from the stored value to the shown one).
# Fractions are shown in percentage points, log differences in log points (x 100).
DERIVED_UNITS = {"rd_intensity": ("pp", 100.0), "revenue_growth": ("pp", 100.0), "profit_margin": ("pp", 100.0),
                 "debt_ratio": ("pp", 100.0), "log_revenue": ("log_points", 100.0)}
PERSON_COLUMNS = {"employees", "rd_staff"}


def outcome_unit(outcome: str, column_doc: str = "", column_type: str = "", rule: str | None = None
                 ) -> dict[str, Any]:
    """``{"code", "scale"}`` of an outcome: ``pp`` (percentage points, x 100) for fractions,
    ``log_points`` for log outcomes, ``yuan`` for money columns (schema doc "CNY"), ``persons``
    for headcounts, ``count`` for other whole numbers, ``none`` otherwise."""
    if outcome in DERIVED_UNITS:
        code, scale = DERIVED_UNITS[outcome]
    elif "CNY" in column_doc:
        code, scale = "yuan", 1.0
    elif rule == "share":
        code, scale = "pp", 100.0
    elif outcome in PERSON_COLUMNS:
        code, scale = "persons", 1.0
    elif column_type in ("INTEGER", "BIGINT"):
        code, scale = "count", 1.0
    else:
        code, scale = "none", 1.0
    return {"code": code, "scale": scale}


def unit_of(outcome: str) -> dict[str, Any]:
    """``outcome_unit`` with the enterprise_years column definition looked up in the schema."""
    from reforge.schema.tables import get_table
    try:
        col = get_table("enterprise_years").column(outcome)
    except KeyError:
        return outcome_unit(outcome)
    return outcome_unit(outcome, col.doc, col.type, col.rule)


def p_value(att: float | None, se: float | None) -> float | None:
    """Two-sided p-value of att = 0 under the normal approximation (None without an SE)."""
    if att is None or se is None or not math.isfinite(att) or not math.isfinite(se) or se <= 0:
        return None
    return math.erfc(abs(att / se) / math.sqrt(2.0))


def counts(res: DidResult, dynamic_by: list[dict]) -> dict[str, Any]:
    """Firms behind the estimate: ``treated`` (firms of the estimated cohorts in the balanced
    panel), ``control`` (the other firms of the panel: never treated, or treated only after the
    last estimated period and used as not-yet-treated comparisons), ``never_treated``,
    ``units`` (= treated + control), ``by_e`` ``[{e, treated}]`` (treated firms in the cells
    of each event time of ``dynamic_by``), and the small-sample flags ``few_treated`` and
    ``thin_e`` (event times under ``MIN_CELL_TREATED``), with the floors used."""
    size = res.panel.cohort_size
    treated = int(sum(size.get(g, 0) for g in res.panel.glist))
    units = int(res.panel.n)
    cells = res.cells
    ok = cells["att"].notna()
    ev = (cells["time"] - cells["group"]).to_numpy(dtype=float)
    by_e = []
    for row in dynamic_by:
        e = float(row["e"])
        groups = set(cells.loc[ok & (ev == e), "group"].astype(float))
        by_e.append({"e": row["e"], "treated": int(sum(size.get(g, 0) for g in groups))})
    thin = [r["e"] for r in by_e if r["treated"] < MIN_CELL_TREATED]
    return {"treated": treated, "control": units - treated, "never_treated": int(size.get(0.0, 0)),
            "units": units, "by_e": by_e, "few_treated": treated < MIN_TREATED, "thin_e": thin,
            "min_treated": MIN_TREATED, "min_cell_treated": MIN_CELL_TREATED}


def small_sample_note(c: dict[str, Any]) -> Message | None:
    """A coded note when the estimate rests on few treated firms or thin event times."""
    if c["few_treated"]:
        return Message("policy.note.few_treated", {"n": c["treated"], "min": c["min_treated"]},
                       f"only {c['treated']} treated firms (fewer than {c['min_treated']}): the estimate "
                       "is imprecise and may be driven by a few firms")
    if c["thin_e"]:
        return Message("policy.note.thin_event_times", {"n": len(c["thin_e"]), "min": c["min_cell_treated"]},
                       f"{len(c['thin_e'])} event times have fewer than {c['min_cell_treated']} treated "
                       "firms: no band is drawn there")
    return None
