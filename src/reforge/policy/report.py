"""Self-contained HTML report of a programme evaluation, in English or Chinese.

Every text is a catalog message (codes ``policy.report.*``, ``policy.col.*``; see
:mod:`reforge.messages`); numbers are formatted by locale. Uses
``reforge.report.html.HtmlReport``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.text

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from reforge.messages import T, has, render, text_of  # noqa: E402
from reforge.policy.did import DidResult  # noqa: E402
from reforge.report.html import HtmlReport  # noqa: E402

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "SimHei", "DejaVu Sans"]


def _event_plot(name: str, d: dict, t):
    """Event-study plot: CS dynamic effects with uniform bands, TWFE event-study beside them."""
    dyn = d["aggregate"]["dynamic"]
    crit = dyn.get("crit") or 1.959964
    by = pd.DataFrame(dyn["by"])
    rc = {"font.sans-serif": CJK_FONTS, "axes.unicode_minus": False} if t.lang == "zh" else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(8, 4))
        pre = by["e"] < 0
        for mask, colour, label in ((pre, "#888888", t("policy.report.plot.pre")),
                                    (~pre, "#1f5fa8", t("policy.report.plot.post"))):
            b = by[mask]
            ax.errorbar(b["e"], b["att"], yerr=crit * b["se"], fmt="o", color=colour, capsize=3, label=label)
        tw = pd.DataFrame(d["twfe"]["event"]["coef"])
        if len(tw):
            tw["e"] = tw["term"].str.slice(2).astype(int)
            ax.plot(tw["e"] + 0.15, tw["estimate"], "x", color="#c0392b", label=t("policy.report.plot.twfe"))
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(-0.5, color="#bbbbbb", lw=0.8, ls="--")
        ax.set_xlabel(t("policy.report.plot.xlabel"))
        ax.set_ylabel(name)
        band = t("policy.report.band.uniform" if dyn.get("crit") else "policy.report.band.pointwise")
        ax.set_title(t("policy.report.plot.title", outcome=name, band=band))
        ax.legend(fontsize=8)
        if t.lang == "zh":  # fix the family on every text: the figure is drawn after this context
            for txt in fig.findobj(matplotlib.text.Text):
                txt.set_fontfamily(CJK_FONTS)
    return fig


def _plain(name: str, d: dict, t) -> list[str]:
    """Plain-language reading of one outcome's evidence."""
    s = d["aggregate"]["simple"]
    lo, hi = s["att"] - 1.96 * s["se"], s["att"] + 1.96 * s["se"]
    sig = lo > 0 or hi < 0
    out = [t("policy.report.effect", outcome=name, att=s["att"], lo=lo, hi=hi,
             verdict=t("policy.report.effect.significant" if sig else "policy.report.effect.not_significant"))]
    p = d.get("pretest_event")
    if p:
        out.append(t("policy.report.pretrend", p=p["p"],
                     verdict=t("policy.report.pretrend.ok" if p["p"] >= 0.05 else "policy.report.pretrend.fail")))
    tw = d["twfe"]["static"]["coef"][0]
    out.append(t("policy.report.twfe", estimate=tw["estimate"], se=tw["se"]))
    return out


def _columns(df: pd.DataFrame, t) -> pd.DataFrame:
    """Column names through the catalog (``policy.col.<name>``); booleans as yes/no."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = [t("common.yes") if v else t("common.no") for v in out[c]]
        elif out[c].dtype == object:
            out[c] = [text_of(v, t.lang) if isinstance(v, str) else v for v in out[c]]
    return out.rename(columns={c: t(f"policy.col.{c}") for c in out.columns if has(f"policy.col.{c}")})


def _programme_name(programme: str, t) -> str:
    code = f"policy.programme.{programme}"
    return t(code) if has(code) else programme


def write_report(ev: dict, results: dict[str, DidResult], path: str | Path, lang: str | None = None) -> Path:
    """Write the evaluation ``ev`` (from ``evaluate``) as one HTML file in ``lang``; returns its path."""
    t = T(lang)
    comparison = t("policy.report.comparison.notyet" if ev["control"] == "notyet"
                   else "policy.report.comparison.never")
    params: dict[str, Any] = {
        "source": ev["source"], "n_treated": ev["n_treated"], "n_firms": ev["n_firms"],
        "cohorts": [str(c) for c in ev["cohorts"]], "lag": ev["lag"],
        "estimated": [str(c) for c in ev.get("cohorts_estimated", [])], "comparison": comparison}
    r = HtmlReport(t("policy.report.title", programme=_programme_name(ev["programme"], t)),
                   render("policy.report.subtitle", params, t.lang), lang=t.lang)
    if ev.get("region"):   # a region's own evaluation (issue 19)
        from reforge.region import region_name
        r.paragraph(t("policy.report.region", region=region_name(ev["region"], t.lang), division=ev["region"]))
    r.heading(t("policy.report.summary"))
    r.table(_columns(pd.DataFrame(ev["summary"]), t))
    for name, d in ev["outcomes"].items():
        r.bullets(_plain(name, d, t))
    r.heading(t("policy.report.evidence"), 3)
    r.bullets([t(f"policy.report.evidence.{k}") for k in ("shows", "selection", "pretrend", "balanced")])
    for name, d in ev["outcomes"].items():
        res = results[name]
        r.heading(t("policy.report.outcome", outcome=name))
        r.figure(_event_plot(name, d, t), caption=t("policy.report.figure_caption"))
        for label, p in ((t("policy.report.pretest.leads"), d.get("pretest_event")),
                         (t("policy.report.pretest.cells"), d["pretest"])):
            r.paragraph(t("policy.report.pretest", label=label, result=(
                t("policy.report.pretest.result", stat=p["stat"], df=p["df"], p=p["p"]) if p
                else t("policy.report.pretest.na"))))
        r.paragraph(t("policy.report.pretest.note"), note=True)
        agg = d["aggregate"]
        r.heading(t("policy.report.by_group"), 3)
        r.table(_columns(pd.DataFrame(agg["group"]["by"]), t))
        r.heading(t("policy.report.by_calendar"), 3)
        r.table(_columns(pd.DataFrame(agg["calendar"]["by"]), t))
        r.heading(t("policy.report.twfe_comparison"), 3)
        st = d["twfe"]["static"]["coef"][0]
        cmp_rows = [{"estimator": t("policy.report.estimator.cs_simple"), "estimate": agg["simple"]["att"],
                     "se": agg["simple"]["se"]},
                    {"estimator": t("policy.report.estimator.cs_dynamic"), "estimate": agg["dynamic"]["att"],
                     "se": agg["dynamic"]["se"]},
                    {"estimator": t("policy.report.estimator.twfe_static"), "estimate": st["estimate"],
                     "se": st["se"]}]
        r.table(_columns(pd.DataFrame(cmp_rows), t))
        if d["subgroups"]:
            r.heading(t("policy.report.subgroups", by=ev["by"]), 3)
            r.table(_columns(pd.DataFrame(d["subgroups"]), t))
        r.heading(t("policy.report.att_gt"), 3)
        r.table(_columns(res.to_frame(), t))
        if d["notes"]:
            r.paragraph(t("policy.report.notes", notes=[text_of(n, t.lang) for n in d["notes"]]), note=True)
    return r.write(path)
