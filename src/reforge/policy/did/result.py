"""``DidResult``: ATT(g,t) estimates with their influence functions; standard errors (analytic or
multiplier bootstrap, one seeded stream per request), the pre-trend tests, the aggregations and the
stable JSON shape. pandas is imported only for the ``cells`` / ``to_frame()`` tables."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from reforge.policy.aggregate import Aggregate, aggregate
from reforge.policy.blas import single_threaded
from reforge.policy.bootstrap import cluster_sums, mboot
from reforge.policy.dist import chi2_cdf, norm_ppf
from reforge.policy.panel import Panel

if TYPE_CHECKING:
    import pandas as pd

_CELL_COLS = ("group", "time", "att", "post", "base_zero")


class DidResult:
    """ATT(g,t) estimates with influence functions; aggregate with ``.aggregate(kind)``.

    ``cells`` (DataFrame: group, time, att, post, base_zero, se; built on first use),
    ``psi`` (units × cells influence matrix, R scaling), ``crit`` (critical value of the
    uniform band over the cells; 1.96-type pointwise value without bootstrap).
    ``cells=`` takes any mapping of those columns (a DataFrame or a dict of arrays).
    """

    def __init__(self, *, cells: Mapping[str, object], psi: np.ndarray, unit_g: np.ndarray,
                 cluster_codes: np.ndarray | None, panel: Panel, settings: dict, notes: list[str]) -> None:
        self._cols = {c: np.asarray(cells[c], dtype=bool if c in ("post", "base_zero") else float)
                      for c in _CELL_COLS}
        self._frame: pd.DataFrame | None = None
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
        att = self._cols["att"]
        base_zero = self._cols["base_zero"]
        ok = ~np.isnan(att)
        se = np.full(len(att), np.nan)
        self.crit = norm_ppf(1 - self.alp / 2)
        self._gram: np.ndarray | None = None
        if ok.any():
            if self.bootstrap:
                se[ok] = self._se(psi if ok.all() else psi[:, ok], self._stream("cells", "se"))
            else:   # the analytic SEs are the root diagonal of the Gram matrix the pre-test uses too
                d = np.sqrt(np.diag(self._cell_gram())[ok]) / self.n
                se[ok] = np.where(np.isfinite(d) & (d > 1e-300), d, np.nan)
            if self.bootstrap:
                self.crit = self._crit(psi[:, ok & ~base_zero], self._stream("cells", "crit"))
        se[base_zero] = np.nan
        se[~np.isfinite(se) | (se <= 0)] = np.nan
        self._cols["se"] = se
        self.pretest = self._pretest()
        self._agg: dict[tuple, Aggregate] = {}

    @property
    def cells(self) -> pd.DataFrame:
        """The ATT(g,t) table: group, time, att, post, base_zero, se (one row per cell)."""
        if self._frame is None:
            import pandas as pd
            self._frame = pd.DataFrame({c: self._cols[c] for c in (*_CELL_COLS, "se")})
        return self._frame

    # -- inference -------------------------------------------------------------------
    def _stream(self, *label: object) -> np.random.Generator:
        """A generator of its own for the bootstrap named ``label`` (e.g. ``("aggregate",
        "dynamic", None, -inf, inf)``): ``SeedSequence(seed, spawn_key=digest(label))``. The same
        seed and label give the same draws whatever was computed before."""
        digest = hashlib.blake2b(repr(label).encode(), digest_size=16).digest()
        key = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
        return np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=key))

    def _cell_gram(self) -> np.ndarray:
        """S'S for S the (cluster-summed) influence matrix, NaN columns as zeros: cells × cells,
        computed once (one pass over the units × cells matrix) for the SEs and the pre-test."""
        if self._gram is None:
            psi = self.psi if not np.isnan(self.psi).any() else np.nan_to_num(self.psi)
            s = cluster_sums(psi, self.cluster_codes)
            self._gram = s.T @ s
        return self._gram

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
        pw = norm_ppf(1 - self.alp / 2)
        if m.shape[1] == 0:
            return pw
        rng = rng if rng is not None else self._stream("crit")
        c = mboot(m, biters=max(self.bootstrap, 999), alp=self.alp, codes=self.cluster_codes, rng=rng).crit
        return c if np.isfinite(c) and c >= pw else pw

    def _pretest(self) -> dict | None:
        """Wald test that all pre-treatment ATT(g,t) are zero (analytic covariance, as R ``did``)."""
        if self.cluster_codes is not None and self.bootstrap:
            return None
        c = self._cols
        a = float(self.settings.get("anticipation", 0))
        att = c["att"]
        gram = self._cell_gram()
        se = np.sqrt(np.diag(gram)) / self.n
        pre = np.flatnonzero((c["group"] - a > c["time"]) & np.isfinite(att)
                             & (se > 0) & np.isfinite(se))
        if pre.size == 0:
            return None
        v = gram[np.ix_(pre, pre)] / self.n
        try:
            rc = 1.0 / np.linalg.cond(v, 1)
            if not np.isfinite(rc) or rc <= np.finfo(float).eps:
                return None
            w = float(self.n * att[pre] @ np.linalg.solve(v, att[pre]))
        except np.linalg.LinAlgError:
            return None
        return {"stat": w, "df": int(pre.size), "p": 1 - chi2_cdf(pre.size, w)}

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
        return {"stat": w, "df": int(lead.size), "p": 1 - chi2_cdf(lead.size, w)}

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
        c = self._cols
        # the aggregate's own streams (SEs and band): requests in any order give the same numbers
        label = ("aggregate", kind, None if balance_e is None else int(balance_e), float(min_e), float(max_e))
        se_rng = self._stream(*label, "se")
        crit_rng = self._stream(*label, "crit")

        def se_fn(m: np.ndarray) -> np.ndarray:
            return self._se(m, se_rng)

        def crit_fn(m: np.ndarray) -> float:
            return self._crit(m, crit_rng)

        return aggregate(
            kind, att=c["att"], cell_g=c["group"], cell_t=c["time"], psi=self.psi, unit_g=self.unit_g,
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
        c = self._cols
        rows = [{"group": _num(g), "time": _num(t), "att": _f(a), "se": _f(s)}
                for g, t, a, s in zip(c["group"], c["time"], c["att"], c["se"], strict=True)]
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
