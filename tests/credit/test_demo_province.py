"""Acceptance on the demo province: out-of-time AUC, monotone default rate per grade,
and the planted default drivers found (``reforge.demo.generate.PLANTED["default_model"]``)."""

from __future__ import annotations

import numpy as np
import pytest

from reforge.credit import score, train
from reforge.credit.pipeline import is_monotone


def _demo(tmp_path_factory, n: int):
    from reforge.demo.load import build_demo
    path = tmp_path_factory.mktemp(f"demo{n}") / "demo.duckdb"
    build_demo(path, n_firms=n, seed=7)
    return path


@pytest.fixture(scope="module")
def demo_small(tmp_path_factory):
    return _demo(tmp_path_factory, 2000)


def test_demo_out_of_time_auc_and_planted_drivers(demo_small):
    r = train(demo_small)
    assert r.year == 2024  # defaults run to 2025 in the demo: features of 2024 -> outcomes 2025
    # measured 0.889 out of time (1,670 firms, 34 defaults; `reforge demo --firms 2000 --seed 7`
    # then `reforge credit train`); the floor sits just under it
    assert r.metrics["out_of_time"]["auc"] >= 0.85
    ivs = {f["name"]: f["iv"] for f in r.spec["features"]}
    # planted drivers (PLANTED["default_model"]): leverage raises and margin lowers the default
    # odds. The analysis must find them with the right sign: WoE = ln(good / bad) falls across
    # the debt-ratio bins (riskier with leverage) and rises across the net-margin bins.
    assert "debt_ratio" in ivs and ("net_margin" in ivs or "roa" in ivs)
    feats = {f["name"]: f for f in r.spec["features"]}
    woe = feats["debt_ratio"]["woe"]
    assert len(woe) >= 3 and all(a > b for a, b in zip(woe, woe[1:], strict=False)), woe
    prof = feats["net_margin"] if "net_margin" in feats else feats["roa"]
    assert len(prof["woe"]) >= 3 and prof["woe"][-1] > prof["woe"][0], prof["woe"]
    rates = [b["event_rate"] for b in feats["debt_ratio"]["table"][:len(woe)]]
    assert rates[-1] > 3 * rates[0], rates  # observed default rate, most vs least levered bin
    assert "tax_rating" in ivs
    top = sorted(ivs, key=ivs.get, reverse=True)[:3]
    assert "debt_ratio" in top
    # worst grades default far more often than the best ones
    g = r.grades
    best = g.iloc[:3]
    worst = g.iloc[-4:]
    assert worst["defaults"].sum() / worst["firms"].sum() > 5 * best["defaults"].sum() / best["firms"].sum()
    s = score(demo_small, year=2025)
    assert len(s.frame) > 1500 and s.frame["grade"].isin(g["grade"]).all()


@pytest.mark.slow
@pytest.mark.extended  # a model-quality check on a whole demo; the pipeline's mechanics are tested on small data
def test_demo_default_rate_monotone_by_grade(tmp_path_factory):
    """With the full-size demo (20,000 firms; ~360 out-of-time defaults) the observed
    default rate rises monotonically from AAA to C (overlays applied)."""
    r = train(_demo(tmp_path_factory, 20000))
    assert r.metrics["out_of_time"]["auc"] >= 0.75
    assert is_monotone(r.grades), r.grades
    assert np.all(r.grades["firms"] > 0)
