"""AHP on reduced data: priorities, consistency, repair and group aggregation (numpy only).

A pairwise comparison matrix ``A`` (n x n, n <= 15) says how much more important criterion
``i`` is than ``j`` on Saaty's 1-9 scale: positive, ``a_ii = 1``, ``a_ji = 1 / a_ij``.

- Priorities are the principal (Perron) eigenvector of ``A``, normalised to sum 1
  (Saaty 1980, *The Analytic Hierarchy Process*, ch. 2).
- ``CI = (lambda_max - n) / (n - 1)``; ``CR = CI / RI(n)`` with Saaty's random index
  (:data:`SAATY_RI`); a matrix is consistent when ``CR <= 0.1`` (n = 1, 2: always, CR = 0).
- Repair (only when asked): the iterative method of Xu & Wei (1999), "A consistency
  improving method in the analytic hierarchy process", *European Journal of Operational
  Research* 116(2), 443-449: ``A_{k+1} = A_k^lam o (w_i / w_j)^(1-lam)`` elementwise, with
  ``w`` the priorities of ``A_k`` and ``0 < lam < 1``, until ``CR <= threshold``. Each step
  keeps the matrix positive and reciprocal and does not raise ``lambda_max``; a small
  ``lam`` moves further from the expert's judgments per step.
- Group aggregation (Forman & Peniwati 1998, "Aggregating individual judgments and
  priorities with the AHP", *EJOR* 108(1), 165-169): AIJ takes the weighted geometric mean
  of the judgments and then the priorities of that matrix; AIP takes the weighted geometric
  mean of each expert's priorities, renormalised to sum 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reforge.errors import InvalidInput

# Saaty's random consistency index for n = 1..15 (Saaty 1980 for n <= 10; the n = 11-15
# values as extended in Saaty, *Fundamentals of Decision Making*, 1994, table 3.2).
SAATY_RI: tuple[float, ...] = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                               1.51, 1.48, 1.56, 1.57, 1.59)
MAX_N = len(SAATY_RI)
CR_THRESHOLD = 0.1
_RECIP_TOL = 1e-6


def random_index(n: int) -> float:
    """Saaty's random index RI(n) for 1 <= n <= 15."""
    if not 1 <= n <= MAX_N:
        raise InvalidInput(f"AHP needs 1 to {MAX_N} criteria, got {n}",
                           code="appraise.ahp.size", params={"n": n, "max": MAX_N})
    return SAATY_RI[n - 1]


def check_matrix(a: object) -> np.ndarray:
    """``a`` as a float matrix when it is a valid pairwise comparison matrix, else InvalidInput.

    Valid: square, 1 <= n <= 15, finite and positive, unit diagonal, reciprocal
    (``a_ij * a_ji = 1`` to 1e-6).
    """
    try:
        m = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInput("a pairwise comparison matrix must hold numbers",
                           code="appraise.ahp.not_numeric", params={}) from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InvalidInput(f"a pairwise comparison matrix must be square, got shape {m.shape}",
                           code="appraise.ahp.not_square", params={"shape": list(m.shape)})
    random_index(m.shape[0])
    if not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise InvalidInput("pairwise judgments must be finite and positive",
                           code="appraise.ahp.not_positive", params={})
    if not np.allclose(np.diag(m), 1.0, rtol=0, atol=_RECIP_TOL):
        raise InvalidInput("the diagonal of a pairwise comparison matrix must be 1",
                           code="appraise.ahp.diagonal", params={})
    bad = np.argwhere(np.abs(m * m.T - 1.0) > _RECIP_TOL)
    if len(bad):
        i, j = (int(x) for x in bad[0])
        raise InvalidInput(f"judgments ({i}, {j}) and ({j}, {i}) are not reciprocal",
                           code="appraise.ahp.not_reciprocal", params={"i": i, "j": j})
    return m


def principal(m: np.ndarray) -> tuple[np.ndarray, float]:
    """(priorities summing to 1, lambda_max) of a positive matrix: its Perron eigenpair."""
    vals, vecs = np.linalg.eig(m)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    return w / w.sum(), float(vals[k].real)


def geometric_priorities(m: np.ndarray) -> np.ndarray:
    """Row geometric means of ``m`` normalised to sum 1 (Crawford & Williams 1985)."""
    g = np.exp(np.log(m).mean(axis=1))
    return g / g.sum()


@dataclass(frozen=True)
class Consistency:
    """Priorities and consistency of one pairwise comparison matrix."""

    priorities: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    threshold: float = CR_THRESHOLD

    @property
    def consistent(self) -> bool:
        """CR within the threshold (0.1 by Saaty's rule)."""
        return self.cr <= self.threshold

    def to_dict(self) -> dict[str, object]:
        return {"priorities": [float(x) for x in self.priorities], "lambda_max": self.lambda_max,
                "ci": self.ci, "ri": self.ri, "cr": self.cr, "consistent": self.consistent}


def consistency(a: object, threshold: float = CR_THRESHOLD) -> Consistency:
    """Priorities (principal eigenvector), lambda_max, CI, RI and CR of matrix ``a``."""
    m = check_matrix(a)
    n = m.shape[0]
    w, lam = principal(m)
    ci = max(0.0, (lam - n) / (n - 1)) if n > 1 else 0.0
    ri = random_index(n)
    cr = ci / ri if ri > 0 else 0.0
    return Consistency(w, lam, ci, ri, cr, threshold)


@dataclass(frozen=True)
class Repair:
    """A matrix brought within the CR threshold by Xu & Wei's method."""

    matrix: np.ndarray
    before: Consistency
    after: Consistency
    iterations: int
    max_change: float  # largest |log a'_ij - log a_ij| (natural log), a size of the edit

    def to_dict(self) -> dict[str, object]:
        return {"method": "xu_wei_1999", "iterations": self.iterations, "max_log_change": self.max_change,
                "cr_before": self.before.cr, "cr_after": self.after.cr,
                "matrix": [[float(x) for x in row] for row in self.matrix]}


def repair(a: object, lam: float = 0.9, threshold: float = CR_THRESHOLD, max_iter: int = 200) -> Repair:
    """Xu & Wei (1999) iteration until ``CR <= threshold`` (see the module text).

    ``lam`` in (0, 1) is the share of the current judgment kept per step. A matrix that is
    already consistent comes back unchanged with ``iterations = 0``.
    """
    if not 0 < lam < 1:
        raise InvalidInput(f"the repair step must be strictly between 0 and 1, got {lam}",
                           code="appraise.ahp.bad_step", params={"value": lam})
    m0 = check_matrix(a)
    before = consistency(m0, threshold)
    m, cur, k = m0.copy(), before, 0
    while not cur.consistent and k < max_iter:
        w = cur.priorities
        m = m ** lam * (np.outer(w, 1.0 / w)) ** (1.0 - lam)
        m = np.sqrt(m / m.T)  # exact reciprocity against rounding
        cur = consistency(m, threshold)
        k += 1
    change = float(np.max(np.abs(np.log(m) - np.log(m0))))
    return Repair(m, before, cur, k, change)


def _voices(voices: object, k: int) -> np.ndarray:
    v = np.ones(k) if voices is None else np.asarray(voices, dtype=float)
    if v.shape != (k,) or not np.all(np.isfinite(v)) or np.any(v < 0) or v.sum() <= 0:
        raise InvalidInput("expert weights must be one finite non-negative number per expert, not all 0",
                           code="appraise.bad_voices", params={"n": k})
    return v / v.sum()


def aggregate_judgments(matrices: list[object], voices: object = None) -> np.ndarray:
    """AIJ: the weighted geometric mean of the experts' matrices (reciprocal again)."""
    if not matrices:
        raise InvalidInput("no pairwise comparison matrices to aggregate", code="appraise.ahp.none", params={})
    ms = [check_matrix(a) for a in matrices]
    if len({m.shape for m in ms}) != 1:
        raise InvalidInput("the experts' matrices differ in size", code="appraise.ahp.sizes_differ", params={})
    v = _voices(voices, len(ms))
    return np.exp(sum(vi * np.log(m) for vi, m in zip(v, ms, strict=True)))


def aggregate_priorities(priorities: list[object], voices: object = None) -> np.ndarray:
    """AIP: the weighted geometric mean of the experts' priority vectors, renormalised."""
    if not priorities:
        raise InvalidInput("no priority vectors to aggregate", code="appraise.ahp.none", params={})
    ps = np.asarray([np.asarray(p, dtype=float) for p in priorities])
    if ps.ndim != 2 or not np.all(np.isfinite(ps)) or np.any(ps <= 0):
        raise InvalidInput("priority vectors must be positive and of one length",
                           code="appraise.ahp.bad_priorities", params={})
    v = _voices(voices, len(ps))
    g = np.exp(v @ np.log(ps))
    return g / g.sum()

