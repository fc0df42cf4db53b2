"""mpdta (R did package data) against the numbers printed in the did documentation (fixture SOURCE.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.policy import att_gt
from tests.conftest import FIXTURES

MPDTA = FIXTURES / "policy" / "mpdta.csv"

# SOURCE.md section A: (group, time) -> ATT, and the bootstrap SEs of docs/reference/att_gt.md
PUBLISHED_A = {
    (2004, 2004): (-0.0105, 0.0258), (2004, 2005): (-0.0704, 0.0341), (2004, 2006): (-0.1373, 0.0384),
    (2004, 2007): (-0.1008, 0.0354), (2006, 2004): (0.0065, 0.0235), (2006, 2005): (-0.0028, 0.0192),
    (2006, 2006): (-0.0046, 0.0184), (2006, 2007): (-0.0412, 0.0207), (2007, 2004): (0.0305, 0.0161),
    (2007, 2005): (-0.0027, 0.0157), (2007, 2006): (-0.0311, 0.0184), (2007, 2007): (-0.0261, 0.0176),
}
# SOURCE.md section C
PUBLISHED_LPOP_NEVER = [-0.0145, -0.0764, -0.1404, -0.1069, -0.0005, -0.0062, 0.0010, -0.0413,
                        0.0267, -0.0046, -0.0284, -0.0288]
PUBLISHED_LPOP_NOTYET = [-0.0212, -0.0816, -0.1382, -0.1069, -0.0075, -0.0046, 0.0087, -0.0413,
                         0.0269, -0.0042, -0.0284, -0.0288]


@pytest.fixture(scope="module")
def engine():
    e = DuckDBEngine(":memory:")
    e.register("mpdta", pd.read_csv(MPDTA))
    yield e
    e.close()


def _run(engine, **kw):
    return att_gt(engine, "mpdta", unit="countyreal", time="year", group="first.treat", outcome="lemp", **kw)


def test_att_gt_unconditional(engine):
    r = _run(engine)
    got = {(int(g), int(t)): a for g, t, a in r.cells[["group", "time", "att"]].itertuples(index=False)}
    assert set(got) == set(PUBLISHED_A)
    for k, (att, _) in PUBLISHED_A.items():
        assert round(got[k], 4) == pytest.approx(att, abs=1e-12), k
    assert round(r.pretest["p"], 3) == 0.168
    assert round(r.pretest["p"], 5) == 0.16812
    assert r.n == 500 and r.n_obs == 2500


@pytest.mark.parametrize("control,expected,p", [("never", PUBLISHED_LPOP_NEVER, 0.23267),
                                                ("notyet", PUBLISHED_LPOP_NOTYET, 0.23326)])
def test_att_gt_with_lpop(engine, control, expected, p):
    r = _run(engine, covariates=["lpop"], control=control)
    assert np.round(r.cells["att"].to_numpy(), 4) == pytest.approx(expected, abs=1e-12)
    assert round(r.pretest["p"], 5) == p


def test_aggregations(engine):
    r = _run(engine)
    assert round(r.aggregate("simple").att, 4) == -0.0400
    dyn = r.aggregate("dynamic")
    assert round(dyn.att, 4) == -0.0772
    assert {b["e"]: round(b["att"], 4) for b in dyn.by} == {
        -3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373, 3: -0.1008}
    grp = r.aggregate("group")
    assert round(grp.att, 4) == -0.0310
    assert [round(b["att"], 4) for b in grp.by] == [-0.0797, -0.0229, -0.0261]
    cal = r.aggregate("calendar")
    assert round(cal.att, 4) == -0.0417
    assert [round(b["att"], 4) for b in cal.by] == [-0.0105, -0.0704, -0.0488, -0.0371]
    bal = r.aggregate("dynamic", balance_e=1)
    assert round(bal.att, 4) == -0.0288
    assert [round(b["att"], 4) for b in bal.by] == [0.0065, -0.0028, -0.0066, -0.0510]


def test_bootstrap_ses_within_15_percent(engine):
    r = _run(engine, bootstrap=1000, seed=9152024)
    for (g, t), (_, se) in PUBLISHED_A.items():
        got = float(r.cells.loc[(r.cells.group == g) & (r.cells.time == t), "se"].iloc[0])
        assert abs(got - se) / se < 0.15, (g, t, got, se)
    # aggregations (SOURCE.md B, aggte.md SEs)
    for kind, se in [("simple", 0.0119), ("dynamic", 0.0208), ("group", 0.0126), ("calendar", 0.0175)]:
        got = r.aggregate(kind).se
        assert abs(got - se) / se < 0.15, (kind, got, se)
    dyn = r.aggregate("dynamic")
    assert dyn.crit > 1.96  # a uniform band is wider than the pointwise one
    # simultaneous bands: only (2004,2006) and (2004,2007) exclude zero (SOURCE.md A)
    f = r.to_frame()
    sig = {(int(g), int(t)) for g, t, lo, hi in f[["group", "time", "lower", "upper"]].itertuples(index=False)
           if lo > 0 or hi < 0}
    assert sig == {(2004, 2006), (2004, 2007)}


def test_json_shape(engine):
    d = _run(engine).to_dict()
    assert set(d) == {"att_gt", "aggregate", "pretest", "n_units", "n_obs"}
    assert set(d["att_gt"][0]) == {"group", "time", "att", "se"}
    assert set(d["aggregate"]) == {"simple", "group", "calendar", "dynamic"}
    assert set(d["aggregate"]["simple"]) == {"att", "se"}
    assert set(d["aggregate"]["group"]["by"][0]) == {"group", "att", "se"}
    assert set(d["aggregate"]["calendar"]["by"][0]) == {"time", "att", "se"}
    assert set(d["aggregate"]["dynamic"]["by"][0]) == {"e", "att", "se"}
    assert set(d["pretest"]) == {"stat", "df", "p"}


def test_wif_product_equals_dense_formula():
    """The O(n) weight-influence product equals R did's dense ``wif`` matrix times the ATTs."""
    from reforge.policy.aggregate import unit_codes, wif, wif_times
    rng = np.random.default_rng(0)
    unit_g = rng.choice([0.0, 3.0, 4.0, 6.0], size=50)
    cell_g = np.array([3.0, 3.0, 4.0, 4.0, 6.0, 6.0])
    pg = np.array([(unit_g == g).mean() for g in cell_g])
    att = rng.normal(size=6)
    keep = np.array([0, 2, 3, 5])
    cohorts = np.array([3.0, 4.0, 6.0])
    np.testing.assert_allclose(wif_times(keep, pg, unit_codes(unit_g, cohorts), cohorts, cell_g, att),
                               wif(keep, pg, unit_g, cell_g) @ att[keep], atol=1e-13)
