"""Per-cell 2x2 DiD estimators from sufficient statistics (pure numpy).

The formulas are those of Sant'Anna & Zhao (2020) as implemented in the R
``DRDID`` package (``reg_did_panel``, ``std_ipw_did_panel``, ``drdid_panel``)
and used by R ``did``/``csdid`` for each group-time cell of a balanced panel.
For one cell with sample S = treated cohort ∪ comparison units, ``D`` the
treated indicator, ``ΔY`` the outcome change between the cell's period and its
base period and ``X = [1, x]`` the covariates, every quantity the estimators
need is a sum over S (or over its treated/comparison part). The engine
computes those sums; this module turns them into the ATT and into the
*constants* of the per-unit influence function

    Ψ_i = n · [ treated part(ΔY_i, X_i) or comparison part(ΔY_i, X_i) ],

which the engine then evaluates unit by unit (``n`` = units in the panel, the
R ``did`` scaling ``n / n_cell`` folded in). No unit-level data comes here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PS_CAP = 1 - 1e-6      # DRDID caps fitted propensity scores here
TRIM_LEVEL = 0.995     # comparison units with a larger score get weight 0


class SingularCell(ValueError):
    """A cell whose regression or propensity design is singular (its ATT is NA)."""


def _solve(a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    """Solve ``a x = b`` after the reciprocal-condition check R applies (``rcond < eps`` = singular)."""
    try:
        rc = 1.0 / np.linalg.cond(a, 1)
    except np.linalg.LinAlgError:
        rc = 0.0
    if not np.isfinite(rc) or rc < np.finfo(float).eps:
        raise SingularCell(f"{what} design is singular")
    return np.linalg.solve(a, b)


@dataclass
class UncondCell:
    """Unconditional 2x2: ATT = mean ΔY (treated) − mean ΔY (comparison)."""

    att: float
    mu_t: float
    mu_c: float
    n_t: float
    n_c: float


def uncond_cell(n_t: float, sum_dy_t: float, n_c: float, sum_dy_c: float) -> UncondCell:
    """Difference of mean changes; Ψ_i = n(ΔY_i − μ_t)/n_t (treated), −n(ΔY_i − μ_c)/n_c (comparison)."""
    mu_t, mu_c = sum_dy_t / n_t, sum_dy_c / n_c
    return UncondCell(att=mu_t - mu_c, mu_t=mu_t, mu_c=mu_c, n_t=n_t, n_c=n_c)


def ols_beta(xx_c: np.ndarray, xy_c: np.ndarray) -> np.ndarray:
    """Outcome-regression coefficients of ΔY on X among comparison units (normal equations)."""
    return _solve(xx_c, xy_c, "outcome regression")


def newton_step(h: np.ndarray, score: np.ndarray) -> np.ndarray:
    """One IRLS/Newton step of the logit: Δγ = (Σ p(1−p) X X')⁻¹ Σ (D − p) X."""
    return _solve(h, score, "propensity score")


@dataclass
class RegCell:
    """Outcome regression (``reg_did_panel``). Ψ treated: n/n_t (e − att); comparison: −n/n_t e (X·a1),
    with e = ΔY − Xβ."""

    att: float
    beta: np.ndarray
    a1: np.ndarray
    n_t: float


def reg_cell(n_t: float, sx_t: np.ndarray, sdy_t: float, xx_c: np.ndarray, xy_c: np.ndarray) -> RegCell:
    """ATT = mean ΔY (treated) − mean X (treated)·β; ``sx_t`` = Σ_T X, ``sdy_t`` = Σ_T ΔY."""
    beta = ols_beta(xx_c, xy_c)
    att = (sdy_t - sx_t @ beta) / n_t
    a1 = _solve(xx_c, sx_t, "outcome regression")
    return RegCell(att=float(att), beta=beta, a1=a1, n_t=n_t)


@dataclass
class IpwCell:
    """Standardised IPW (``std_ipw_did_panel``).

    Ψ treated: n[(ΔY − η_t)/n_t − (1 − p)(X·a2)/W_c];
    comparison: −n[w(ΔY − η_c) − p(X·a2)]/W_c, with w = p/(1−p) (0 if trimmed).
    """

    att: float
    eta_t: float
    eta_c: float
    a2: np.ndarray
    n_t: float
    w_c: float


def ipw_cell(n_t: float, sdy_t: float, w_c: float, swdy_c: float, swx_c: np.ndarray,
             swdyx_c: np.ndarray, h: np.ndarray) -> IpwCell:
    """``w_c`` = Σ_C w, ``swdy_c`` = Σ_C wΔY, ``swx_c`` = Σ_C wX, ``swdyx_c`` = Σ_C wΔY X,
    ``h`` = Σ_S p(1−p) X X' at the fitted (capped) scores."""
    if w_c <= 0:
        raise SingularCell("no comparison weight after trimming")
    eta_t = sdy_t / n_t
    eta_c = swdy_c / w_c
    m2 = swdyx_c - eta_c * swx_c
    a2 = _solve(h, m2, "propensity score")
    return IpwCell(att=float(eta_t - eta_c), eta_t=eta_t, eta_c=eta_c, a2=a2, n_t=n_t, w_c=w_c)


@dataclass
class DrCell:
    """Doubly robust (``drdid_panel``), with e = ΔY − Xβ.

    Ψ treated: n[(e − η_t)/n_t − (1 − p)(X·a2)/W_c];
    comparison: n[−e(X·a1)/n_t − (w(e − η_c) − p(X·a2) − e(X·a3))/W_c].
    """

    att: float
    beta: np.ndarray
    eta_t: float
    eta_c: float
    a1: np.ndarray
    a2: np.ndarray
    a3: np.ndarray
    n_t: float
    w_c: float


def dr_cell(n_t: float, sx_t: np.ndarray, sdy_t: float, xx_c: np.ndarray, beta: np.ndarray,
            w_c: float, swe_c: float, swx_c: np.ndarray, swex_c: np.ndarray, h: np.ndarray) -> DrCell:
    """``swe_c`` = Σ_C w e, ``swex_c`` = Σ_C w e X (e uses the same ``beta``)."""
    if w_c <= 0:
        raise SingularCell("no comparison weight after trimming")
    eta_t = (sdy_t - sx_t @ beta) / n_t
    eta_c = swe_c / w_c
    a1 = _solve(xx_c, sx_t, "outcome regression")
    a2 = _solve(h, swex_c - eta_c * swx_c, "propensity score")
    a3 = _solve(xx_c, swx_c, "outcome regression")
    return DrCell(att=float(eta_t - eta_c), beta=beta, eta_t=float(eta_t), eta_c=float(eta_c),
                  a1=a1, a2=a2, a3=a3, n_t=n_t, w_c=w_c)
