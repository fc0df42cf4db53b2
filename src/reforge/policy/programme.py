"""Programme evaluation on the database: firm panel from designations / support events and
enterprise_years, Callaway–Sant'Anna DiD, TWFE comparators, subgroup effects, HTML report.

Treatment timing: a firm's cohort is the calendar year of its *first* grant of the
programme plus ``lag`` (default 1: a designation or grant made during year d can only
show in the yearly accounts from d + 1; with ``lag=0`` the designation year itself is
the first treated year). Firms never granted are never treated. Cohorts after the last
observed year count as not yet treated (R ``did`` convention).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from reforge.engine import Engine
from reforge.engine.sqlbuild import literal
from reforge.errors import ReforgeError
from reforge.messages import Message, resolve_lang
from reforge.policy import sample
from reforge.policy.did import DidResult, estimate
from reforge.policy.panel import prepare_panel, q
from reforge.policy.twfe import twfe
from reforge.progress import Tick, tick_of
from reforge.region import check_region, region_condition

# Derived outcomes (fractions; money in CNY). Anything else must be an enterprise_years column.
DERIVED = {
    "rd_intensity": "CASE WHEN ey.revenue > 0 THEN ey.rd_expense / ey.revenue END",
    "revenue_growth": ("CASE WHEN LAG(ey.year) OVER (PARTITION BY ey.uscc ORDER BY ey.year) = ey.year - 1 "
                       "AND LAG(ey.revenue) OVER (PARTITION BY ey.uscc ORDER BY ey.year) > 0 THEN ey.revenue / "
                       "LAG(ey.revenue) OVER (PARTITION BY ey.uscc ORDER BY ey.year) - 1 END"),
    "log_revenue": "CASE WHEN ey.revenue > 0 THEN LN(ey.revenue) END",
    "profit_margin": "CASE WHEN ey.revenue > 0 THEN ey.net_profit / ey.revenue END",
    "debt_ratio": "CASE WHEN ey.total_assets > 0 THEN ey.total_liabilities / ey.total_assets END",
}
SUBGROUPS = {
    "province": "e.province_code",
    "ownership": "e.ownership",
    "size_class": "e.size_class",
    "chain": "(SELECT MIN(ci.chain_id) FROM chain_items ci WHERE ci.item_id = e.main_item_id)",
}
MIN_SUBGROUP_TREATED = 5
MIN_SUBGROUP_CONTROL = 20


def _treatment_sql(engine: Engine, programme: str) -> tuple[str, str]:
    """SQL giving (uscc, first_year) of the programme and a description of the source."""
    lit = literal(programme)  # kept in SQL that is embedded later, so inlined (quotes doubled)
    kinds = set(engine.fetch_df("SELECT DISTINCT kind FROM designations")["kind"]) \
        if engine.table_exists("designations") else set()
    progs = set(engine.fetch_df("SELECT DISTINCT programme FROM support_events")["programme"]) \
        if engine.table_exists("support_events") else set()
    if programme in kinds:
        return (f"SELECT uscc, MIN(CAST(EXTRACT(YEAR FROM granted_on) AS INTEGER)) AS y FROM designations "
                f"WHERE kind = {lit} GROUP BY uscc",
                Message("policy.source.designations", {"kind": programme}, f"designations of kind {programme}"))
    if programme in progs:
        return (f"SELECT uscc, MIN(CAST(EXTRACT(YEAR FROM granted_on) AS INTEGER)) AS y FROM support_events "
                f"WHERE programme = {lit} GROUP BY uscc",
                Message("policy.source.support_events", {"programme": programme},
                        f"support_events of programme {programme}"))
    avail = sorted(kinds | progs)
    raise ReforgeError(f"unknown programme {programme!r}; available: {', '.join(avail) or 'none (empty database)'}")


def programme_panel_sql(engine: Engine, programme: str, outcomes: list[str], by: str | None, lag: int,
                        region: str | None = None) -> tuple[str, str]:
    """SELECT of the firm panel: uscc, year, cohort, one column per outcome, and ``sub`` when ``by``;
    with ``region`` (GB/T 2260 code) only the firms of that region and below."""
    if not engine.table_exists("enterprise_years"):
        raise ReforgeError("the database has no enterprise_years table; import data or run `reforge demo`")
    tr, source = _treatment_sql(engine, programme)
    ey_cols = set(engine.columns("enterprise_years"))
    sel = []
    for o in outcomes:
        if o in DERIVED:
            sel.append(f"{DERIVED[o]} AS {q(o)}")
        elif o in ey_cols and o not in ("uscc", "year"):
            sel.append(f"CAST(ey.{q(o)} AS DOUBLE) AS {q(o)}")
        else:
            raise ReforgeError(f"unknown outcome {o!r}; use {', '.join(DERIVED)} or an enterprise_years column")
    sub = ""
    if by:
        ecols = set(engine.columns("enterprises")) if engine.table_exists("enterprises") else set()
        if by in SUBGROUPS:
            sub = f", CAST({SUBGROUPS[by]} AS VARCHAR) AS sub"
        elif by in ecols:
            sub = f", CAST(e.{q(by)} AS VARCHAR) AS sub"
        else:
            raise ReforgeError(f"unknown subgroup {by!r}; use {', '.join(SUBGROUPS)} or an enterprises column")
    sql = (f"SELECT ey.uscc AS uscc, ey.year AS year, COALESCE(tr.y + {int(lag)}, 0) AS cohort, "
           f"{', '.join(sel)}{sub} FROM enterprise_years ey LEFT JOIN ({tr}) tr ON ey.uscc = tr.uscc "
           f"LEFT JOIN enterprises e ON ey.uscc = e.uscc")
    if region is not None:   # checked to be six digits, so inlined (a materialized table takes no parameters)
        sql += f" WHERE {region_condition(region, 'e')}"
    return sql, source


def _one_outcome(engine: Engine, table: str, outcome: str, *, control: str, bootstrap: int, seed: int,
                 covariates: list[str] | None, scratch: list[str]) -> tuple[DidResult, dict]:
    panel = prepare_panel(engine, table, unit="uscc", time="year", group="cohort", outcome=outcome,
                          covariates=covariates, control=control, scratch=scratch)
    res = estimate(engine, panel, control=control, est_method="dr", bootstrap=bootstrap, seed=seed,
                   scratch=scratch)
    tw_static = twfe(engine, panel, "static")
    tw_event = twfe(engine, panel, "event")
    return res, {"static": tw_static.to_dict(), "event": tw_event.to_dict()}


def _subgroups(engine: Engine, table: str, outcome: str, control: str) -> list[dict]:
    """Simple overall ATT (analytic SE) per subgroup value with enough treated and comparison firms."""
    from reforge.policy.did import att_gt
    counts = engine.fetch_df(f"SELECT sub, COUNT(DISTINCT CASE WHEN cohort > 0 THEN uscc END) AS nt, "
                             f"COUNT(DISTINCT CASE WHEN cohort = 0 THEN uscc END) AS nc FROM {table} "
                             f"WHERE sub IS NOT NULL GROUP BY sub ORDER BY sub")
    rows = []
    for r in counts.itertuples():
        row = {"subgroup": r.sub, "n_treated": int(r.nt), "n_never": int(r.nc), "att": None, "se": None,
               "note": ""}
        if r.nt < MIN_SUBGROUP_TREATED or r.nc < MIN_SUBGROUP_CONTROL:
            row["note"] = Message("policy.note.too_few_firms", {}, "too few firms")
            rows.append(row)
            continue
        name = engine.temp_name("did_sub")
        try:
            engine.materialize(name, f"SELECT * FROM {table} WHERE sub = {literal(str(r.sub))}")
            res = att_gt(engine, name, unit="uscc", time="year", group="cohort", outcome=outcome, control=control)
            a = res.aggregate("simple")
            row.update(att=a.att, se=a.se, n_units=res.n)
        except (ReforgeError, ValueError, np.linalg.LinAlgError) as e:
            row["note"] = (Message(e.code, e.params, str(e)) if isinstance(e, ReforgeError)
                           else Message("policy.note.subgroup_failed", {"reason": str(e)}, str(e)))
        finally:
            engine.drop(name)
        rows.append(row)
    return rows


def evaluate(engine: Engine, programme: str = "little_giant", outcomes: list[str] | None = None,
             by: str | None = None, report: str | Path | None = None, *, lag: int = 1, control: str = "notyet",
             bootstrap: int = 999, seed: int | None = 1, covariates: list[str] | None = None,
             progress: Tick | bool | None = None, report_lang: str | None = None,
             region: str | None = None) -> dict:
    """Evaluate ``programme`` on the database for each outcome; returns a JSON-able dict.

    ``region`` (a GB/T 2260 code; issue 19): the firms of that region and below only, treated and
    comparison alike (a department's own evaluation); the result names it under ``region``.

    Keys: programme, source, lag, control, n_firms, n_treated, cohorts, cohorts_estimated
    (cohorts with a pre- and post-period inside the panel), outcomes
    (per outcome: att_gt, aggregate, pretest (R ``did``'s test over all pre-treatment cells),
    pretest_event (joint test of the event-study leads, the headline pre-trend test here),
    n_units, n_obs, uniform_crit, twfe, subgroups, notes, counts (firms the estimator used:
    treated, control, never_treated, units, treated per event time ``by_e`` and the small-sample
    flags, see ``reforge.policy.sample``), unit ({code, scale} of the outcome)), summary (one row
    per outcome, with p_value, n_treated_used, n_control_used, few_treated and unit),
    report (path or None). The report is written in ``report_lang`` (``en``/``zh``; default
    ``$REFORGE_LANG`` or English). Texts that are :class:`~reforge.messages.Message` strings
    (``source``, notes) carry a code for rendering in other languages.
    """
    if report:
        report_lang = resolve_lang(report_lang)  # fail on an unknown language before the work
    outcomes = list(outcomes or ["rd_intensity", "revenue_growth"])
    if not outcomes:
        raise ReforgeError("give at least one outcome")
    if lag < 0:
        raise ReforgeError("lag must be >= 0")
    if region is not None:
        check_region(region)
    sql, source = programme_panel_sql(engine, programme, outcomes, by, lag, region)
    out: dict = {"programme": programme, "source": source, "lag": lag, "control": control, "by": by,
                 "region": region, "outcomes": {}, "summary": [], "report": None}
    results: dict[str, DidResult] = {}
    with engine.scratch() as scratch:
        table = engine.temp_name("prog_panel")
        scratch.append(table)
        engine.materialize(table, sql)
        meta = engine.fetch_df(f"SELECT COUNT(DISTINCT uscc) AS n, COUNT(DISTINCT CASE WHEN cohort > 0 THEN uscc "
                               f"END) AS nt FROM {table}").iloc[0]
        out["n_firms"], out["n_treated"] = int(meta["n"]), int(meta["nt"])
        if out["n_treated"] == 0:
            raise ReforgeError(f"no firm in enterprise_years received {programme}")
        out["cohorts"] = [int(c) for c in engine.fetch_df(
            f"SELECT DISTINCT cohort FROM {table} WHERE cohort > 0 ORDER BY cohort")["cohort"]]
        tick = tick_of(progress)
        for k, o in enumerate(outcomes):
            tick(f"DiD on {o}", k / len(outcomes))
            res, tw = _one_outcome(engine, table, o, control=control, bootstrap=bootstrap, seed=seed or 0,
                                   covariates=covariates, scratch=scratch)
            d = res.to_dict()
            dyn = res.aggregate("dynamic")
            d["aggregate"]["dynamic"]["crit"] = dyn.crit
            d["uniform_crit"] = res.crit
            d["pretest_event"] = res.pretest_event()
            d["twfe"] = tw
            d["counts"] = sample.counts(res, d["aggregate"]["dynamic"].get("by") or [])
            d["unit"] = sample.unit_of(o)
            small = sample.small_sample_note(d["counts"])
            d["notes"] = list(res.notes) + ([small] if small is not None else [])
            d["note_codes"] = [{"code": n.code, "params": n.to_dict()["params"]} if isinstance(n, Message)
                               else {"code": None, "params": {}} for n in d["notes"]]  # beside the texts
            d["subgroups"] = _subgroups(engine, table, o, control) if by else []
            out["outcomes"][o] = d
            results[o] = res
            out.setdefault("cohorts_estimated", [int(g) for g in res.panel.glist])
            simple = d["aggregate"]["simple"]
            st = tw["static"]["coef"][0]
            out["summary"].append({
                "outcome": o, "att": simple["att"], "se": simple["se"],
                "ci_low": simple["att"] - 1.959964 * simple["se"],
                "ci_high": simple["att"] + 1.959964 * simple["se"],
                "pretest_p": d["pretest_event"]["p"] if d["pretest_event"] else None,
                "pretest_cells_p": d["pretest"]["p"] if d["pretest"] else None,
                "twfe_static": st["estimate"], "twfe_se": st["se"],
                "n_units": d["n_units"], "p_value": sample.p_value(simple["att"], simple["se"]),
                "n_treated_used": d["counts"]["treated"], "n_control_used": d["counts"]["control"],
                "few_treated": d["counts"]["few_treated"], "unit": d["unit"]["code"]})
    if report:
        from reforge.policy.report import write_report
        out["report"] = str(write_report(out, results, report, lang=report_lang))
    return out


def within(att: float, se: float, truth: float, z: float = 1.959964) -> bool:
    """True when ``truth`` lies in att ± z·se."""
    return not (math.isnan(att) or math.isnan(se)) and abs(att - truth) <= z * se
