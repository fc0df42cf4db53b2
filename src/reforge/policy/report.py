"""Self-contained HTML report of a programme evaluation (uses ``reforge.report.html.HtmlReport``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from reforge.policy.did import DidResult  # noqa: E402
from reforge.report.html import HtmlReport  # noqa: E402


def _event_plot(name: str, d: dict):
    """Event-study plot: CS dynamic effects with uniform bands, TWFE event-study beside them."""
    dyn = d["aggregate"]["dynamic"]
    crit = dyn.get("crit") or 1.959964
    by = pd.DataFrame(dyn["by"])
    fig, ax = plt.subplots(figsize=(8, 4))
    pre = by["e"] < 0
    for mask, colour, label in ((pre, "#888888", "pre-treatment (CS)"), (~pre, "#1f5fa8", "post-treatment (CS)")):
        b = by[mask]
        ax.errorbar(b["e"], b["att"], yerr=crit * b["se"], fmt="o", color=colour, capsize=3, label=label)
    tw = pd.DataFrame(d["twfe"]["event"]["coef"])
    if len(tw):
        tw["e"] = tw["term"].str.slice(2).astype(int)
        ax.plot(tw["e"] + 0.15, tw["estimate"], "x", color="#c0392b", label="TWFE event study")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="#bbbbbb", lw=0.8, ls="--")
    ax.set_xlabel("years relative to the first treated year (e)")
    ax.set_ylabel(name)
    ax.set_title(f"{name}: event study (bands: {'uniform' if dyn.get('crit') else 'pointwise'} 95%)")
    ax.legend(fontsize=8)
    return fig


def _fmt(v: float | None, nd: int = 4) -> str:
    return "n/a" if v is None else f"{v:.{nd}f}"


def _plain(name: str, d: dict) -> list[str]:
    """Plain-language reading of one outcome's evidence."""
    s = d["aggregate"]["simple"]
    lo, hi = s["att"] - 1.96 * s["se"], s["att"] + 1.96 * s["se"]
    out = []
    sig = lo > 0 or hi < 0
    out.append(f"{name}: the average effect on treated firms after treatment is {_fmt(s['att'])} "
               f"(95% CI {_fmt(lo)} to {_fmt(hi)}); "
               + ("this is statistically distinguishable from zero." if sig
                  else "the data cannot distinguish it from zero."))
    p = d.get("pretest_event")
    if p:
        out.append(f"Pre-trends: the joint test that all event-study leads are zero gives p = {p['p']:.3f} "
                   + ("— no evidence against parallel trends (which does not prove them)." if p["p"] >= 0.05
                      else "— pre-treatment differences exist, so the effect estimates should not be trusted "
                           "without further checks."))
    tw = d["twfe"]["static"]["coef"][0]
    out.append(f"The static two-way fixed-effects regression gives {_fmt(tw['estimate'])} (SE {_fmt(tw['se'])}); "
               "with staggered timing and effects that change over time it mixes already-treated firms into "
               "the comparison group, so differences from the Callaway–Sant'Anna estimate are expected.")
    return out


def write_report(ev: dict, results: dict[str, DidResult], path: str | Path) -> Path:
    """Write the evaluation ``ev`` (from ``evaluate``) as one HTML file; returns its path."""
    r = HtmlReport(f"Programme evaluation: {ev['programme']}",
                   f"{ev['source']}; {ev['n_treated']} treated of {ev['n_firms']} firms; cohorts "
                   f"{', '.join(map(str, ev['cohorts']))} (first affected year = grant year + {ev['lag']}; "
                   f"estimated: {', '.join(map(str, ev.get('cohorts_estimated', [])))}, later ones serve as "
                   "not-yet-treated comparisons); "
                   f"comparison: {'not-yet-treated and never-treated' if ev['control'] == 'notyet' else 'never-treated'} firms")
    r.heading("Summary")
    r.table(pd.DataFrame(ev["summary"]))
    for name, d in ev["outcomes"].items():
        r.bullets(_plain(name, d))
    r.heading("What the evidence does and does not show", 3)
    r.bullets([
        "It shows the average change in the outcomes of supported firms relative to comparable firms that were "
        "not (yet) supported, year by year after support, under the parallel-trends assumption.",
        "It does not show what would have happened if support had gone to other firms: firms are selected "
        "for support, and the estimate is the effect on the firms that were selected.",
        "A non-rejecting pre-trend test is consistent with parallel trends but cannot prove them; effects that "
        "appear only years later, or spill-overs to unsupported firms, are not captured.",
        "Firms that are not observed in every year are left out (balanced panel).",
    ])
    for name, d in ev["outcomes"].items():
        res = results[name]
        r.heading(f"Outcome: {name}")
        r.figure(_event_plot(name, d), caption="Callaway–Sant'Anna dynamic effects with bands; "
                                               "red crosses: TWFE event-study coefficients (e = -1 omitted).")
        for label, p in (("event-study leads", d.get("pretest_event")), ("all pre-treatment ATT(g,t) cells "
                                                                         "(R did)", d["pretest"])):
            r.paragraph(f"Pre-trend Wald test on {label}: " + (
                f"statistic {p['stat']:.3f} on {p['df']} df, p = {p['p']:.4f}." if p else "not available."))
        r.paragraph("The cell-level test uses every pre-treatment cell; with small cohorts and many "
                    "pre-periods its covariance is poorly estimated and it over-rejects, so the summary uses "
                    "the test on the event-study leads, which pool all cohorts.", note=True)
        agg = d["aggregate"]
        r.heading("Effects by cohort (group)", 3)
        r.table(pd.DataFrame(agg["group"]["by"]))
        r.heading("Effects by calendar year", 3)
        r.table(pd.DataFrame(agg["calendar"]["by"]))
        r.heading("Comparison with two-way fixed effects", 3)
        st = d["twfe"]["static"]["coef"][0]
        cmp_rows = [{"estimator": "Callaway–Sant'Anna, simple", "estimate": agg["simple"]["att"],
                     "se": agg["simple"]["se"]},
                    {"estimator": "Callaway–Sant'Anna, event-study average", "estimate": agg["dynamic"]["att"],
                     "se": agg["dynamic"]["se"]},
                    {"estimator": "TWFE static", "estimate": st["estimate"], "se": st["se"]}]
        r.table(pd.DataFrame(cmp_rows))
        if d["subgroups"]:
            r.heading(f"Subgroup effects by {ev['by']}", 3)
            r.table(pd.DataFrame(d["subgroups"]))
        r.heading("Group-time effects ATT(g,t)", 3)
        r.table(res.to_frame())
        if d["notes"]:
            r.paragraph("Notes: " + "; ".join(d["notes"]), note=True)
    return r.write(path)
