"""Switch points of the top alternative by hand and by brute force; rank stability."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.appraise.scoring import topsis, vikor, weighted_sum
from reforge.appraise.sensitivity import rank_stability, switch_points
from reforge.errors import InvalidInput


def test_weighted_sum_switch_by_hand():
    # a0 is best on criterion 0, a1 on criterion 1; min-max scores are w0 and w1: the top flips at 0.5
    x = [[10.0, 0.0], [0.0, 10.0], [5.0, 5.0]]
    sp = switch_points(x, [0.6, 0.4], method="weighted_sum")
    assert sp[0]["below"] == pytest.approx(0.5, abs=1e-8) and sp[0]["above"] is None and sp[0]["top_below"] == 1
    assert sp[1]["above"] == pytest.approx(0.5, abs=1e-8) and sp[1]["below"] is None


@pytest.mark.parametrize("method", ["topsis", "weighted_sum", "vikor"])
@pytest.mark.parametrize("seed", range(4))
def test_switch_points_agree_with_brute_force(method, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 10, (5, 3))
    w = rng.dirichlet([3, 3, 3])
    score = {"topsis": lambda x, w: topsis(x, w), "weighted_sum": lambda x, w: weighted_sum(x, w),
             "vikor": lambda x, w: -vikor(x, w)[2]}[method]
    base = int(np.argmax(score(x, w)))
    for row in switch_points(x, w, method=method):
        j = row["criterion"]
        for side, t in (("below", row["below"]), ("above", row["above"])):
            if t is None:
                continue
            moved = lambda s, j=j: np.insert(np.delete(w, j) / np.delete(w, j).sum() * (1 - s), j, s)  # noqa: E731
            assert int(np.argmax(score(x, moved(t)))) != base
            inside = t + 1e-6 if side == "below" else t - 1e-6
            assert int(np.argmax(score(x, moved(inside)))) == base
            # nothing switches between the weight and the switch point (a fine scan)
            lo, hi = sorted((w[j], t))
            for s in np.linspace(lo, hi, 400)[1:-1]:
                assert int(np.argmax(score(x, moved(s)))) == base


def test_rank_stability_extremes():
    dominant = [[10.0, 10.0, 10.0], [1.0, 2.0, 1.0], [2.0, 1.0, 2.0]]
    r = rank_stability(dominant, [1, 1, 1], draws=200)
    assert r["top_kept"] == 1.0
    close = [[10.0, 9.9], [9.9, 10.0]]
    r = rank_stability(close, [0.5, 0.5], method="weighted_sum", draws=400, seed=1)
    assert 0.3 < r["top_kept"] < 0.7  # a coin toss around equal weights
    assert rank_stability(close, [0.5, 0.5], draws=50, seed=3) == rank_stability(close, [0.5, 0.5], draws=50, seed=3)
    with pytest.raises(InvalidInput):
        rank_stability(close, [0.5, 0.5], draws=0)
    with pytest.raises(InvalidInput):
        switch_points(close, [0.5, 0.5], method="electre")
