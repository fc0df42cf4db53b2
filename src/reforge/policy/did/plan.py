"""The group-time cells of a Callaway–Sant'Anna estimate: which (cohort, period) pairs, with their
base periods and comparison cohorts, in R ``did``'s order. Pure Python on the prepared panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reforge.policy.panel import Panel

Control = Literal["never", "notyet"]
BasePeriod = Literal["varying", "universal"]
EstMethod = Literal["dr", "ipw", "reg"]


@dataclass
class Cell:
    """One group-time cell: cohort ``g``, period index ``ti``, base index ``bi``, comparison cohorts."""

    g: float
    t: float
    ti: int
    bi: int
    thr: float
    controls: tuple[float, ...]
    post: bool
    base_zero: bool = False


def plan_cells(panel: Panel, control: Control, base_period: BasePeriod, anticipation: int) -> list[Cell]:
    """The cells R ``did`` estimates, in its order (by cohort, then period)."""
    tl = panel.tlist
    a = float(anticipation)
    tfac = 0 if base_period == "universal" else 1
    cells: list[Cell] = []
    cohorts = sorted(panel.cohort_size)
    for g in panel.glist:
        pre = [i for i, t in enumerate(tl) if t + a < g]
        if not pre:
            continue
        pre_idx = pre[-1]
        for t_i in range(len(tl) - tfac):
            ti = t_i + tfac
            tn = tl[ti]
            bi = t_i
            if base_period == "universal" or g - a <= tn:
                bi = pre_idx
            thr = tl[max(t_i, bi) + tfac] + a
            if control == "never":
                ctrl = tuple(c for c in cohorts if c == 0)
            else:
                ctrl = tuple(c for c in cohorts if c == 0 or (c > thr and c != g))
            cells.append(Cell(g=g, t=tn, ti=ti, bi=bi, thr=thr, controls=ctrl, post=g <= tn,
                              base_zero=base_period == "universal" and bi == ti))
    return cells
