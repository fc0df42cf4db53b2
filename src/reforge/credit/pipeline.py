"""Train a scorecard on the database, store it, and score firms on the engine.

Development design: features of year ``t`` predict a default in year ``t + 1``. ``train``
with ``year=Y`` develops the model on feature years before ``Y`` and measures it out of
time on year ``Y`` (outcomes in ``Y + 1``); the default ``Y`` is the last year whose next
year is covered by ``defaults``. Firm-years after a firm's first default are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reforge.credit.chain_impact import impact_source, refresh_impacts
from reforge.credit.features import CATEGORICAL, FEATURES, TARGETS, feature_sql, year_range
from reforge.credit.grades import GradeScale, load_grades
from reforge.credit.overlays import OverlaySet, apply_overlays, load_overlays, overlay_text
from reforge.credit.pd import pd_of_score
from reforge.credit.reasons import reason_lines
from reforge.credit.sql_export import score_sql
from reforge.credit.store import load_model, save_model
from reforge.engine import DuckDBEngine, Engine
from reforge.engine.sqlbuild import placeholders
from reforge.errors import ReforgeError
from reforge.messages import codes_of
from reforge.progress import Tick

if TYPE_CHECKING:  # scikit-learn and optbinning load only where a scorecard is fitted or rebuilt
    from reforge.credit.scorecard import Scorecard


def grade_table(y: np.ndarray, ranks: np.ndarray, scale: GradeScale) -> pd.DataFrame:
    """Firms, defaults and observed default rate per grade (all grades listed)."""
    df = pd.DataFrame({"rank": np.asarray(ranks, dtype=int), "y": np.asarray(y, dtype=int)})
    g = df.groupby("rank")["y"].agg(["size", "sum"])
    rows = []
    for i, name in enumerate(scale.names, start=1):
        n = int(g.loc[i, "size"]) if i in g.index else 0
        d = int(g.loc[i, "sum"]) if i in g.index else 0
        rows.append({"grade": name, "firms": n, "defaults": d,
                     "default_rate": d / n if n else float("nan")})
    return pd.DataFrame(rows)


def is_monotone(table: pd.DataFrame, min_firms: int = 1) -> bool:
    """Observed default rate never falls from a better to a worse grade (grades with firms)."""
    r = table.loc[table["firms"] >= min_firms, "default_rate"].to_numpy()
    return bool(np.all(np.diff(r) >= 0))


@dataclass
class TrainResult:
    """A trained and stored scorecard with its development and out-of-time figures."""

    model_id: str | None
    year: int
    spec: dict
    metrics: dict[str, dict[str, float]]
    grades: pd.DataFrame
    model: Scorecard = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "year": self.year,
                "train_years": self.spec["train_years"], "target": self.spec["target"],
                "features": [{"name": f["name"], "iv": f["iv"], "coef": f["coef"]}
                             for f in self.spec["features"]],
                "metrics": self.metrics, "grades": self.grades.to_dict(orient="records"),
                "grades_monotone": is_monotone(self.grades)}

    def to_frame(self) -> pd.DataFrame:
        return self.grades


@dataclass
class ScoreResult:
    """Scores, PDs, grades, reasons and overlays of firms in one year."""

    year: int
    frame: pd.DataFrame  # uscc, score, pd, grade, statistical_grade, reasons, overlays
    model_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "firms": [
            {"uscc": r.uscc, "score": int(r.score), "pd": float(r.pd), "grade": r.grade,
             "reasons": [str(x) for x in r.reasons], "overlays": [str(x) for x in r.overlays],
             "reason_codes": codes_of(r.reasons), "overlay_codes": codes_of(r.overlays)}
            for r in self.frame.itertuples(index=False)]}

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def _open(engine_or_db: Engine | str | Path, read_only: bool) -> tuple[Engine, bool]:
    if isinstance(engine_or_db, Engine):
        return engine_or_db, False
    return DuckDBEngine(engine_or_db, read_only=read_only), True


def panel(engine: Engine, year_from: int, year_to: int) -> pd.DataFrame:
    """The feature table for the years as pandas (ordered by year, uscc). The disruption impact
    comes from the stored ``chain_impacts`` where fresh and is computed for the other link
    years (``chain_impact.impact_source``; nothing is written)."""
    with engine.scratch() as tmp:
        imp, years = impact_source(engine, year_from, year_to, tmp)
        return engine.fetch_df(f"SELECT * FROM ({feature_sql(year_from, year_to, imp, years)}) f "
                               f"ORDER BY year, uscc")


def default_year(engine: Engine) -> int:
    """Last feature year whose next year is covered by ``defaults``."""
    lo, hi = year_range(engine)
    dmax = engine.fetch_scalar("SELECT MAX(year) FROM defaults")
    if dmax is None:
        raise ReforgeError("the defaults table is empty; a scorecard needs observed defaults")
    return min(hi, int(dmax) - 1)


def train(engine_or_db: Engine | str | Path, year: int | None = None,
          target: str = "default_next_year", store: bool = True,
          overlays: OverlaySet | None = None, grades: GradeScale | None = None,
          progress: Tick | bool | None = None, **params: Any) -> TrainResult:
    """Develop a scorecard on feature years before ``year``, test it out of time on ``year``,
    and (``store=True``) save it in ``credit_models``; with ``store=True`` the chain disruption
    impacts of all years are first brought up to date in ``chain_impacts`` (so the database
    carries them for scoring). ``params`` go to ``Scorecard``."""
    from reforge.credit.scorecard import Scorecard
    from reforge.credit.validate import metrics
    if target not in TARGETS:
        raise ReforgeError(f"unknown target {target!r}; available: {', '.join(TARGETS)}")
    engine, own = _open(engine_or_db, read_only=False)
    try:
        lo, hi = year_range(engine)
        y_oot = default_year(engine) if year is None else int(year)
        if y_oot - 1 < lo:
            raise ReforgeError(f"year {y_oot} leaves no development years (data start in {lo})")
        if store:
            if getattr(engine, "read_only", False):
                raise ReforgeError("the database is open read-only; train needs write access")
            refresh_impacts(engine, lo, hi)
        df = panel(engine, lo, y_oot)
        df = df[(df["defaulted_before"] == 0) & df[target].notna()]
        dev = df[df["year"] < y_oot]
        oot = df[df["year"] == y_oot]
        if dev[target].nunique() < 2:
            raise ReforgeError(f"development years {lo}-{y_oot - 1} have no defaults (or no non-defaults)")
        feats = [c for c in FEATURES if c in df.columns]
        scale = grades or load_grades()
        rules = overlays or load_overlays()
        rules.check_grades(scale)
        sc = Scorecard(labels=FEATURES, categorical=[c for c in CATEGORICAL if c in feats],
                       grades=scale, progress=progress, **params)
        sc.fit(dev[feats], dev[target].astype(int).to_numpy())
        spec = sc.spec_
        spec.update({"target": target, "train_years": [lo, y_oot - 1], "oot_year": y_oot,
                     "overlays_version": rules.version})
        mets = {"development": metrics(dev[target].to_numpy(int), sc.predict_proba(dev[feats])[:, 1])}
        if len(oot) and oot[target].nunique() == 2:
            mets["out_of_time"] = metrics(oot[target].to_numpy(int), sc.predict_proba(oot[feats])[:, 1])
            test = oot
        else:
            test = dev
        ranks = _final_ranks(sc, test, rules, scale)[0]
        gt = grade_table(test[target].to_numpy(int), ranks, scale)
        spec["metrics"] = mets
        model_id = save_model(engine, spec, y_oot) if store else None
        if model_id:
            spec["model_id"] = model_id
        return TrainResult(model_id, y_oot, spec, mets, gt, sc)
    finally:
        if own:
            engine.close()


def _final_ranks(sc: Scorecard, df: pd.DataFrame, rules: OverlaySet,
                 scale: GradeScale) -> tuple[np.ndarray, list[list[str]]]:
    cut = sc.spec_["grades"]["score_cutoffs"]
    s = sc.score(df)
    stat = 1 + (s[:, None] < np.asarray(cut, dtype=np.int64)[None, :]).sum(axis=1)
    return apply_overlays(stat, df, rules, scale)


def score(engine: Engine | str | Path, year: int | None = None, uscc: str | list[str] | None = None,
          model: dict | Scorecard | None = None, top_reasons: int = 3,
          overlays: OverlaySet | None = None, grades: GradeScale | None = None) -> ScoreResult:
    """Score firms of ``year`` (default: the latest) on the engine with the stored (or given)
    model: SQL CASE points, calibrated PD, grade, overlays, and reason codes."""
    eng, own = _open(engine, read_only=True)
    try:
        spec = getattr(model, "spec_", model) or load_model(eng)  # a fitted Scorecard or its spec
        lo, hi = year_range(eng)
        if year is not None:  # an explicit year may lie beyond the default (covered) one
            hi = year_range(eng, covered=False)[1]
        y = hi if year is None else int(year)
        if not lo <= y <= hi:
            raise ReforgeError(f"year {y} is outside the data ({lo}-{hi})")
        scale = grades or load_grades()
        rules = overlays or load_overlays()
        rules.check_grades(scale)
        where, params = None, None
        if uscc is not None:
            ids = [uscc] if isinstance(uscc, str) else list(uscc)
            params = [str(u) for u in ids]  # bound to the markers of ``where`` (its only ones)
            where = f"s.uscc IN ({placeholders(params)})"
        with eng.scratch() as tmp:
            imp, imp_years = impact_source(eng, y, y, tmp)
            firms = None
            if uscc is not None:   # the features of these firms only (each firm's row is its own)
                firms = eng.temp_name("credit_firms")
                tmp.append(firms)
                eng.register(firms, pd.DataFrame({"uscc": pd.Series(params, dtype=object)}))
            feat = eng.temp_name("credit_feat")
            eng.materialize(feat, feature_sql(y, y, imp, imp_years, firms))
            tmp.append(feat)
            out = eng.fetch_df(score_sql(spec, feat, ["uscc"], where=where, overlays=rules,
                                         scale=scale, with_bins=True), params)
            if uscc is not None:
                found = set(out["uscc"])
                lost = [u for u in ids if u not in found]
                if lost:
                    raise ReforgeError(f"no data for {', '.join(lost)} in {y}")
            vals = eng.fetch_df(f"SELECT uscc, {', '.join(f['name'] for f in spec['features'])} FROM {feat} s"
                                + (f" WHERE {where}" if where else "") + " ORDER BY uscc", params)
        return ScoreResult(y, assemble(spec, out, vals, rules, scale, top_reasons), spec.get("model_id"))
    finally:
        if own:
            eng.close()


def assemble(spec: dict, out: pd.DataFrame, vals: pd.DataFrame, rules: OverlaySet,
             scale: GradeScale, top: int = 3) -> pd.DataFrame:
    """Turn the engine's score rows into grades, reason texts and overlay texts."""
    fs = spec["features"]
    names = [f["name"] for f in fs]
    vals = vals.set_index("uscc").loc[out["uscc"], names]
    v = vals.to_numpy(dtype=object)
    b = out[[f"bin_{n}" for n in names]].to_numpy()
    p = out[[f"pts_{n}" for n in names]].to_numpy()
    reasons = [reason_lines(fs, list(v[i]), list(b[i]), list(p[i]), top) for i in range(len(out))]
    ovs = []
    hit_cols = [(r, f"ov_{r.id}") for r in rules.rules]
    for row in out[[c for _, c in hit_cols]].to_numpy():
        ovs.append([overlay_text(r) for (r, _), h in zip(hit_cols, row, strict=True) if h == 1])
    gn = scale.names
    return pd.DataFrame({
        "uscc": out["uscc"].to_numpy(), "score": out["score"].astype(int).to_numpy(),
        "pd": pd_of_score(spec, out["score"].to_numpy()),  # from the integer score: same on every engine
        "grade": [gn[int(r) - 1] for r in out["final_rank"]],
        "statistical_grade": [gn[int(r) - 1] for r in out["grade_rank"]],
        "reasons": reasons, "overlays": ovs})


def score_record(spec: dict, record: dict[str, Any], top: int = 3, overlays: OverlaySet | None = None,
                 grades: GradeScale | None = None) -> dict[str, Any]:
    """Score one firm from its feature values (the JSON deployment form, no database).

    ``record``: feature name -> value (missing keys count as missing values; overlay
    features such as ``serious_dishonesty`` are read when present). Returns
    ``{"score", "pd", "grade", "statistical_grade", "reasons", "overlays", "reason_codes",
    "overlay_codes"}`` (codes: ``[{"code", "params"}]`` beside the English texts).
    """
    from reforge.credit.scorecard import Scorecard
    scale = grades or load_grades()
    rules = overlays or load_overlays()
    sc = Scorecard.from_spec(spec)
    cols = [f["name"] for f in spec["features"]] + rules.features
    row = pd.DataFrame([{c: record.get(c) for c in dict.fromkeys(cols)}])
    for f in spec["features"]:
        if f["dtype"] == "numerical":
            row[f["name"]] = pd.to_numeric(row[f["name"]], errors="coerce").astype(float)
    s = sc.score(row)
    final, applied = _final_ranks(sc, row, rules, scale)
    stat = sc.grade(row)[0]
    reasons, ovs = sc.explain(row, top)[0], applied[0]
    return {"score": int(s[0]), "pd": float(pd_of_score(spec, s)[0]), "grade": scale.names[int(final[0]) - 1],
            "statistical_grade": stat, "reasons": [str(x) for x in reasons], "overlays": [str(x) for x in ovs],
            "reason_codes": codes_of(reasons), "overlay_codes": codes_of(ovs)}
