"""An explainable credit scorecard: optimal binning (optbinning), WoE, logistic regression,
integer points, a calibrated PD and the AAA..C grade.

Points scaling: ``score = offset - factor * logit(pd_model)`` with
``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``, so a firm
with good:bad odds ``base_odds`` scores ``base_score`` and every ``pdo`` points double
the odds (defaults 600 points at 50:1, 20 points to double). Points per bin are rounded
to integers, so a score is an integer sum that every engine computes exactly. The PD
shown is recalibrated on the integer score: ``pd = 1 / (1 + exp(-(a + b * score)))``.

The fitted model is a plain JSON-able dict (``spec_``): the deployment form used by the
SQL export, the database store and the API.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from reforge.credit.grades import GradeScale, grade_rank_of_score, load_grades, score_cutoffs
from reforge.credit.pd import pd_of_score
from reforge.credit.reasons import reason_lines
from reforge.progress import Tick, tick_of

SPEC_VERSION = 1


def _check_xy(X: Any, y: Any | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    if len(X) == 0:
        raise ValueError("X is empty")
    if X.columns.duplicated().any():
        dup = X.columns[X.columns.duplicated()].tolist()
        raise ValueError(f"duplicate columns in X: {dup}")
    if y is None:
        return X, None
    yy = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y.to_numpy())
    if len(yy) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(yy)}")
    if yy.isna().any():
        raise ValueError("y contains missing values")
    vals = set(pd.unique(yy).tolist())
    if not vals <= {0, 1}:
        raise ValueError(f"y must be 0/1 (1 = bad), got values {sorted(map(str, vals))[:5]}")
    arr = yy.astype(int).to_numpy()
    if arr.min() == arr.max():
        raise ValueError("y has a single class; need both good (0) and bad (1) cases")
    return X, arr


def is_categorical(s: pd.Series) -> bool:
    """Object, string and category columns are categorical; numbers and booleans are not."""
    return bool(pd.api.types.is_object_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)
                or pd.api.types.is_string_dtype(s)) and not pd.api.types.is_bool_dtype(s)


def _as_num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _as_cat(s: pd.Series) -> np.ndarray:
    """Values as text (object array), missing as None."""
    mask = pd.isna(s).to_numpy()
    out = s.astype(object).astype(str).to_numpy(dtype=object)
    out[mask] = None
    return out


def bin_index(fspec: dict, values: pd.Series) -> np.ndarray:
    """Bin of each value: 0..n-1 regular bins, n = missing, n+1 = unseen category."""
    n = len(fspec["points"])
    if fspec["dtype"] == "numerical":
        x = _as_num(values)
        idx = np.searchsorted(np.asarray(fspec["splits"], dtype=float), x, side="right")
        idx[np.isnan(x)] = n
        return idx.astype(int)
    lookup = {c: i for i, cats in enumerate(fspec["categories"]) for c in cats}
    x = pd.Series(_as_cat(values), dtype=object)
    codes = x.map(lookup).to_numpy(dtype=float, na_value=np.nan)
    return np.where(x.isna().to_numpy(), n, np.where(np.isnan(codes), n + 1, codes)).astype(int)


def _lookup(fspec: dict, idx: np.ndarray, key: str) -> np.ndarray:
    table = np.asarray(list(fspec[key]) + [fspec[key + "_missing"], fspec[key + "_other"]])
    return table[idx]


class Scorecard(BaseEstimator):
    """Sklearn-style credit scorecard (``fit`` / ``predict_proba`` / ``score`` / ``explain``).

    Parameters
    ----------
    base_score, base_odds, pdo : points scaling (600 points at good:bad odds 50:1, 20 points
        to double the odds).
    monotonic_trend : optbinning trend for numerical features ("auto_asc_desc": ascending or
        descending, whichever fits).
    max_n_bins, min_bin_size : optbinning limits (min_bin_size is a share of the sample).
    min_iv : features with information value below this are dropped.
    C : inverse L2 regularisation of the logistic regression on WoE.
    max_features : keep at most this many features (highest IV first); None keeps all.
    categorical : names of categorical columns; None = object/string/category columns.
    labels : human names of features for reason codes ({column: label}).
    grades : grade scale (default ``grades.yaml``).
    """

    def __init__(self, base_score: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0,
                 monotonic_trend: str = "auto_asc_desc", max_n_bins: int = 6,
                 min_bin_size: float = 0.05, min_iv: float = 0.02, C: float = 1.0,
                 max_features: int | None = None, categorical: list[str] | None = None,
                 labels: dict[str, str] | None = None, grades: GradeScale | None = None,
                 progress: Tick | bool | None = None) -> None:
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.monotonic_trend = monotonic_trend
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size
        self.min_iv = min_iv
        self.C = C
        self.max_features = max_features
        self.categorical = categorical
        self.labels = labels
        self.grades = grades
        self.progress = progress

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        if not self.pdo > 0:
            raise ValueError(f"pdo must be > 0, got {self.pdo}")
        if not self.base_odds > 0:
            raise ValueError(f"base_odds must be > 0, got {self.base_odds}")
        if not 0 < self.min_bin_size < 0.5:
            raise ValueError(f"min_bin_size must be in (0, 0.5), got {self.min_bin_size}")
        if self.max_n_bins is not None and self.max_n_bins < 2:
            raise ValueError(f"max_n_bins must be >= 2, got {self.max_n_bins}")
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C}")

    def fit(self, X: pd.DataFrame, y: Any) -> Scorecard:
        """Bin every column of ``X``, select by IV, fit the logistic regression, scale points.

        ``y``: 1 = bad (default), 0 = good.
        """
        from optbinning import BinningProcess

        self._validate_params()
        X, yy = _check_xy(X, y)
        assert yy is not None
        cats = set(self.categorical) if self.categorical is not None else {
            c for c in X.columns if is_categorical(X[c])}
        unknown = cats - set(X.columns)
        if unknown:
            raise ValueError(f"categorical columns not in X: {sorted(unknown)}")
        labels = dict(self.labels or {})
        data = {}
        for c in X.columns:
            data[c] = _as_cat(X[c]) if c in cats else _as_num(X[c])
        usable = [c for c in X.columns
                  if pd.Series(data[c]).nunique(dropna=True) >= 2]
        if not usable:
            raise ValueError("no column of X has two or more distinct values")
        frame = pd.DataFrame({c: data[c] for c in usable})
        cat_vars = [c for c in usable if c in cats]
        fit_params = {c: {"monotonic_trend": self.monotonic_trend} for c in usable if c not in cats}
        bp = BinningProcess(usable, categorical_variables=cat_vars, max_n_bins=self.max_n_bins,
                            min_bin_size=self.min_bin_size, binning_fit_params=fit_params)
        tick = tick_of(self.progress)
        tick("binning features", 0.0)
        bp.fit(frame, yy)
        tick("binning features", 1.0)
        feats: list[dict] = []
        candidates: list[dict] = []
        for c in usable:
            ob = bp.get_binned_variable(c)
            tab = ob.binning_table.build()
            body = tab.iloc[:-1]  # drop totals row
            reg = body[~body["Bin"].astype(str).isin(["Special", "Missing"])]
            miss = body[body["Bin"].astype(str) == "Missing"].iloc[0]
            f: dict[str, Any] = {
                "name": c, "label": labels.get(c, c.replace("_", " ")),
                "dtype": "categorical" if c in cats else "numerical",
                "woe": [float(v) for v in reg["WoE"]],
                "woe_missing": float(miss["WoE"]) if miss["Count"] > 0 else 0.0,
                "woe_other": 0.0,
                "missing_count": int(miss["Count"]),
                "iv": float(tab.loc["Totals", "IV"]) if "Totals" in tab.index else float(body["IV"].sum()),
                "table": [{"bin": str(b), "count": int(n), "event": int(e), "event_rate": float(r),
                           "woe": float(w), "iv": float(v)}
                          for b, n, e, r, w, v in zip(body["Bin"], body["Count"], body["Event"],
                                                       body["Event rate"], body["WoE"], body["IV"],
                                                       strict=True)],
            }
            if c in cats:
                f["categories"] = [[str(v) for v in s] for s in ob.splits]
            else:
                f["splits"] = [float(s) for s in ob.splits]
            f["points"] = [0] * len(f["woe"])  # placeholder until points are scaled
            candidates.append({"name": c, "iv": f["iv"]})
            if len(f["woe"]) >= 2:
                feats.append(f)
        feats = [f for f in feats if f["iv"] >= self.min_iv]
        feats.sort(key=lambda f: -f["iv"])
        if self.max_features is not None:
            feats = feats[: self.max_features]
        if not feats:
            raise ValueError(f"no feature reaches information value {self.min_iv}")

        def woe_matrix(fs: list[dict]) -> np.ndarray:
            return np.column_stack([_lookup(f, bin_index(f, X[f["name"]]), "woe") for f in fs])

        # logistic regression on WoE; drop features whose coefficient has the wrong sign
        # (WoE is ln(good share / bad share), so a sound coefficient for P(bad) is negative)
        while True:
            W = woe_matrix(feats)
            lr = LogisticRegression(C=self.C, max_iter=2000)
            lr.fit(W, yy)
            coef = lr.coef_[0]
            bad = [i for i, b in enumerate(coef) if b >= 0]
            if not bad or len(feats) == 1:
                break
            worst = max(bad, key=lambda i: coef[i])
            feats.pop(worst)
        factor = self.pdo / math.log(2.0)
        offset = self.base_score - factor * math.log(self.base_odds)
        b0 = float(lr.intercept_[0])
        for f, b in zip(feats, coef, strict=True):
            f["coef"] = float(b)
            f["points"] = [int(round(-factor * b * w)) for w in f["woe"]]
            f["points_missing"] = int(round(-factor * b * f["woe_missing"]))
            f["points_other"] = int(round(-factor * b * f["woe_other"]))
        base_points = int(round(offset - factor * b0))
        spec: dict[str, Any] = {
            "spec_version": SPEC_VERSION,
            "params": {k: v for k, v in self.get_params().items()
                       if k not in ("grades", "labels", "categorical", "progress")},
            "factor": factor, "offset": offset, "intercept": b0,
            "base_points": base_points, "features": feats,
            "candidates": candidates,
            "n": int(len(yy)), "bad_rate": float(yy.mean()),
        }
        # calibration of the PD on the integer score (Platt scaling, unpenalised)
        s = _score_from_spec(spec, X)
        z = ((s - self.base_score) / factor).reshape(-1, 1)
        cal = LogisticRegression(C=1e10, max_iter=1000).fit(z, yy)
        bz, az = float(cal.coef_[0][0]), float(cal.intercept_[0])
        b = bz / factor
        a = az - bz * self.base_score / factor
        if not b < 0:  # degenerate: fall back to the scaling's own PD
            a, b = offset / factor, -1.0 / factor
        spec["calibration"] = {"a": a, "b": b}
        scale = self.grades or load_grades()
        spec["grades"] = {"names": scale.names, "pd_max": [g.pd_max for g in scale.grades],
                          "version": scale.version, "score_cutoffs": score_cutoffs(scale, a, b)}
        self.spec_ = spec
        self.binning_process_ = bp
        self.feature_names_in_ = list(X.columns)
        return self

    # ------------------------------------------------------------------ use
    def _spec(self) -> dict:
        if not hasattr(self, "spec_"):
            raise NotFittedError("this Scorecard is not fitted yet; call fit(X, y) first")
        return self.spec_

    @classmethod
    def from_spec(cls, spec: dict) -> Scorecard:
        """A fitted scorecard from its JSON spec (as stored in ``credit_models``)."""
        if spec.get("spec_version") != SPEC_VERSION:
            raise ValueError(f"unsupported scorecard spec version {spec.get('spec_version')!r}")
        sc = cls(**spec.get("params", {}))
        sc.spec_ = spec
        return sc

    def _check_cols(self, X: pd.DataFrame) -> None:
        need = [f["name"] for f in self._spec()["features"]]
        missing = [c for c in need if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks scorecard feature columns: {missing}")

    def bins(self, X: pd.DataFrame) -> pd.DataFrame:
        """Bin index per scorecard feature (n = missing, n+1 = unseen category)."""
        X, _ = _check_xy(X)
        self._check_cols(X)
        return pd.DataFrame({f["name"]: bin_index(f, X[f["name"]]) for f in self._spec()["features"]},
                            index=X.index)

    def points(self, X: pd.DataFrame) -> pd.DataFrame:
        """Integer points per scorecard feature."""
        b = self.bins(X)
        return pd.DataFrame({f["name"]: _lookup(f, b[f["name"]].to_numpy(), "points").astype(int)
                             for f in self._spec()["features"]}, index=X.index)

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Integer score per row (higher = safer)."""
        X, _ = _check_xy(X)
        self._check_cols(X)
        return _score_from_spec(self._spec(), X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, 2) array: column 0 = P(good), column 1 = calibrated PD."""
        pd_ = pd_of_score(self._spec(), self.score(X))
        return np.column_stack([1.0 - pd_, pd_])

    def grade(self, X: pd.DataFrame) -> np.ndarray:
        """Statistical grade (before overlays) of each row."""
        spec = self._spec()
        cut = spec["grades"]["score_cutoffs"]
        names = spec["grades"]["names"]
        return np.array([names[grade_rank_of_score(s, cut) - 1] for s in self.score(X)], dtype=object)

    def explain(self, X: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """Top adverse factors per row, e.g. "debt ratio 0.82 (bin ≥ 0.75) −34 points"."""
        spec = self._spec()
        b = self.bins(X)
        p = self.points(X)
        fs = spec["features"]
        names = [f["name"] for f in fs]
        vals = X[names].to_numpy(dtype=object)
        bb = b[names].to_numpy()
        pp = p[names].to_numpy()
        return [reason_lines(fs, list(vals[i]), list(bb[i]), list(pp[i]), top) for i in range(len(X))]

    def scorecard_table(self) -> pd.DataFrame:
        """Feature, bin, WoE and points: the printed scorecard."""
        from reforge.credit.reasons import bin_text
        rows = []
        for f in self._spec()["features"]:
            for i, (w, pts) in enumerate(zip(f["woe"], f["points"], strict=True)):
                rows.append({"feature": f["name"], "bin": bin_text(f, i), "woe": w, "points": pts})
            rows.append({"feature": f["name"], "bin": "missing", "woe": f["woe_missing"],
                         "points": f["points_missing"]})
        return pd.DataFrame(rows)


def _score_from_spec(spec: dict, X: pd.DataFrame) -> np.ndarray:
    total = np.full(len(X), int(spec["base_points"]), dtype=np.int64)
    for f in spec["features"]:
        total += _lookup(f, bin_index(f, X[f["name"]]), "points").astype(np.int64)
    return total


