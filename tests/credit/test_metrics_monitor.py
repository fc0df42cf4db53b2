"""AUC/KS/Gini against scikit-learn and scipy; PSI by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from reforge.credit.monitor import psi, psi_status, score_psi
from reforge.credit.validate import auc, calibration_table, ks, metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_and_ks_match_peers(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(500) < 0.2).astype(int)
    risk = np.round(rng.normal(size=500) + y, 1)  # ties on purpose
    assert auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)
    assert ks(y, risk) == pytest.approx(ks_2samp(risk[y == 1], risk[y == 0]).statistic, abs=1e-12)
    m = metrics(y, risk)
    assert m["gini"] == pytest.approx(2 * m["auc"] - 1) and m["n"] == 500


def test_metrics_degenerate():
    assert math.isnan(auc(np.array([1, 1]), np.array([0.1, 0.2])))
    assert math.isnan(ks(np.array([0, 0]), np.array([0.1, 0.2])))


def test_calibration_table_deciles():
    p = np.linspace(0.01, 0.5, 100)
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    t = calibration_table(y, p)
    assert t["n"].tolist() == [10] * 10
    assert t["observed"].tolist() == [0.0] * 5 + [1.0] * 5
    assert t["mean_pd"].iloc[0] == pytest.approx(p[:10].mean())


def test_psi_by_hand():
    # shares 0.5/0.5 -> 0.25/0.75: (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5)
    want = -0.25 * math.log(0.5) + 0.25 * math.log(1.5)
    assert psi(np.array([50, 50]), np.array([25, 75])) == pytest.approx(want)
    assert psi(np.array([1, 2, 3]), np.array([2, 4, 6])) == pytest.approx(0.0)
    assert psi_status(0.05) == "stable" and psi_status(0.2) == "watch" and psi_status(0.3) == "shifted"
    # an empty bin is floored at 1e-4, not infinite
    assert math.isfinite(psi(np.array([10, 0]), np.array([5, 5])))


def test_score_psi_same_and_shifted():
    rng = np.random.default_rng(0)
    a = rng.normal(600, 40, 5000).round()
    assert score_psi(a, a) == pytest.approx(0.0)
    assert score_psi(a, a + 40) > 0.25


@pytest.mark.parametrize("e, a, msg", [([1, 2], [1], "same length"), ([0, 0], [1, 1], "at least one"),
                                       ([], [], "same length")])
def test_psi_bad_input(e, a, msg):
    with pytest.raises(ValueError, match=msg):
        psi(np.array(e), np.array(a))
