"""AHP, group aggregation, objective weights and scoring against published examples,
hand computations, a power iteration and pymcdm (test-only)."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.appraise import ahp
from reforge.appraise.group import ExpertJudgment, group_weights
from reforge.appraise.objective import critic_weights, entropy_weights
from reforge.appraise.scoring import ranks, topsis, weighted_sum
from reforge.errors import InvalidInput

SAATY_3 = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


def _from_priorities(w):
    w = np.asarray(w, dtype=float)
    return np.outer(w, 1 / w)


def _perturbed(rng, n, spread):
    """A near-consistent reciprocal matrix: w_i/w_j times lognormal noise (upper half mirrored)."""
    w = rng.uniform(1, 9, n)
    m = _from_priorities(w)
    noise = np.exp(rng.normal(0, spread, (n, n)))
    iu = np.triu_indices(n, 1)
    m[iu] *= noise[iu]
    m[(iu[1], iu[0])] = 1 / m[iu]
    return m


_SCALE = np.array([1 / k for k in range(9, 1, -1)] + list(range(1, 10)), dtype=float)


def _saaty_scale(rng, n, consistent):
    """A reciprocal matrix on Saaty's 1-9 scale (what pymcdm accepts): exactly consistent
    (priorities from {1, 2, 4, 8}) or near-consistent (ratios of random w rounded to the scale)."""
    w = rng.choice([1.0, 2.0, 4.0, 8.0], n) if consistent else rng.uniform(1, 9, n)
    m = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a = _SCALE[np.argmin(np.abs(np.log(_SCALE) - np.log(w[i] / w[j])))]
            m[i, j], m[j, i] = a, 1 / a
    return m


def _power(m, iters=2000):
    """Principal eigenvector by power iteration (an independent algorithm)."""
    v = np.ones(len(m)) / len(m)
    for _ in range(iters):
        v = m @ v
        v /= v.sum()
    return v, float((m @ v).sum() / v.sum())


def test_saaty_three_criteria_example():
    # Saaty's textbook 3x3 (1 3 5 / 1/3 1 3 / 1/5 1/3 1): w = .637 .258 .105, lambda 3.039, CR .033
    c = ahp.consistency(SAATY_3)
    assert np.allclose(c.priorities, [0.637, 0.258, 0.105], atol=5e-4)
    assert c.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert c.ci == pytest.approx(0.0193, abs=1e-4) and c.ri == 0.58
    assert c.cr == pytest.approx(0.0332, abs=1e-4) and c.consistent


def test_hand_computed_cases():
    c = ahp.consistency([[1, 4], [0.25, 1]])  # n = 2: w = (4/5, 1/5), always consistent
    assert np.allclose(c.priorities, [0.8, 0.2]) and c.cr == 0 and c.lambda_max == pytest.approx(2)
    w = [0.5, 0.25, 0.15, 0.1]
    c = ahp.consistency(_from_priorities(w))  # a consistent matrix gives back w, lambda = n
    assert np.allclose(c.priorities, w, atol=1e-12) and c.lambda_max == pytest.approx(4) and c.cr < 1e-9
    # a cyclic 3x3 (a > b by 9, b > c by 9, c > a by 9): lambda = 1 + 9 + 1/9 ... far from consistent
    cyc = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    c = ahp.consistency(cyc)
    # for a circulant matrix the Perron root is the sum of a row and w is uniform
    assert c.lambda_max == pytest.approx(1 + 9 + 1 / 9) and np.allclose(c.priorities, 1 / 3)
    assert c.cr == pytest.approx((1 + 9 + 1 / 9 - 3) / 2 / 0.58) and not c.consistent


def test_random_index_table_and_limits():
    assert ahp.random_index(3) == 0.58 and ahp.random_index(4) == 0.90 and ahp.random_index(15) == 1.59
    with pytest.raises(InvalidInput) as e:
        ahp.consistency(np.ones((16, 16)))
    assert e.value.code == "appraise.ahp.size"


@pytest.mark.parametrize("bad, code", [
    ([[1, 2], [2, 1]], "appraise.ahp.not_reciprocal"),
    ([[1, 2, 3], [0.5, 1, 2]], "appraise.ahp.not_square"),
    ([[2, 1], [1, 2]], "appraise.ahp.diagonal"),
    ([[1, -1], [-1, 1]], "appraise.ahp.not_positive"),
    ([[1, float("nan")], [float("nan"), 1]], "appraise.ahp.not_positive"),
    ([["a", "b"], ["c", "d"]], "appraise.ahp.not_numeric"),
])
def test_bad_matrices_are_refused(bad, code):
    with pytest.raises(InvalidInput) as e:
        ahp.consistency(bad)
    assert e.value.code == code


@pytest.mark.parametrize("seed", range(8))
def test_priorities_equal_power_iteration_and_pymcdm(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 10))
    m = _saaty_scale(rng, n, consistent=seed % 2 == 0)
    c = ahp.consistency(m)
    if seed % 2 == 0:
        assert c.cr < 1e-9
    v, lam = _power(m)
    assert np.allclose(c.priorities, v, atol=1e-9) and c.lambda_max == pytest.approx(lam, abs=1e-9)
    pymcdm_ahp = pytest.importorskip("pymcdm.weights.subjective").AHP
    ref = pymcdm_ahp(matrix=m)
    assert np.allclose(c.priorities, ref(), atol=1e-9)
    # pymcdm divides the same CI by Tummala & Ling's random index; rescale to Saaty's
    ri_tl = pymcdm_ahp.RI_M[n - 1]
    assert c.cr == pytest.approx(ref.get_cr() * ri_tl / ahp.SAATY_RI[n - 1], abs=1e-9)


def test_repair_reaches_threshold_keeps_reciprocity_and_leaves_consistent_alone():
    rng = np.random.default_rng(3)
    m = _perturbed(rng, 6, 0.9)
    before = ahp.consistency(m)
    assert not before.consistent
    r = ahp.repair(m, lam=0.8)
    assert r.after.consistent and r.iterations >= 1 and r.after.cr < before.cr
    assert np.allclose(r.matrix * r.matrix.T, 1) and np.allclose(np.diag(r.matrix), 1)
    # one Xu-Wei step by hand: a^lam * (w_i/w_j)^(1-lam)
    one = ahp.repair(m, lam=0.8, threshold=-1, max_iter=1)
    hand = m ** 0.8 * _from_priorities(before.priorities) ** 0.2
    assert np.allclose(one.matrix, hand)
    # lambda_max never rises step by step (Xu & Wei, theorem 1)
    lams = [ahp.repair(m, 0.8, threshold=-1, max_iter=k).after.lambda_max for k in range(5)]
    assert all(b <= a + 1e-12 for a, b in zip(lams, lams[1:], strict=False))
    ok = ahp.repair(SAATY_3)
    assert ok.iterations == 0 and np.array_equal(ok.matrix, np.asarray(SAATY_3, dtype=float))


def test_aij_and_aip_match_hand_computation():
    a, b = _from_priorities([0.6, 0.3, 0.1]), _from_priorities([0.2, 0.3, 0.5])
    # consistent inputs: AIJ of w_a^.75 w_b^.25 ratios = normalised geometric mean of priorities = AIP
    gm = np.array([0.6, 0.3, 0.1]) ** 0.75 * np.array([0.2, 0.3, 0.5]) ** 0.25
    gm /= gm.sum()
    assert np.allclose(ahp.aggregate_priorities([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]], [3, 1]), gm)
    assert np.allclose(ahp.consistency(ahp.aggregate_judgments([a, b], [3, 1])).priorities, gm)
    g = ahp.aggregate_judgments([SAATY_3, np.ones((3, 3))], [1, 1])
    assert g[0, 2] == pytest.approx(np.sqrt(5)) and g[2, 0] == pytest.approx(1 / np.sqrt(5))


def _panel():
    down = _from_priorities([0.7, 0.2, 0.1])   # downstream users value criterion 0 (reliability)
    acad = _from_priorities([0.1, 0.2, 0.7])   # academics value criterion 2 (novelty)
    return [ExpertJudgment("d1", down, "downstream_user"), ExpertJudgment("a1", acad, "academic"),
            ExpertJudgment("a2", acad, "academic")]


@pytest.mark.parametrize("method", ["aij", "aip"])
def test_role_weights_move_the_group_towards_the_heavier_role(method):
    crit = ["reliability", "cost", "novelty"]
    prev = None
    for w_down in (0.5, 1, 2, 4, 8):
        g = group_weights(_panel(), crit, method, role_weights={"downstream_user": w_down})
        if prev is not None:
            assert g.weights[0] > prev[0] and g.weights[2] < prev[2]
        prev = g.weights
    # the default rules give downstream users twice an academic's voice: d1 = 2 / (2 + 1 + 1)
    g = group_weights(_panel(), crit, method)
    assert [o.voice for o in g.experts] == pytest.approx([0.5, 0.25, 0.25])
    gm = np.array([0.7, 0.2, 0.1]) ** 0.5 * np.array([0.1, 0.2, 0.7]) ** 0.5
    assert np.allclose(g.weights, gm / gm.sum())


def test_inconsistent_matrix_is_excluded_repaired_or_refused_never_used_silently():
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    judg = [*_panel(), ExpertJudgment("x", bad, "downstream_user", weight=5)]
    crit = ["r", "c", "n"]
    ex = group_weights(judg, crit)
    assert ex.experts[3].status == "excluded" and ex.experts[3].voice == 0
    assert np.allclose(ex.weights, group_weights(_panel(), crit).weights)
    assert [n.code for n in ex.notes] == ["appraise.note.excluded_inconsistent"]
    rep = group_weights(judg, crit, on_inconsistent="repair")
    assert rep.experts[3].status == "repaired" and rep.experts[3].cr_after <= 0.1 and rep.experts[3].voice > 0
    with pytest.raises(InvalidInput) as e:
        group_weights(judg, crit, on_inconsistent="error")
    assert e.value.code == "appraise.ahp.inconsistent" and e.value.params["expert"] == "x"
    with pytest.raises(InvalidInput) as e:
        group_weights([judg[3]], crit)
    assert e.value.code == "appraise.group.none_usable"
    with pytest.raises(InvalidInput) as e:
        group_weights(_panel(), crit, role_weights={"astrologer": 3})
    assert e.value.code == "appraise.role.unknown"
    with pytest.raises(InvalidInput):
        group_weights(_panel(), crit, role_weights={"academic": -1})


def test_entropy_and_critic_by_hand():
    x = np.array([[1.0, 2.0], [1.0, 4.0], [2.0, 2.0]])
    p = x / x.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(3)
    assert np.allclose(entropy_weights(x), (1 - e) / (1 - e).sum())
    assert np.allclose(entropy_weights([[0.0, 1.0], [3.0, 1.0], [1.0, 2.0]])[0] > 0.5, True)  # 0 ln 0 = 0
    # CRITIC: two columns perfectly anti-correlated, equal spread -> equal weights
    assert np.allclose(critic_weights([[0, 1], [1, 0], [2, -1]]), [0.5, 0.5])
    # a constant column carries nothing
    assert critic_weights([[1, 5, 2], [2, 5, 1], [3, 5, 7]])[1] == 0
    # a cost column is reversed before correlating: x and -x as (benefit, cost) agree fully
    w = critic_weights([[1, -1, 0], [2, -2, 5], [3, -3, 1], [4, -4, 2]], [1, -1, 1])
    assert w[0] == pytest.approx(w[1])


@pytest.mark.parametrize("seed", range(6))
def test_objective_weights_equal_pymcdm(seed):
    w_mod = pytest.importorskip("pymcdm.weights")
    x = np.random.default_rng(seed).uniform(1, 100, (7, 5))
    assert np.allclose(entropy_weights(x), w_mod.entropy_weights(x), atol=1e-9)
    assert np.allclose(critic_weights(x), w_mod.critic_weights(x), atol=1e-9)


def test_topsis_and_weighted_sum_by_hand():
    x = [[250, 16], [200, 16], [300, 32]]  # price (cost), memory (benefit)
    t = [-1, 1]
    r = np.asarray(x, dtype=float) / np.sqrt((np.asarray(x, dtype=float) ** 2).sum(axis=0))
    v = r * [0.5, 0.5]
    best, worst = np.array([v[:, 0].min(), v[:, 1].max()]), np.array([v[:, 0].max(), v[:, 1].min()])
    dp, dm = np.linalg.norm(v - best, axis=1), np.linalg.norm(v - worst, axis=1)
    assert np.allclose(topsis(x, [1, 1], t), dm / (dp + dm))
    # weighted sum on min-max: price 250 -> 0.5, 200 -> 1, 300 -> 0; memory 0, 0, 1
    assert np.allclose(weighted_sum(x, [0.5, 0.5], t), [0.25, 0.5, 0.5])
    assert list(ranks([0.25, 0.5, 0.5])) == [3, 1, 1]


@pytest.mark.parametrize("seed", range(6))
def test_topsis_and_wsm_equal_pymcdm(seed):
    methods = pytest.importorskip("pymcdm.methods")
    norms = pytest.importorskip("pymcdm.normalizations")
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(1, 50, (int(rng.integers(3, 12)), int(rng.integers(2, 7))))
    w = rng.uniform(0.1, 1, x.shape[1])
    w /= w.sum()
    t = rng.choice([-1, 1], x.shape[1])
    t[0] = 1
    assert np.allclose(topsis(x, w, t, "minmax"), methods.TOPSIS()(x, w, t), atol=1e-9)
    assert np.allclose(topsis(x, w, t, "vector"),
                       methods.TOPSIS(norms.vector_normalization)(x, w, t), atol=1e-9)
    assert np.allclose(weighted_sum(x, w, t), methods.WSM(norms.minmax_normalization)(x, w, t), atol=1e-9)


@pytest.mark.parametrize("call", [
    lambda: topsis([[1, 2]], [1, 1]),
    lambda: topsis([[1, 2], [3, float("inf")]], [1, 1]),
    lambda: topsis([[1, 2], [3, 4]], [1, -1]),
    lambda: topsis([[1, 2], [3, 4]], [1, 1], [1, 0]),
    lambda: topsis([[1, 2], [3, 4]], [1, 1], normalization="sum"),
    lambda: entropy_weights([[1, -2], [3, 4]]),
    lambda: critic_weights([[1, 2], [3, 4]]),
])
def test_bad_decision_inputs_are_refused(call):
    with pytest.raises(InvalidInput):
        call()


@pytest.mark.parametrize("seed", range(6))
def test_vikor_equals_pymcdm(seed):
    from reforge.appraise.scoring import vikor
    methods = pytest.importorskip("pymcdm.methods")
    rng = np.random.default_rng(200 + seed)
    x = rng.uniform(1, 50, (int(rng.integers(3, 12)), int(rng.integers(2, 7))))
    w = rng.uniform(0.1, 1, x.shape[1])
    w /= w.sum()
    t = rng.choice([-1, 1], x.shape[1])
    for v in (0.0, 0.5, 0.8):
        _, _, q = vikor(x, w, t, v)
        assert np.allclose(q, methods.VIKOR(v=v)(x, w, t), atol=1e-9)


def test_vikor_by_hand():
    from reforge.appraise.scoring import vikor
    x = [[10.0, 1.0], [5.0, 2.0], [0.0, 3.0]]  # benefit, cost
    s, r, q = vikor(x, [0.6, 0.4], [1, -1])
    # terms: a0 (0, 0), a1 (0.3, 0.2), a2 (0.6, 0.4)
    assert np.allclose(s, [0, 0.5, 1.0]) and np.allclose(r, [0, 0.3, 0.6]) and np.allclose(q, [0, 0.5, 1])
    with pytest.raises(InvalidInput):
        vikor(x, [0.6, 0.4], [1, -1], v=2)
