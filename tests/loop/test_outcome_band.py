"""The outcome band on a hand-made item panel (tests/loop/outcome_data.py): the numpy ATT behind the
placebo band equals the policy capability's estimate and a hand computation; the placebo band (used
when every treated item moved by the same whole level) equals a brute-force enumeration of every
placebo assignment; a continuous outcome keeps the analytic band."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from reforge.engine import DuckDBEngine
from reforge.loop.outcome import Z95, item_panel, project_outcome
from reforge.loop.placebo import simple_att
from tests.loop.outcome_data import LAG, SHARE, START, YEARS, make_outcome_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_outcome_db(tmp_path_factory.mktemp("loop_band") / "b.duckdb")


def _gap() -> dict[str, tuple[int, ...]]:
    """Technology gap per item and year by hand: 5 - 3, one less from the level-4 producer's year."""
    up = {i: s + LAG for i, s in START.items()} | {"N1": 2024}
    return {i: tuple(2 - (i in up and y >= up[i]) for y in YEARS) for i in SHARE}


def _cs_simple(y: dict[str, tuple], g: dict[str, int], comparisons: list[str]) -> float:
    """Simple CS ATT by hand: cohort-size weighted mean of the post cells, base year g - 1."""
    num = den = 0.0
    for c in sorted(set(g.values())):
        members = [i for i, v in g.items() if v == c]
        b = YEARS.index(c) - 1
        for t in range(YEARS.index(c), len(YEARS)):
            dt = np.mean([y[i][t] - y[i][b] for i in members])
            dc = np.mean([y[i][t] - y[i][b] for i in comparisons])
            num += len(members) * (dt - dc)
            den += len(members)
    return num / den


def test_att_equals_hand_computation_and_numpy(db):
    share = {i: tuple(v / 100 for v in s) for i, s in SHARE.items()}
    g = {i: s + LAG for i, s in START.items()}
    controls = [i for i in SHARE if i not in START]
    with DuckDBEngine(db, read_only=True) as e:
        panel = item_panel(e)
        for name, y in (("domestic_share", share), ("tech_gap", _gap())):
            r = project_outcome(e, name, lag=LAG)
            assert r.estimable and r.n_treated == 4 and r.n_controls == 8
            assert r.att == pytest.approx(_cs_simple(y, g, controls), abs=1e-12)
            wide = panel.pivot(index="item_id", columns="year", values=name)
            gv = wide.index.map(lambda i: g.get(i, 0)).to_numpy()
            assert simple_att(wide.to_numpy(), list(YEARS), gv)[0] == pytest.approx(r.att, abs=1e-12)
    assert _cs_simple(_gap(), g, controls) == pytest.approx(-6.5 / 7)


def test_placebo_band_equals_brute_force(db):
    with DuckDBEngine(db, read_only=True) as e:
        r = project_outcome(e, "tech_gap", lag=LAG)
    assert r.band == "placebo" and "loop.outcome.placebo_band" in [n.code for n in r.notes]
    gap = _gap()
    controls = [i for i in SHARE if i not in START]
    # every assignment of the treated cohorts (three from 2023, one from 2024) to the comparison items,
    # each placebo ATT against all eight comparison items
    placebo = []
    for three in combinations(controls, 3):
        for one in (i for i in controls if i not in three):
            placebo.append(_cs_simple(gap, {**dict.fromkeys(three, 2023), one: 2024}, controls))
    assert len(placebo) == math.comb(8, 3) * 5 == r.band_draws
    p = sorted(placebo)
    hi_q, lo_q = p[math.ceil(0.975 * (len(p) - 1))], p[math.floor(0.025 * (len(p) - 1))]
    lo, hi = r.ci
    assert lo == pytest.approx(r.att - hi_q, abs=1e-9) and hi == pytest.approx(r.att - lo_q, abs=1e-9)
    assert lo <= -1 <= hi  # covers the planted one level
    assert (lo, hi) == pytest.approx((-1.0, -6 / 7))  # by hand: q(0.975) = +1/14 (no N1), q(0.025) = -1/14


def test_continuous_outcome_keeps_the_analytic_band(db):
    with DuckDBEngine(db, read_only=True) as e:
        r = project_outcome(e, "domestic_share", lag=LAG)
        d = project_outcome(e, "tech_gap", lag=LAG, control="notyet").to_dict()
    assert r.band == "analytic" and r.band_draws == 0
    assert r.ci == pytest.approx((r.att - Z95 * r.se, r.att + Z95 * r.se))
    assert r.ci[0] <= 0.10 <= r.ci[1]
    assert d["band"] == "placebo" and d["ci_low"] <= -1 <= d["ci_high"]
