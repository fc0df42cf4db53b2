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
3. the per-unit influence values of every cell are one SQL projection with the
   per-cell constants as literals; only that units × cells matrix comes to numpy
   (for standard errors, aggregations and the bootstrap).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
from scipy.special import chdtr, ndtri  # scipy.stats costs ~0.3 s of start-up; same functions

from reforge.engine import Engine
from reforge.errors import ReforgeError
from reforge.messages import Message
from reforge.policy import influence as inf
from reforge.policy.aggregate import Aggregate, aggregate
from reforge.policy.blas import single_threaded
from reforge.policy.bootstrap import cluster_sums, mboot
from reforge.policy.panel import Panel, prepare_panel

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


def _lit(v: float) -> str:
    """Exact numeric literal, parenthesised so that negative values compose."""
    f = float(v)
    if not math.isfinite(f):
        raise inf.SingularCell("non-finite constant")
    return f"({f!r})"


def _dot(vec: np.ndarray, xs: list[str]) -> str:
    """SQL for X·v with X = [1, x1, …]."""
    terms = [_lit(vec[0])] + [f"{_lit(v)} * {x}" for v, x in zip(vec[1:], xs, strict=True)]
    return "(" + " + ".join(terms) + ")"


def _ctrl_sql(cell: Cell, gcol: str = "g") -> str:
    if not cell.controls:
        return "FALSE"
    return f"{gcol} IN ({', '.join(_lit(c) for c in cell.controls)})"


@dataclass
class _CellFit:
    att: float
    treated_sql: str = "0"
    control_sql: str = "0"


class DidResult:
    """ATT(g,t) estimates with influence functions; aggregate with ``.aggregate(kind)``.

    ``cells`` (DataFrame: group, time, att, se, post), ``psi`` (units × cells
    influence matrix, R scaling), ``crit`` (critical value of the uniform band
    over the cells; 1.96-type pointwise value without bootstrap).
    """

    def __init__(self, *, cells: pd.DataFrame, psi: np.ndarray, unit_g: np.ndarray,
                 cluster_codes: np.ndarray | None, panel: Panel, settings: dict, notes: list[str]) -> None:
        self.cells = cells
        self.psi = psi
        self.unit_g = unit_g
        self.cluster_codes = cluster_codes
        self.panel = panel
        self.n = panel.n
        self.n_obs = panel.n_obs
        self.settings = settings
        self.notes = notes
        self.alp = float(settings.get("alp", 0.05))
        self.bootstrap = int(settings.get("bootstrap", 0) or 0)
        seed = settings.get("seed")
        # One root of entropy per result; every bootstrap draws from its own stream under it
        # (see _stream), so an aggregate's SE does not depend on what was asked before it.
        self._entropy = np.random.SeedSequence(seed).entropy
        att = cells["att"].to_numpy(dtype=float)
        ok = ~np.isnan(att)
        se = np.full(len(att), np.nan)
        self.crit = float(ndtri(1 - self.alp / 2))
        if ok.any():
            se[ok] = self._se(psi if ok.all() else psi[:, ok], self._stream("cells", "se"))
            if self.bootstrap:
                self.crit = self._crit(psi[:, ok & ~cells["base_zero"].to_numpy()], self._stream("cells", "crit"))
        se[cells["base_zero"].to_numpy()] = np.nan
        se[~np.isfinite(se) | (se <= 0)] = np.nan
        self.cells["se"] = se
        self.pretest = self._pretest()
        self._agg: dict[tuple, Aggregate] = {}

    # -- inference -------------------------------------------------------------------
    def _stream(self, *label: object) -> np.random.Generator:
        """A generator of its own for the bootstrap named ``label`` (e.g. ``("aggregate",
        "dynamic", None, -inf, inf)``): ``SeedSequence(seed, spawn_key=digest(label))``. The same
        seed and label give the same draws whatever was computed before."""
        digest = hashlib.blake2b(repr(label).encode(), digest_size=16).digest()
        key = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
        return np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=key))

    def _analytic_se(self, m: np.ndarray) -> np.ndarray:
        s = cluster_sums(m, self.cluster_codes)
        return np.sqrt(np.einsum("ij,ij->j", s, s)) / self.n

    def _se(self, m: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """SEs of influence columns (bootstrap from ``rng``, or analytic); zero / non-finite -> NaN
        (as R ``did``)."""
        if self.bootstrap:
            rng = rng if rng is not None else self._stream("se")
            se = mboot(m, biters=self.bootstrap, alp=self.alp, codes=self.cluster_codes, rng=rng).se
        else:
            se = self._analytic_se(m)
        return np.where(np.isfinite(se) & (se > 1e-300), se, np.nan)

    def _crit(self, m: np.ndarray, rng: np.random.Generator | None = None) -> float:
        """Uniform (sup-t) critical value by the multiplier bootstrap (draws from ``rng``);
        pointwise if it fails."""
        pw = float(ndtri(1 - self.alp / 2))
        if m.shape[1] == 0:
            return pw
        rng = rng if rng is not None else self._stream("crit")
        c = mboot(m, biters=max(self.bootstrap, 999), alp=self.alp, codes=self.cluster_codes, rng=rng).crit
        return c if np.isfinite(c) and c >= pw else pw

    def _pretest(self) -> dict | None:
        """Wald test that all pre-treatment ATT(g,t) are zero (analytic covariance, as R ``did``)."""
        if self.cluster_codes is not None and self.bootstrap:
            return None
        c = self.cells
        a = float(self.settings.get("anticipation", 0))
        att = c["att"].to_numpy(dtype=float)
        psi = self.psi if not np.isnan(self.psi).any() else np.nan_to_num(self.psi)
        s = cluster_sums(psi, self.cluster_codes)
        se = np.sqrt(np.einsum("ij,ij->j", s, s)) / self.n
        pre = np.flatnonzero((c["group"].to_numpy() - a > c["time"].to_numpy()) & np.isfinite(att)
                             & (se > 0) & np.isfinite(se))
        if pre.size == 0:
            return None
        v = s[:, pre].T @ s[:, pre] / self.n
        try:
            rc = 1.0 / np.linalg.cond(v, 1)
            if not np.isfinite(rc) or rc <= np.finfo(float).eps:
                return None
            w = float(self.n * att[pre] @ np.linalg.solve(v, att[pre]))
        except np.linalg.LinAlgError:
            return None
        return {"stat": w, "df": int(pre.size), "p": float(1 - chdtr(pre.size, w))}

    def pretest_event(self) -> dict | None:
        """Wald test that all event-study leads (dynamic effects at e < 0) are zero, analytic covariance.

        Better conditioned than the cell-level test when cohorts are small and pre-periods many,
        because each lead pools all cohorts.
        """
        try:
            dyn = self.aggregate("dynamic")
        except ValueError:
            return None
        with single_threaded():
            return self._pretest_event(dyn)

    def _pretest_event(self, dyn: Aggregate) -> dict | None:
        es = np.array([b["e"] for b in dyn.by], dtype=float)
        a = np.array([b["att"] for b in dyn.by], dtype=float)
        m = dyn.by_inf
        s = cluster_sums(m, self.cluster_codes)
        se = np.sqrt(np.einsum("ij,ij->j", s, s)) / self.n
        lead = np.flatnonzero((es < -float(self.settings.get("anticipation", 0))) & np.isfinite(se) & (se > 0))
        if lead.size == 0:
            return None
        v = s[:, lead].T @ s[:, lead] / self.n ** 2
        try:
            w = float(a[lead] @ np.linalg.solve(v, a[lead]))
        except np.linalg.LinAlgError:
            return None
        return {"stat": w, "df": int(lead.size), "p": float(1 - chdtr(lead.size, w))}

    # -- aggregation -----------------------------------------------------------------
    def aggregate(self, kind: str = "simple", *, balance_e: int | None = None, min_e: float = -np.inf,
                  max_e: float = np.inf) -> Aggregate:
        """``simple``, ``group``, ``calendar`` or ``dynamic`` (``balance_e``, ``min_e``, ``max_e``)."""
        key = (kind, balance_e, min_e, max_e)
        if key not in self._agg:
            with single_threaded():
                self._agg[key] = self._aggregate(kind, balance_e, min_e, max_e)
        return self._agg[key]

    def _aggregate(self, kind: str, balance_e: int | None, min_e: float, max_e: float) -> Aggregate:
        c = self.cells
        # the aggregate's own streams (SEs and band): requests in any order give the same numbers
        label = ("aggregate", kind, None if balance_e is None else int(balance_e), float(min_e), float(max_e))
        se_rng = self._stream(*label, "se")
        crit_rng = self._stream(*label, "crit")

        def se_fn(m: np.ndarray) -> np.ndarray:
            return self._se(m, se_rng)

        def crit_fn(m: np.ndarray) -> float:
            return self._crit(m, crit_rng)

        return aggregate(
            kind, att=c["att"].to_numpy(dtype=float), cell_g=c["group"].to_numpy(dtype=float),
            cell_t=c["time"].to_numpy(dtype=float), psi=self.psi, unit_g=self.unit_g,
            glist=self.panel.glist, tlist=self.panel.tlist, se_fn=se_fn,
            crit_fn=crit_fn if self.bootstrap else None,
            balance_e=balance_e, min_e=min_e, max_e=max_e)

    # -- output ----------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The ATT(g,t) table with pointwise / uniform band limits."""
        f = self.cells[["group", "time", "att", "se", "post"]].copy()
        for c in ("group", "time"):
            if (f[c] % 1 == 0).all():
                f[c] = f[c].astype("int64")
        f["lower"] = f["att"] - self.crit * f["se"]
        f["upper"] = f["att"] + self.crit * f["se"]
        return f

    def to_dict(self, *, balance_e: int | None = None, min_e: float = -np.inf, max_e: float = np.inf) -> dict:
        """The stable JSON shape: att_gt, aggregate{simple,group,calendar,dynamic}, pretest, n_units, n_obs."""
        rows = [{"group": _num(r.group), "time": _num(r.time), "att": _f(r.att), "se": _f(r.se)}
                for r in self.cells.itertuples()]
        agg = {"simple": self.aggregate("simple").to_dict(),
               "group": self.aggregate("group").to_dict(),
               "calendar": self.aggregate("calendar").to_dict(),
               "dynamic": self.aggregate("dynamic", balance_e=balance_e, min_e=min_e, max_e=max_e).to_dict()}
        return {"att_gt": rows, "aggregate": agg, "pretest": self.pretest,
                "n_units": int(self.n), "n_obs": int(self.n_obs)}


def _num(v: float) -> int | float:
    f = float(v)
    return int(f) if f.is_integer() else f


def _f(v: float) -> float | None:
    f = float(v)
    return None if math.isnan(f) else f


def _sym(row: pd.Series, stem: str, p: int) -> np.ndarray:
    """Symmetric p × p matrix from columns ``{stem}_{a}_{b}`` (a ≤ b) of a row."""
    m = np.empty((p, p))
    for a in range(p):
        for b in range(a, p):
            m[a, b] = m[b, a] = float(row[f"{stem}_{a}_{b}"])
    return m


def _cell_sums_from_cohorts(engine: Engine, panel: Panel, cells: list[Cell], idx: list[int],
                            xi_of) -> pd.DataFrame:
    """Per-cell n_t, n_c, ΣΔY (treated), ΣX (treated), X'X and X'ΔY (comparison) from per-cohort sums.

    One GROUP BY cohort over the unit table per covariate period used (one when the covariates
    do not vary over time); no unit-level join.
    """
    k, T = panel.k, panel.T
    p = k + 1
    per_xi: dict[int, pd.DataFrame] = {}
    for xi in sorted({xi_of(cells[i]) for i in idx}):
        X = ["1.0"] + [f"x{j + 1}_{xi}" for j in range(k)]
        aggs = ["COUNT(*) AS n"] + [f"SUM({X[a]}) AS sx_{a}" for a in range(1, p)]
        aggs += [f"SUM({X[a]} * {X[b]}) AS xx_{a}_{b}" for a in range(p) for b in range(a, p)]
        aggs += [f"SUM({X[a]} * y{t}) AS xy_{a}_{t}" for a in range(p) for t in range(T)]
        f = engine.fetch_df(f"SELECT g, {', '.join(aggs)} FROM {panel.wide} GROUP BY g ORDER BY g").set_index("g")
        f.index = f.index.astype(float)
        f["sx_0"] = f["n"]
        per_xi[xi] = f
    rows = []
    for i in idx:
        c = cells[i]
        f = per_xi[xi_of(c)]
        tr = f.loc[[c.g]] if c.g in f.index else f.iloc[0:0]
        co = f.loc[[g for g in c.controls if g in f.index]]
        r: dict = {"cell": i, "n_t": float(tr["n"].sum()), "n_c": float(co["n"].sum()),
                   "sdy_t": float(tr[f"xy_0_{c.ti}"].sum() - tr[f"xy_0_{c.bi}"].sum())}
        for a in range(p):
            r[f"sx_t_{a}"] = float(tr[f"sx_{a}"].sum())
            r[f"xy_{a}"] = float(co[f"xy_{a}_{c.ti}"].sum() - co[f"xy_{a}_{c.bi}"].sum())
            for b in range(a, p):
                r[f"xx_{a}_{b}"] = float(co[f"xx_{a}_{b}"].sum())
        rows.append(r)
    return pd.DataFrame(rows).set_index("cell")


def _cell_weighted_sums(engine: Engine, panel: Panel, cells: list[Cell], live: list[int], dkeys: list[tuple],
                        ddf: pd.DataFrame, gam: dict, betas: dict, xi_of, joined, scratch: list[str]) -> pd.DataFrame:
    """Per-cell IPW sums at the fitted scores (Σw, ΣwX, ΣwΔY, ΣwΔYX, Σw e, Σw e X, Σp(1−p)XX', max p).

    One query over the distinct propensity designs (cohort, comparison set, covariate period)
    gives ΣwX, ΣwXX' and ΣwX·y_p for every period; each cell's sums are linear in them.
    """
    k, T = panel.k, panel.T
    p = k + 1
    X = ["1.0"] + [f"x{j + 1}" for j in range(k)]
    dd = ddf.copy()
    for a in range(p):
        dd[f"gam{a}"] = [float(gam[d][a]) for d in dkeys]
    dtab = engine.temp_name("did_ds")
    scratch.append(dtab)
    engine.register(dtab, dd)
    zl = " + ".join(["gam0"] + [f"gam{a} * x{a}" for a in range(1, p)])
    ycols = "".join(f", W.y{t} AS y{t}" for t in range(T))
    gsel = "".join(f", K.gam{a} AS gam{a}" for a in range(p)) + ycols
    base = (f"SELECT J.*, LEAST(1.0 / (1.0 + EXP(-({zl}))), {_lit(inf.PS_CAP)}) AS pc, "
            f"1.0 / (1.0 + EXP(-({zl}))) AS praw FROM ({joined(dtab, gsel)}) J")
    wexpr = f"(1.0 - d) * CASE WHEN pc < {_lit(inf.TRIM_LEVEL)} THEN pc / (1.0 - pc) ELSE 0.0 END"
    sums = ["MAX(praw) AS pmax"]
    sums += [f"SUM({wexpr} * {X[a]}) AS swx_{a}" for a in range(p)]
    sums += [f"SUM({wexpr} * {X[a]} * {X[b]}) AS swxx_{a}_{b}" for a in range(p) for b in range(a, p)]
    sums += [f"SUM({wexpr} * {X[a]} * y{t}) AS swxy_{a}_{t}" for a in range(p) for t in range(T)]
    sums += [f"SUM(pc * (1.0 - pc) * {X[a]} * {X[b]}) AS h_{a}_{b}" for a in range(p) for b in range(a, p)]
    D = engine.fetch_df(f"SELECT cell, {', '.join(sums)} FROM ({base}) Q GROUP BY cell ORDER BY cell").set_index("cell")
    rows = []
    for i in live:
        c = cells[i]
        r0 = D.loc[dkeys.index((c.g, c.controls, xi_of(c)))]
        beta = betas.get(i, np.zeros(p))
        swx = np.array([r0[f"swx_{a}"] for a in range(p)], dtype=float)
        swxx = _sym(r0, "swxx", p)
        swdyx = np.array([r0[f"swxy_{a}_{c.ti}"] - r0[f"swxy_{a}_{c.bi}"] for a in range(p)], dtype=float)
        r: dict = {"cell": i, "pmax": float(r0["pmax"]), "w_c": float(swx[0]), "swdy": float(swdyx[0]),
                   "swe": float(swdyx[0] - swx @ beta)}
        swex = swdyx - swxx @ beta
        for a in range(p):
            r[f"swx_{a}"] = swx[a]
            r[f"swdyx_{a}"] = swdyx[a]
            r[f"swex_{a}"] = swex[a]
            for b in range(a, p):
                r[f"h_{a}_{b}"] = float(r0[f"h_{a}_{b}"])
        rows.append(r)
    return pd.DataFrame(rows).set_index("cell")


def _covariate_fits(engine: Engine, panel: Panel, cells: list[Cell], est: EstMethod, control: Control,
                    scratch: list[str]) -> tuple[dict[int, _CellFit], dict[int, str]]:
    """Fit every cell's regression / propensity model from batched per-cell sums on the engine."""
    k = panel.k
    T = panel.T
    W = panel.wide
    xs = [f"x{j + 1}" for j in range(k)]
    idx = [i for i, c in enumerate(cells) if not c.base_zero and c.controls]
    if not idx:
        return {}, {}

    def xi_of(c: Cell) -> int:
        return min(c.ti, c.bi) if panel.time_varying_x else 0

    xp = range(T) if panel.time_varying_x else [0]
    xsel = ", ".join("CASE K.xi" + "".join(f" WHEN {p} THEN W.x{j + 1}_{p}" for p in xp) + f" END AS x{j + 1}"
                     for j in range(k))

    def joined(ktab: str, extra: str = "") -> str:
        """Units of each design's sample joined to the design table K: cell (= design), d, x1..xk, extra."""
        return (f"SELECT K.cell AS cell, CASE WHEN W.g = K.gc THEN 1.0 ELSE 0.0 END AS d, {xsel}{extra} "
                f"FROM {W} W JOIN {ktab} K ON (W.g = K.gc OR (W.g = 0 AND K.hasnever = 1) "
                f"OR (K.nyt = 1 AND W.g > K.thr AND W.g <> K.gc))")

    nyt = 1 if control == "notyet" else 0
    X = ["1.0"] + xs
    p = len(X)
    # -- query A: per-cohort sums (n, ΣX, ΣXX', ΣX·y_p for every period p), combined into per-cell
    #    treated sums and comparison normal equations (a cell's sample is a union of cohorts)
    A = _cell_sums_from_cohorts(engine, panel, cells, idx, xi_of)

    def sym(row: pd.Series, stem: str) -> np.ndarray:
        return _sym(row, stem, p)

    fits: dict[int, _CellFit] = {}
    betas: dict[int, np.ndarray] = {}
    for i in idx:
        r = A.loc[i]
        if r["n_t"] == 0 or r["n_c"] == 0:
            fits[i] = _CellFit(att=float("nan"))
            continue
        if est in ("reg", "dr"):
            try:
                betas[i] = inf.ols_beta(sym(r, "xx"), np.array([r[f"xy_{a}"] for a in range(p)], dtype=float))
            except inf.SingularCell:
                fits[i] = _CellFit(att=float("nan"))
    n = panel.n
    if est == "reg":
        for i in idx:
            if i in fits:
                continue
            r = A.loc[i]
            sx_t = np.array([r[f"sx_t_{a}"] for a in range(p)], dtype=float)
            try:
                rc = inf.reg_cell(float(r["n_t"]), sx_t, float(r["sdy_t"]), sym(r, "xx"),
                                  np.array([r[f"xy_{a}"] for a in range(p)], dtype=float))
            except inf.SingularCell:
                fits[i] = _CellFit(att=float("nan"))
                continue
            c = cells[i]
            dy = f"(y{c.ti} - y{c.bi})"
            xc = [f"x{j + 1}_{xi_of(c)}" for j in range(k)]
            e = f"({dy} - {_dot(rc.beta, xc)})"
            fits[i] = _CellFit(att=rc.att,
                               treated_sql=f"{_lit(n / rc.n_t)} * ({e} - {_lit(rc.att)})",
                               control_sql=f"-{_lit(n / rc.n_t)} * {e} * {_dot(rc.a1, xc)}")
        return fits, {}

    # -- logit propensity score by IRLS (Newton), batched over distinct designs
    live = [i for i in idx if i not in fits]
    designs: dict[tuple, list[int]] = {}
    for i in live:
        c = cells[i]
        designs.setdefault((c.g, c.controls, xi_of(c)), []).append(i)
    dkeys = list(designs)
    gam = {}
    for d in dkeys:
        r = A.loc[designs[d][0]]
        pbar = float(r["n_t"]) / float(r["n_t"] + r["n_c"])
        gam[d] = np.r_[math.log(pbar / (1 - pbar)), np.zeros(k)]
    ddf = pd.DataFrame({"cell": range(len(dkeys)), "gc": [d[0] for d in dkeys],
                        "ti": 0, "bi": 0, "xi": [d[2] for d in dkeys],
                        "thr": [cells[designs[d][0]].thr for d in dkeys],
                        "nyt": nyt, "hasnever": [1 if 0.0 in d[1] else 0 for d in dkeys]})
    dtab = engine.temp_name("did_d")
    scratch.append(dtab)
    active = list(range(len(dkeys)))
    gsel = "".join(f", K.gam{a} AS gam{a}" for a in range(p))
    zl = " + ".join(["gam0"] + [f"gam{a} * x{a}" for a in range(1, p)])
    hs = [f"SUM(pr * (1.0 - pr) * {X[a]} * {X[b]}) AS h_{a}_{b}" for a in range(p) for b in range(a, p)]
    hs += [f"SUM((d - pr) * {X[a]}) AS s_{a}" for a in range(p)]
    for _it in range(60):
        dd = ddf.iloc[active].copy()
        for a in range(p):
            dd[f"gam{a}"] = [float(gam[dkeys[j]][a]) for j in active]
        engine.register(dtab, dd)
        q_ = (f"SELECT cell, d{''.join(f', x{a}' for a in range(1, p))}, 1.0 / (1.0 + EXP(-({zl}))) AS pr "
              f"FROM ({joined(dtab, gsel)}) J")
        S = engine.fetch_df(f"SELECT cell, {', '.join(hs)} FROM ({q_}) Q GROUP BY cell ORDER BY cell").set_index("cell")
        still = []
        for j in active:
            r = S.loc[j]
            try:
                step = inf.newton_step(sym(r, "h"), np.array([r[f"s_{a}"] for a in range(p)], dtype=float))
            except inf.SingularCell:
                gam[dkeys[j]] = np.full(p, np.nan)
                continue
            gam[dkeys[j]] = gam[dkeys[j]] + step
            if np.max(np.abs(step)) > 1e-11 * (1 + np.max(np.abs(gam[dkeys[j]]))):
                still.append(j)
        active = still
        if not active:
            break
    # -- query B: weighted comparison sums at the fitted scores, per cell
    for i in live:
        c = cells[i]
        g_ = gam[(c.g, c.controls, xi_of(c))]
        if not np.all(np.isfinite(g_)):
            fits[i] = _CellFit(att=float("nan"))
    live = [i for i in live if i not in fits]
    if not live:
        return fits, {}
    B = _cell_weighted_sums(engine, panel, cells, live, dkeys, ddf, gam, betas, xi_of, joined, scratch)
    score_cols: dict[int, str] = {}   # design -> capped propensity score SQL, computed once per unit
    for i in live:
        c = cells[i]
        ra, rb = A.loc[i], B.loc[i]
        if float(rb["pmax"]) >= 0.999:   # R did's overlap guard
            fits[i] = _CellFit(att=float("nan"))
            continue
        g_ = gam[(c.g, c.controls, xi_of(c))]
        xc = [f"x{j + 1}_{xi_of(c)}" for j in range(k)]
        dy = f"(y{c.ti} - y{c.bi})"
        dj = dkeys.index((c.g, c.controls, xi_of(c)))
        if dj not in score_cols:
            score_cols[dj] = f"LEAST(1.0 / (1.0 + EXP(-{_dot(g_, xc)})), {_lit(inf.PS_CAP)})"
        pc, w = f"pc{dj}", f"w{dj}"
        vec = lambda stem, rb=rb: np.array([rb[f"{stem}_{a}"] for a in range(p)], dtype=float)  # noqa: E731
        try:
            if est == "ipw":
                f = inf.ipw_cell(float(ra["n_t"]), float(ra["sdy_t"]), float(rb["w_c"]), float(rb["swdy"]),
                                 vec("swx"), vec("swdyx"), sym(rb, "h"))
                xa2 = _dot(n * f.a2 / f.w_c, xc)
                fits[i] = _CellFit(
                    att=f.att,
                    treated_sql=f"{_lit(n / f.n_t)} * ({dy} - {_lit(f.eta_t)}) - (1.0 - {pc}) * {xa2}",
                    control_sql=f"{pc} * {xa2} - {_lit(n / f.w_c)} * {w} * ({dy} - {_lit(f.eta_c)})")
            else:
                sx_t = np.array([ra[f"sx_t_{a}"] for a in range(p)], dtype=float)
                f = inf.dr_cell(float(ra["n_t"]), sx_t, float(ra["sdy_t"]), sym(ra, "xx"), betas[i],
                                float(rb["w_c"]), float(rb["swe"]), vec("swx"), vec("swex"), sym(rb, "h"))
                # algebraically simplified DRDID influence function (see influence.DrCell)
                e = f"({dy} - {_dot(f.beta, xc)})"
                xa2 = _dot(n * f.a2 / f.w_c, xc)
                xv = _dot(n * (f.a3 / f.w_c - f.a1 / f.n_t), xc)
                fits[i] = _CellFit(
                    att=f.att,
                    treated_sql=f"{_lit(n / f.n_t)} * ({e} - {_lit(f.eta_t)}) - (1.0 - {pc}) * {xa2}",
                    control_sql=f"{e} * ({xv} - {_lit(n / f.w_c)} * {w}) "
                                f"+ {_lit(n * f.eta_c / f.w_c)} * {w} + {pc} * {xa2}")
        except inf.SingularCell:
            fits[i] = _CellFit(att=float("nan"))
    return fits, score_cols


def _uncond_fits(engine: Engine, panel: Panel, cells: list[Cell]) -> dict[int, _CellFit]:
    """Difference-in-mean-changes for every cell from per-cohort sums of each period's outcome."""
    T = panel.T
    S = engine.fetch_df(f"SELECT g, COUNT(*) AS n, {', '.join(f'SUM(y{p}) AS s{p}' for p in range(T))} "
                        f"FROM {panel.wide} GROUP BY g ORDER BY g").set_index("g")
    S.index = S.index.astype(float)
    n = panel.n
    fits: dict[int, _CellFit] = {}
    for i, c in enumerate(cells):
        if c.base_zero:
            continue
        if c.g not in S.index or not c.controls:
            fits[i] = _CellFit(att=float("nan"))
            continue
        rt = S.loc[c.g]
        rc = S.loc[list(c.controls)]
        n_t, n_c = float(rt["n"]), float(rc["n"].sum())
        u = inf.uncond_cell(n_t, float(rt[f"s{c.ti}"] - rt[f"s{c.bi}"]), n_c,
                            float(rc[f"s{c.ti}"].sum() - rc[f"s{c.bi}"].sum()))
        dy = f"(y{c.ti} - y{c.bi})"
        fits[i] = _CellFit(att=u.att, treated_sql=f"{_lit(n / n_t)} * ({dy} - {_lit(u.mu_t)})",
                           control_sql=f"-{_lit(n / n_c)} * ({dy} - {_lit(u.mu_c)})")
    return fits


def _rc_uncond_fits(engine: Engine, panel: Panel, cells: list[Cell]) -> dict[int, _CellFit]:
    """Unbalanced panel, no covariates: each cell as two repeated cross-sections (R ``did`` with
    ``allow_unbalanced_panel``): ATT = (ȳ₁₁ − ȳ₁₀) − (ȳ₀₁ − ȳ₀₀) over the unit-periods observed,
    Ψ_unit = n · Σ over its rows of ±(y − ȳ_{D,post}) / count_{D,post}.
    """
    T = panel.T
    S = engine.fetch_df(f"SELECT g, {', '.join(f'COUNT(y{p}) AS c{p}, SUM(y{p}) AS s{p}' for p in range(T))} "
                        f"FROM {panel.wide} GROUP BY g ORDER BY g").set_index("g")
    S.index = S.index.astype(float)
    n = panel.n
    fits: dict[int, _CellFit] = {}
    for i, c in enumerate(cells):
        if c.base_zero:
            continue
        if c.g not in S.index or not c.controls:
            fits[i] = _CellFit(att=float("nan"))
            continue
        rt, rc = S.loc[[c.g]], S.loc[[g for g in c.controls if g in S.index]]
        cnt = {(1, 1): rt[f"c{c.ti}"].sum(), (1, 0): rt[f"c{c.bi}"].sum(),
               (0, 1): rc[f"c{c.ti}"].sum(), (0, 0): rc[f"c{c.bi}"].sum()}
        if min(cnt.values()) == 0:
            fits[i] = _CellFit(att=float("nan"))
            continue
        mu = {(1, 1): rt[f"s{c.ti}"].sum() / cnt[(1, 1)], (1, 0): rt[f"s{c.bi}"].sum() / cnt[(1, 0)],
              (0, 1): rc[f"s{c.ti}"].sum() / cnt[(0, 1)], (0, 0): rc[f"s{c.bi}"].sum() / cnt[(0, 0)]}
        att = (mu[(1, 1)] - mu[(1, 0)]) - (mu[(0, 1)] - mu[(0, 0)])

        def part(d: int, post: int, cell: Cell = c, mu: dict = mu, cnt: dict = cnt) -> str:
            col = f"y{cell.ti if post else cell.bi}"
            return f"COALESCE(({col} - {_lit(mu[(d, post)])}) / {_lit(cnt[(d, post)])}, 0.0)"
        fits[i] = _CellFit(att=float(att), treated_sql=f"{_lit(n)} * ({part(1, 1)} - {part(1, 0)})",
                           control_sql=f"{_lit(n)} * ({part(0, 0)} - {part(0, 1)})")
    return fits


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
        fits, score_cols = _rc_uncond_fits(engine, panel, cells), {}
    elif panel.k:
        fits, score_cols = _covariate_fits(engine, panel, cells, est_method, control, scratch)
    else:
        fits, score_cols = _uncond_fits(engine, panel, cells), {}
    exprs = []
    for i, c in enumerate(cells):
        f = fits.get(i)
        if c.base_zero or f is None or math.isnan(f.att):
            exprs.append(f"CAST(0.0 AS DOUBLE) AS c{i}")
        else:
            exprs.append(f"CASE WHEN g = {_lit(c.g)} THEN {f.treated_sql} WHEN {_ctrl_sql(c)} "
                         f"THEN {f.control_sql} ELSE 0.0 END AS c{i}")
    src = panel.wide
    if score_cols:   # propensity scores and IPW weights once per unit and design, then every cell
        pcs = ", ".join(f"{sql} AS pc{d}" for d, sql in score_cols.items())
        ws = ", ".join(f"CASE WHEN pc{d} < {_lit(inf.TRIM_LEVEL)} THEN pc{d} / (1.0 - pc{d}) ELSE 0.0 END AS w{d}"
                       for d in score_cols)
        src = f"(SELECT *, {ws} FROM (SELECT *, {pcs} FROM {panel.wide}) A) B"
    # no ORDER BY: every statistic is order-free; rows are sorted by unit below only for the bootstrap
    M = engine.fetch_arrow(f"SELECT u, g, cl, {', '.join(exprs)} FROM {src}")
    if bootstrap:
        M = M.take(pa.compute.sort_indices(M, sort_keys=[("u", "ascending")]))
    unit_g = M.column("g").to_numpy(zero_copy_only=False).astype(float)
    codes = None
    if cluster:
        labels = pd.Series(M.column("cl").to_pylist())
        codes = pd.factorize(labels, sort=True)[0].astype(np.int64)
    psi = np.empty((M.num_rows, len(cells)))
    for i in range(len(cells)):
        psi[:, i] = M.column(f"c{i}").to_numpy(zero_copy_only=False)
    del M

    att = [0.0 if c.base_zero else fits[i].att if i in fits else float("nan") for i, c in enumerate(cells)]
    frame = pd.DataFrame({"group": [c.g for c in cells], "time": [c.t for c in cells], "att": att,
                          "post": [c.post for c in cells], "base_zero": [c.base_zero for c in cells]})
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
