"""Population stability index (PSI) of the score and of each feature between two samples.

``PSI = sum_i (a_i - e_i) * ln(a_i / e_i)`` over bins, with ``e`` the expected (reference)
shares and ``a`` the actual shares; empty shares are floored at ``eps`` (1e-4). Common
reading: < 0.10 stable, 0.10-0.25 watch, > 0.25 shifted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.credit.scorecard import Scorecard


def psi(expected_counts: np.ndarray, actual_counts: np.ndarray, eps: float = 1e-4) -> float:
    """PSI between two count (or share) vectors over the same bins."""
    e = np.asarray(expected_counts, dtype=float)
    a = np.asarray(actual_counts, dtype=float)
    if e.shape != a.shape or e.ndim != 1 or len(e) == 0:
        raise ValueError("expected and actual must be 1-D vectors of the same length")
    if e.sum() <= 0 or a.sum() <= 0:
        raise ValueError("both samples need at least one observation")
    e = np.maximum(e / e.sum(), eps)
    a = np.maximum(a / a.sum(), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def score_psi(ref_scores: np.ndarray, new_scores: np.ndarray, bins: int = 10) -> float:
    """PSI of scores over the reference sample's deciles."""
    ref = np.asarray(ref_scores, dtype=float)
    new = np.asarray(new_scores, dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, new, side="right"), minlength=len(edges) + 1)
    return psi(e, a)


def psi_status(v: float) -> str:
    return "stable" if v < 0.10 else ("watch" if v <= 0.25 else "shifted")


def feature_psi(model: Scorecard, ref: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """PSI of each scorecard feature over its scorecard bins (missing and unseen included)."""
    rb, nb = model.bins(ref), model.bins(new)
    rows = []
    for f in model.spec_["features"]:
        k = len(f["points"]) + 2
        v = psi(np.bincount(rb[f["name"]], minlength=k), np.bincount(nb[f["name"]], minlength=k))
        rows.append({"feature": f["name"], "psi": v, "status": psi_status(v)})
    return pd.DataFrame(rows)
