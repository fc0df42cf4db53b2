"""Placebo (randomisation) band for the outcome ATT of tackling projects, for few treated units.

With a handful of treated items the analytic (influence-function) standard error of the staggered
DiD estimates the treated items' spread from those few items alone. When they all changed by the
same amount (the technology gap moves in whole levels: with the effect every project item gains
exactly one level, without it they mostly do not move) that estimate is zero although the true
spread is not, and the analytic band reflects the comparison items only: far too narrow (the null
demo province covered 0 in 15 of 19 seeds). For that case the band here follows Conley & Taber
(2011, "Inference with 'difference in differences' with a small number of policy changes"): the
estimation error ``att_hat - att`` is the treated units' mean untreated change minus the comparison
units' mean; under parallel trends the treated units' untreated changes are exchangeable with the
comparison units', so each draw hands the treated units' treatment years to as many randomly chosen
comparison units (the true treated units left out; every assignment once when there are at most
``DRAWS`` of them, else ``DRAWS`` random ones with a fixed seed) and takes the placebo ATT of those units against
all comparison units. The 95 % band is ``[att_hat - q(0.975), att_hat - q(0.025)]`` of the placebo
ATTs, quantiles taken outward (closed and conservative for changes of whole levels or counts). When
comparison items almost never move (fewer than 2.5 % of the placebo draws pick one that did) the
band shrinks to a point: the data then say the treated items' common move is the effect.

The ATT is the ``simple`` aggregate of the unconditional Callaway & Sant'Anna ATT(g,t) (varying base
period, no anticipation, ``never`` or ``notyet`` comparisons), computed in numpy for every draw at
once; :func:`simple_att` on the real assignment equals :func:`reforge.policy.att_gt`'s ``simple``
aggregate (tested), and the band is placed around it so that the placebo statistics and the estimate
share one arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

DRAWS = 999
SEED = 18
MIN_ASSIGNMENTS = 40   # fewer distinct placebo assignments than 1 / 0.025: no 95 % placebo band


@dataclass
class PlaceboBand:
    """The placebo band (``lo``, ``hi``), the number of placebo draws that gave an estimate, and
    the placebo estimates' standard deviation."""

    lo: float
    hi: float
    draws: int
    sd: float


def simple_att(y: np.ndarray, years: list[int], g: np.ndarray, control: str = "never",
               placebo: bool = False) -> np.ndarray:
    """Simple ATT per row of ``g`` (draws x units cohort years, 0 = comparison) on the balanced wide
    outcome ``y`` (units x ``years``); NaN where no post-treatment cell has a comparison. With
    ``placebo`` every unit (all of them untreated) is a comparison unit of every cell."""
    g = np.atleast_2d(np.asarray(g, dtype=float))
    num = np.zeros(g.shape[0])
    den = np.zeros(g.shape[0])
    n = y.shape[0]
    for c in np.unique(g[g > 0]):
        pre = [i for i, t in enumerate(years) if t < c]
        if not pre:
            continue
        b = pre[-1]
        treat = (g == c).astype(float)
        n_c = treat.sum(axis=1)
        for ti, t in enumerate(years):
            if t < c:
                continue
            dy = y[:, ti] - y[:, b]
            if placebo:
                ctrl = np.ones_like(g, dtype=bool)
            elif control == "notyet":
                ctrl = (g == 0) | ((g > t) & (g != c))
            else:
                ctrl = g == 0
            n_k = ctrl.sum(axis=1)
            ok = (n_c > 0) & (n_k > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                cell = treat @ dy / n_c - ctrl.astype(float) @ dy / n_k
            w = np.where(ok, n_c / n, 0.0)
            num += np.where(ok, cell * w, 0.0)
            den += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def assignments(n_pool: int, cohorts: np.ndarray) -> float:
    """How many distinct placebo assignments of ``cohorts`` to ``n_pool`` comparison units exist."""
    out, left = 1.0, n_pool
    for k in np.unique(cohorts, return_counts=True)[1]:
        out *= math.comb(left, int(k))
        left -= int(k)
    return out


def _every(n: int, cohorts: list[float]) -> Iterator[list[float]]:
    """Every distinct assignment of the sorted ``cohorts`` to ``n`` units (0 = not assigned)."""
    if not cohorts:
        yield [0.0] * n
        return
    c = cohorts[0]
    k = cohorts.count(c)
    rest = cohorts[k:]
    for pick in combinations(range(n), k):
        free = [i for i in range(n) if i not in pick]
        for sub in _every(len(free), rest):
            row = [0.0] * n
            for i in pick:
                row[i] = c
            for i, v in zip(free, sub, strict=True):
                row[i] = v
            yield row


def placebo_band(y: np.ndarray, years: list[int], g: np.ndarray, control: str = "never",
                 draws: int = DRAWS, seed: int = SEED) -> PlaceboBand | None:
    """The 95 % placebo band of the simple ATT of cohorts ``g`` on ``y`` (module doc); None when the
    comparison units are too few for it (fewer than :data:`MIN_ASSIGNMENTS` distinct assignments,
    or no more comparison units than treated ones plus two)."""
    g = np.asarray(g, dtype=float)
    att = float(simple_att(y, years, g, control)[0])
    pool = np.flatnonzero(g == 0)
    cohorts = g[g > 0]
    n1 = len(cohorts)
    if n1 == 0 or len(pool) < n1 + 2 or assignments(len(pool), cohorts) < MIN_ASSIGNMENTS:
        return None
    y0 = y[pool]
    if assignments(len(pool), cohorts) <= draws:   # every assignment once: the exact distribution
        gd = np.array(list(_every(len(pool), sorted(cohorts.tolist()))), dtype=float)
    else:
        rng = np.random.default_rng(seed)
        perm = rng.permuted(np.tile(np.arange(len(pool)), (draws, 1)), axis=1)[:, :n1]
        gd = np.zeros((draws, len(pool)))
        np.put_along_axis(gd, perm, np.broadcast_to(np.sort(cohorts), perm.shape), axis=1)
    p = simple_att(y0, years, gd, control, placebo=True)
    p = p[np.isfinite(p)]
    if len(p) < MIN_ASSIGNMENTS or not math.isfinite(att):
        return None
    hi_q = float(np.quantile(p, 0.975, method="higher"))
    lo_q = float(np.quantile(p, 0.025, method="lower"))
    # ends rounded to 1e-12: the estimate and the placebo ATTs are sums in different orders, and a
    # band end that is 0 in exact arithmetic must not come out as +-1e-17
    return PlaceboBand(round(att - hi_q, 12), round(att - lo_q, 12), int(len(p)), float(p.std(ddof=1)))
