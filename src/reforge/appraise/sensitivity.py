"""Sensitivity of a ranking to the criterion weights (reduced data, numpy only).

- Switch points: criterion ``j``'s weight is moved to ``t`` in [0, 1], the other weights
  keep their proportions and sum to ``1 - t``; the switch point below (above) is the largest
  ``t < w_j`` (smallest ``t > w_j``) at which the top alternative is no longer the same. Found
  on a grid of 201 points (step 0.005: a change that reverts within one step can be missed)
  and refined by bisection to 1e-9; None when no change is found.
- Rank stability: weights drawn from a Dirichlet distribution centred on ``w``
  (``alpha = concentration * w``, seeded); the share of draws that keep the top alternative
  and the mean Spearman correlation of the drawn rankings with the base ranking.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reforge.appraise.matrix import check_decision, check_weights
from reforge.appraise.scoring import topsis, vikor, weighted_sum
from reforge.errors import InvalidInput

METHODS = ("topsis", "weighted_sum", "vikor")


def _scorer(method: str) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Higher-is-better scores of a method."""
    if method == "topsis":
        return lambda x, w, t: topsis(x, w, t)
    if method == "weighted_sum":
        return lambda x, w, t: weighted_sum(x, w, t)
    if method == "vikor":
        return lambda x, w, t: -vikor(x, w, t)[2]
    raise InvalidInput(f"unknown ranking method {method!r}", code="appraise.rank.method",
                       params={"value": str(method)[:40], "choices": list(METHODS)})


def _moved(w: np.ndarray, j: int, t: float) -> np.ndarray:
    rest = np.delete(w, j)
    out = np.empty_like(w)
    out[j] = t
    s = rest.sum()
    out[np.arange(len(w)) != j] = (1 - t) * (rest / s if s > 0 else np.full(len(rest), 1 / len(rest)))
    return out


def switch_points(x: object, weights: object, types: object = None, method: str = "topsis",
                  grid: int = 201) -> list[dict[str, float | int | None]]:
    """Per criterion: ``{"criterion", "weight", "below", "above", "top_below", "top_above"}``."""
    m, t = check_decision(x, types)
    w = check_weights(weights, m.shape[1])
    score = _scorer(method)

    def top(wt: np.ndarray) -> int:
        with np.errstate(all="ignore"):
            s = score(m, wt, t)
        return int(np.argmax(s))  # ties go to the first alternative

    base = top(w)
    out: list[dict[str, float | int | None]] = []
    ts = np.linspace(0.0, 1.0, grid)
    for j in range(m.shape[1]):
        row: dict[str, float | int | None] = {"criterion": j, "weight": float(w[j]), "below": None, "above": None,
                                              "top_below": None, "top_above": None}
        for side, cand in (("below", ts[ts < w[j]][::-1]), ("above", ts[ts > w[j]])):
            inside = float(w[j])
            for c in cand:
                if top(_moved(w, j, float(c))) != base:
                    lo, hi = inside, float(c)  # top is base at lo, not at hi
                    while abs(hi - lo) > 1e-9:
                        mid = (lo + hi) / 2
                        if top(_moved(w, j, mid)) == base:
                            lo = mid
                        else:
                            hi = mid
                    row[side] = hi
                    row[f"top_{side}"] = top(_moved(w, j, hi))
                    break
                inside = float(c)
        out.append(row)
    return out


def rank_stability(x: object, weights: object, types: object = None, method: str = "topsis", draws: int = 500,
                   concentration: float = 50.0, seed: int = 0) -> dict[str, float]:
    """``{"top_kept", "mean_spearman"}`` over Dirichlet draws of the weights around ``weights``."""
    m, t = check_decision(x, types)
    w = check_weights(weights, m.shape[1])
    if draws < 1 or not np.isfinite(concentration) or concentration <= 0:
        raise InvalidInput("draws must be >= 1 and the concentration > 0", code="appraise.sensitivity.bad",
                           params={})
    score = _scorer(method)
    base = score(m, w, t)
    rng = np.random.default_rng(seed)
    alpha = np.maximum(concentration * w, 1e-3)

    def rk(s: np.ndarray) -> np.ndarray:
        r = np.empty(len(s))
        r[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
        return r

    rb = rk(base)
    kept, rhos = 0, []
    for _ in range(draws):
        s = score(m, rng.dirichlet(alpha), t)
        kept += int(np.argmax(s) == np.argmax(base))
        r = rk(s)
        n = len(r)
        rhos.append(1 - 6 * float(((r - rb) ** 2).sum()) / (n * (n * n - 1)))
    return {"top_kept": kept / draws, "mean_spearman": float(np.mean(rhos))}
