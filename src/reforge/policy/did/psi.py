"""The units × cells influence matrix Ψ (R ``did`` scaling) from the wide unit table.

Every fitted cell carries its ATT and two small functions: a treated unit's and a comparison
unit's influence value, from that unit's columns of the wide table (``y{p}``, ``x{j}_{p}``) and,
with covariates, its propensity score and IPW weight under the cell's design. The wide table
(units × (periods + covariates), fewer columns than Ψ has) is fetched once (``Engine.fetch_numpy``); its rows
are grouped by cohort, and each cell's functions are evaluated on the blocks of its own cohort and
of its comparison cohorts only (numpy views, no copies).

Why not SQL: the projection is per unit and its result comes to numpy anyway (the SEs, the
aggregations and the bootstrap need it). As one SQL projection it cost a 30 kB query (80 ms to
plan) and ~45 CASE expressions evaluated per unit; here the engine sends fewer bytes and the
arithmetic runs on the rows each cell uses. The sufficient statistics of the fits stay SQL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reforge.engine import Engine
from reforge.policy import influence as inf
from reforge.policy.did.plan import Cell
from reforge.policy.panel import Panel


class Block:
    """The rows of one cohort: the wide table's columns as views, with the linear forms, scores
    and weights the cells' influence functions use (scores and weights computed once per block)."""

    def __init__(self, cols: dict[str, np.ndarray], rows: slice, designs: dict[int, tuple[np.ndarray, int]]) -> None:
        self._cols, self.rows, self._designs = cols, rows, designs
        self._view: dict[str, np.ndarray] = {}
        self._pc: dict[int, np.ndarray] = {}
        self._w: dict[int, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        v = self._view.get(name)
        if v is None:
            v = self._view[name] = self._cols[name][self.rows]
        return v

    def dy(self, ti: int, bi: int) -> np.ndarray:
        """ΔY between period indices ``ti`` and ``bi``."""
        return self[f"y{ti}"] - self[f"y{bi}"]

    def lin(self, vec: np.ndarray, xi: int) -> np.ndarray:
        """X·v with X = [1, x1_xi, x2_xi, …] (covariates of period index ``xi``)."""
        out = np.full(self.rows.stop - self.rows.start, float(vec[0]))
        for j, v in enumerate(vec[1:]):
            out += float(v) * self[f"x{j + 1}_{xi}"]
        return out

    def pc(self, d: int) -> np.ndarray:
        """Propensity score of design ``d``, capped at ``PS_CAP`` (as DRDID)."""
        p = self._pc.get(d)
        if p is None:
            gam, xi = self._designs[d]
            with np.errstate(over="ignore"):
                p = self._pc[d] = np.minimum(1.0 / (1.0 + np.exp(-self.lin(gam, xi))), inf.PS_CAP)
        return p

    def w(self, d: int) -> np.ndarray:
        """IPW weight p/(1−p) of design ``d``; 0 above the trimming level."""
        w = self._w.get(d)
        if w is None:
            p = self.pc(d)
            w = self._w[d] = np.where(p < inf.TRIM_LEVEL, p / (1.0 - p), 0.0)
        return w


UnitPsi = Callable[[Block], np.ndarray]   # a block's rows -> their influence values in one cell


@dataclass
class CellFit:
    """A fitted cell: its ATT and the influence value of a treated / comparison unit."""

    att: float
    treated: UnitPsi | None = None
    control: UnitPsi | None = None


def _codes(labels: list) -> np.ndarray:
    """= ``pandas.factorize(labels, sort=True)[0]``: codes of the sorted distinct labels."""
    if any(v is None for v in labels):   # NULL labels (not expected: the panel drops them)
        import pandas as pd
        return pd.factorize(pd.Series(labels), sort=True)[0].astype(np.int64)
    return np.unique(np.array(labels, dtype=object), return_inverse=True)[1].astype(np.int64).reshape(-1)


def influence_matrix(engine: Engine, panel: Panel, cells: list[Cell], fits: dict[int, CellFit],
                     designs: dict[int, tuple[np.ndarray, int]], *, cluster: str | None,
                     sort_units: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Ψ (units × cells, Fortran order), each unit's cohort, and cluster codes (or None).

    ``designs``: propensity design -> (γ, covariate period index) for ``Block.pc``. Cells not
    fitted (or with a NaN ATT) get a zero column. ``sort_units`` puts the rows in unit order
    (needed only by the bootstrap; every other statistic is order-free).
    """
    names = ["g", *[f"y{p}" for p in range(panel.T)],
             *[f"x{j + 1}_{p}" for j in range(panel.k) for p in (range(panel.T) if panel.time_varying_x else [0])]]
    cols = engine.fetch_numpy(f"SELECT {', '.join(names)}{', u' if sort_units else ''}"
                              f"{', cl' if cluster else ''} FROM {panel.wide}")
    if sort_units:   # only the bootstrap needs unit order
        by_unit = np.argsort(cols.pop("u"), kind="stable")
        cols = {c: v[by_unit] for c, v in cols.items()}
    labels = cols.pop("cl", None)
    unit_g = np.asarray(cols["g"], dtype=float)
    codes = _codes(labels.tolist()) if labels is not None else None
    # rows grouped by cohort (a stable sort), so that every cohort is one slice
    order = np.argsort(unit_g, kind="stable")
    grouped = bool(np.all(order[1:] > order[:-1])) if len(order) > 1 else True
    if not grouped:
        cols = {c: v[order] for c, v in cols.items()}
    gs = cols["g"]
    cohorts = sorted(set(gs.tolist()))
    start = np.searchsorted(gs, cohorts, side="left")
    stop = np.searchsorted(gs, cohorts, side="right")
    blocks = {g: Block(cols, slice(int(a), int(b)), designs) for g, a, b in zip(cohorts, start, stop, strict=True)}
    psi = np.zeros((len(gs), len(cells)), order="F")
    for i, c in enumerate(cells):
        f = fits.get(i)
        if c.base_zero or f is None or math.isnan(f.att) or f.treated is None or f.control is None:
            continue
        for g, fn in [(c.g, f.treated), *[(gc, f.control) for gc in c.controls if gc != c.g]]:
            b = blocks.get(g)
            if b is not None:
                psi[b.rows, i] = fn(b)
    if not grouped and sort_units:   # back to unit order
        out = np.empty_like(psi, order="F")
        out[order] = psi
        psi = out
    elif not grouped:
        unit_g = gs
        codes = codes[order] if codes is not None else None
    return psi, unit_g, codes
