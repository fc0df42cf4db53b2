"""The standard-library normal quantile and chi-square CDF against scipy.special (and a closed form)."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy.special import chdtr, ndtri

from reforge.policy.dist import chi2_cdf, norm_ppf


def test_norm_ppf_matches_ndtri() -> None:
    ps = np.r_[np.linspace(1e-6, 1 - 1e-6, 2001), 0.975, 0.95, 0.995, 0.75, 0.25]
    got = np.array([norm_ppf(float(p)) for p in ps])
    np.testing.assert_allclose(got, ndtri(ps), rtol=4e-16 * 8, atol=2e-15)
    assert norm_ppf(0.75) - norm_ppf(0.25) == pytest.approx(ndtri(0.75) - ndtri(0.25), abs=0)


def _sf_even(df: int, x: float) -> float:
    """Chi-square upper tail for even df in 60-digit decimals: e^{-z} Σ_{i<df/2} z^i / i!."""
    getcontext().prec = 60
    z = Decimal(x) / 2
    term, total = Decimal(1), Decimal(0)
    for i in range(df // 2):
        if i:
            term = term * z / i
        total += term
    return float((-z).exp() * total)


@pytest.mark.parametrize("df", [1, 2, 3, 7, 18, 45, 120])
def test_chi2_p_values_match_scipy(df: int) -> None:
    xs = np.r_[np.geomspace(1e-6, 1e3, 400), np.linspace(df - 3, df + 3, 61).clip(1e-3)]
    ours = np.array([1 - chi2_cdf(df, float(x)) for x in xs])
    np.testing.assert_allclose(ours, 1 - chdtr(df, xs), rtol=0, atol=1e-13)
    if df % 2 == 0:   # against the exact closed form, not only scipy
        exact = np.array([_sf_even(df, float(x)) for x in xs])
        np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-13)


def test_chi2_edges() -> None:
    assert chi2_cdf(3, 0.0) == 0.0 and chi2_cdf(3, -1.0) == 0.0 and chi2_cdf(3, math.inf) == 1.0
    assert math.isnan(chi2_cdf(3, math.nan))
    assert 1 - chi2_cdf(2, 1e4) == 0.0
