"""Objective criterion weights from the decision matrix: entropy and CRITIC.

- Entropy (Shannon; Zeleny 1982, Hwang & Yoon 1981): ``p_ij = x_ij / sum_i x_ij`` (needs
  non-negative data, a positive column sum), ``E_j = -sum_i p_ij ln p_ij / ln m`` with
  ``0 ln 0 = 0``; weight ``(1 - E_j) / sum (1 - E)``. Criteria that separate the
  alternatives more get more weight.
- CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995, *Computers & OR* 22(7), 763-770):
  min-max normalised columns (cost criteria reversed), ``C_j = s_j * sum_k (1 - r_jk)`` with
  ``s_j`` the sample standard deviation and ``r`` Pearson's correlation; weight ``C_j / sum C``.
  A constant column has weight 0.
"""

from __future__ import annotations

import numpy as np

from reforge.appraise.matrix import check_decision, minmax
from reforge.errors import InvalidInput


def entropy_weights(x: object) -> np.ndarray:
    """Entropy weights of the columns of ``x`` (alternatives x criteria, values >= 0)."""
    m, _ = check_decision(x)
    if np.any(m < 0) or np.any(m.sum(axis=0) <= 0):
        raise InvalidInput("entropy weights need non-negative columns with a positive sum",
                           code="appraise.entropy.negative", params={})
    p = m / m.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(m.shape[0])
    d = 1.0 - e
    if d.sum() <= 0:  # every column spreads the alternatives evenly: no information, equal weights
        return np.full(m.shape[1], 1.0 / m.shape[1])
    return d / d.sum()


def critic_weights(x: object, types: object = None) -> np.ndarray:
    """CRITIC weights of the columns of ``x`` (types: +1 benefit, -1 cost)."""
    m, t = check_decision(x, types)
    if m.shape[0] < 3:
        raise InvalidInput("CRITIC weights need at least 3 alternatives", code="appraise.critic.too_few",
                           params={"n": int(m.shape[0])})
    r = minmax(m, t)
    s = r.std(axis=0, ddof=1)
    const = s == 0
    if np.all(const):
        return np.full(m.shape[1], 1.0 / m.shape[1])
    corr = np.eye(m.shape[1])
    live = np.flatnonzero(~const)
    if len(live) > 1:
        corr[np.ix_(live, live)] = np.corrcoef(r[:, live], rowvar=False)
    c = s * (1.0 - corr).sum(axis=0)
    c[const] = 0.0
    if c.sum() <= 0:
        return np.where(const, 0.0, 1.0) / (~const).sum()
    return c / c.sum()
