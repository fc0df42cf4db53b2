"""Outcome evaluation of tackling projects (issue 18, point 4), item as the unit:
``project_outcome(engine, outcome, lag, control)``.

The item panel has one row per chain item and link year (``supply_links`` years):

* ``domestic_share`` - domestic purchase value / all purchase value of the item (NULL when nobody
  buys it that year);
* ``tech_gap`` - frontier level (``items.frontier_level``, default 5) minus the best technology level
  of a domestic capability active that year (``since_year`` <= year; NULL without one);
* ``domestic_suppliers`` - enterprises that sold the item that year.

An item is treated from ``g`` = year(start of its first project that is not cancelled) + ``lag``
(the years a project needs before it can show in purchases and levels). Items whose ``g`` lies after
the last link year are comparison items (not yet treated within the data, as are items without
a project); items with ``g`` at or before the first link year have no pre-period and are left out.
The estimator is the staggered difference-in-differences of :func:`reforge.policy.att_gt`
(Callaway & Sant'Anna, unconditional, never-treated or not-yet-treated comparisons, units missing
a year's outcome dropped to balance the panel); the overall ATT is its ``simple`` aggregate with a
95 % pointwise band, the event-time profile its ``dynamic`` aggregate.

Small numbers are stated, not hidden: with fewer than ``MIN_TREATED`` treated items with a
pre-period or ``MIN_CONTROLS`` comparison items the result says the estimate cannot be made
(``loop.outcome.too_few``), any result on fewer than ``SMALL`` treated items carries a note, and a
note says when the Wald pre-test rejects parallel pre-trends at 5 % (``loop.outcome.pretrend``).

The 95 % band is the analytic one, ``att +/- 1.96 se`` (``band = "analytic"``), except when every
treated unit changed by the same amount each year as the other units of its cohort (typical of the
technology gap, a whole number of levels; a cohort of one unit has no spread either): the analytic
``se`` then estimates the treated units' spread as zero and its band is far too narrow, so the band
is a placebo (randomisation) band borrowing that spread from the comparison units
(:mod:`reforge.loop.placebo`, Conley & Taber; ``band = "placebo"``, note ``loop.outcome.placebo_band``;
``se`` stays the analytic one). With too few comparison units for a placebo band the analytic band is
kept with a note that it is too narrow (``loop.outcome.degenerate``).
With ``unit="firm"`` the same estimator compares participating firms (leads and enterprise
partners; treated from their first project's start year + ``lag``) with non-participants whose main
product is a chain item, on the firm panel (``rd_intensity`` = R&D expense / revenue,
``log_revenue``, ``class1_ip``); the demo plants no firm effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel

from reforge.engine.base import Engine
from reforge.errors import InvalidInput, ReforgeError
from reforge.loop import projects_sql as q
from reforge.loop.placebo import placebo_band
from reforge.loop.project_result import MessageModel, plain, records
from reforge.messages import Message, render

OUTCOMES = ("domestic_share", "tech_gap", "domestic_suppliers")
FIRM_OUTCOMES = ("rd_intensity", "log_revenue", "class1_ip")
UNITS = ("item", "firm")
MIN_TREATED = 2
MIN_CONTROLS = 2
SMALL = 10
Z95 = 1.959963984540054

PANEL_SQL = """
WITH y AS (SELECT DISTINCT year FROM supply_links),
it AS (SELECT DISTINCT item_id FROM chain_items),
s AS (
  SELECT item_id, year, SUM(CAST(value AS DOUBLE)) AS tv,
         SUM(CASE WHEN supplier_type = 'enterprise' THEN CAST(value AS DOUBLE) ELSE 0 END) AS dv,
         COUNT(DISTINCT CASE WHEN supplier_type = 'enterprise' THEN supplier_id END) AS ds
  FROM supply_links GROUP BY item_id, year),
c AS (
  SELECT it.item_id, y.year, MAX(c.tech_level) AS best
  FROM it CROSS JOIN y
  JOIN capabilities c ON c.item_id = it.item_id AND c.producer_type = 'enterprise'
   AND (c.since_year IS NULL OR c.since_year <= y.year)
  GROUP BY it.item_id, y.year),
g AS (
  SELECT i.item_id, MIN(EXTRACT(YEAR FROM p.start_on)) AS start_year
  FROM project_items i JOIN projects p ON p.project_id = i.project_id
  WHERE COALESCE(p.status, '') <> 'cancelled' GROUP BY i.item_id)
SELECT it.item_id, CAST(y.year AS INTEGER) AS year,
       CASE WHEN s.tv > 0 THEN s.dv / s.tv END AS domestic_share,
       CAST(COALESCE(i.frontier_level, 5) - c.best AS DOUBLE) AS tech_gap,
       CAST(COALESCE(s.ds, 0) AS DOUBLE) AS domestic_suppliers,
       CAST(g.start_year AS INTEGER) AS start_year
FROM it CROSS JOIN y
JOIN items i ON i.item_id = it.item_id
LEFT JOIN s ON s.item_id = it.item_id AND s.year = y.year
LEFT JOIN c ON c.item_id = it.item_id AND c.year = y.year
LEFT JOIN g ON g.item_id = it.item_id
ORDER BY it.item_id, y.year"""


FIRM_PANEL_SQL = """
WITH part AS (
  SELECT p.lead_uscc AS uscc, p.start_on FROM projects p WHERE COALESCE(p.status, '') <> 'cancelled'
  UNION ALL
  SELECT pp.partner_id AS uscc, p.start_on FROM project_partners pp JOIN projects p ON p.project_id = pp.project_id
  WHERE pp.partner_type = 'enterprise' AND COALESCE(p.status, '') <> 'cancelled'),
g AS (SELECT uscc, MIN(EXTRACT(YEAR FROM start_on)) AS start_year FROM part GROUP BY uscc),
chain_firms AS (
  SELECT e.uscc FROM enterprises e WHERE e.main_item_id IN (SELECT item_id FROM chain_items))
SELECT y.uscc AS unit, CAST(y.year AS INTEGER) AS year,
       CASE WHEN y.revenue > 0 THEN CAST(y.rd_expense AS DOUBLE) / y.revenue END AS rd_intensity,
       CASE WHEN y.revenue > 0 THEN LN(CAST(y.revenue AS DOUBLE)) END AS log_revenue,
       CAST(y.class1_ip AS DOUBLE) AS class1_ip, CAST(g.start_year AS INTEGER) AS start_year
FROM enterprise_years y LEFT JOIN g ON g.uscc = y.uscc
WHERE g.uscc IS NOT NULL OR y.uscc IN (SELECT uscc FROM chain_firms)
ORDER BY y.uscc, y.year"""


def firm_panel(engine: Engine) -> pd.DataFrame:
    """The firm panel: participants (leads and enterprise partners of projects not cancelled, with
    their first project's start year) and the non-participants whose main product is a chain item."""
    q.need(engine, ("projects", "project_partners"))
    for t in ("enterprise_years", "enterprises", "chain_items"):
        q.need(engine, (t,))
    return engine.fetch_df(FIRM_PANEL_SQL)


def item_panel(engine: Engine) -> pd.DataFrame:
    """The item panel (see the module doc) with each item's first project start year."""
    q.need(engine, ("projects", "project_items"))
    for t in ("supply_links", "capabilities", "chain_items", "items"):
        q.need(engine, (t,))
    return engine.fetch_df(PANEL_SQL)


class OutcomeModel(BaseModel):
    unit: str
    outcome: str
    lag: int
    control: str
    estimable: bool
    att: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    band: str | None
    band_draws: int
    n_treated: int
    n_controls: int
    n_no_pre: int
    treated_units: list[str]
    years: list[int]
    dynamic: list[dict[str, Any]]
    att_gt: list[dict[str, Any]]
    reason: MessageModel | None
    notes: list[MessageModel]


@dataclass
class OutcomeResult:
    """ATT of projects on one outcome of their items or firms, or why it cannot be estimated."""

    outcome: str
    lag: int
    control: str
    unit: str = "item"
    estimable: bool = False
    att: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    band: str | None = None       # "placebo" or "analytic"
    band_draws: int = 0
    n_treated: int = 0
    n_controls: int = 0
    n_no_pre: int = 0
    treated_units: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    dynamic: list[dict[str, Any]] = field(default_factory=list)
    att_gt: list[dict[str, Any]] = field(default_factory=list)
    reason: Message | None = None
    notes: list[Message] = field(default_factory=list)

    @property
    def ci(self) -> tuple[float | None, float | None]:
        """The 95 % band of the ATT (placebo band, or the analytic one when ``band == "analytic"``)."""
        return self.ci_low, self.ci_high

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.ci
        return {"unit": self.unit, "outcome": self.outcome, "lag": self.lag, "control": self.control, "estimable": self.estimable,
                "att": self.att, "se": self.se, "ci_low": lo, "ci_high": hi, "band": self.band,
                "band_draws": self.band_draws, "n_treated": self.n_treated,
                "n_controls": self.n_controls, "n_no_pre": self.n_no_pre, "treated_units": list(self.treated_units),
                "years": list(self.years), "dynamic": [plain(d) for d in self.dynamic],
                "att_gt": [plain(d) for d in self.att_gt],
                "reason": None if self.reason is None else self.reason.to_dict(),
                "notes": [n.to_dict() for n in self.notes]}

    def model(self) -> OutcomeModel:
        return OutcomeModel(**self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """One row per event time of the dynamic aggregate (empty when not estimable)."""
        return pd.DataFrame(self.dynamic, columns=["e", "att", "se"])

    def summary(self, lang: str | None = None) -> str:
        head = {"outcome": Message(f"loop.outcome.name.{self.outcome}"), "lag": self.lag,
                "unit": Message(f"loop.outcome.unit.{self.unit}"), "treated": self.n_treated, "controls": self.n_controls}
        if not self.estimable:
            lines = [render("loop.outcome.head", head, lang), "  " + (self.reason.render(lang) if self.reason else "")]
        else:
            lo, hi = self.ci
            lines = [render("loop.outcome.head", head, lang),
                     "  " + render("loop.outcome.att", {"att": self.att, "lo": lo, "hi": hi}, lang)]
            lines += [f"  e={d['e']}: {d['att']:.4f} ({d['se']:.4f})" for d in self.dynamic if d["se"] is not None]
        lines += ["  " + n.render(lang) for n in self.notes]
        return "\n".join(lines)


def project_outcome(engine: Engine, outcome: str = "domestic_share", lag: int = 0,
                    control: str = "never", unit: str = "item") -> OutcomeResult:
    """ATT of tackling projects on ``outcome`` (OUTCOMES for items, FIRM_OUTCOMES for firms), treatment
    from the first project's start year + ``lag``."""
    if unit not in UNITS:
        raise InvalidInput("unit must be item or firm", code="loop.outcome.bad_unit",
                           params={"value": str(unit)[:20]})
    known = OUTCOMES if unit == "item" else FIRM_OUTCOMES
    if outcome not in known:
        raise InvalidInput(f"outcome must be one of {', '.join(known)}", code="loop.outcome.bad_outcome",
                           params={"value": str(outcome)[:40], "known": list(known)})
    if isinstance(lag, bool) or not isinstance(lag, int) or not 0 <= lag <= 20:
        raise InvalidInput("lag must be a whole number of years from 0 to 20", code="loop.outcome.bad_lag",
                           params={"value": str(lag)[:20]})
    if control not in ("never", "notyet"):
        raise InvalidInput("control must be never or notyet", code="loop.outcome.bad_control",
                           params={"value": str(control)[:20]})
    res = OutcomeResult(outcome, lag, control, unit)
    df = item_panel(engine).rename(columns={"item_id": "unit"}) if unit == "item" else firm_panel(engine)
    return _estimate(engine, df, res, outcome, lag, control)


def _estimate(engine: Engine, df: pd.DataFrame, res: OutcomeResult, outcome: str, lag: int,
              control: str) -> OutcomeResult:
    """The staggered DiD on a panel with columns unit, year, start_year and the outcome."""
    years = sorted(int(y) for y in df.year.unique())
    res.years = years
    if len(years) < 2:
        res.reason = Message("loop.outcome.one_year", {"years": len(years)})
        return res
    t0, t1 = years[0], years[-1]
    df["g"] = (df.start_year + lag).where(df.start_year.notna())
    no_pre = df.g.notna() & (df.g <= t0)
    res.n_no_pre = int(df.loc[no_pre, "unit"].nunique())
    df = df[~no_pre].copy()
    df.loc[df.g.notna() & (df.g > t1), "g"] = float("nan")  # not treated within the data
    df["g"] = df.g.fillna(0).astype(int)
    df = df[df[outcome].notna()]
    full = df.groupby("unit").year.nunique()
    balanced = set(full[full == len(years)].index)
    df = df[df.unit.isin(balanced)]
    units_g = df.drop_duplicates("unit").set_index("unit").g
    res.treated_units = sorted(units_g[units_g > 0].index)
    res.n_treated = len(res.treated_units)
    res.n_controls = int((units_g == 0).sum())
    if res.n_no_pre:
        res.notes.append(Message("loop.outcome.no_pre", {"n": res.n_no_pre, "first": t0}))
    if res.n_treated < MIN_TREATED or res.n_controls < MIN_CONTROLS:
        res.reason = Message("loop.outcome.too_few", {"treated": res.n_treated, "controls": res.n_controls,
                                                      "min_treated": MIN_TREATED, "min_controls": MIN_CONTROLS})
        return res
    name = engine.temp_name("loop_outcome")
    engine.register(name, df[["unit", "year", "g", outcome]].reset_index(drop=True))
    try:
        from reforge.policy import att_gt
        r = att_gt(engine, name, unit="unit", time="year", group="g", outcome=outcome, control=control)
        simple = r.aggregate("simple")
        dyn = r.aggregate("dynamic")
    except ReforgeError as e:
        res.reason = Message("loop.outcome.failed", {"error": str(e)[:200]})
        return res
    finally:
        engine.drop(name)
    att, se = float(simple.att), float(simple.se)
    if not math.isfinite(att) or not math.isfinite(se):
        res.reason = Message("loop.outcome.no_se", {"treated": res.n_treated})
        return res
    res.estimable, res.att, res.se = True, att, se
    wide = df.pivot(index="unit", columns="year", values=outcome).reindex(columns=years)
    treated_wide = wide.loc[wide.index.isin(res.treated_units)]
    cohort_sd = treated_wide.diff(axis=1).iloc[:, 1:].groupby(units_g.reindex(treated_wide.index)).std(ddof=0)
    degenerate = bool(cohort_sd.fillna(0).to_numpy().max() == 0)   # no spread within any cohort
    band = (placebo_band(wide.to_numpy(dtype=float), years, units_g.reindex(wide.index).to_numpy(), control)
            if degenerate else None)
    if band is not None:
        res.ci_low, res.ci_high, res.band, res.band_draws = band.lo, band.hi, "placebo", band.draws
        res.notes.append(Message("loop.outcome.placebo_band", {"n": res.n_treated, "draws": band.draws}))
    else:
        res.ci_low, res.ci_high, res.band = att - Z95 * se, att + Z95 * se, "analytic"
        if degenerate:
            res.notes.append(Message("loop.outcome.degenerate", {"n": res.n_treated}))
    pre = r.pretest
    if pre and pre.get("p") is not None and math.isfinite(pre["p"]) and pre["p"] < 0.05:
        res.notes.append(Message("loop.outcome.pretrend", {"p": float(pre["p"]), "df": int(pre["df"])}))
    res.dynamic = [{"e": int(b.get("e")), "att": plain(b.get("att")), "se": plain(b.get("se"))} for b in dyn.by]
    res.att_gt = records(r.cells[["group", "time", "att", "se"]])
    if res.n_treated < SMALL:
        res.notes.append(Message("loop.outcome.small", {"n": res.n_treated, "small": SMALL}))
    return res
