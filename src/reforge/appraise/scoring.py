"""Scores of alternatives on a decision matrix: weighted sum, TOPSIS and VIKOR.

- Weighted sum (SAW): min-max normalised columns (1 = best, cost reversed) times weights.
- TOPSIS (Hwang & Yoon 1981): columns normalised by ``normalization`` (``"vector"``:
  ``x / ||x||``, the original; ``"minmax"``), weighted; ideal = best of each column (max for
  benefit, min for cost), anti-ideal = worst; score ``D- / (D+ + D-)`` with Euclidean
  distances. Cost columns take the minimum as ideal, which equals reflecting the column.
- VIKOR (Opricovic 1998; Opricovic & Tzeng 2004, *EJOR* 156(2), 445-455): with ``f*`` the
  best and ``f-`` the worst value of each column, ``S_i = sum_j w_j (f*_j - f_ij) / (f*_j - f-_j)``
  (group utility), ``R_i = max_j`` of the same terms (individual regret),
  ``Q_i = v (S_i - S*) / (S- - S*) + (1 - v) (R_i - R*) / (R- - R*)``; a lower ``Q`` is better.
  A constant column contributes 0 (it cannot separate anyone), a degenerate ``S`` or ``R``
  spread contributes 0 to ``Q``.

Ranks: 1 = best; ties share the best rank (competition ranking, ``1, 1, 3``).
"""

from __future__ import annotations

import numpy as np

from reforge.appraise.matrix import check_decision, check_weights, minmax
from reforge.errors import InvalidInput

NORMALIZATIONS = ("vector", "minmax")


def weighted_sum(x: object, weights: object, types: object = None) -> np.ndarray:
    """Weighted sum of min-max normalised criteria (0-1, 1 = best on every criterion)."""
    m, t = check_decision(x, types)
    w = check_weights(weights, m.shape[1])
    return minmax(m, t) @ w


def topsis(x: object, weights: object, types: object = None, normalization: str = "vector") -> np.ndarray:
    """TOPSIS closeness (0-1, 1 = the ideal) of each alternative."""
    m, t = check_decision(x, types)
    w = check_weights(weights, m.shape[1])
    if normalization == "vector":
        norm = np.sqrt((m ** 2).sum(axis=0))
        r = m / np.where(norm > 0, norm, 1.0)
    elif normalization == "minmax":
        r = minmax(m, np.ones_like(t))  # a constant column is all 1: no distance either way
    else:
        raise InvalidInput(f"unknown normalization {normalization!r}; use one of {', '.join(NORMALIZATIONS)}",
                           code="appraise.topsis.normalization",
                           params={"value": str(normalization)[:40], "choices": list(NORMALIZATIONS)})
    v = r * w
    best = np.where(t > 0, v.max(axis=0), v.min(axis=0))
    worst = np.where(t > 0, v.min(axis=0), v.max(axis=0))
    dp = np.sqrt(((v - best) ** 2).sum(axis=1))
    dm = np.sqrt(((v - worst) ** 2).sum(axis=1))
    den = dp + dm
    return np.where(den > 0, dm / np.where(den > 0, den, 1.0), 0.5)


def ranks(scores: object) -> np.ndarray:
    """Competition ranks of ``scores`` (higher is better): 1 = best, ties share the best rank."""
    s = np.asarray(scores, dtype=float)
    return np.array([1 + int(np.sum(s > v + 1e-12)) for v in s])


def vikor(x: object, weights: object, types: object = None, v: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """VIKOR ``(S, R, Q)`` per alternative; ``v`` in [0, 1] weighs group utility against regret."""
    m, t = check_decision(x, types)
    w = check_weights(weights, m.shape[1])
    if not 0 <= v <= 1:
        raise InvalidInput(f"VIKOR's v must lie in [0, 1], got {v}", code="appraise.vikor.v", params={"value": v})
    best = np.where(t > 0, m.max(axis=0), m.min(axis=0))
    worst = np.where(t > 0, m.min(axis=0), m.max(axis=0))
    span = best - worst
    d = np.where(span != 0, (best - m) / np.where(span != 0, span, 1.0), 0.0) * w
    s, r = d.sum(axis=1), d.max(axis=1)

    def _scaled(a: np.ndarray) -> np.ndarray:
        lo, hi = a.min(), a.max()
        return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)

    return s, r, v * _scaled(s) + (1 - v) * _scaled(r)
