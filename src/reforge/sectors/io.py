"""Input-output algebra: pure numpy/scipy functions named after the textbook symbols.

Notation (Miller & Blair, *Input-Output Analysis*, 2nd ed. 2009):

- ``Z`` (n×n) intermediate flows, row = selling sector, column = buying sector;
- ``Y`` (n×k) final demand, ``f = Y·1`` total final demand per sector;
- ``x`` (n) total output; ``A = Z·x̂⁻¹`` technical (input) coefficients, column-wise;
- ``L = (I − A)⁻¹`` Leontief inverse (demand-driven model, ``x = L f``);
- ``B = x̂⁻¹·Z`` allocation (output) coefficients, row-wise;
- ``G = (I − B)⁻¹ = x̂⁻¹ L x̂`` Ghosh inverse (supply-driven model, ``xᵀ = vᵀ G``).

All functions take and return plain ``numpy`` arrays (float64), in the units of the
table (money for flows, "per unit of output" for coefficients and multipliers).
Sectors with zero output get zero coefficients (as pymrio does), never ``inf``.
Where only a product with an inverse is needed, a linear system is solved with one
LU factorisation (:func:`factorize`) instead of forming the inverse.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg as sla

Forward = Literal["ghosh", "leontief"]
KEY_CLASSES = ("key", "backward_oriented", "forward_oriented", "weak")


def _reciprocal(x: np.ndarray) -> np.ndarray:
    """1/x with 0 where x == 0 (zero-output sectors get zero coefficients)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    nz = x != 0
    out[nz] = 1.0 / x[nz]
    return out


def calc_x(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Total output from the row identity ``x = Z·1 + Y·1``."""
    Y = np.asarray(Y, dtype=float)
    f = Y if Y.ndim == 1 else Y.sum(axis=1)
    return np.asarray(Z, dtype=float).sum(axis=1) + f


def calc_A(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Technical coefficients ``A = Z x̂⁻¹`` (input per unit of the buyer's output)."""
    return np.asarray(Z, dtype=float) * _reciprocal(x)[None, :]


def calc_B(Z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Ghosh allocation coefficients ``B = x̂⁻¹ Z`` (share of the seller's output sold to each buyer)."""
    return np.asarray(Z, dtype=float) * _reciprocal(x)[:, None]


def calc_L(A: np.ndarray) -> np.ndarray:
    """Leontief inverse ``L = (I − A)⁻¹`` (full matrix; use :func:`factorize` for products only)."""
    A = np.asarray(A, dtype=float)
    M = np.negative(A)          # I − A built in place: one n×n temporary instead of two
    M.flat[:: A.shape[0] + 1] += 1.0
    # numpy's gesv-based inverse is ~2-3x faster than scipy's getri-based one with OpenBLAS
    return np.linalg.inv(M)


def calc_G(L: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Ghosh inverse ``G = (I − B)⁻¹ = x̂⁻¹ L x̂`` from the Leontief inverse (no second inversion)."""
    x = np.asarray(x, dtype=float)
    return _reciprocal(x)[:, None] * np.asarray(L, dtype=float) * x[None, :]


def calc_G_direct(B: np.ndarray) -> np.ndarray:
    """Ghosh inverse by inverting ``I − B`` directly (reference path, for checks)."""
    return calc_L(B)


@dataclass(frozen=True)
class Factorized:
    """LU factors of ``I − A``: solves ``(I − A) z = b`` and ``(I − A)ᵀ z = b`` in O(n²)."""

    lu: np.ndarray
    piv: np.ndarray

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``L·b`` (Leontief inverse times b) without forming L."""
        return sla.lu_solve((self.lu, self.piv), b, check_finite=False)

    def solve_t(self, b: np.ndarray) -> np.ndarray:
        """``Lᵀ·b`` (i.e. ``(bᵀ L)ᵀ``, e.g. column sums with b = 1) without forming L."""
        return sla.lu_solve((self.lu, self.piv), b, trans=1, check_finite=False)


def factorize(A: np.ndarray) -> Factorized:
    """LU-factorise ``I − A``; raises ValueError if it is singular (e.g. a closed, all-intermediate sector)."""
    A = np.asarray(A, dtype=float)
    M = np.eye(A.shape[0]) - A
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        lu, piv = sla.lu_factor(M, check_finite=False)
    d = np.abs(np.diag(lu))
    if d.size and (d.min() <= np.finfo(float).eps * max(d.max(), 1.0) * A.shape[0]):
        raise ValueError("I − A is singular: some sector(s) have no value added or no final demand outlet")
    return Factorized(lu, piv)


def output_multipliers(L: np.ndarray) -> np.ndarray:
    """Simple (type I) output multipliers: column sums of L, ``1ᵀ L``."""
    return np.asarray(L).sum(axis=0)


def effects(coef: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Total (direct + indirect) effects per unit of final demand: ``c L`` for a coefficient row ``c``.

    ``c`` = value added / output gives GVA effects; compensation / output gives income
    (employment-cost) effects; persons / output gives employment effects.
    """
    return np.asarray(coef, dtype=float) @ np.asarray(L)


def effects_downstream(coef: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Downstream (supply-side) effects ``c (Gᵀ − I)`` of a coefficient row (pymrio's ``M_down``)."""
    G = np.asarray(G, dtype=float)
    return np.asarray(coef, dtype=float) @ (G.T - np.eye(G.shape[0]))


def calc_S(F: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Satellite / factor coefficients ``S = F x̂⁻¹`` (per unit of output; 0 where x = 0)."""
    return np.asarray(F, dtype=float) * _reciprocal(x)[None, :] if np.ndim(F) == 2 else \
        np.asarray(F, dtype=float) * _reciprocal(x)


def type_i_multipliers(coef: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Type I multipliers ``(c L)_j / c_j`` (NaN where ``c_j = 0``)."""
    coef = np.asarray(coef, dtype=float)
    eff = effects(coef, L)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(coef != 0, eff / np.where(coef != 0, coef, 1.0), np.nan)


def closed_leontief(A: np.ndarray, hh_input: np.ndarray, hh_consumption: np.ndarray) -> np.ndarray:
    """Leontief inverse of the model closed to households, ``(n+1)×(n+1)``.

    ``hh_input`` (n): labour income per unit of each sector's output (household row);
    ``hh_consumption`` (n): household purchases from each sector per unit of household
    income (household column). The last row/column of the result is households.
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    Ab = np.zeros((n + 1, n + 1))
    Ab[:n, :n] = A
    Ab[n, :n] = hh_input
    Ab[:n, n] = hh_consumption
    return calc_L(Ab)


def type_ii_multipliers(A: np.ndarray, hh_input: np.ndarray, hh_consumption: np.ndarray
                        ) -> dict[str, np.ndarray]:
    """Type II output and income multipliers (household-closed model), for the n producing sectors.

    ``output``: column sums of the closed inverse over the n sectors; ``income_effects``:
    the household row of the closed inverse; ``income``: income effects / ``hh_input``.
    """
    n = np.asarray(A).shape[0]
    Lb = closed_leontief(A, hh_input, hh_consumption)
    h = np.asarray(hh_input, dtype=float)
    inc = Lb[n, :n]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(h != 0, inc / np.where(h != 0, h, 1.0), np.nan)
    return {"output": Lb[:n, :n].sum(axis=0), "income_effects": inc, "income": ratio}


def type_ii_miyazawa(colsum_L: np.ndarray, hL: np.ndarray, Lc: np.ndarray, hh_input: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """Type II multipliers without inverting the closed model (Miyazawa 1976).

    With ``k = 1 / (1 − hLc)`` the closed inverse's producing block is ``L + (Lc) k (hL)`` and its
    household row is ``k hL``. Inputs: column sums of L, ``hL`` (row), ``Lc`` (column) and ``h``.
    Returns the same keys as :func:`type_ii_multipliers`.
    """
    hL = np.asarray(hL, dtype=float)
    Lc = np.asarray(Lc, dtype=float)
    h = np.asarray(hh_input, dtype=float)
    denom = 1.0 - float(h @ Lc)  # 1 − hLc
    if denom <= 0:
        raise ValueError("household closure is not productive (hLc ≥ 1): household spending exceeds income")
    k = 1.0 / denom
    inc = k * hL
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(h != 0, inc / np.where(h != 0, h, 1.0), np.nan)
    return {"output": np.asarray(colsum_L, float) + Lc.sum() * inc, "income_effects": inc, "income": ratio}


@dataclass(frozen=True)
class Linkages:
    """Rasmussen–Hirschman indices (power and sensitivity of dispersion), normalised to mean 1."""

    backward_raw: np.ndarray  # column sums of L
    forward_raw: np.ndarray   # row sums of G (Ghosh) or of L (Leontief)
    backward: np.ndarray      # n·colsum / Σ L
    forward: np.ndarray       # n·rowsum / Σ (G or L)
    forward_model: Forward


def linkages(L: np.ndarray, x: np.ndarray | None = None, forward: Forward = "ghosh") -> Linkages:
    """Backward (``1ᵀL``) and forward (``G1`` Ghosh, or ``L1`` Leontief) linkages from L.

    The Ghosh row sums are ``(L x)_i / x_i`` (``G = x̂⁻¹ L x̂``), so no second inverse is formed.
    """
    L = np.asarray(L)
    n = L.shape[0]
    col = L.sum(axis=0)
    if forward == "ghosh":
        if x is None:
            raise ValueError("forward='ghosh' needs the output vector x")
        row = (L @ np.asarray(x, dtype=float)) * _reciprocal(x)
    elif forward == "leontief":
        row = L.sum(axis=1)
    else:
        raise ValueError(f"forward must be 'ghosh' or 'leontief', not {forward!r}")
    return Linkages(col, row, n * col / col.sum(), n * row / row.sum(), forward)


def linkages_from_factor(F: Factorized, x: np.ndarray, forward: Forward = "ghosh") -> Linkages:
    """Same as :func:`linkages` but with two (or three) solves instead of the full inverse."""
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    col = F.solve_t(np.ones(n))
    if forward == "ghosh":
        row = F.solve(x) * _reciprocal(x)
    elif forward == "leontief":
        row = F.solve(np.ones(n))
    else:
        raise ValueError(f"forward must be 'ghosh' or 'leontief', not {forward!r}")
    return Linkages(col, row, n * col / col.sum(), n * row / row.sum(), forward)


def key_sector_class(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Classify from normalised indices: key (both > 1), backward_oriented, forward_oriented, weak."""
    b = np.asarray(backward) > 1.0
    f = np.asarray(forward) > 1.0
    return np.where(b & f, "key", np.where(b, "backward_oriented", np.where(f, "forward_oriented", "weak")))


@dataclass(frozen=True)
class Extraction:
    """Hypothetical extraction of each sector j (Miller & Blair 2009 §12.2.5), in output units.

    ``total``: Σx − Σx̄ when sector j is removed entirely (its row and column deleted, its final
    demand gone; includes its own output). ``backward``: output lost when sector j buys no
    intermediate inputs (column j of A set to 0, final demand fixed). ``forward``: output lost
    when sector j sells no intermediate output (row j of B set to 0, primary inputs fixed;
    Ghosh model). ``share``: total / Σx.
    """

    total: np.ndarray
    backward: np.ndarray
    forward: np.ndarray
    share: np.ndarray


def extraction(L: np.ndarray, f: np.ndarray) -> Extraction:
    """All n extractions from one Leontief inverse, O(n²) total, no re-inversion.

    With ``x = L f``, column sums ``c``, ``d = diag(L)`` and the partitioned inverse
    ``(I − A_{−j,−j})⁻¹ = L_{−j,−j} − L_{−j,j} L_{j,−j} / L_jj``:

    - total_j = x_j + c_j f_j − d_j f_j + (c_j − d_j)(x_j − d_j f_j) / d_j
    - backward_j = (c_j − 1) x_j / d_j                  (Sherman–Morrison on column j)
    - forward_j = ((L x)_j − x_j) / d_j                 (Sherman–Morrison on row j of B)
    """
    L = np.asarray(L, dtype=float)
    f = np.asarray(f, dtype=float)
    x = L @ f
    c = L.sum(axis=0)
    d = np.diag(L).copy()
    total = x + c * f - d * f + (c - d) * (x - d * f) / d
    backward = (c - 1.0) * x / d
    forward = (L @ x - x) / d
    T = x.sum()
    return Extraction(total, backward, forward, total / T if T else np.full_like(total, np.nan))


def extraction_bruteforce(A: np.ndarray, f: np.ndarray, j: int) -> tuple[float, float, float]:
    """Reference: (total, backward, forward) loss for one sector by re-solving (O(n³); for tests)."""
    A = np.asarray(A, dtype=float)
    f = np.asarray(f, dtype=float)
    n = A.shape[0]
    eye = np.eye(n)
    x = np.linalg.solve(eye - A, f)
    keep = np.arange(n) != j
    xr = np.linalg.solve(np.eye(n - 1) - A[np.ix_(keep, keep)], f[keep])
    total = x.sum() - xr.sum()
    Ab = A.copy()
    Ab[:, j] = 0.0
    backward = x.sum() - np.linalg.solve(eye - Ab, f).sum()
    B = calc_B(A * x[None, :], x)
    v = x - B.T @ x  # primary inputs: xᵀ = vᵀ(I − B)⁻¹  ⇒ v = (I − B)ᵀ x
    Bb = B.copy()
    Bb[j, :] = 0.0
    forward = x.sum() - np.linalg.solve((eye - Bb).T, v).sum()
    return float(total), float(backward), float(forward)


# ---------------------------------------------------------------- non-competitive tables

@dataclass(frozen=True)
class ImportStructure:
    """Import indicators of a non-competitive table (domestic block ``Z_d``, imported block ``Z_m``).

    ``import_content`` (n): imported intermediates embodied in one unit of final demand for
    sector j, ``1ᵀ A_m L_d`` (direct + indirect). ``input_import_share`` (n, per buying sector):
    imported / total intermediate inputs of sector j. ``product_import_share`` (n, per product):
    imported / total intermediate use of product i (dependence of users on imports of i).
    """

    import_content: np.ndarray
    input_import_share: np.ndarray
    product_import_share: np.ndarray


def import_structure(Zd: np.ndarray, Zm: np.ndarray, x: np.ndarray) -> ImportStructure:
    """Domestic-Leontief import indicators; solves with ``(I − A_d)ᵀ`` instead of inverting."""
    Zd = np.asarray(Zd, dtype=float)
    Zm = np.asarray(Zm, dtype=float)
    Ad = calc_A(Zd, x)
    Am = calc_A(Zm, x)
    F = factorize(Ad)
    content = F.solve_t(Am.sum(axis=0))  # (1ᵀ A_m L_d)ᵀ = L_dᵀ (A_mᵀ 1)
    col_m, col_d = Zm.sum(axis=0), Zd.sum(axis=0)
    row_m, row_d = Zm.sum(axis=1), Zd.sum(axis=1)
    return ImportStructure(content, col_m * _reciprocal(col_m + col_d),
                           row_m * _reciprocal(row_m + row_d))


def domestic_coefficients(A: np.ndarray, import_share: np.ndarray) -> np.ndarray:
    """Domestic coefficients of a competitive-import table under the proportionality assumption:
    ``A_d = (I − m̂) A`` with ``m_i`` = imports of i / domestic use of i."""
    return (1.0 - np.asarray(import_share, dtype=float))[:, None] * np.asarray(A, dtype=float)


def import_share_competitive(imports: np.ndarray, intermediate_use: np.ndarray,
                             final_use: np.ndarray, exports: np.ndarray) -> np.ndarray:
    """``m_i = IM_i / (TIU_i + TFU_i − EX_i)`` (imports over domestic use; 0 where use is 0).

    ``imports`` are positive amounts (a negative "imports" final-demand column is negated first).
    """
    use = np.asarray(intermediate_use, float) + np.asarray(final_use, float) - np.asarray(exports, float)
    return np.abs(np.asarray(imports, float)) * _reciprocal(use)
