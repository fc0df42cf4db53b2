"""Group-time average treatment effects ATT(g,t) (Callaway & Sant'Anna 2021) on the engine.

Definitions follow the R ``did`` package (and its Python port ``csdid``): the
cells, base periods (``varying``/``universal``), comparison groups
(``never``/``notyet``), anticipation, the 2x2 estimators of ``DRDID`` and the
influence-function scaling. The work is set-based:

1. ``panel.prepare_panel`` cleans and pivots the panel on the engine;
2. per-cell sufficient statistics are SQL aggregates: per-cohort sums of every
   period's outcome (and, with covariates, ΣX, ΣXX', ΣX·y_p), combined into each
   cell's treated / comparison sums; the logit propensity score by Newton (IRLS)
   steps whose sums Σp(1−p)XX', Σ(D−p)X are aggregated for all distinct designs at
   once (units joined to a small design table), then Σw·X, Σw·XX', Σw·X·y_p;
3. the per-unit influence values of every cell: the wide unit table (units × (periods +
   covariates)) is fetched once and each cell's influence functions, with its fitted
   constants, run in numpy on the rows of its treated and comparison cohorts (``psi``);
   that units × cells matrix gives the standard errors, aggregations and the bootstrap.

The package: ``plan`` (the cells), ``unconditional`` and ``covariates`` (the per-cell fits),
``psi`` (the influence matrix), ``sql`` (exact SQL literals), ``result`` (``DidResult``: SEs,
aggregations, JSON); this module holds the entry points ``att_gt`` and ``estimate``.
"""

from __future__ import annotations

import math

import numpy as np

from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.messages import Message
from reforge.policy.blas import single_threaded
from reforge.policy.did.covariates import covariate_fits
from reforge.policy.did.plan import BasePeriod, Cell, Control, EstMethod, plan_cells
from reforge.policy.did.psi import influence_matrix
from reforge.policy.did.result import DidResult
from reforge.policy.did.unconditional import rc_uncond_fits, uncond_fits
from reforge.policy.panel import Panel, prepare_panel

__all__ = ["att_gt", "estimate", "DidResult", "Cell", "plan_cells", "Control", "BasePeriod", "EstMethod"]


def att_gt(engine: Engine, table: str, *, unit: str, time: str, group: str, outcome: str,
           covariates: list[str] | None = None, control: Control = "never", base_period: BasePeriod = "varying",
           anticipation: int = 0, est_method: EstMethod = "dr", cluster: str | None = None, bootstrap: int = 0,
           seed: int | None = None, alp: float = 0.05, allow_unbalanced: bool = False) -> DidResult:
    """Callaway–Sant'Anna group-time ATTs of ``outcome`` in ``table`` on the engine.

    ``group`` holds the period a unit is first treated (0 or NULL = never treated),
    on the same scale as ``time``. Unbalanced panels are balanced first (units
    missing a period are dropped, as R ``did`` does by default) unless
    ``allow_unbalanced`` (then, without covariates, every cell uses all observed
    unit-periods as repeated cross-sections, like ``allow_unbalanced_panel=TRUE``).
    ``bootstrap`` > 0
    switches SEs to the multiplier bootstrap with that many draws and adds
    uniform bands; ``cluster`` clusters SEs by a time-invariant column.
    """
    if control not in ("never", "notyet"):
        raise ReforgeError("control must be 'never' or 'notyet'")
    if base_period not in ("varying", "universal"):
        raise ReforgeError("base_period must be 'varying' or 'universal'")
    if est_method not in ("dr", "ipw", "reg"):
        raise ReforgeError("est_method must be 'dr', 'ipw' or 'reg'")
    if not isinstance(anticipation, int) or isinstance(anticipation, bool) or anticipation < 0:
        raise ReforgeError("anticipation must be a non-negative integer")
    if not isinstance(bootstrap, int) or bootstrap < 0:
        raise ReforgeError("bootstrap must be a non-negative number of draws")
    if not 0 < alp < 1:
        raise ReforgeError("alp must be between 0 and 1")
    covariates = list(covariates or [])
    if len(set(covariates)) != len(covariates):
        raise ReforgeError("duplicate covariates")
    with engine.scratch() as scratch:
        panel = prepare_panel(engine, table, unit=unit, time=time, group=group, outcome=outcome,
                              covariates=covariates, cluster=cluster, anticipation=anticipation,
                              control=control, balance=not allow_unbalanced, scratch=scratch)
        if not panel.balanced and panel.k:
            raise ReforgeError("unbalanced panels with covariates are not supported; drop allow_unbalanced "
                               "to balance the panel (units missing a period are dropped)")
        return estimate(engine, panel, control=control, base_period=base_period, anticipation=anticipation,
                        est_method=est_method, cluster=cluster, bootstrap=bootstrap, seed=seed, alp=alp,
                        scratch=scratch)


def estimate(engine: Engine, panel: Panel, *, control: Control = "never", base_period: BasePeriod = "varying",
             anticipation: int = 0, est_method: EstMethod = "dr", cluster: str | None = None, bootstrap: int = 0,
             seed: int | None = None, alp: float = 0.05, scratch: list[str] | None = None) -> DidResult:
    """ATT(g,t) on a panel already prepared by ``prepare_panel`` (its wide table must still exist)."""
    scratch = scratch if scratch is not None else []
    covariates = panel.covariates
    cells = plan_cells(panel, control, base_period, anticipation)
    if not cells:
        raise ReforgeError("no group-time cells to estimate")
    if not panel.balanced:
        if panel.k:
            raise ReforgeError("unbalanced panels with covariates are not supported")
        fits, designs = rc_uncond_fits(engine, panel, cells), {}
    elif panel.k:
        fits, designs = covariate_fits(engine, panel, cells, est_method, control, scratch)
    else:
        fits, designs = uncond_fits(engine, panel, cells), {}
    psi, unit_g, codes = influence_matrix(engine, panel, cells, fits, designs, cluster=cluster,
                                          sort_units=bool(bootstrap))

    att = [0.0 if c.base_zero else fits[i].att if i in fits else float("nan") for i, c in enumerate(cells)]
    frame = {"group": [c.g for c in cells], "time": [c.t for c in cells], "att": att,
             "post": [c.post for c in cells], "base_zero": [c.base_zero for c in cells]}
    for i, c in enumerate(cells):
        if not c.base_zero and math.isnan(att[i]):
            psi[:, i] = np.nan
    notes = list(panel.notes)
    nan_cells = [f"({c.g:g},{c.t:g})" for c, a in zip(cells, att, strict=True) if math.isnan(a)]
    if nan_cells:
        notes.append(Message("policy.note.not_estimable", {"cells": nan_cells},
                             "ATT not estimable (no comparison units, singular design or no overlap) for "
                             + ", ".join(nan_cells)))
    settings = {"control": control, "base_period": base_period, "anticipation": anticipation,
                "est_method": est_method if covariates else "unconditional", "covariates": covariates,
                "cluster": cluster, "bootstrap": bootstrap, "seed": seed, "alp": alp}
    with single_threaded():
        return DidResult(cells=frame, psi=psi, unit_g=unit_g, cluster_codes=codes, panel=panel,
                         settings=settings, notes=notes)
