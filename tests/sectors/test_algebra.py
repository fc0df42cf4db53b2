"""Closed-form extraction, type II multipliers and the factorised path against brute-force references."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.sectors import io


def random_table(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A productive random table: Z (n×n, some zeros), f > 0, x = Z1 + f."""
    rng = np.random.default_rng(seed)
    Z = rng.gamma(0.6, 10.0, (n, n)) * (rng.random((n, n)) < 0.7)
    f = rng.gamma(2.0, 30.0, n) + 1.0
    # scale columns so that intermediate inputs are < 80 % of output
    for _ in range(3):
        x = Z.sum(axis=1) + f
        share = Z.sum(axis=0) / x
        Z = Z * np.minimum(1.0, 0.8 / np.maximum(share, 1e-12))[None, :]
    return Z, f, Z.sum(axis=1) + f


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("n", [2, 7, 30])
def test_extraction_closed_form_equals_reinversion(n, seed):
    Z, f, x = random_table(n, seed)
    A = io.calc_A(Z, x)
    ex = io.extraction(io.calc_L(A), f)
    for j in range(n):
        tot, bwd, fwd = io.extraction_bruteforce(A, f, j)
        assert ex.total[j] == pytest.approx(tot, rel=1e-9, abs=1e-9 * x.sum())
        assert ex.backward[j] == pytest.approx(bwd, rel=1e-9, abs=1e-9 * x.sum())
        assert ex.forward[j] == pytest.approx(fwd, rel=1e-9, abs=1e-9 * x.sum())
    assert ex.share == pytest.approx(ex.total / x.sum())


def test_extraction_hand_2x2():
    # Miller & Blair 2x2: extracting sector 1 leaves x2 = f2 / (1 - a22) = 1700 / 0.95
    A = np.array([[0.15, 0.25], [0.20, 0.05]])
    f = np.array([350.0, 1700.0])
    ex = io.extraction(io.calc_L(A), f)
    assert ex.total[0] == pytest.approx(3000.0 - 1700.0 / 0.95, rel=1e-12)
    assert ex.total[1] == pytest.approx(3000.0 - 350.0 / 0.85, rel=1e-12)
    # backward extraction of sector 1 (column 1 of A zeroed): x = (I - Ā)^-1 f by hand
    x2 = (1700.0 + 0.0 * 350.0) / 0.95
    x1 = 350.0 + 0.25 * x2
    assert ex.backward[0] == pytest.approx(3000.0 - (x1 + x2), rel=1e-12)


def test_type_ii_miyazawa_and_constant_ratio():
    Z, f, x = random_table(6, 11)
    A = io.calc_A(Z, x)
    rng = np.random.default_rng(5)
    h = rng.uniform(0.1, 0.3, 6)          # labour income per unit of output
    c = rng.dirichlet(np.ones(6)) * 0.7   # household spending per unit of income
    L = io.calc_L(A)
    t2 = io.type_ii_multipliers(A, h, c)
    # Miyazawa (1976): closed household row = k · hL with k = 1 / (1 − hLc)
    k = 1.0 / (1.0 - h @ L @ c)
    np.testing.assert_allclose(t2["income_effects"], k * (h @ L), rtol=1e-12)
    # type II / type I income multipliers are the same for every sector (Miller & Blair §6.2)
    ratio = t2["income"] / io.type_i_multipliers(h, L)
    np.testing.assert_allclose(ratio, np.full(6, k), rtol=1e-12)
    # closed output multipliers exceed the open ones
    assert (t2["output"] > io.output_multipliers(L)).all()


def test_domestic_coefficients_competitive():
    A = np.array([[0.2, 0.1], [0.3, 0.4]])
    m = io.import_share_competitive(np.array([50.0, 0.0]), np.array([100.0, 80.0]),
                                    np.array([150.0, 20.0]), np.array([50.0, 0.0]))
    np.testing.assert_allclose(m, [0.25, 0.0])
    np.testing.assert_allclose(io.domestic_coefficients(A, m), [[0.15, 0.075], [0.3, 0.4]])


def test_zero_output_sector_gives_zero_coefficients():
    Z = np.array([[1.0, 0.0], [0.0, 0.0]])
    x = np.array([10.0, 0.0])
    A = io.calc_A(Z, x)
    assert np.isfinite(A).all() and A[:, 1].tolist() == [0.0, 0.0]
    assert io.calc_B(Z, x)[1].tolist() == [0.0, 0.0]


def test_bad_forward_option():
    with pytest.raises(ValueError, match="forward must be 'ghosh' or 'leontief'"):
        io.linkages(np.eye(2), np.ones(2), forward="supply")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs the output vector"):
        io.linkages(np.eye(2), None, forward="ghosh")


def test_singular_system_detected():
    with pytest.raises(ValueError, match="singular"):
        io.factorize(np.array([[0.5, 0.5], [0.5, 0.5]]))


def test_type_ii_miyazawa_equals_closed_inverse():
    Z, f, x = random_table(8, 21)
    A = io.calc_A(Z, x)
    rng = np.random.default_rng(9)
    h = rng.uniform(0.1, 0.4, 8)
    c = rng.dirichlet(np.ones(8)) * 0.8
    L = io.calc_L(A)
    ref = io.type_ii_multipliers(A, h, c)  # explicit (n+1)×(n+1) inverse
    got = io.type_ii_miyazawa(L.sum(axis=0), h @ L, L @ c, h)
    for key in ("output", "income_effects", "income"):
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-12)
    with pytest.raises(ValueError, match="not productive"):
        io.type_ii_miyazawa(L.sum(axis=0), h @ L, L @ (c * 100), h)
