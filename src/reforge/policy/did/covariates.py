"""Covariate-adjusted cells (outcome regression, IPW, doubly robust as in ``DRDID``) from batched
per-cell sums on the engine: per-cohort sums for the regressions, a logit propensity score by
Newton (IRLS) steps batched over all distinct designs, then weighted comparison sums. Each cell's
result is a ``CellFit`` whose influence values are numpy over a cohort block of the unit table
(``psi.Block``: ΔY, linear forms X·v, the design's score and weight)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from reforge.engine import Engine
from reforge.policy import influence as inf
from reforge.policy.arrays import design_table, rows_by, total
from reforge.policy.did.plan import Cell, Control, EstMethod
from reforge.policy.did.psi import CellFit
from reforge.policy.did.sql import lit
from reforge.policy.panel import Panel

Row = dict[str, float]   # one row of sums, by column name


def _sym(row: Mapping[str, float], stem: str, p: int) -> np.ndarray:
    """Symmetric p × p matrix from columns ``{stem}_{a}_{b}`` (a ≤ b) of a row."""
    m = np.empty((p, p))
    for a in range(p):
        for b in range(a, p):
            m[a, b] = m[b, a] = float(row[f"{stem}_{a}_{b}"])
    return m


def _finite(*values: float | np.ndarray) -> bool:
    """Whether every constant of a cell's influence function is finite (else the cell is NA)."""
    return all(bool(np.all(np.isfinite(v))) for v in values)


def _cell_sums_from_cohorts(engine: Engine, panel: Panel, cells: list[Cell], idx: list[int],
                            xi_of) -> dict[int, Row]:
    """Per-cell n_t, n_c, ΣΔY (treated), ΣX (treated), X'X and X'ΔY (comparison) from per-cohort sums.

    One GROUP BY cohort over the unit table per covariate period used (one when the covariates
    do not vary over time); no unit-level join.
    """
    k, T = panel.k, panel.T
    p = k + 1
    per_xi: dict[int, dict[float, Row]] = {}
    for xi in sorted({xi_of(cells[i]) for i in idx}):
        X = ["1.0"] + [f"x{j + 1}_{xi}" for j in range(k)]
        aggs = ["COUNT(*) AS n"] + [f"SUM({X[a]}) AS sx_{a}" for a in range(1, p)]
        aggs += [f"SUM({X[a]} * {X[b]}) AS xx_{a}_{b}" for a in range(p) for b in range(a, p)]
        aggs += [f"SUM({X[a]} * y{t}) AS xy_{a}_{t}" for a in range(p) for t in range(T)]
        f = rows_by(engine.fetch_numpy(f"SELECT g, {', '.join(aggs)} FROM {panel.wide} GROUP BY g ORDER BY g"), "g")
        for r in f.values():
            r["sx_0"] = r["n"]
        per_xi[xi] = f
    rows: dict[int, Row] = {}
    for i in idx:
        c = cells[i]
        f = per_xi[xi_of(c)]
        tr = [f[c.g]] if c.g in f else []
        co = [f[g] for g in c.controls if g in f]
        r: Row = {"n_t": total(tr, "n"), "n_c": total(co, "n"),
                  "sdy_t": total(tr, f"xy_0_{c.ti}") - total(tr, f"xy_0_{c.bi}")}
        for a in range(p):
            r[f"sx_t_{a}"] = total(tr, f"sx_{a}")
            r[f"xy_{a}"] = total(co, f"xy_{a}_{c.ti}") - total(co, f"xy_{a}_{c.bi}")
            for b in range(a, p):
                r[f"xx_{a}_{b}"] = total(co, f"xx_{a}_{b}")
        rows[i] = r
    return rows


def _cell_weighted_sums(engine: Engine, panel: Panel, cells: list[Cell], live: list[int], dkeys: list[tuple],
                        ddf: dict[str, list], gam: dict, betas: dict, xi_of, joined,
                        scratch: list[str]) -> dict[int, Row]:
    """Per-cell IPW sums at the fitted scores (Σw, ΣwX, ΣwΔY, ΣwΔYX, Σw e, Σw e X, Σp(1−p)XX', max p).

    One query over the distinct propensity designs (cohort, comparison set, covariate period)
    gives ΣwX, ΣwXX' and ΣwX·y_p for every period; each cell's sums are linear in them.
    """
    k, T = panel.k, panel.T
    p = k + 1
    X = ["1.0"] + [f"x{j + 1}" for j in range(k)]
    dd = dict(ddf)
    for a in range(p):
        dd[f"gam{a}"] = [float(gam[d][a]) for d in dkeys]
    dtab = engine.temp_name("did_ds")
    scratch.append(dtab)
    engine.register_columns(dtab, design_table(dd))
    zl = " + ".join(["gam0"] + [f"gam{a} * x{a}" for a in range(1, p)])
    ycols = "".join(f", W.y{t} AS y{t}" for t in range(T))
    gsel = "".join(f", K.gam{a} AS gam{a}" for a in range(p)) + ycols
    base = (f"SELECT R.*, LEAST(praw, {lit(inf.PS_CAP)}) AS pc FROM (SELECT J.*, 1.0 / (1.0 + EXP(-({zl}))) AS praw "
            f"FROM ({joined(dtab, gsel)}) J) R")
    wexpr = f"(1.0 - d) * CASE WHEN pc < {lit(inf.TRIM_LEVEL)} THEN pc / (1.0 - pc) ELSE 0.0 END"
    sums = ["MAX(praw) AS pmax"]
    sums += [f"SUM({wexpr} * {X[a]}) AS swx_{a}" for a in range(p)]
    sums += [f"SUM({wexpr} * {X[a]} * {X[b]}) AS swxx_{a}_{b}" for a in range(p) for b in range(a, p)]
    sums += [f"SUM({wexpr} * {X[a]} * y{t}) AS swxy_{a}_{t}" for a in range(p) for t in range(T)]
    sums += [f"SUM(pc * (1.0 - pc) * {X[a]} * {X[b]}) AS h_{a}_{b}" for a in range(p) for b in range(a, p)]
    D = rows_by(engine.fetch_numpy(f"SELECT cell, {', '.join(sums)} FROM ({base}) Q GROUP BY cell ORDER BY cell"),
                "cell")
    rows: dict[int, Row] = {}
    for i in live:
        c = cells[i]
        r0 = D[dkeys.index((c.g, c.controls, xi_of(c)))]
        beta = betas.get(i, np.zeros(p))
        swx = np.array([r0[f"swx_{a}"] for a in range(p)], dtype=float)
        swxx = _sym(r0, "swxx", p)
        swdyx = np.array([r0[f"swxy_{a}_{c.ti}"] - r0[f"swxy_{a}_{c.bi}"] for a in range(p)], dtype=float)
        r: Row = {"pmax": float(r0["pmax"]), "w_c": float(swx[0]), "swdy": float(swdyx[0]),
                  "swe": float(swdyx[0] - swx @ beta)}
        swex = swdyx - swxx @ beta
        for a in range(p):
            r[f"swx_{a}"] = swx[a]
            r[f"swdyx_{a}"] = swdyx[a]
            r[f"swex_{a}"] = swex[a]
            for b in range(a, p):
                r[f"h_{a}_{b}"] = float(r0[f"h_{a}_{b}"])
        rows[i] = r
    return rows


def covariate_fits(engine: Engine, panel: Panel, cells: list[Cell], est: EstMethod, control: Control,
                   scratch: list[str]) -> tuple[dict[int, CellFit], dict[int, tuple[np.ndarray, int]]]:
    """Fit every cell's regression / propensity model from batched per-cell sums on the engine.

    Returns the fits and the propensity designs their influence functions use: design ->
    (γ, covariate period index)."""
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

    def sym(row: Mapping[str, float], stem: str) -> np.ndarray:
        return _sym(row, stem, p)

    fits: dict[int, CellFit] = {}
    betas: dict[int, np.ndarray] = {}
    for i in idx:
        r = A[i]
        if r["n_t"] == 0 or r["n_c"] == 0:
            fits[i] = CellFit(att=float("nan"))
            continue
        if est in ("reg", "dr"):
            try:
                betas[i] = inf.ols_beta(sym(r, "xx"), np.array([r[f"xy_{a}"] for a in range(p)], dtype=float))
            except inf.SingularCell:
                fits[i] = CellFit(att=float("nan"))
    n = panel.n
    if est == "reg":
        for i in idx:
            if i in fits:
                continue
            r = A[i]
            sx_t = np.array([r[f"sx_t_{a}"] for a in range(p)], dtype=float)
            try:
                rc = inf.reg_cell(float(r["n_t"]), sx_t, float(r["sdy_t"]), sym(r, "xx"),
                                  np.array([r[f"xy_{a}"] for a in range(p)], dtype=float))
            except inf.SingularCell:
                fits[i] = CellFit(att=float("nan"))
                continue
            c = cells[i]
            ti, bi, xi, s_t = c.ti, c.bi, xi_of(c), n / rc.n_t
            if not _finite(s_t, rc.att, rc.beta, rc.a1):
                fits[i] = CellFit(att=float("nan"))
                continue

            def e_reg(b, ti=ti, bi=bi, xi=xi, beta=rc.beta):  # noqa: ANN001, ANN202 - ΔY − Xβ
                return b.dy(ti, bi) - b.lin(beta, xi)
            fits[i] = CellFit(att=rc.att,
                              treated=lambda b, e=e_reg, s=s_t, att=rc.att: s * (e(b) - att),
                              control=lambda b, e=e_reg, s=s_t, xi=xi, a1=rc.a1: -s * e(b) * b.lin(a1, xi))
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
        r = A[designs[d][0]]
        pbar = float(r["n_t"]) / float(r["n_t"] + r["n_c"])
        gam[d] = np.r_[math.log(pbar / (1 - pbar)), np.zeros(k)]
    nd = len(dkeys)
    ddf: dict[str, list] = {"cell": list(range(nd)), "gc": [float(d[0]) for d in dkeys],
                            "ti": [0] * nd, "bi": [0] * nd, "xi": [int(d[2]) for d in dkeys],
                            "thr": [float(cells[designs[d][0]].thr) for d in dkeys],
                            "nyt": [nyt] * nd, "hasnever": [1 if 0.0 in d[1] else 0 for d in dkeys]}
    dtab = engine.temp_name("did_d")
    scratch.append(dtab)
    active = list(range(len(dkeys)))
    gsel = "".join(f", K.gam{a} AS gam{a}" for a in range(p))
    zl = " + ".join(["gam0"] + [f"gam{a} * x{a}" for a in range(1, p)])
    hs = [f"SUM(pr * (1.0 - pr) * {X[a]} * {X[b]}) AS h_{a}_{b}" for a in range(p) for b in range(a, p)]
    hs += [f"SUM((d - pr) * {X[a]}) AS s_{a}" for a in range(p)]
    for _it in range(60):
        dd = {col: [v[j] for j in active] for col, v in ddf.items()}
        for a in range(p):
            dd[f"gam{a}"] = [float(gam[dkeys[j]][a]) for j in active]
        engine.register_columns(dtab, design_table(dd))
        q_ = (f"SELECT cell, d{''.join(f', x{a}' for a in range(1, p))}, 1.0 / (1.0 + EXP(-({zl}))) AS pr "
              f"FROM ({joined(dtab, gsel)}) J")
        S = rows_by(engine.fetch_numpy(f"SELECT cell, {', '.join(hs)} FROM ({q_}) Q GROUP BY cell ORDER BY cell"),
                    "cell")
        still = []
        for j in active:
            r = S[j]
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
            fits[i] = CellFit(att=float("nan"))
    live = [i for i in live if i not in fits]
    if not live:
        return fits, {}
    B = _cell_weighted_sums(engine, panel, cells, live, dkeys, ddf, gam, betas, xi_of, joined, scratch)
    used: dict[int, tuple[np.ndarray, int]] = {}   # design -> (γ, covariate period) of the fitted cells
    for i in live:
        c = cells[i]
        ra, rb = A[i], B[i]
        if float(rb["pmax"]) >= 0.999:   # R did's overlap guard
            fits[i] = CellFit(att=float("nan"))
            continue
        xi = xi_of(c)
        dj = dkeys.index((c.g, c.controls, xi))
        used[dj] = (gam[(c.g, c.controls, xi)], xi)
        ti, bi = c.ti, c.bi
        vec = lambda stem, rb=rb: np.array([rb[f"{stem}_{a}"] for a in range(p)], dtype=float)  # noqa: E731
        try:
            if est == "ipw":
                f = inf.ipw_cell(float(ra["n_t"]), float(ra["sdy_t"]), float(rb["w_c"]), float(rb["swdy"]),
                                 vec("swx"), vec("swdyx"), sym(rb, "h"))
                xa2 = n * f.a2 / f.w_c
                if not _finite(n / f.n_t, f.eta_t, n / f.w_c, f.eta_c, xa2):
                    raise inf.SingularCell("non-finite constant")
                fits[i] = CellFit(
                    att=f.att,
                    treated=lambda b, ti=ti, bi=bi, xi=xi, d=dj, s=n / f.n_t, eta=f.eta_t, xa2=xa2:
                        s * (b.dy(ti, bi) - eta) - (1.0 - b.pc(d)) * b.lin(xa2, xi),
                    control=lambda b, ti=ti, bi=bi, xi=xi, d=dj, s=n / f.w_c, eta=f.eta_c, xa2=xa2:
                        b.pc(d) * b.lin(xa2, xi) - s * b.w(d) * (b.dy(ti, bi) - eta))
            else:
                sx_t = np.array([ra[f"sx_t_{a}"] for a in range(p)], dtype=float)
                f = inf.dr_cell(float(ra["n_t"]), sx_t, float(ra["sdy_t"]), sym(ra, "xx"), betas[i],
                                float(rb["w_c"]), float(rb["swe"]), vec("swx"), vec("swex"), sym(rb, "h"))
                # algebraically simplified DRDID influence function (see influence.DrCell)

                def e_dr(b, ti=ti, bi=bi, xi=xi, beta=f.beta):  # noqa: ANN001, ANN202 - ΔY − Xβ
                    return b.dy(ti, bi) - b.lin(beta, xi)
                xa2 = n * f.a2 / f.w_c
                xv = n * (f.a3 / f.w_c - f.a1 / f.n_t)
                if not _finite(n / f.n_t, f.eta_t, f.beta, n / f.w_c, n * f.eta_c / f.w_c, xa2, xv):
                    raise inf.SingularCell("non-finite constant")
                fits[i] = CellFit(
                    att=f.att,
                    treated=lambda b, e=e_dr, xi=xi, d=dj, s=n / f.n_t, eta=f.eta_t, xa2=xa2:
                        s * (e(b) - eta) - (1.0 - b.pc(d)) * b.lin(xa2, xi),
                    control=lambda b, e=e_dr, xi=xi, d=dj, xv=xv, s=n / f.w_c, c2=n * f.eta_c / f.w_c, xa2=xa2:
                        e(b) * (b.lin(xv, xi) - s * b.w(d)) + c2 * b.w(d) + b.pc(d) * b.lin(xa2, xi))
        except inf.SingularCell:
            fits[i] = CellFit(att=float("nan"))
    return fits, used
