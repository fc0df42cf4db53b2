"""Equality with pymrio (a peer library) on its bundled test MRIO, wherever both compute the same quantity."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.sectors import io

pymrio = pytest.importorskip("pymrio")


@pytest.fixture(scope="module")
def mrio():
    t = pymrio.load_test()
    t.calc_all(include_ghosh=True)
    return t


def _close(a, b, tol=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(1.0, float(np.max(np.abs(b))))
    assert a.shape == b.shape
    assert float(np.max(np.abs(a - b))) <= tol * scale


def test_core_matrices(mrio):
    Z, Y = mrio.Z.to_numpy(), mrio.Y.to_numpy()
    x = io.calc_x(Z, Y)
    _close(x, mrio.x.to_numpy()[:, 0])
    A = io.calc_A(Z, x)
    _close(A, mrio.A.to_numpy())
    L = io.calc_L(A)
    _close(L, mrio.L.to_numpy())
    _close(io.calc_B(Z, x), mrio.B.to_numpy())
    _close(io.calc_G(L, x), mrio.G.to_numpy())
    _close(io.calc_G_direct(io.calc_B(Z, x)), mrio.G.to_numpy())
    # the factorised path gives the same products as the inverse
    F = io.factorize(A)
    _close(F.solve(Y.sum(axis=1)), L @ Y.sum(axis=1))
    _close(F.solve_t(np.ones(len(x))), L.sum(axis=0))


@pytest.mark.parametrize("ext", ["factor_inputs", "emissions"])
def test_extension_multipliers(mrio, ext):
    e = getattr(mrio, ext)
    Z, Y = mrio.Z.to_numpy(), mrio.Y.to_numpy()
    x = io.calc_x(Z, Y)
    L = io.calc_L(io.calc_A(Z, x))
    S = io.calc_S(e.F.to_numpy(), x)
    _close(S, e.S.to_numpy())
    _close(io.effects(S, L), e.M.to_numpy())
    _close(io.effects_downstream(S, io.calc_G(L, x)), e.M_down.to_numpy())


def test_linkages_from_factor_equal_inverse_path(mrio):
    Z, Y = mrio.Z.to_numpy(), mrio.Y.to_numpy()
    x = io.calc_x(Z, Y)
    A = io.calc_A(Z, x)
    L = mrio.L.to_numpy()  # pymrio's inverse as the reference
    for fwd in ("ghosh", "leontief"):
        a = io.linkages(L, x, forward=fwd)
        b = io.linkages_from_factor(io.factorize(A), x, forward=fwd)
        _close(a.backward, b.backward)
        _close(a.forward, b.forward)
        _close(a.backward_raw, L.sum(axis=0))
    _close(io.linkages(L, x, "ghosh").forward_raw, mrio.G.to_numpy().sum(axis=1))
