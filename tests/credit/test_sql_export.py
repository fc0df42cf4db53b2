"""Engine scoring (SQL CASE) equals in-memory scoring for every firm, on DuckDB and Spark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.credit import Scorecard
from reforge.credit.grades import load_grades
from reforge.credit.overlays import apply_overlays, load_overlays
from reforge.credit.sql_export import double_lit, score_sql
from tests.conftest import put_tables


@pytest.fixture(scope="module")
def model_and_data() -> tuple[Scorecard, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 3000
    debt = rng.uniform(0, 1.2, n)
    roa = rng.normal(0.04, 0.05, n)
    roa[rng.random(n) < 0.08] = np.nan
    tax = rng.choice(["A", "B", "M", "C", "D"], n, p=[0.4, 0.3, 0.1, 0.15, 0.05])
    z = -3.5 + 3 * debt - 10 * np.nan_to_num(roa, nan=0.0) + pd.Series(tax).map(
        {"A": 0, "B": 0.3, "M": 0.5, "C": 1.0, "D": 1.8}).to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame({"uscc": [f"U{i:06d}" for i in range(n)], "debt_ratio": debt, "roa": roa,
                      "tax_rating": tax})
    sc = Scorecard(categorical=["tax_rating"]).fit(X[["debt_ratio", "roa", "tax_rating"]], y)
    # scoring sample: fresh draws, values exactly on every split, missing values, unseen category
    m = 500
    S = pd.DataFrame({"uscc": [f"S{i:06d}" for i in range(m)], "debt_ratio": rng.uniform(0, 1.2, m),
                      "roa": rng.normal(0.04, 0.05, m), "tax_rating": rng.choice(list("ABMCD"), m)})
    k = 0
    for f in sc.spec_["features"]:
        for s in f.get("splits", []):
            S.loc[k, f["name"]] = s
            k += 1
    S.loc[k, "roa"] = np.nan
    S.loc[k + 1, "tax_rating"] = "X"
    S.loc[k + 2, "tax_rating"] = None
    S.loc[k + 3, "debt_ratio"] = np.nan
    S["serious_dishonesty"] = (np.arange(m) % 17 == 0).astype(float)
    S["dishonest_debtor"] = (np.arange(m) % 13 == 0).astype(float)
    S["abnormal_operation"] = (np.arange(m) % 11 == 0).astype(float)
    S["fraud_3y"] = (np.arange(m) % 19 == 0).astype(float)
    S["major_incident_3y"] = (np.arange(m) % 23 == 0).astype(float)
    return sc, S


def test_engine_scores_equal_in_memory(any_engine, model_and_data):
    sc, S = model_and_data
    put_tables(any_engine, {"credit_feat_t": S})
    rules, scale = load_overlays(), load_grades()
    out = any_engine.fetch_df(score_sql(sc.spec_, "credit_feat_t", ["uscc"], overlays=rules, scale=scale,
                                        with_bins=True))
    ref = S.sort_values("uscc").reset_index(drop=True)
    assert out["uscc"].tolist() == ref["uscc"].tolist()
    np.testing.assert_array_equal(out["score"].to_numpy(np.int64), sc.score(ref))
    pts = sc.points(ref)
    bins = sc.bins(ref)
    for f in sc.spec_["features"]:
        np.testing.assert_array_equal(out[f"pts_{f['name']}"].to_numpy(np.int64), pts[f["name"]].to_numpy())
        np.testing.assert_array_equal(out[f"bin_{f['name']}"].to_numpy(np.int64), bins[f["name"]].to_numpy())
    np.testing.assert_allclose(out["pd"].to_numpy(float), sc.predict_proba(ref)[:, 1], rtol=1e-12, atol=0)
    stat_names = np.array(scale.names)[out["grade_rank"].to_numpy(int) - 1]
    np.testing.assert_array_equal(stat_names, sc.grade(ref))
    final, _ = apply_overlays(out["grade_rank"].to_numpy(int), ref, rules, scale)
    np.testing.assert_array_equal(out["final_rank"].to_numpy(int), final)
    assert out["ov_serious_dishonesty"].sum() == int(ref["serious_dishonesty"].sum())


def test_split_values_bin_to_the_right(model_and_data):
    sc, _ = model_and_data
    f = next(f for f in sc.spec_["features"] if f["dtype"] == "numerical" and f["splits"])
    s = f["splits"][0]
    b = sc.bins(pd.DataFrame({g["name"]: [s if g is f else None] * 2 for g in sc.spec_["features"]}))
    assert b[f["name"]].iloc[0] == 1  # [s0, s1) holds s0, as optbinning bins it


@pytest.mark.parametrize("v", [0.1, 1e-300, 123456789.123, -2.5, 3.0, 1e22])
def test_double_literals_round_trip(v):
    assert float(double_lit(v)) == v
    assert "e" in double_lit(v)


def test_double_literal_rejects_inf():
    with pytest.raises(ValueError, match="cannot write"):
        double_lit(float("inf"))
