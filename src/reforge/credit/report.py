"""The validation and monitoring report (self-contained HTML).

Contents: discrimination (AUC, KS, Gini) on the development and out-of-time samples;
ROC, KS, calibration and score-distribution plots; calibration table; grade distribution
with observed default rate per grade (and whether it is monotone); the scorecard
(points per bin) and binning tables with information value; PSI of the score and of
each feature for every year against the development sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reforge.credit.grades import GradeScale, load_grades
from reforge.credit.monitor import feature_psi, psi_status, score_psi
from reforge.credit.overlays import OverlaySet, apply_overlays, load_overlays
from reforge.credit.pipeline import grade_table, is_monotone, panel
from reforge.credit.scorecard import Scorecard
from reforge.credit.validate import calibration_table, ks, metrics, roc_points
from reforge.engine import Engine
from reforge.report.html import HtmlReport


def _fig_roc(y: np.ndarray, p: np.ndarray, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fpr, tpr = roc_points(y, p)
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    ax.plot(fpr, tpr, lw=1.6, label=f"AUC {metrics(y, p)['auc']:.3f}")
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=0.8)
    ax.set_xlabel("false positive rate (goods)")
    ax.set_ylabel("true positive rate (bads)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def _fig_ks(y: np.ndarray, s: np.ndarray, title: str):
    import matplotlib.pyplot as plt
    grid = np.unique(s)
    bad = np.array([(s[y == 1] <= g).mean() for g in grid])
    good = np.array([(s[y == 0] <= g).mean() for g in grid])
    i = int(np.argmax(np.abs(bad - good)))
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    ax.step(grid, bad, where="post", label="bads")
    ax.step(grid, good, where="post", label="goods")
    ax.vlines(grid[i], good[i], bad[i], colors="red", label=f"KS {ks(y, -s.astype(float)):.3f}")
    ax.set_xlabel("score")
    ax.set_ylabel("cumulative share at or below score")
    ax.set_title(title)
    ax.legend()
    return fig


def _fig_calibration(t: pd.DataFrame, title: str):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    m = max(t["mean_pd"].max(), t["observed"].max()) * 1.05
    ax.plot([0, m], [0, m], "--", color="grey", lw=0.8)
    ax.plot(t["mean_pd"], t["observed"], "o-")
    ax.set_xlabel("mean predicted PD")
    ax.set_ylabel("observed default rate")
    ax.set_title(title)
    return fig


def _fig_scores(y: np.ndarray, s: np.ndarray, title: str):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    bins = np.linspace(s.min(), s.max() + 1, 30)
    ax.hist(s[y == 0], bins=bins, alpha=0.6, density=True, label="goods")
    ax.hist(s[y == 1], bins=bins, alpha=0.6, density=True, label="bads")
    ax.set_xlabel("score")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    return fig


def build_report(model: Scorecard, dev: pd.DataFrame, test: pd.DataFrame | None,
                 years: dict[int, pd.DataFrame], target: str, rules: OverlaySet,
                 scale: GradeScale, title: str = "Credit scorecard validation") -> HtmlReport:
    """Assemble the report from scored-ready frames (pure: no database access).

    ``dev``: development sample; ``test``: out-of-time sample (or None); ``years``: feature
    frames per year for monitoring; ``target``: 0/1 outcome column.
    """
    spec = model.spec_
    rep = HtmlReport(title, subtitle=f"model {spec.get('model_id', '(not stored)')}, "
                                    f"development years {spec.get('train_years')}, "
                                    f"out-of-time year {spec.get('oot_year')}")
    rep.heading("Discrimination")
    samples = {"development": dev}
    if test is not None and len(test) and test[target].nunique() == 2:
        samples["out-of-time"] = test
    rows = []
    for name, df in samples.items():
        m = metrics(df[target].to_numpy(int), model.predict_proba(df)[:, 1])
        rows.append({"sample": name, **m})
    rep.table(pd.DataFrame(rows))
    name, ev = list(samples.items())[-1]
    y = ev[target].to_numpy(int)
    s = model.score(ev)
    p = model.predict_proba(ev)[:, 1]
    rep.paragraph(f"Plots and tables below use the {name} sample ({len(ev)} firm-years, "
                  f"{int(y.sum())} defaults).")
    rep.figure(_fig_roc(y, p, f"ROC ({name})"), "ROC curve")
    rep.figure(_fig_ks(y, s, f"KS ({name})"), "Cumulative score distributions of bads and goods")
    rep.figure(_fig_scores(y, s, f"Score distribution ({name})"), "Score distribution")
    rep.heading("Calibration")
    ct = calibration_table(y, p)
    rep.figure(_fig_calibration(ct, f"Calibration ({name})"), "Predicted PD vs observed default rate")
    rep.table(ct)
    rep.heading("Grades")
    cut = spec["grades"]["score_cutoffs"]
    stat = 1 + (s[:, None] < np.asarray(cut, dtype=np.int64)[None, :]).sum(axis=1)
    final, _ = apply_overlays(stat, ev, rules, scale)
    gt = grade_table(y, final, scale)
    gt.insert(1, "pd_max", [g.pd_max for g in scale.grades])
    gt.insert(2, "min_score", cut + [None])
    rep.table(gt)
    mono = is_monotone(gt)
    rep.paragraph(("Observed default rate is monotone from AAA to C (grades with firms)."
                   if mono else "Observed default rate is NOT monotone from AAA to C."), note=not mono)
    rep.paragraph(f"Grade scale {scale.version} ({scale.source}); overlays {rules.version}: "
                  + "; ".join(f"{r.id} ({r.action} {r.grade})" for r in rules.rules))
    rep.heading("Scorecard")
    rep.paragraph(f"Base points {spec['base_points']}; {spec['params']['base_score']} points at "
                  f"good:bad odds {spec['params']['base_odds']}:1, {spec['params']['pdo']} points to "
                  f"double the odds; PD = 1/(1+exp(-({spec['calibration']['a']:.4f} "
                  f"{spec['calibration']['b']:+.6f} score))).")
    rep.table(model.scorecard_table())
    rep.heading("Binning tables and information value")
    cand = pd.DataFrame(spec["candidates"]).sort_values("iv", ascending=False)
    used = {f["name"] for f in spec["features"]}
    cand["in_model"] = cand["name"].isin(used)
    rep.table(cand)
    for f in spec["features"]:
        rep.heading(f"{f['label']} (IV {f['iv']:.3f}, coefficient {f['coef']:.3f})", level=3)
        rep.table(pd.DataFrame(f["table"]))
    rep.heading("Monitoring: population stability (PSI against the development sample)")
    ref_s = model.score(dev)
    prow, frows = [], []
    for yr, df in sorted(years.items()):
        if df.empty:
            continue
        v = score_psi(ref_s, model.score(df))
        prow.append({"year": yr, "firms": len(df), "score_psi": v, "status": psi_status(v)})
        fp = feature_psi(model, dev, df).set_index("feature")["psi"].rename(str(yr))
        frows.append(fp)
    rep.table(pd.DataFrame(prow))
    if frows:
        rep.paragraph("Feature PSI by year (over the scorecard bins):")
        rep.table(pd.concat(frows, axis=1).reset_index())
    return rep


def credit_report(engine: Engine, out: str | Path, spec: dict | None = None) -> Path:
    """Write the report of the stored (or given) model on the database to ``out``."""
    return credit_report_build(engine, spec).write(out)


def credit_report_html(engine: Engine, spec: dict | None = None) -> str:
    """The report of the stored (or given) model as one HTML string (nothing written to disk)."""
    return credit_report_build(engine, spec).to_html()


def credit_report_build(engine: Engine, spec: dict | None = None) -> HtmlReport:
    """The report of the stored (or given) model on the database."""
    from reforge.credit.features import year_range
    from reforge.credit.store import load_model
    spec = spec or load_model(engine)
    model = Scorecard.from_spec(spec)
    target = spec.get("target", "default_next_year")
    lo, hi = year_range(engine)
    df = panel(engine, lo, hi)
    ok = (df["defaulted_before"] == 0)
    t0, t1 = spec["train_years"]
    lab = df[ok & df[target].notna()]
    dev = lab[(lab["year"] >= t0) & (lab["year"] <= t1)]
    test = lab[lab["year"] == spec.get("oot_year")]
    years = {int(y): g for y, g in df[ok].groupby("year")}
    return build_report(model, dev, test, years, target, load_overlays(), load_grades())


def cv_report(X: pd.DataFrame, y: np.ndarray, folds: int = 5, seed: int = 0,
              title: str = "Scorecard cross-validation") -> tuple[HtmlReport, dict]:
    """Report of a k-fold cross-validation on any table: per-fold and pooled out-of-fold
    metrics, ROC/KS/calibration of the out-of-fold PDs, and the scorecard and binning
    tables of a model fitted on all rows. Returns (report, CV summary)."""
    from reforge.credit.validate import cross_validate
    cv = cross_validate(X, y, folds=folds, seed=seed)
    full = Scorecard().fit(X, y)
    rep = HtmlReport(title, subtitle=f"{len(y)} rows, {int(np.sum(y))} bad, {folds}-fold stratified CV "
                                    f"(seed {seed})")
    rep.heading("Discrimination")
    t = pd.DataFrame(cv["folds"])
    t.insert(0, "fold", [str(i + 1) for i in range(len(t))])
    t = pd.concat([t, pd.DataFrame([{"fold": "mean", **cv["summary"]},
                                    {"fold": "pooled out-of-fold", **cv["pooled"]}])], ignore_index=True)
    rep.table(t)
    p = cv["oof_pd"]
    rep.figure(_fig_roc(y, p, "ROC (out-of-fold)"), "ROC curve of out-of-fold PDs")
    rep.figure(_fig_ks(y, -p, "KS (out-of-fold, x = -PD)"), "Cumulative distributions of bads and goods")
    rep.heading("Calibration (out-of-fold)")
    ct = calibration_table(y, p)
    rep.figure(_fig_calibration(ct, "Calibration (out-of-fold)"), "Predicted PD vs observed bad rate")
    rep.table(ct)
    rep.heading("Scorecard fitted on all rows")
    rep.figure(_fig_scores(y, full.score(X), "Score distribution (all rows, in-sample)"), "Score distribution")
    rep.table(full.scorecard_table())
    rep.heading("Binning tables and information value")
    cand = pd.DataFrame(full.spec_["candidates"]).sort_values("iv", ascending=False)
    cand["in_model"] = cand["name"].isin({f["name"] for f in full.spec_["features"]})
    rep.table(cand)
    for f in full.spec_["features"]:
        rep.heading(f"{f['label']} (IV {f['iv']:.3f}, coefficient {f['coef']:.3f})", level=3)
        rep.table(pd.DataFrame(f["table"]))
    return rep, cv["summary"]
