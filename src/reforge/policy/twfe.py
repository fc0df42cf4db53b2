"""Two-way fixed-effects comparators (static and event study) on a balanced panel, set-based.

For a balanced panel the two-way within transformation is exact:
z̃_it = z_it − z̄_i − z̄_t + z̄. The engine computes the demeaned cross-products
Z̃'Z̃ and Z̃'ỹ; numpy solves the normal equations. Standard errors are clustered
by unit (CR1: G/(G−1)·(N−1)/(N−K), K = number of slope coefficients, the
fixed effects being nested in the clusters), from per-unit score sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reforge.engine import Engine
from reforge.policy.panel import Panel


@dataclass
class TwfeResult:
    """Coefficients (``coef``: term, estimate, se) of the static (``D``) or event-study (``e=…``) TWFE."""

    kind: str
    coef: pd.DataFrame
    n_units: int
    n_obs: int

    def to_dict(self) -> dict:
        return {"kind": self.kind, "n_units": self.n_units, "n_obs": self.n_obs,
                "coef": self.coef.to_dict(orient="records")}


def _long_sql(panel: Panel) -> str:
    """The balanced long panel (u, t, y, g) unpivoted from the wide table."""
    parts = [f"SELECT u, g, CAST({t!r} AS DOUBLE) AS t, y{p} AS y FROM {panel.wide}" for p, t in enumerate(panel.tlist)]
    return " UNION ALL ".join(parts)


def twfe(engine: Engine, panel: Panel, kind: str = "static", *, min_e: int | None = None,
         max_e: int | None = None) -> TwfeResult:
    """Static TWFE (one dummy D = 1[t ≥ g > 0]) or event study (dummies for each event time but −1,
    end points binned at ``min_e``/``max_e``) on the prepared panel."""
    tl = panel.tlist
    if kind == "static":
        terms = {"D": "CASE WHEN g > 0 AND t >= g THEN 1.0 ELSE 0.0 END"}
    elif kind == "event":
        es = sorted({int(t - g) for g in panel.glist for t in tl})
        lo = max(min(es), min_e) if min_e is not None else min(es)
        hi = min(max(es), max_e) if max_e is not None else max(es)
        terms = {}
        for e in range(lo, hi + 1):
            if e == -1:
                continue
            cond = f"t - g = {e}"
            if e == lo:
                cond = f"t - g <= {e}"
            elif e == hi:
                cond = f"t - g >= {e}"
            terms[f"e={e}"] = f"CASE WHEN g > 0 AND {cond} THEN 1.0 ELSE 0.0 END"
    else:
        raise ValueError("kind must be 'static' or 'event'")
    names = list(terms)
    k = len(names)
    cols = ", ".join(f"{sql} AS z{j}" for j, sql in enumerate(terms.values()))
    base = f"SELECT u, t, y, {cols} FROM ({_long_sql(panel)}) L"
    vs = ["y"] + [f"z{j}" for j in range(k)]
    dm = ", ".join(f"{v} - AVG({v}) OVER (PARTITION BY u) - AVG({v}) OVER (PARTITION BY t) + AVG({v}) OVER () AS {v}"
                   for v in vs)
    demeaned = f"SELECT u, {dm} FROM ({base}) B"
    xx = [f"SUM(z{a} * z{b}) AS xx_{a}_{b}" for a in range(k) for b in range(a, k)]
    xy = [f"SUM(z{a} * y) AS xy_{a}" for a in range(k)]
    with engine.scratch() as scratch:
        dname = engine.temp_name("twfe")
        scratch.append(dname)
        engine.materialize(dname, demeaned)
        s = engine.fetch_df(f"SELECT COUNT(*) AS n, {', '.join(xx + xy)} FROM {dname}").iloc[0]
        m = np.empty((k, k))
        for a in range(k):
            for b in range(a, k):
                m[a, b] = m[b, a] = s[f"xx_{a}_{b}"]
        v = np.array([s[f"xy_{a}"] for a in range(k)], dtype=float)
        keep = np.flatnonzero(np.diag(m) > 1e-12)
        beta = np.full(k, np.nan)
        beta[keep] = np.linalg.solve(m[np.ix_(keep, keep)], v[keep])
        resid = "y - (" + " + ".join([f"({float(beta[a])!r}) * z{a}" for a in keep] or ["0"]) + ")"
        sc = engine.fetch_df(f"SELECT u, {', '.join(f'SUM(z{a} * ({resid})) AS s{a}' for a in keep)} "
                             f"FROM {dname} GROUP BY u ORDER BY u")
    n_obs = int(s["n"])
    g_ = len(sc)
    meat = sc[[f"s{a}" for a in keep]].to_numpy(float)
    bread = np.linalg.inv(m[np.ix_(keep, keep)])
    kk = len(keep)
    adj = g_ / (g_ - 1) * (n_obs - 1) / (n_obs - kk) if g_ > 1 and n_obs > kk else np.nan
    vcov = adj * bread @ (meat.T @ meat) @ bread
    se = np.full(k, np.nan)
    se[keep] = np.sqrt(np.diag(vcov))
    coef = pd.DataFrame({"term": names, "estimate": beta, "se": se})
    return TwfeResult(kind=kind, coef=coef, n_units=panel.n, n_obs=n_obs)
