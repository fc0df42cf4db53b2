"""Cells without covariates: differences in mean changes from per-cohort sums (balanced panel), or
repeated cross-sections of the observed unit-periods (unbalanced panel)."""

from __future__ import annotations

import numpy as np

from reforge.engine import Engine
from reforge.policy import influence as inf
from reforge.policy.arrays import rows_by, total
from reforge.policy.did.plan import Cell
from reforge.policy.did.psi import Block, CellFit
from reforge.policy.panel import Panel


def uncond_fits(engine: Engine, panel: Panel, cells: list[Cell]) -> dict[int, CellFit]:
    """Difference-in-mean-changes for every cell from per-cohort sums of each period's outcome."""
    T = panel.T
    S = rows_by(engine.fetch_numpy(f"SELECT g, COUNT(*) AS n, {', '.join(f'SUM(y{p}) AS s{p}' for p in range(T))} "
                              f"FROM {panel.wide} GROUP BY g ORDER BY g"), "g")
    n = panel.n
    fits: dict[int, CellFit] = {}
    for i, c in enumerate(cells):
        if c.base_zero:
            continue
        if c.g not in S or not c.controls:
            fits[i] = CellFit(att=float("nan"))
            continue
        rt = S[c.g]
        rc = [S[g] for g in c.controls]
        n_t, n_c = rt["n"], total(rc, "n")
        u = inf.uncond_cell(n_t, rt[f"s{c.ti}"] - rt[f"s{c.bi}"], n_c,
                            total(rc, f"s{c.ti}") - total(rc, f"s{c.bi}"))
        ti, bi, st, sc = c.ti, c.bi, n / n_t, n / n_c
        fits[i] = CellFit(att=u.att,
                          treated=lambda b, ti=ti, bi=bi, s=st, m=u.mu_t: s * (b.dy(ti, bi) - m),
                          control=lambda b, ti=ti, bi=bi, s=sc, m=u.mu_c: -s * (b.dy(ti, bi) - m))
    return fits


def rc_uncond_fits(engine: Engine, panel: Panel, cells: list[Cell]) -> dict[int, CellFit]:
    """Unbalanced panel, no covariates: each cell as two repeated cross-sections (R ``did`` with
    ``allow_unbalanced_panel``): ATT = (ȳ₁₁ − ȳ₁₀) − (ȳ₀₁ − ȳ₀₀) over the unit-periods observed,
    Ψ_unit = n · Σ over its rows of ±(y − ȳ_{D,post}) / count_{D,post}.
    """
    T = panel.T
    S = rows_by(engine.fetch_numpy(f"SELECT g, {', '.join(f'COUNT(y{p}) AS c{p}, SUM(y{p}) AS s{p}' for p in range(T))} "
                              f"FROM {panel.wide} GROUP BY g ORDER BY g"), "g")
    n = panel.n
    fits: dict[int, CellFit] = {}
    for i, c in enumerate(cells):
        if c.base_zero:
            continue
        if c.g not in S or not c.controls:
            fits[i] = CellFit(att=float("nan"))
            continue
        rt, rc = [S[c.g]], [S[g] for g in c.controls if g in S]
        cnt = {(1, 1): total(rt, f"c{c.ti}"), (1, 0): total(rt, f"c{c.bi}"),
               (0, 1): total(rc, f"c{c.ti}"), (0, 0): total(rc, f"c{c.bi}")}
        if min(cnt.values()) == 0:
            fits[i] = CellFit(att=float("nan"))
            continue
        mu = {(1, 1): total(rt, f"s{c.ti}") / cnt[(1, 1)], (1, 0): total(rt, f"s{c.bi}") / cnt[(1, 0)],
              (0, 1): total(rc, f"s{c.ti}") / cnt[(0, 1)], (0, 0): total(rc, f"s{c.bi}") / cnt[(0, 0)]}
        att = (mu[(1, 1)] - mu[(1, 0)]) - (mu[(0, 1)] - mu[(0, 0)])

        def part(b: Block, d: int, post: int, cell: Cell = c, mu: dict = mu, cnt: dict = cnt) -> np.ndarray:
            v = (b[f"y{cell.ti if post else cell.bi}"] - mu[(d, post)]) / cnt[(d, post)]
            return np.where(np.isnan(v), 0.0, v)   # a period the unit was not observed in adds nothing
        fits[i] = CellFit(att=float(att), treated=lambda b, part=part: n * (part(b, 1, 1) - part(b, 1, 0)),
                          control=lambda b, part=part: n * (part(b, 0, 0) - part(b, 0, 1)))
    return fits
