"""The in-memory input-output table and its balance checks.

An :class:`IOTable` holds one symmetric table in the units it was published in
(e.g. £ million, 万元 = 10,000 CNY, million EUR):

- ``Z`` (n×n) domestic (or total, for competitive-import tables) intermediate flows;
- ``Zm`` (n×n, optional) imported intermediate flows of a non-competitive table;
- ``Y`` (n×k) final demand by category (``fd_codes``); in competitive-import tables an
  imports column enters with a negative sign and a statistical discrepancy column may appear,
  so that ``Z·1 + Y·1 = x`` always holds;
- ``x`` (n) total output;
- ``inputs``: primary-input rows per sector with a kind (``value_added`` components,
  ``imports``, ``taxes`` on products), so that ``1ᵀZ + 1ᵀZm + Σ inputs = xᵀ``;
- ``satellite``: rows that are not money inputs (``employment`` in persons or thousands).

Canonical codes give roles: input row ``compensation`` (compensation of employees, part of
value added), satellite row ``employment``; final-demand column roles are detected by
:func:`fd_role` (exports, imports, households).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reforge.errors import ReforgeError

INPUT_KINDS = ("value_added", "imports", "taxes")


def fd_role(code: str) -> str | None:
    """Role of a final-demand column from its code: 'exports', 'imports', 'households' or None."""
    c = code.lower().replace(" ", "_")
    if c in ("ex", "exports", "export") or c.startswith("export"):
        return "exports"
    if c in ("im", "m", "imports", "import") or c.startswith("import"):
        return "imports"
    if "household" in c or c in ("fu101", "fu102", "fu_rural_hh", "fu_urban_hh", "thc"):
        return "households"
    return None


@dataclass
class IOTable:
    """One input-output table (see module docstring for the layout and sign conventions)."""

    codes: list[str]
    Z: np.ndarray
    Y: np.ndarray
    fd_codes: list[str]
    x: np.ndarray
    names: list[str] | None = None
    names_zh: list[str] | None = None
    inputs: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    satellite: dict[str, np.ndarray] = field(default_factory=dict)
    Zm: np.ndarray | None = None
    Ym: np.ndarray | None = None
    table_id: str = ""
    title: str = ""
    unit: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # names of non-sector rows/columns

    def __post_init__(self) -> None:
        self.Z = np.asarray(self.Z, dtype=float)
        self.Y = np.asarray(self.Y, dtype=float)
        if self.codes:
            self.Y = self.Y.reshape(len(self.codes), -1)
        self.x = np.asarray(self.x, dtype=float).ravel()
        if self.Zm is not None:
            self.Zm = np.asarray(self.Zm, dtype=float)
        if self.Ym is not None:
            self.Ym = np.asarray(self.Ym, dtype=float).reshape(len(self.codes), -1)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def f(self) -> np.ndarray:
        """Net final demand per sector, ``Y·1`` (incl. a negative imports column if any)."""
        return self.Y.sum(axis=1)

    def fd(self, role: str) -> np.ndarray | None:
        """Sum of the final-demand columns with a role (exports / imports / households), or None."""
        idx = [i for i, c in enumerate(self.fd_codes) if fd_role(c) == role]
        return self.Y[:, idx].sum(axis=1) if idx else None

    def input_rows(self, kind: str) -> np.ndarray | None:
        rows = [v for k, v in self.inputs.values() if k == kind]
        return np.sum(rows, axis=0) if rows else None

    @property
    def value_added(self) -> np.ndarray | None:
        """Gross value added per sector: sum of the ``value_added`` input rows."""
        return self.input_rows("value_added")

    @property
    def compensation(self) -> np.ndarray | None:
        """Compensation of employees per sector (an input row, or a satellite row when value added
        is given as one total)."""
        v = self.inputs.get("compensation")
        return v[1] if v is not None else self.satellite.get("compensation")

    @property
    def employment(self) -> np.ndarray | None:
        return self.satellite.get("employment")

    @property
    def noncompetitive(self) -> bool:
        return self.Zm is not None

    def label(self, i: int) -> str:
        """Best display name of sector i."""
        for names in (self.names, self.names_zh):
            if names and names[i]:
                return str(names[i])
        return self.codes[i]


def _where(t: IOTable, i: int) -> str:
    name = t.label(i)
    return f"'{t.codes[i]}'" + (f" ({name})" if name != t.codes[i] else "")


def check_balance(t: IOTable, rtol: float = 1e-4, atol: float = 1e-6) -> dict[str, float]:
    """Validate a table; raise ReforgeError naming the row/column and the gap, else return the
    largest relative gaps found (``row``, ``column``).

    Checks: shapes, finite numbers, unique codes, no negative intermediate flows, output
    ≥ 0, row identity ``Z·1 + Y·1 = x`` and, when primary inputs are given, column identity
    ``1ᵀZ + 1ᵀZm + Σ inputs = xᵀ`` — each within ``rtol·|x_i| + atol``.
    """
    n = t.n
    if n == 0:
        raise ReforgeError("the table has no sectors")
    if len(set(t.codes)) != n:
        dup = sorted({c for c in t.codes if t.codes.count(c) > 1})
        raise ReforgeError(f"duplicate sector codes: {', '.join(dup)}")
    if t.Z.shape != (n, n):
        raise ReforgeError(f"intermediate block is {t.Z.shape[0]}×{t.Z.shape[1]}, expected {n}×{n}")
    if t.x.shape != (n,):
        raise ReforgeError(f"total output has {t.x.shape[0]} values, expected {n}")
    blocks: list[tuple[str, np.ndarray]] = [("intermediate", t.Z), ("final demand", t.Y), ("output", t.x[:, None])]
    if t.Zm is not None:
        if t.Zm.shape != (n, n):
            raise ReforgeError(f"imported intermediate block is {t.Zm.shape}, expected {n}×{n}")
        blocks.append(("imported intermediate", t.Zm))
    for code, (_, v) in t.inputs.items():
        blocks.append((f"input row '{code}'", np.asarray(v)[None, :]))
    for label, M in blocks:
        bad = np.argwhere(~np.isfinite(M))
        if bad.size:
            i, j = bad[0]
            raise ReforgeError(f"{label} has a missing/non-finite value at row {i + 1}, column {j + 1} "
                               f"({len(bad)} such cells)")
    for label, M in (("intermediate", t.Z), ("imported intermediate", t.Zm)):
        if M is None:
            continue
        neg = np.argwhere(M < 0)
        if neg.size:
            i, j = neg[0]
            raise ReforgeError(f"negative {label} flow {M[i, j]:.6g} from sector {_where(t, i)} to sector "
                               f"{_where(t, j)} ({len(neg)} negative cells)")
    neg = np.flatnonzero(t.x < 0)
    if neg.size:
        raise ReforgeError(f"negative total output {t.x[neg[0]]:.6g} for sector {_where(t, neg[0])}")
    zero = np.flatnonzero((t.x == 0) & (t.Z.sum(axis=0) > 0))
    if zero.size:
        raise ReforgeError(f"sector {_where(t, zero[0])} has zero total output but buys intermediate inputs")
    tol = rtol * np.abs(t.x) + atol
    row = t.Z.sum(axis=1) + t.f
    gap = row - t.x
    bad = np.flatnonzero(np.abs(gap) > tol)
    if bad.size:
        i = bad[np.argmax(np.abs(gap[bad]))]
        raise ReforgeError(
            f"row balance fails for sector {_where(t, i)}: intermediate use + final demand = {row[i]:.10g} "
            f"but total output = {t.x[i]:.10g} (gap {gap[i]:+.6g}, {gap[i] / (t.x[i] or 1):+.3%}); "
            f"{bad.size} sector(s) off by more than {rtol:g} relative")
    rel = {"row": float(np.max(np.abs(gap) / np.maximum(np.abs(t.x), 1e-300)))}
    if t.inputs:
        col = t.Z.sum(axis=0) + sum(v for _, v in t.inputs.values())
        if t.Zm is not None:
            col = col + t.Zm.sum(axis=0)
        gap = col - t.x
        bad = np.flatnonzero(np.abs(gap) > tol)
        if bad.size:
            j = bad[np.argmax(np.abs(gap[bad]))]
            raise ReforgeError(
                f"column balance fails for sector {_where(t, j)}: intermediate inputs + primary inputs = "
                f"{col[j]:.10g} but total output = {t.x[j]:.10g} (gap {gap[j]:+.6g}, "
                f"{gap[j] / (t.x[j] or 1):+.3%}); {bad.size} sector(s) off by more than {rtol:g} relative")
        rel["column"] = float(np.max(np.abs(gap) / np.maximum(np.abs(t.x), 1e-300)))
    return rel
