"""Agreement of the panel and the voice of each role (reduced data, numpy only).

- Kendall's W (coefficient of concordance; Kendall & Babington Smith 1939) of ``m`` experts
  ranking ``n`` alternatives, with the tie correction: ``W = 12 S / (m^2 (n^3 - n) - m sum T)``,
  ``S`` the squared deviations of the rank sums from their mean, ``T = sum (t^3 - t)`` over
  each expert's groups of ``t`` tied alternatives (midranks). 0 = no agreement, 1 = identical.
- Outlier experts: Spearman's rho of each expert's ranking against the others' mean
  (leave-one-out); an expert below ``outlier_rho`` (default 0: ranking against the panel)
  is an outlier.
- Discourse share (leave-role-out): the group criterion weights are computed with every
  role, then once without each role's experts; a role's *change* is the total variation
  distance ``0.5 * sum |w_all - w_without|`` and its *share* is its change over the sum of
  all roles' changes. A role that moves the result more when it leaves has more say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reforge.appraise.group import ExpertJudgment, group_weights
from reforge.errors import InvalidInput


def midranks(values: object) -> np.ndarray:
    """Ranks 1..n of ``values`` with higher = rank 1 and ties sharing their mean rank."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(-v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for val in np.unique(v):
        tie = v == val
        r[tie] = r[tie].mean()
    return r


def kendall_w(scores: object) -> float:
    """Kendall's W of a matrix ``experts x alternatives`` of scores (higher = better)."""
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2 or s.shape[0] < 2 or s.shape[1] < 2 or not np.all(np.isfinite(s)):
        raise InvalidInput("Kendall's W needs finite scores of at least 2 experts on at least 2 alternatives",
                           code="appraise.kendall.shape", params={"shape": list(s.shape)})
    m, n = s.shape
    ranks = np.vstack([midranks(row) for row in s])
    dev = ranks.sum(axis=0) - m * (n + 1) / 2
    ties = 0.0
    for row in s:
        _, counts = np.unique(row, return_counts=True)
        ties += float(np.sum(counts ** 3 - counts))
    den = m ** 2 * (n ** 3 - n) - m * ties
    return float(12 * np.sum(dev ** 2) / den) if den > 0 else 1.0


def discourse_shares(judgments: Sequence[ExpertJudgment], criteria: Sequence[str], method: str = "aij",
                     role_weights: Mapping[str, float] | None = None,
                     on_inconsistent: str = "exclude") -> dict[str, dict[str, float]]:
    """``{role: {"change", "share", "voice"}}`` by leaving each role out (see the module text).

    ``voice`` is the role's summed normalised voice in the full aggregation. A role whose
    experts are the only usable ones gets ``change`` = 1.0 (nothing would be left without it).
    """
    full = group_weights(judgments, criteria, method, role_weights, on_inconsistent)
    roles = sorted({j.role for j in judgments if j.role is not None})
    voice = {r: float(sum(o.voice for o in full.experts if o.role == r)) for r in roles}
    change: dict[str, float] = {}
    for r in roles:
        rest = [j for j in judgments if j.role != r]
        try:
            w = group_weights(rest, criteria, method, role_weights, on_inconsistent).weights
            change[r] = float(0.5 * np.abs(full.weights - w).sum())
        except InvalidInput:  # nothing usable without this role
            change[r] = 1.0
    total = sum(change.values())
    return {r: {"change": change[r], "share": change[r] / total if total > 0 else 0.0, "voice": voice[r]}
            for r in roles}


def leave_one_out_rho(scores: object) -> np.ndarray:
    """Per expert: Spearman's rho between the expert's ranking and the ranking by the mean score
    of all other experts (midranks for ties). An outlier has a low or negative rho."""
    s = np.asarray(scores, dtype=float)
    if s.ndim != 2 or s.shape[0] < 3 or s.shape[1] < 3 or not np.all(np.isfinite(s)):
        raise InvalidInput("outliers need finite scores of at least 3 experts on at least 3 alternatives",
                           code="appraise.outliers.shape", params={"shape": list(s.shape)})
    out = np.empty(s.shape[0])
    for k in range(s.shape[0]):
        mine = midranks(s[k])
        rest = midranks(np.delete(s, k, axis=0).mean(axis=0))
        a, b = mine - mine.mean(), rest - rest.mean()
        den = np.sqrt((a * a).sum() * (b * b).sum())
        out[k] = float((a * b).sum() / den) if den > 0 else 0.0
    return out
