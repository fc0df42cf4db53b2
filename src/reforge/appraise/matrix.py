"""Validation of decision matrices (alternatives x criteria) and criterion types."""

from __future__ import annotations

import numpy as np

from reforge.errors import InvalidInput


def check_decision(x: object, types: object = None) -> tuple[np.ndarray, np.ndarray]:
    """(matrix as floats, types as +1 benefit / -1 cost) or InvalidInput.

    The matrix needs at least 2 alternatives (rows) and 1 criterion (column), all finite;
    ``types`` defaults to all benefit.
    """
    try:
        m = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInput("a decision matrix must hold numbers", code="appraise.matrix.not_numeric",
                           params={}) from None
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 1:
        raise InvalidInput(f"a decision matrix needs >= 2 alternatives and >= 1 criterion, got {m.shape}",
                           code="appraise.matrix.shape", params={"shape": list(m.shape)})
    if not np.all(np.isfinite(m)):
        raise InvalidInput("a decision matrix must be finite", code="appraise.matrix.not_finite", params={})
    t = np.ones(m.shape[1]) if types is None else np.asarray(types, dtype=float)
    if t.shape != (m.shape[1],) or not np.all(np.isin(t, (-1.0, 1.0))):
        raise InvalidInput("criterion types must be 1 (benefit) or -1 (cost), one per criterion",
                           code="appraise.matrix.types", params={"n": int(m.shape[1])})
    return m, t


def check_weights(w: object, n: int) -> np.ndarray:
    """Criterion weights: n finite non-negative numbers, not all 0, returned summing to 1."""
    try:
        v = np.asarray(w, dtype=float)
    except (TypeError, ValueError):
        v = np.array([np.nan])
    if v.shape != (n,) or not np.all(np.isfinite(v)) or np.any(v < 0) or v.sum() <= 0:
        raise InvalidInput(f"criterion weights must be {n} finite non-negative numbers, not all 0",
                           code="appraise.weights.invalid", params={"n": n})
    return v / v.sum()


def minmax(m: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Columns scaled to 0-1, 1 = best (cost columns reversed); a constant column is all 1."""
    lo, hi = m.min(axis=0), m.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    r = np.where(types > 0, (m - lo) / span, (hi - m) / span)
    return np.where(hi > lo, r, 1.0)
