"""The same estimate on Spark equals the DuckDB one (1e-9), and input validation on either engine."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from reforge.policy import att_gt
from tests.conftest import put_tables
from tests.policy.panels import staggered_panel

SPECS = [dict(), dict(covariates=["x1", "x2"], control="notyet", base_period="universal", cluster="cl"),
         dict(allow_unbalanced=True, anticipation=1)]


@pytest.mark.parametrize("spec", SPECS, ids=["uncond", "dr-notyet-universal-cluster", "unbalanced-anticipation"])
def test_engine_equals_duckdb(any_engine, spec):
    df = staggered_panel(n=150, T=5, seed=3, unbalanced=True, time_varying=True)
    df.loc[df.index[::37], "y"] = np.nan   # pandas NaN: NULL in DuckDB, NaN in Spark; both dropped
    with DuckDBEngine() as ref_engine:
        ref_engine.register("p", df)
        ref = att_gt(ref_engine, "p", unit="uid", time="year", group="g", outcome="y", **spec).to_dict()
    put_tables(any_engine, {"p": df})
    got = att_gt(any_engine, "p", unit="uid", time="year", group="g", outcome="y", **spec).to_dict()
    assert got["n_units"] == ref["n_units"] and got["n_obs"] == ref["n_obs"]
    np.testing.assert_allclose([c["att"] for c in got["att_gt"]], [c["att"] for c in ref["att_gt"]], atol=1e-9)
    np.testing.assert_allclose(np.array([c["se"] for c in got["att_gt"]], dtype=float),
                               np.array([c["se"] for c in ref["att_gt"]], dtype=float), atol=1e-9)
    for kind in ("simple", "group", "calendar", "dynamic"):
        assert got["aggregate"][kind]["att"] == pytest.approx(ref["aggregate"][kind]["att"], abs=1e-9)
        assert got["aggregate"][kind]["se"] == pytest.approx(ref["aggregate"][kind]["se"], abs=1e-9)
    assert got["pretest"]["p"] == pytest.approx(ref["pretest"]["p"], abs=1e-9)


def _bad(engine, df, match, **kw):
    put_tables(engine, {"p": df})
    args = dict(unit="uid", time="year", group="g", outcome="y")
    args.update(kw)
    with pytest.raises(ReforgeError, match=match):
        att_gt(engine, "p", **args)


def test_bad_inputs():
    df = staggered_panel(n=60, T=4, seed=1)
    with DuckDBEngine() as e:
        _bad(e, df, "outcome column 'nope' not in p", outcome="nope")
        _bad(e, df, "covariate column 'z' not in p", covariates=["z"])
        _bad(e, df, "control must be", control="sometimes")
        _bad(e, df, "base_period must be", base_period="fixed")
        _bad(e, df, "est_method must be", est_method="ols")
        _bad(e, df, "anticipation must be", anticipation=-1)
        _bad(e, df, "duplicate covariates", covariates=["x1", "x1"])
        _bad(e, df.iloc[:0], "is empty")
        _bad(e, df.assign(g=np.where(df["year"] == 2011, 2012, df["g"])), "changes over time")
        import pandas as pd
        _bad(e, pd.concat([df, df.iloc[:3]]), "duplicate \\(uid, year\\) pairs")
        _bad(e, df.assign(g=0), "no treated cohorts")
        _bad(e, df.assign(y=np.nan), "no rows left")
        _bad(e, df.assign(cl=df["year"].astype(str)), "cluster column 'cl' varies", cluster="cl")
    with pytest.raises(ReforgeError, match="table 'missing' not found"):
        with DuckDBEngine() as e:
            att_gt(e, "missing", unit="u", time="t", group="g", outcome="y")


def test_never_treated_absent_uses_last_cohort():
    df = staggered_panel(n=120, T=6, seed=2)
    df = df[df["g"].isin([2012, 2013, 2014])]
    with DuckDBEngine() as e:
        e.register("p", df)
        r = att_gt(e, "p", unit="uid", time="year", group="g", outcome="y", control="notyet")
        assert set(r.cells["group"]) == {2012.0, 2013.0}
        assert any("no never-treated units" in n for n in r.notes)
