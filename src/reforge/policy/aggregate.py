"""Aggregations of ATT(g,t) (R ``did::aggte``): simple, group, calendar, dynamic.

Pure numpy over the cell estimates and the units × cells influence matrix Ψ.
Cohort weights are the cohort shares p_g = n_g / n; their estimation error
enters through the weight influence function ``wif`` exactly as in R ``did``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SeFn = Callable[[np.ndarray], np.ndarray]   # influence columns (n × K) -> SEs (K,)
CritFn = Callable[[np.ndarray], float]      # influence columns -> uniform critical value


@dataclass
class Aggregate:
    """One aggregation: overall ``att``/``se`` and the per-key rows (``by``) with their SEs.

    ``key`` is "group", "time" or "e"; ``crit`` the critical value of the band over ``by``.
    """

    kind: str
    att: float
    se: float
    key: str | None = None
    by: list[dict] = field(default_factory=list)
    crit: float | None = None
    inf: np.ndarray | None = None
    by_inf: np.ndarray | None = None

    def to_dict(self) -> dict:
        d: dict = {"att": self.att, "se": self.se}
        if self.key is not None:
            d["by"] = self.by
        return d


def wif(keep: np.ndarray, pg: np.ndarray, unit_g: np.ndarray, cell_g: np.ndarray) -> np.ndarray:
    """Influence of the estimated cohort-share weights of the cells ``keep`` (n × len(keep)), as R ``did``."""
    pk = pg[keep]
    s = pk.sum()
    ind = (unit_g[:, None] == cell_g[keep][None, :]).astype(float) - pk[None, :]
    return ind / s - np.outer(ind.sum(axis=1), pk / s ** 2)


def unit_codes(unit_g: np.ndarray, cohorts: np.ndarray) -> np.ndarray:
    """Position of each unit's cohort in the sorted ``cohorts``; ``len(cohorts)`` for any other unit."""
    pos = np.searchsorted(cohorts, unit_g)
    safe = np.minimum(pos, len(cohorts) - 1)
    return np.where((pos < len(cohorts)) & (cohorts[safe] == unit_g), pos, len(cohorts))


def wif_times(keep: np.ndarray, pg: np.ndarray, unit_code: np.ndarray, cohorts: np.ndarray, cell_g: np.ndarray,
              att: np.ndarray) -> np.ndarray:
    """``wif(keep, …) @ att[keep]`` in O(n) without forming the n × len(keep) matrix.

    ``unit_code`` from ``unit_codes(unit_g, cohorts)``; every ``cell_g[keep]`` must be in ``cohorts``.
    """
    pk, ak = pg[keep], att[keep]
    s = pk.sum()
    idx = np.searchsorted(cohorts, cell_g[keep])
    per = np.zeros(len(cohorts) + 1)
    cnt = np.zeros(len(cohorts) + 1)
    np.add.at(per, idx, ak)
    np.add.at(cnt, idx, 1.0)
    pa = pk @ ak
    ia = per[unit_code] - pa            # rows of the indicator-minus-share matrix times att_k
    rs = cnt[unit_code] - s             # its row sums
    return ia / s - rs * pa / s ** 2


class _Combiner:
    """Influence functions of weighted sums of cell ATTs, batched into one matrix product."""

    def __init__(self, att: np.ndarray, psi: np.ndarray, pg: np.ndarray, unit_code: np.ndarray,
                 cohorts: np.ndarray, cell_g: np.ndarray) -> None:
        self.att, self.psi, self.pg, self.code, self.cohorts, self.cell_g = att, psi, pg, unit_code, cohorts, cell_g

    def columns(self, parts: list[tuple[np.ndarray, np.ndarray, bool]]) -> np.ndarray:
        """n × len(parts): Ψ·w (+ weight influence when the flag is set) for each (keep, w, flag)."""
        wm = np.zeros((self.psi.shape[1], len(parts)))
        for j, (keep, w, _) in enumerate(parts):
            wm[keep, j] = w
        out = self.psi @ wm
        for j, (keep, _, wf) in enumerate(parts):
            if wf:
                out[:, j] += wif_times(keep, self.pg, self.code, self.cohorts, self.cell_g, self.att)
        return out


def aggregate(kind: str, *, att: np.ndarray, cell_g: np.ndarray, cell_t: np.ndarray, psi: np.ndarray,
              unit_g: np.ndarray, glist: list[float], tlist: list[float], se_fn: SeFn,
              crit_fn: CritFn | None = None, balance_e: int | None = None,
              min_e: float = -np.inf, max_e: float = np.inf) -> Aggregate:
    """Aggregate cell ATTs like ``aggte(type=kind)``; ``unit_g`` is each unit's cohort (0 = never)."""
    if kind not in ("simple", "group", "calendar", "dynamic"):
        raise ValueError(f"unknown aggregation {kind!r}; use simple, group, calendar or dynamic")
    att = np.asarray(att, dtype=float)
    if np.isnan(att).any():
        ok = ~np.isnan(att)
        att, cell_g, cell_t, psi = att[ok], cell_g[ok], cell_t[ok], psi[:, ok]
    n = len(unit_g)
    gl = np.asarray(glist, dtype=float)
    pgg = np.array([(unit_g == g).sum() / n for g in gl])
    pg = np.array([pgg[np.searchsorted(gl, g)] for g in cell_g])
    e = cell_t - cell_g
    post = (cell_g <= cell_t) & (e >= min_e) & (e <= max_e)
    code = unit_codes(unit_g, gl)
    comb = _Combiner(att, psi, pg, code, gl, cell_g)

    if kind == "simple":
        keep = np.flatnonzero(post)
        if keep.size == 0:
            raise ValueError("no post-treatment cells to aggregate")
        w = pg[keep] / pg[keep].sum()
        inf = comb.columns([(keep, w, True)])[:, 0]
        return Aggregate(kind, float(att[keep] @ w), float(se_fn(inf[:, None])[0]), inf=inf)

    if kind == "group":
        atts, infs, rows = [], [], []
        # cohorts without a post-treatment cell in the window (e.g. first treated after the
        # last period once anticipation is allowed) are left out, as R's na.rm = TRUE does
        has_post = np.array([np.any((cell_g == g) & post) for g in gl])
        if not has_post.any():
            raise ValueError("no post-treatment cells to aggregate")
        gl, pgg = gl[has_post], pgg[has_post]
        for g in gl:
            keep = np.flatnonzero((cell_g == g) & post)
            w = np.full(keep.size, 1.0 / keep.size)
            atts.append(float(att[keep].mean()))
            infs.append((keep, w, False))
        m = comb.columns(infs)
        ses = se_fn(m)
        rows = [{"group": _int(g), "att": a, "se": float(s)} for g, a, s in zip(gl, atts, ses, strict=True)]
        a = np.array(atts)
        allk = np.arange(len(gl))
        inf = m @ (pgg / pgg.sum()) + wif_times(allk, pgg, unit_codes(unit_g, gl), gl, gl, a)
        return Aggregate(kind, float(a @ pgg / pgg.sum()), float(se_fn(inf[:, None])[0]), "group", rows,
                         crit_fn(m) if crit_fn else None, inf, m)

    if kind == "calendar":
        tl = [t for t in tlist if t >= gl.min() and np.any((cell_t == t) & (cell_g <= cell_t))]
        atts, infs = [], []
        for t in tl:
            keep = np.flatnonzero((cell_t == t) & (cell_g <= cell_t))
            w = pg[keep] / pg[keep].sum()
            atts.append(float(att[keep] @ w))
            infs.append((keep, w, True))
        m = comb.columns(infs)
        ses = se_fn(m)
        rows = [{"time": _int(t), "att": a, "se": float(s)} for t, a, s in zip(tl, atts, ses, strict=True)]
        inf = m.mean(axis=1)
        return Aggregate(kind, float(np.mean(atts)), float(se_fn(inf[:, None])[0]), "time", rows,
                         crit_fn(m) if crit_fn else None, inf, m)

    # dynamic (event study)
    include = np.ones(len(att), dtype=bool)
    eseq = _distinct(e)
    if balance_e is not None:
        tmax = max(tlist)
        include = (tmax - cell_g) >= balance_e
        eseq = _distinct(e[include])
        eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + min(min(tlist), gl.min()))]
    eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
    if eseq.size == 0:
        raise ValueError("no event times in the requested window")
    atts, infs = [], []
    for ev in eseq:
        keep = np.flatnonzero((e == ev) & include)
        w = pg[keep] / pg[keep].sum()
        atts.append(float(att[keep] @ w))
        infs.append((keep, w, True))
    m = comb.columns(infs)
    ses = se_fn(m)
    rows = [{"e": _int(ev), "att": a, "se": float(s)} for ev, a, s in zip(eseq, atts, ses, strict=True)]
    epos = eseq >= 0
    if not epos.any():
        raise ValueError("no post-treatment event times in the requested window")
    inf = m[:, epos].mean(axis=1)
    return Aggregate(kind, float(np.mean(np.array(atts)[epos])), float(se_fn(inf[:, None])[0]), "e", rows,
                     crit_fn(m) if crit_fn else None, inf, m)


def _distinct(v: np.ndarray) -> np.ndarray:
    """Sorted distinct values (= ``np.unique``, which loads ``numpy.ma`` on first use)."""
    return np.array(sorted(set(v.tolist())), dtype=float)


def _int(v: float) -> int | float:
    f = float(v)
    return int(f) if f.is_integer() else f
