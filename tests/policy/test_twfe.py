"""TWFE comparators against statsmodels OLS with explicit unit and year dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from reforge.engine import DuckDBEngine
from reforge.policy.panel import prepare_panel
from reforge.policy.twfe import twfe
from tests.policy.panels import staggered_panel


@pytest.mark.parametrize("kind", ["static", "event"])
def test_twfe_matches_dummy_regression(kind):
    df = staggered_panel(n=80, T=5, seed=4)
    with DuckDBEngine() as e, e.scratch() as scratch:
        e.register("p", df)
        panel = prepare_panel(e, "p", unit="id", time="year", group="g", outcome="y", scratch=scratch)
        r = twfe(e, panel, kind)
        # the same panel as the estimator sees it (cohort 2030 > last year -> never treated)
        d = df.assign(g=np.where(df["g"] > df["year"].max(), 0, df["g"]))
        if kind == "static":
            d["D"] = ((d["g"] > 0) & (d["year"] >= d["g"])).astype(float)
            terms = ["D"]
        else:
            ev = d["year"] - d["g"]
            lo, hi = int(ev[d.g > 0].min()), int(ev[d.g > 0].max())
            terms = []
            for k in range(lo, hi + 1):
                if k == -1:
                    continue
                name = f"e_{k}".replace("-", "m")
                cond = (ev <= k) if k == lo else (ev >= k) if k == hi else (ev == k)
                d[name] = ((d["g"] > 0) & cond).astype(float)
                terms.append(name)
        fit = smf.ols(f"y ~ {' + '.join(terms)} + C(id) + C(year)", data=d).fit(
            cov_type="cluster", cov_kwds={"groups": d["id"]})
    got = r.coef.set_index("term")
    n, k_full, k = len(d), int(fit.df_model) + 1, len(terms)
    # statsmodels counts the dummies in K; ours counts slopes only (FE nested in clusters)
    rescale = np.sqrt(((n - 1) / (n - k)) / ((n - 1) / (n - k_full)))
    for term, name in zip(got.index, terms, strict=True):
        assert got.loc[term, "estimate"] == pytest.approx(fit.params[name], abs=1e-9)
        assert got.loc[term, "se"] == pytest.approx(fit.bse[name] * rescale, rel=1e-7)
    assert r.n_obs == len(d)


def test_twfe_rejects_unknown_kind():
    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "g": [2, 2, 0, 0], "y": [1.0, 2.0, 1.0, 1.5]})
    with DuckDBEngine() as e, e.scratch() as scratch:
        e.register("p", df)
        panel = prepare_panel(e, "p", unit="u", time="t", group="g", outcome="y", scratch=scratch)
        with pytest.raises(ValueError, match="kind must be"):
            twfe(e, panel, "dynamic")
