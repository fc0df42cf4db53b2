"""Kendall's W against hand computation and the mean Spearman identity; discourse shares."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.appraise.agreement import discourse_shares, kendall_w, midranks
from reforge.appraise.group import ExpertJudgment
from reforge.errors import InvalidInput


def test_kendall_w_by_hand_and_extremes():
    assert kendall_w([[3, 2, 1], [30, 20, 10]]) == pytest.approx(1.0)
    assert kendall_w([[3, 2, 1], [1, 2, 3]]) == pytest.approx(0.0)
    # 3 experts, 4 items; ranks (1 = best) 1 2 3 4 / 1 3 2 4 / 2 1 4 3: rank sums 4, 6, 9, 11 (mean 7.5)
    # -> S = 12.25 + 2.25 + 2.25 + 12.25 = 29, W = 12 S / (m^2 (n^3 - n)) = 348 / 540
    s = [[4, 3, 2, 1], [4, 2, 3, 1], [3, 4, 1, 2]]
    assert kendall_w(s) == pytest.approx(12 * 29 / (9 * (64 - 4)))
    # ties: expert 2 ties items 2 and 3 (midrank 2.5), T = 2^3 - 2 = 6
    t = [[4, 3, 2, 1], [4, 2, 2, 1], [3, 4, 1, 2]]
    sums = np.array([1 + 1 + 2, 2 + 2.5 + 1, 3 + 2.5 + 4, 4 + 4 + 3])
    assert kendall_w(t) == pytest.approx(12 * ((sums - 7.5) ** 2).sum() / (9 * 60 - 3 * 6))
    assert list(midranks([5, 7, 7, 1])) == [3, 1.5, 1.5, 4]
    with pytest.raises(InvalidInput):
        kendall_w([[1, 2]])


@pytest.mark.parametrize("seed", range(5))
def test_kendall_w_equals_the_mean_spearman_identity(seed):
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(3, 8)), int(rng.integers(4, 12))
    s = rng.normal(size=(m, n)) + rng.normal(size=n) * rng.uniform(0, 2)  # shared signal, no ties
    rho = stats.spearmanr(s.T).statistic
    mean_rho = (rho.sum() - m) / (m * (m - 1))
    assert kendall_w(s) == pytest.approx((mean_rho * (m - 1) + 1) / m, abs=1e-12)


def _m(w):
    w = np.asarray(w, dtype=float)
    return np.outer(w, 1 / w)


PANEL = [ExpertJudgment("d1", _m([0.7, 0.2, 0.1]), "downstream_user"),
         ExpertJudgment("a1", _m([0.1, 0.3, 0.6]), "academic"),
         ExpertJudgment("g1", _m([0.3, 0.5, 0.2]), "government")]


@pytest.mark.parametrize("method", ["aij", "aip"])
def test_downstream_share_rises_monotonically_with_its_weight(method):
    shares = []
    for w in (0.25, 0.5, 1, 1.5, 2, 3, 5, 8):
        d = discourse_shares(PANEL, ["r", "c", "n"], method, role_weights={"downstream_user": w})
        shares.append(d["downstream_user"]["share"])
        assert sum(v["share"] for v in d.values()) == pytest.approx(1)
    assert all(b > a for a, b in zip(shares, shares[1:], strict=False)), shares


def test_leave_role_out_by_hand():
    # two roles, equal voice, consistent matrices: AIP = normalised sqrt(w_d * w_a);
    # leaving one out gives the other's priorities
    two = PANEL[:2]
    d = discourse_shares(two, ["r", "c", "n"], "aip", role_weights={"downstream_user": 1})
    g = np.sqrt(np.array([0.7, 0.2, 0.1]) * np.array([0.1, 0.3, 0.6]))
    g /= g.sum()
    assert d["downstream_user"]["change"] == pytest.approx(0.5 * np.abs(g - [0.1, 0.3, 0.6]).sum())
    assert d["academic"]["change"] == pytest.approx(0.5 * np.abs(g - [0.7, 0.2, 0.1]).sum())
    assert d["downstream_user"]["voice"] == pytest.approx(0.5)
    solo = discourse_shares(PANEL[:1], ["r", "c", "n"])
    assert solo == {"downstream_user": {"change": 1.0, "share": 1.0, "voice": 1.0}}


def test_leave_one_out_rho_flags_the_contrarian():
    stats = pytest.importorskip("scipy.stats")
    from reforge.appraise.agreement import leave_one_out_rho
    rng = np.random.default_rng(4)
    truth = np.arange(6, dtype=float)
    s = np.vstack([truth + rng.normal(0, 0.5, 6) for _ in range(4)] + [-truth])
    rho = leave_one_out_rho(s)
    assert rho[-1] < 0 and (rho[:-1] > 0.5).all()
    for k in range(5):
        ref = stats.spearmanr(s[k], np.delete(s, k, axis=0).mean(axis=0)).statistic
        assert rho[k] == pytest.approx(ref)
    with pytest.raises(InvalidInput):
        leave_one_out_rho([[1, 2, 3], [3, 2, 1]])
