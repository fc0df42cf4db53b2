"""What-if on a role's weight: the weight at which the top appraisal of a batch changes.

The batch's scores, experts and judgments are read once; for a candidate weight ``r`` of
``role`` the decision matrix (voice-weighted mean scores), the criterion weights (AHP group
weights with the same role weight, or entropy / CRITIC / equal) and the scores are
recomputed on that reduced data. The role weight is scanned on a geometric grid from
``lo`` to ``hi`` (all other roles as in ``roles.yaml`` or ``role_weights``), and each change
of the top appraisal next to the current weight is refined by bisection (relative 1e-6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reforge.appraise import sql
from reforge.appraise.evaluate import RANK_METHODS, WEIGHTINGS, _batch, load_judges, matrix_from_scores
from reforge.appraise.group import group_weights
from reforge.appraise.objective import critic_weights, entropy_weights
from reforge.appraise.roles import ROLES, load_roles
from reforge.appraise.scoring import topsis, vikor, weighted_sum
from reforge.engine.base import Engine
from reforge.errors import DataMissing, InvalidInput


def role_switch_points(engine: Engine, appraisal_ids: Sequence[str] | None = None, kind: str | None = None,
                       year: int | None = None, role: str = "downstream_user", method: str = "topsis",
                       weighting: str = "ahp", role_weights: Mapping[str, float] | None = None,
                       lo: float = 1 / 16, hi: float = 16.0, grid: int = 161) -> dict[str, object]:
    """``{"role", "weight", "top", "below", "top_below", "above", "top_above"}`` (None: no change in range)."""
    if role not in ROLES:
        raise InvalidInput(f"unknown expert role {role!r}", code="appraise.role.unknown",
                           params={"role": str(role)[:40], "roles": list(ROLES)})
    if method not in RANK_METHODS or weighting not in WEIGHTINGS:
        raise InvalidInput(f"unknown ranking method {method!r} or weighting {weighting!r}",
                           code="appraise.rank.method", params={"value": f"{method}/{weighting}"[:80],
                                                                "choices": list(RANK_METHODS)})
    if not (0 < lo < hi and np.isfinite(hi)) or grid < 3:
        raise InvalidInput("the scanned range needs 0 < lo < hi and at least 3 grid points",
                           code="appraise.whatif.range", params={})
    ids = list(_batch(engine, appraisal_ids, kind, year).appraisal_id)
    if len(ids) < 2:
        raise InvalidInput("ranking needs at least 2 appraisals", code="appraise.rank.too_few", params={"n": len(ids)})
    sc, ex = sql.scores(engine, ids), sql.experts(engine)
    if sc.empty:
        raise DataMissing("no expert scores for these appraisals", code="appraise.data.no_scores",
                          params={"n": len(ids)})
    criteria, judges = load_judges(engine, ids) if weighting == "ahp" else ([], [])
    base_rw = dict(role_weights or {})
    current = load_roles(base_rw).weight(role)

    def top(r: float) -> int:
        rw = {**base_rw, role: r}
        mat = matrix_from_scores(sc, ex, ids, rw)
        x = mat.to_numpy(dtype=float)
        if weighting == "ahp":
            g = group_weights(judges, criteria, "aij", rw)
            w = np.array([dict(zip(g.criteria, g.weights, strict=True))[str(c)] for c in mat.columns])
        elif weighting == "entropy":
            w = entropy_weights(x)
        elif weighting == "critic":
            w = critic_weights(x)
        else:
            w = np.full(x.shape[1], 1.0 / x.shape[1])
        s = -vikor(x, w)[2] if method == "vikor" else topsis(x, w) if method == "topsis" else weighted_sum(x, w)
        return int(np.argmax(s))

    base = top(current)
    out: dict[str, object] = {"role": role, "weight": current, "top": ids[base], "below": None, "top_below": None,
                              "above": None, "top_above": None}
    pts = np.geomspace(lo, hi, grid)
    for side, cand in (("below", pts[pts < current][::-1]), ("above", pts[pts > current])):
        inside = current
        for c in cand:
            t = top(float(c))
            if t != base:
                a, b = inside, float(c)
                while abs(b - a) > 1e-6 * max(a, b):
                    mid = np.sqrt(a * b)
                    if top(mid) == base:
                        a = mid
                    else:
                        b = mid
                out[side], out[f"top_{side}"] = b, ids[top(b)]
                break
            inside = float(c)
    return out
