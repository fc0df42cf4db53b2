"""ATT(g,t), analytic SEs, aggregations and the pre-test against the PyPI package csdid on random panels."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

from reforge.engine import DuckDBEngine
from reforge.policy import att_gt
from tests.policy.panels import staggered_panel

csdid_att = pytest.importorskip("csdid.att_gt")

CASES = [
    # est, control, base, covariates, unbalanced, time-varying x, anticipation
    ("dr", "never", "varying", False, False, False, 0),
    ("dr", "notyet", "universal", False, True, False, 0),
    ("dr", "never", "varying", True, False, False, 0),
    ("dr", "notyet", "varying", True, True, True, 0),
    ("dr", "never", "universal", True, True, True, 0),
    ("ipw", "never", "varying", True, False, False, 0),
    ("ipw", "notyet", "universal", True, True, True, 0),
    ("reg", "never", "universal", True, False, True, 0),
    ("reg", "notyet", "varying", True, True, False, 0),
    ("dr", "never", "varying", False, False, False, 1),
    ("dr", "notyet", "universal", True, False, False, 1),
]


def _csdid(df, est, control, base, cov, antic, cluster=None):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        m = csdid_att.ATTgt(yname="y", tname="year", idname="id", gname="g", data=df.copy(),
                            xformla="y ~ x1 + x2" if cov else "y ~ 1", anticipation=antic, clustervar=cluster,
                            control_group="nevertreated" if control == "never" else "notyettreated")
        m.fit(est_method=est, base_period=base, bstrap=False)
        aggs = {}
        for kind in ("simple", "group", "calendar", "dynamic"):
            m.aggte(kind)
            aggs[kind] = (m.atte["overall_att"], m.atte["overall_se"], m.atte["att_egt"], m.atte["se_egt"])
    return m, aggs


@pytest.mark.parametrize("est,control,base,cov,unbalanced,tv,antic", CASES)
def test_matches_csdid(est, control, base, cov, unbalanced, tv, antic):
    df = staggered_panel(n=200, T=6 + antic, seed=len(est) + 7 * antic + 3 * cov + 5 * unbalanced, unbalanced=unbalanced,
                         time_varying=tv)
    m, aggs = _csdid(df, est, control, base, cov, antic)
    with DuckDBEngine() as e:
        e.register("p", df)
        r = att_gt(e, "p", unit="uid", time="year", group="g", outcome="y", covariates=["x1", "x2"] if cov else None,
                   control=control, base_period=base, est_method=est, anticipation=antic)
        ref_att = np.asarray(m.results["att"], float)
        ref_se = np.asarray(m.results["se"], float)
        assert list(r.cells["group"]) == [float(g) for g in m.results["group"]]
        assert list(r.cells["time"]) == [float(t) for t in m.results["year"]]
        np.testing.assert_allclose(r.cells["att"].to_numpy(), ref_att, atol=1e-6, rtol=0)
        np.testing.assert_allclose(r.cells["se"].to_numpy(), ref_se, atol=1e-6, rtol=0, equal_nan=True)
        if m.MP["Wpval"] is not None:
            assert r.pretest["p"] == pytest.approx(m.MP["Wpval"], abs=1e-5)
        for kind, (att, se, by_att, by_se) in aggs.items():
            a = r.aggregate(kind)
            assert a.att == pytest.approx(float(att), abs=1e-6), kind
            assert a.se == pytest.approx(float(np.ravel(se)[0]), abs=1e-6), kind
            if by_att is not None:
                np.testing.assert_allclose([b["att"] for b in a.by], np.asarray(by_att, float), atol=1e-6)
                np.testing.assert_allclose([b["se"] for b in a.by], np.ravel(np.asarray(by_se, float)), atol=1e-6)


def test_cluster_ses_match_csdid():
    df = staggered_panel(n=200, T=5, seed=11)
    df["clid"] = df["id"] % 13
    m, aggs = _csdid(df, "dr", "never", "varying", True, 0, cluster="clid")
    with DuckDBEngine() as e:
        e.register("p", df)
        r = att_gt(e, "p", unit="id", time="year", group="g", outcome="y", covariates=["x1", "x2"], cluster="clid")
        np.testing.assert_allclose(r.cells["se"].to_numpy(), np.asarray(m.results["se"], float), atol=1e-6)
        assert r.aggregate("simple").se == pytest.approx(float(np.ravel(aggs["simple"][1])[0]), abs=1e-6)
        assert r.pretest["p"] == pytest.approx(m.MP["Wpval"], abs=1e-5)


def test_cluster_bootstrap_agrees_with_clustered_analytic_ses():
    """Multiplier bootstrap over clusters (Rademacher per cluster) ≈ clustered analytic SEs."""
    df = staggered_panel(n=400, T=5, seed=12)
    df["clid"] = df["id"] % 40
    with DuckDBEngine() as e:
        e.register("p", df)
        kw = dict(unit="id", time="year", group="g", outcome="y", cluster="clid")
        ana = att_gt(e, "p", **kw)
        boot = att_gt(e, "p", bootstrap=2000, seed=5, **kw)
    ratio = boot.cells["se"].to_numpy() / ana.cells["se"].to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.15), ratio
    assert boot.pretest is None            # R did: no analytic pre-test with a clustered bootstrap
    assert boot.crit > 1.96
    assert abs(boot.aggregate("dynamic").se / ana.aggregate("dynamic").se - 1) < 0.15


@pytest.mark.parametrize("control,base", [("never", "varying"), ("notyet", "universal")])
def test_unbalanced_repeated_cross_sections_match_csdid(control, base):
    """allow_unbalanced (no covariates) = csdid with allow_unbalanced_panel=True (RC estimator, unit IF)."""
    df = staggered_panel(n=200, T=5, seed=21, unbalanced=True)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        m = csdid_att.ATTgt(yname="y", tname="year", idname="id", gname="g", data=df.copy(), xformla="y ~ 1",
                            allow_unbalanced_panel=True,
                            control_group="nevertreated" if control == "never" else "notyettreated")
        m.fit(est_method="dr", base_period=base, bstrap=False)
        m.aggte("dynamic")
    assert m.dp["panel"] is False   # csdid really took the unbalanced path
    with DuckDBEngine() as e:
        e.register("p", df)
        r = att_gt(e, "p", unit="id", time="year", group="g", outcome="y", control=control, base_period=base,
                   allow_unbalanced=True)
    assert not r.panel.balanced and r.n == 200 and r.n_obs == len(df)
    np.testing.assert_allclose(r.cells["att"].to_numpy(), np.asarray(m.results["att"], float), atol=1e-9)
    np.testing.assert_allclose(r.cells["se"].to_numpy(), np.asarray(m.results["se"], float), atol=1e-9,
                               equal_nan=True)
    dyn = r.aggregate("dynamic")
    assert dyn.att == pytest.approx(float(m.atte["overall_att"]), abs=1e-9)
    assert dyn.se == pytest.approx(float(np.ravel(m.atte["overall_se"])[0]), abs=1e-9)
    if m.MP["Wpval"] is not None:
        assert r.pretest["p"] == pytest.approx(m.MP["Wpval"], abs=1e-5)


def test_unbalanced_with_covariates_is_refused():
    from reforge.errors import ReforgeError
    df = staggered_panel(n=60, T=4, seed=2, unbalanced=True)
    with DuckDBEngine() as e:
        e.register("p", df)
        with pytest.raises(ReforgeError, match="unbalanced panels with covariates are not supported"):
            att_gt(e, "p", unit="id", time="year", group="g", outcome="y", covariates=["x1"], allow_unbalanced=True)
