"""Multiplier bootstrap of influence functions (R ``did::mboot``), pure numpy.

Rademacher multipliers per unit (or per cluster, after summing the influence
function within clusters). Standard errors are the bootstrap interquartile
range over the normal IQR, scaled as in R; the simultaneous (uniform) critical
value is the 1−α quantile of the sup-t statistic over the columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reforge.policy.dist import norm_ppf


@dataclass
class BootResult:
    """``se`` per column (NaN where degenerate) and the uniform critical value ``crit``."""

    se: np.ndarray
    crit: float


def cluster_sums(psi: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    """Sum the rows of ``psi`` (units × columns) within clusters (``codes`` 0..C−1); identity if None."""
    if codes is None:
        return psi
    out = np.zeros((int(codes.max()) + 1, psi.shape[1]))
    np.add.at(out, codes, psi)
    return out


def mboot(psi: np.ndarray, *, biters: int, alp: float = 0.05, codes: np.ndarray | None = None,
          rng: np.random.Generator | None = None, chunk: int = 200) -> BootResult:
    """Bootstrap SEs and the sup-t critical value for the columns of ``psi`` (n units × K)."""
    psi = np.asarray(psi, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    n = psi.shape[0]
    rng = rng or np.random.default_rng()
    m = cluster_sums(psi, codes)
    nc = m.shape[0]
    bres = np.empty((biters, psi.shape[1]))
    for s in range(0, biters, chunk):
        b = min(chunk, biters - s)
        v = rng.integers(0, 2, size=(b, nc)).astype(float) * 2.0 - 1.0
        bres[s:s + b] = (v @ m) / nc
    bres *= np.sqrt(nc)
    ok = np.all(np.isfinite(bres), axis=0) & np.any(bres != 0, axis=0)
    se = np.full(psi.shape[1], np.nan)
    if not ok.any():
        return BootResult(se=se, crit=float("nan"))
    b = bres[:, ok]
    q75 = np.quantile(b, 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(b, 0.25, axis=0, method="inverted_cdf")
    sig = (q75 - q25) / (norm_ppf(0.75) - norm_ppf(0.25))
    sig[~np.isfinite(sig) | (sig <= 0)] = np.nan
    se[ok] = sig * np.sqrt(nc) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = np.abs(b / sig)
    sc[np.isnan(sc)] = -np.inf
    bt = sc.max(axis=1)
    bt = bt[np.isfinite(bt)]
    crit = float(np.quantile(bt, 1 - alp, method="inverted_cdf")) if bt.size else float("nan")
    return BootResult(se=se, crit=crit)
