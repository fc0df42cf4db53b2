"""Each aggregate's bootstrap draws from its own seeded stream: request order does not matter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.policy import att_gt
from tests.conftest import FIXTURES

MPDTA = FIXTURES / "policy" / "mpdta.csv"
KINDS = ["simple", "group", "dynamic", "calendar"]


@pytest.fixture(scope="module")
def engine():
    e = DuckDBEngine(":memory:")
    e.register("mpdta", pd.read_csv(MPDTA))
    yield e
    e.close()


def _fit(engine, seed):
    return att_gt(engine, "mpdta", unit="countyreal", time="year", group="first.treat", outcome="lemp",
                  bootstrap=499, seed=seed)


def _numbers(res, order):
    out = {}
    for k in order:
        a = res.aggregate(k)
        out[k] = (a.se, a.crit, [r.get("se") for r in a.by])
    return out


def test_same_seed_any_order_gives_identical_bootstrap_ses(engine):
    first = _numbers(_fit(engine, 11), KINDS)
    second = _numbers(_fit(engine, 11), list(reversed(KINDS)))
    third = _numbers(_fit(engine, 11), ["dynamic", "simple", "calendar", "group"])
    # equal up to float summation order (DuckDB's parallel sums differ in the last bits between
    # fits); a different stream would move each SE by whole per cent, 10 orders above this tolerance
    for other in (second, third):
        for k in KINDS:
            se, crit, by = other[k]
            assert se == pytest.approx(first[k][0], rel=1e-9)
            assert crit == (None if first[k][1] is None else pytest.approx(first[k][1], rel=1e-9))
            assert by == pytest.approx(first[k][2], rel=1e-9)
    # the cell-level SEs (computed before any aggregate) agree too
    a, b = _fit(engine, 11), _fit(engine, 11)
    b.aggregate("dynamic")
    np.testing.assert_allclose(a.cells["se"].to_numpy(), b.cells["se"].to_numpy(), rtol=1e-9)


def test_the_streams_are_random_draws_not_constants(engine):
    a, b = _fit(engine, 11), _fit(engine, 12)
    assert a.aggregate("dynamic").se != b.aggregate("dynamic").se  # a different seed draws differently
    # ... and each bootstrap SE estimates the analytic one (499 draws: within 15 %)
    an = att_gt(engine, "mpdta", unit="countyreal", time="year", group="first.treat", outcome="lemp")
    for k in KINDS:
        assert a.aggregate(k).se == pytest.approx(an.aggregate(k).se, rel=0.15)
    # the simple and the group aggregate do not share draws: their bootstrap errors differ
    ratios = [a.aggregate(k).se / an.aggregate(k).se for k in KINDS]
    assert len(set(np.round(ratios, 12))) == len(KINDS)
