"""Discrimination and calibration metrics, cross-validation, and ``validate_file``.

AUC is the Mann-Whitney probability that a random bad case has a higher PD than a random
good case (ties count half); Gini = 2 AUC - 1; KS is the largest gap between the
cumulative distributions of bads and goods over the score.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold

from reforge.errors import ReforgeError


def auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Area under the ROC curve of ``risk`` (higher = more likely bad) for 0/1 ``y``."""
    y = np.asarray(y, dtype=int)
    r = rankdata(np.asarray(risk, dtype=float))
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def ks(y: np.ndarray, risk: np.ndarray) -> float:
    """Kolmogorov-Smirnov statistic between the risk distributions of bads and goods."""
    y = np.asarray(y, dtype=int)
    risk = np.asarray(risk, dtype=float)
    order = np.argsort(-risk, kind="mergesort")
    ys, rs = y[order], risk[order]
    n1, n0 = ys.sum(), len(ys) - ys.sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    c1 = np.cumsum(ys) / n1
    c0 = np.cumsum(1 - ys) / n0
    last = np.r_[rs[1:] != rs[:-1], True]  # evaluate only at the end of tied groups
    return float(np.max(np.abs(c1 - c0)[last]))


def roc_points(y: np.ndarray, risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates over all thresholds (for plotting)."""
    y = np.asarray(y, dtype=int)
    order = np.argsort(-np.asarray(risk, dtype=float), kind="mergesort")
    ys = y[order]
    tpr = np.r_[0, np.cumsum(ys) / max(ys.sum(), 1)]
    fpr = np.r_[0, np.cumsum(1 - ys) / max((1 - ys).sum(), 1)]
    return fpr, tpr


def calibration_table(y: np.ndarray, pd_: np.ndarray, groups: int = 10) -> pd.DataFrame:
    """Mean predicted PD vs observed default rate per PD decile (rank-based groups)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(pd_, dtype=float)
    g = np.minimum((rankdata(p, method="ordinal") - 1) * groups // len(p), groups - 1).astype(int)
    df = pd.DataFrame({"group": g + 1, "pd": p, "y": y})
    t = df.groupby("group").agg(n=("y", "size"), pd_min=("pd", "min"), pd_max=("pd", "max"),
                                mean_pd=("pd", "mean"), observed=("y", "mean"), bads=("y", "sum"))
    return t.reset_index()


def metrics(y: np.ndarray, pd_: np.ndarray) -> dict[str, float]:
    """AUC, KS, Gini, n and bad rate of predictions ``pd_`` against outcomes ``y``."""
    a = auc(y, pd_)
    return {"auc": a, "ks": ks(y, pd_), "gini": 2 * a - 1, "n": int(len(y)),
            "bad_rate": float(np.mean(y))}


def cross_validate(X: pd.DataFrame, y: np.ndarray, folds: int = 5, seed: int = 0,
                   **params: Any) -> dict[str, Any]:
    """Stratified k-fold CV of the scorecard; metrics are means over the held-out folds.

    Also returns the pooled out-of-fold metrics and the per-fold figures.
    """
    from reforge.credit.scorecard import Scorecard
    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    y = np.asarray(y, dtype=int)
    if min(y.sum(), len(y) - y.sum()) < folds:
        raise ValueError(f"too few bad or good cases ({int(y.sum())} bad of {len(y)}) for {folds} folds")
    oof = np.zeros(len(y))
    per = []
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        sc = Scorecard(**params).fit(X.iloc[tr], y[tr])
        p = sc.predict_proba(X.iloc[te])[:, 1]
        oof[te] = p
        per.append(metrics(y[te], p))
    out = {k: float(np.mean([m[k] for m in per])) for k in ("auc", "ks", "gini")}
    out.update({"n": int(len(y)), "bad_rate": float(y.mean())})
    return {"summary": out, "folds": per, "pooled": metrics(y, oof), "oof_pd": oof}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file for validation."""
    p = Path(path)
    if not p.exists():
        raise ReforgeError(f"file {p} does not exist")
    if p.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(p)
    if p.suffix.lower() in (".csv", ".txt", ".tsv"):
        return pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",")
    raise ReforgeError(f"cannot read {p.name}: use a .csv, .tsv or .parquet file")


def target_vector(df: pd.DataFrame, target: str, bad_value: str) -> np.ndarray:
    """1 where ``df[target]`` equals ``bad_value`` (compared as text), else 0."""
    if target not in df.columns:
        raise ReforgeError(f"target column {target!r} not found; columns: {', '.join(map(str, df.columns))}")
    t = df[target]
    if t.isna().any():
        raise ReforgeError(f"target column {target!r} has {int(t.isna().sum())} missing values")
    y = (t.astype(str) == str(bad_value)).to_numpy(dtype=int)
    if y.sum() == 0:
        vals = ", ".join(sorted(map(str, t.unique()))[:10])
        raise ReforgeError(f"bad value {bad_value!r} does not occur in {target!r} (values: {vals})")
    if y.sum() == len(y):
        raise ReforgeError(f"every row of {target!r} equals the bad value {bad_value!r}")
    return y


def validate_frame(df: pd.DataFrame, target: str, bad_value: str, folds: int = 5,
                   seed: int = 0, **params: Any) -> dict[str, Any]:
    """Cross-validated ``{"auc", "ks", "gini", "n", "bad_rate"}`` of the scorecard on a table."""
    y = target_vector(df, target, bad_value)
    X = df.drop(columns=[target])
    if X.shape[1] == 0:
        raise ReforgeError("the table has no feature columns besides the target")
    try:
        return cross_validate(X, y, folds=folds, seed=seed, **params)["summary"]
    except ValueError as e:
        raise ReforgeError(str(e)) from None


def validate_file(path: str | Path, target: str, bad_value: str, folds: int = 5,
                  seed: int = 0) -> dict[str, Any]:
    """Fit the scorecard pipeline on any CSV/Parquet table (every other column a candidate
    feature, text columns categorical) and return k-fold CV ``{"auc", "ks", "gini", "n", "bad_rate"}``."""
    return validate_frame(read_table(path), target, bad_value, folds=folds, seed=seed)
