"""Key-sector analysis of one table: multipliers, linkages, extraction, imports → a result object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reforge.errors import ReforgeError
from reforge.sectors import io
from reforge.sectors.table import IOTable, check_balance

CONTRACT_FIELDS = ("code", "output_multiplier", "backward_linkage", "forward_linkage", "class", "extraction_loss")
_CLASS_ORDER = {c: i for i, c in enumerate(io.KEY_CLASSES)}


@dataclass
class SectorAnalysis:
    """Per-sector results of :func:`analyze_table`.

    ``frame`` columns (per unit of final demand unless stated): ``code``, ``name``,
    ``output_multiplier`` (column sum of L), ``backward_linkage`` / ``forward_linkage``
    (Rasmussen–Hirschman indices, mean 1), ``class``, ``extraction_loss`` (share 0–1 of total
    output lost when the sector is extracted entirely), ``extraction_total`` /
    ``extraction_backward`` / ``extraction_forward`` (output lost, table units), and when the
    table has them ``gva_effect``/``gva_multiplier``, ``income_effect``/``income_multiplier``,
    ``employment_effect``/``employment_multiplier``, type II ``output_multiplier_ii`` /
    ``income_effect_ii`` / ``income_multiplier_ii`` (when compensation and a households
    final-demand column exist; closed with c = household purchases / total compensation),
    ``import_content``,
    ``input_import_share``, ``product_import_share``.
    """

    table_id: str
    forward: str
    unit: str
    frame: pd.DataFrame
    balance: dict[str, float]

    @property
    def n(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract ``{"sectors": [{code, output_multiplier, backward_linkage,
        forward_linkage, class, extraction_loss}], "n": n}`` in table order."""
        recs = self.frame[list(CONTRACT_FIELDS)].to_dict(orient="records")
        return {"sectors": recs, "n": self.n}

    def key_table(self) -> pd.DataFrame:
        """Sectors ordered key first, then backward-, forward-oriented, weak; within a class by
        ``backward_linkage + forward_linkage`` descending; with a 1-based ``rank``."""
        f = self.frame.copy()
        f["_c"] = f["class"].map(_CLASS_ORDER)
        f["_s"] = -(f["backward_linkage"] + f["forward_linkage"])
        f = f.sort_values(["_c", "_s", "code"], kind="mergesort").drop(columns=["_c", "_s"])
        f.insert(0, "rank", np.arange(1, len(f) + 1))
        return f.reset_index(drop=True)


def analyze_table(t: IOTable, forward: io.Forward = "ghosh", check: bool = True,
                  rtol: float = 1e-4, progress: Callable[[str, float], None] | None = None,
                  extraction: bool = True) -> SectorAnalysis:
    """Run the full key-sector analysis on a table (validated first unless ``check=False``).

    With ``extraction`` (default) one full Leontief inverse is formed (its diagonal is needed
    for the closed-form extraction); everything else — multipliers, Ghosh linkages, all n
    extractions — follows from it in O(n²). With ``extraction=False`` no inverse is formed:
    one LU factorisation of I − A and a few triangular solves give multipliers, linkages and
    effects (the extraction columns are NaN).
    """
    if forward not in ("ghosh", "leontief"):
        raise ReforgeError(f"forward must be 'ghosh' or 'leontief', not {forward!r}", code="input.choice",
                           params={"name": "forward", "value": str(forward)[:40], "choices": ["ghosh", "leontief"]})
    tick = progress or (lambda _m, _f: None)
    tick("balance checks", 0.0)
    balance = check_balance(t, rtol=rtol) if check else {}
    A = io.calc_A(t.Z, t.x)
    nan = np.full(t.n, np.nan)
    if extraction:
        tick("Leontief inverse", 0.1)
        try:
            L = io.calc_L(A)
        except np.linalg.LinAlgError:
            L = np.full_like(A, np.nan)
        if not np.isfinite(L).all() or (np.diag(L) < 1.0 - 1e-9).any():
            raise ReforgeError(f"table {t.table_id!r}: I − A is singular or not productive (some sector has "
                               "no value added and no final-demand outlet); check the table")
        tick("linkages", 0.7)
        lk = io.linkages(L, t.x, forward=forward)
        tick("hypothetical extraction", 0.8)
        ex = io.extraction(L, t.f)

        def row_times_L(c: np.ndarray) -> np.ndarray:
            return c @ L

        def L_times_col(c: np.ndarray) -> np.ndarray:
            return L @ c
    else:
        tick("LU factorisation", 0.1)
        try:
            F = io.factorize(A)
        except ValueError as e:
            raise ReforgeError(f"table {t.table_id!r}: {e}") from None
        tick("linkages", 0.7)
        lk = io.linkages_from_factor(F, t.x, forward=forward)
        ex = io.Extraction(nan, nan, nan, nan)

        def row_times_L(c: np.ndarray) -> np.ndarray:
            return F.solve_t(c)

        def L_times_col(c: np.ndarray) -> np.ndarray:
            return F.solve(c)
    tick("multipliers", 0.9)
    df = pd.DataFrame({
        "code": t.codes,
        "name": [t.label(i) for i in range(t.n)],
        "output_multiplier": lk.backward_raw,
        "backward_linkage": lk.backward,
        "forward_linkage": lk.forward,
        "class": io.key_sector_class(lk.backward, lk.forward),
        "extraction_loss": ex.share,
        "forward_sum": lk.forward_raw,
        "extraction_total": ex.total,
        "extraction_backward": ex.backward,
        "extraction_forward": ex.forward,
    })
    for label, vec in (("gva", t.value_added), ("income", t.compensation), ("employment", t.employment)):
        if vec is not None:
            c = np.asarray(vec, float) * _safe_recip(t.x)
            eff = row_times_L(c)
            df[f"{label}_effect"] = eff
            with np.errstate(divide="ignore", invalid="ignore"):
                df[f"{label}_multiplier"] = np.where(c != 0, eff / np.where(c != 0, c, 1.0), np.nan)
    hh, comp = t.fd("households"), t.compensation
    if hh is not None and comp is not None and comp.sum() > 0:
        # type II (household-closed): h = compensation / output, c = household purchases / total compensation
        h = np.asarray(comp, float) * _safe_recip(t.x)
        c = np.asarray(hh, float) / float(np.sum(comp))
        try:
            t2 = io.type_ii_miyazawa(lk.backward_raw, row_times_L(h), L_times_col(c), h)
            df["output_multiplier_ii"] = t2["output"]
            df["income_effect_ii"] = t2["income_effects"]
            df["income_multiplier_ii"] = t2["income"]
        except ValueError:
            pass
    if t.Zm is not None:
        col_m, col_d = t.Zm.sum(axis=0), t.Z.sum(axis=0)
        row_m, row_d = t.Zm.sum(axis=1), t.Z.sum(axis=1)
        df["import_content"] = row_times_L(col_m * _safe_recip(t.x))  # 1ᵀ A_m L_d
        df["input_import_share"] = col_m * _safe_recip(col_m + col_d)
        df["product_import_share"] = row_m * _safe_recip(row_m + row_d)
    else:
        imp, ex_, = t.fd("imports"), t.fd("exports")
        if imp is not None:
            f_dom = t.f - imp  # final use before netting imports
            m = io.import_share_competitive(imp, t.Z.sum(axis=1), f_dom, ex_ if ex_ is not None else 0.0)
            df["product_import_share"] = m
    tick("done", 1.0)
    return SectorAnalysis(t.table_id, forward, t.unit, df, balance)


def _safe_recip(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x, dtype=float)
    nz = x != 0
    out[nz] = 1.0 / x[nz]
    return out
