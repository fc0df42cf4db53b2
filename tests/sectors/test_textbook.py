"""Textbook tables against their published answers (Miller & Blair; Eurostat manual / Beutel; NL 2000).

Published numbers are typed here from ``tests/fixtures/sectors/io_textbook/SOURCE.md`` (which
quotes the textbooks and the iotables package tests); tolerances follow the printed decimals.
"""

from __future__ import annotations

import numpy as np
import pytest

from reforge.sectors import analyze, analyze_table, io, read_table
from tests.conftest import FIXTURES

TB = FIXTURES / "sectors" / "io_textbook"


@pytest.fixture(scope="module")
def mb():
    return read_table(TB / "miller_blair_2x2.csv")


@pytest.fixture(scope="module")
def de():
    return read_table(TB / "germany1995_beutel_siot.csv")


@pytest.fixture(scope="module")
def nl():
    return read_table(TB / "netherlands2000_siot.csv")


def test_miller_blair_leontief_inverse(mb):
    A = io.calc_A(mb.Z, mb.x)
    np.testing.assert_allclose(A, [[0.15, 0.25], [0.20, 0.05]], atol=1e-12)
    L = io.calc_L(A)
    np.testing.assert_array_equal(np.round(L, 4), [[1.2541, 0.3300], [0.2640, 1.1221]])
    np.testing.assert_allclose(L @ mb.f, [1000, 2000], rtol=1e-12)
    # new final demand (600, 1500) -> x = (1247.52, 1841.58), printed to 2 decimals
    np.testing.assert_allclose(io.factorize(A).solve(np.array([600.0, 1500.0])), [1247.52, 1841.58], atol=5e-3)


def test_miller_blair_contract(mb):
    out = analyze(mb)
    assert out["n"] == 2
    assert [set(s) for s in out["sectors"]] == [{"code", "output_multiplier", "backward_linkage",
                                                 "forward_linkage", "class", "extraction_loss"}] * 2
    assert [s["code"] for s in out["sectors"]] == ["agriculture", "manufacturing"]
    # column sums of L by hand: (1.2541+0.2640, 0.3300+1.1221)
    assert out["sectors"][0]["output_multiplier"] == pytest.approx(1.5181, abs=1e-4)
    assert out["sectors"][1]["output_multiplier"] == pytest.approx(1.4521, abs=1e-4)


def test_beutel_coefficients_and_inverse(de):
    A = io.calc_A(de.Z, de.x)
    assert A[0, 0] == pytest.approx(0.0258, abs=5e-5)
    assert A[1, 1] == pytest.approx(0.2822, abs=5e-5)
    assert A[2, 2] == pytest.approx(0.0158, abs=5e-5)
    L = io.calc_L(A)
    np.testing.assert_allclose(np.diag(L)[:3], [1.0339, 1.4292, 1.0289], atol=5e-5)
    np.testing.assert_allclose(io.output_multipliers(L), [1.7048, 1.8413, 1.8136, 1.6035, 1.5951, 1.3782],
                               atol=5e-5)


def test_beutel_ghosh_forward_linkages(de):
    A = io.calc_A(de.Z, de.x)
    L = io.calc_L(A)
    G = io.calc_G(L, de.x)
    np.testing.assert_allclose(G.sum(axis=1), [2.1126, 1.6910, 1.3558, 1.5848, 2.1037, 1.2106], atol=5e-5)
    np.testing.assert_allclose(G[:, 0], [1.0339, 0.0118, 0.0037, 0.0103, 0.0117, 0.0043], atol=5e-5)
    # G = x̂⁻¹ L x̂ equals the direct inverse of I − B
    np.testing.assert_allclose(G, io.calc_G_direct(io.calc_B(de.Z, de.x)), rtol=1e-12, atol=1e-14)
    res = analyze_table(de, forward="ghosh")
    np.testing.assert_allclose(res.frame["forward_sum"], G.sum(axis=1), rtol=1e-12)


def test_beutel_gva_and_employment_multipliers(de):
    res = analyze_table(de).frame
    v = de.value_added / de.x
    np.testing.assert_allclose(v, [0.4934, 0.3659, 0.4708, 0.5766, 0.5999, 0.7172], atol=5e-5)
    np.testing.assert_allclose(res["gva_effect"], [0.8450, 0.7647, 0.8615, 0.9019, 0.9393, 0.9199], atol=5e-5)
    np.testing.assert_allclose(res["employment_effect"], [0.0326, 0.0162, 0.0207, 0.0237, 0.0112, 0.0242],
                               atol=5e-5)
    np.testing.assert_allclose(res["output_multiplier"], [1.7048, 1.8413, 1.8136, 1.6035, 1.5951, 1.3782],
                               atol=5e-5)


def test_netherlands_income_multipliers(nl):
    res = analyze_table(nl).frame
    np.testing.assert_allclose(res["income_effect"], [0.263, 0.099, 0.306, 0.212, 0.465, 0.493], atol=5e-4)
    np.testing.assert_allclose(res["income_multiplier"], [2.466, 2.333, 1.840, 2.372, 1.953, 1.417], atol=5e-4)


def test_linkage_indices_mean_one_and_classes(de):
    res = analyze_table(de, forward="leontief").frame
    assert res["backward_linkage"].mean() == pytest.approx(1.0, abs=1e-12)
    assert res["forward_linkage"].mean() == pytest.approx(1.0, abs=1e-12)
    L = io.calc_L(io.calc_A(de.Z, de.x))
    np.testing.assert_allclose(res["forward_linkage"], 6 * L.sum(axis=1) / L.sum(), rtol=1e-12)
    np.testing.assert_allclose(res["backward_linkage"], 6 * L.sum(axis=0) / L.sum(), rtol=1e-12)
    bl, fl = res["backward_linkage"].to_numpy(), res["forward_linkage"].to_numpy()
    for c, b, f in zip(res["class"], bl, fl, strict=True):
        assert c == {(True, True): "key", (True, False): "backward_oriented",
                     (False, True): "forward_oriented", (False, False): "weak"}[(b > 1, f > 1)]
