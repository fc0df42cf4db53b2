"""SQL fragments shared by the fits and the influence projection: exact numeric literals, linear
forms X·v, the comparison-group test, and ``CellFit`` (a cell's ATT with the SQL of its treated /
comparison influence values)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reforge.engine import Engine
from reforge.policy import influence as inf
from reforge.policy.arrays import to_numpy
from reforge.policy.did.plan import Cell
from reforge.policy.panel import Panel


def lit(v: float) -> str:
    """Exact numeric literal, parenthesised so that negative values compose."""
    f = float(v)
    if not math.isfinite(f):
        raise inf.SingularCell("non-finite constant")
    return f"({f!r})"


def dot(vec: np.ndarray, xs: list[str]) -> str:
    """SQL for X·v with X = [1, x1, …]."""
    terms = [lit(vec[0])] + [f"{lit(v)} * {x}" for v, x in zip(vec[1:], xs, strict=True)]
    return "(" + " + ".join(terms) + ")"


def ctrl_sql(cell: Cell, gcol: str = "g") -> str:
    """SQL test that a unit of cohort ``gcol`` is in the cell's comparison group."""
    if not cell.controls:
        return "FALSE"
    return f"{gcol} IN ({', '.join(lit(c) for c in cell.controls)})"


@dataclass
class CellFit:
    """A fitted cell: its ATT and the SQL of a treated / comparison unit's influence value
    (columns of the wide unit table; ``pc{d}``/``w{d}`` are a design's score and IPW weight)."""

    att: float
    treated_sql: str = "0"
    control_sql: str = "0"


def influence_matrix(engine: Engine, panel: Panel, cells: list[Cell], fits: dict[int, CellFit],
                     score_cols: dict[int, str], *, cluster: str | None,
                     sort_units: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The units × cells influence matrix (R scaling) as one SQL projection of the wide table.

    Cells not fitted (or with a NaN ATT) get a zero column here. Returns (psi, each unit's cohort,
    cluster codes or None). ``sort_units`` orders the rows by unit (needed only by the bootstrap;
    every other statistic is order-free).
    """
    exprs = []
    for i, c in enumerate(cells):
        f = fits.get(i)
        if c.base_zero or f is None or math.isnan(f.att):
            exprs.append(f"CAST(0.0 AS DOUBLE) AS c{i}")
        else:
            exprs.append(f"CASE WHEN g = {lit(c.g)} THEN {f.treated_sql} WHEN {ctrl_sql(c)} "
                         f"THEN {f.control_sql} ELSE 0.0 END AS c{i}")
    src = panel.wide
    if score_cols:   # propensity scores and IPW weights once per unit and design, then every cell
        pcs = ", ".join(f"{sql} AS pc{d}" for d, sql in score_cols.items())
        ws = ", ".join(f"CASE WHEN pc{d} < {lit(inf.TRIM_LEVEL)} THEN pc{d} / (1.0 - pc{d}) ELSE 0.0 END AS w{d}"
                       for d in score_cols)
        src = f"(SELECT *, {ws} FROM (SELECT *, {pcs} FROM {panel.wide}) A) B"
    # no ORDER BY: every statistic is order-free; rows are sorted by unit below only for the bootstrap
    M = engine.fetch_arrow(f"SELECT u, g, cl, {', '.join(exprs)} FROM {src}")
    if sort_units:
        import pyarrow.compute as pc  # ~0.1 s of imports: only the bootstrap needs unit order
        M = M.take(pc.sort_indices(M, sort_keys=[("u", "ascending")]))
    unit_g = to_numpy(M.column("g")).astype(float)
    codes = None
    if cluster:
        labels = np.array(M.column("cl").to_pylist(), dtype=object)
        if any(v is None for v in labels):   # NULL labels (not expected: the panel drops them)
            import pandas as pd
            codes = pd.factorize(pd.Series(labels), sort=True)[0].astype(np.int64)
        else:   # = pandas.factorize(sort=True): codes of the sorted distinct labels
            codes = np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)
    psi = np.empty((M.num_rows, len(cells)))
    for i in range(len(cells)):
        psi[:, i] = to_numpy(M.column(f"c{i}"))
    return psi, unit_g, codes
