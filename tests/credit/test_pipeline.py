"""train / score / report on a database, the model store, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from reforge.cli.main import app
from reforge.credit import Scorecard, score, train
from reforge.credit.pipeline import panel
from reforge.credit.store import list_models, load_model
from reforge.errors import ReforgeError
from tests.conftest import FIXTURES, put_tables
from tests.credit.synth import load_into, make_province


@pytest.fixture(scope="module")
def province_db(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path_factory.mktemp("credit") / "p.duckdb"
    e = DuckDBEngine(path)
    ensure_schema(e)
    load_into(e, make_province(1500, seed=2))
    e.close()
    return path


@pytest.fixture(scope="module")
def trained(province_db):
    return train(province_db)


def test_train_stores_a_model_and_tests_out_of_time(trained, province_db):
    from reforge.engine import DuckDBEngine
    assert trained.year == 2023 and trained.spec["train_years"] == [2018, 2022]
    oot = trained.metrics["out_of_time"]
    # the planted risk is strong (debt ratio, ROA, overdue loans, dishonest debtors): AUC well above 0.5
    assert oot["auc"] >= 0.7 and oot["n"] > 1000
    names = {f["name"] for f in trained.spec["features"]}
    assert {"debt_ratio", "roa"} & names
    with DuckDBEngine(province_db, read_only=True) as e:
        assert trained.model_id in list_models(e)["model_id"].tolist()
        spec = load_model(e)
    assert spec["model_id"] == trained.model_id
    d = trained.to_dict()
    assert [g["grade"] for g in d["grades"]] == ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]


def test_train_stores_the_chain_impacts(trained, province_db):
    """train leaves fresh chain_impacts rows for every link year; read-only scoring joins them."""
    from reforge.credit.chain_impact import TABLE, impact_status
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(province_db, read_only=True) as e:
        st = impact_status(e, 2018, 2023)
        assert st["fresh"] == list(range(2018, 2024)) and not st["missing_or_stale"]
        n = e.fetch_df(f"SELECT year, COUNT(*) AS n, SUM(disrupted_count) AS d FROM {TABLE} GROUP BY year")
        assert len(n) == 6 and (n["n"] > 500).all() and (n["d"] > 0).all()
        df = panel(e, 2023, 2023)
    assert df["disruption_impact"].notna().all() and (df["disruption_impact"] > 0).any()
    assert "disruption_impact" in {c["name"] for c in trained.spec["candidates"]}  # IV decides the rest


def test_score_contract_and_equality_with_in_memory(trained, province_db):
    from reforge.engine import DuckDBEngine
    r = score(province_db, year=2023)
    d = r.to_dict()
    assert set(d) == {"year", "firms"} and d["year"] == 2023
    # the contract's keys, extended by the codes beside the texts (issue 12)
    assert set(d["firms"][0]) == {"uscc", "score", "pd", "grade", "reasons", "overlays", "reason_codes",
                                  "overlay_codes"}
    from reforge.messages import render_coded
    for f in d["firms"][:50]:
        assert len(f["reason_codes"]) == len(f["reasons"]) and len(f["overlay_codes"]) == len(f["overlays"])
        for c in f["reason_codes"]:
            assert c["code"] == "credit.reason.vs_best"
            zh = render_coded(c, "zh")
            assert zh.endswith(f"比该指标最优分箱低 {c['params']['loss']} 分") and not any(w in zh for w in ("points", "bin "))
            en = render_coded(c, "en")
            assert en.endswith(f"\u2212{c['params']['loss']} points vs. the best bin of {render_coded(c['params']['feature'], 'en') if isinstance(c['params']['feature'], dict) else c['params']['feature']}")
    with DuckDBEngine(province_db, read_only=True) as e:
        df = panel(e, 2023, 2023).sort_values("uscc").reset_index(drop=True)
    sc = Scorecard.from_spec(trained.spec)
    assert r.frame["uscc"].tolist() == df["uscc"].tolist()
    np.testing.assert_array_equal(r.frame["score"].to_numpy(), sc.score(df))
    np.testing.assert_array_equal(r.frame["statistical_grade"].to_numpy(), sc.grade(df))
    assert [x for x in r.frame["reasons"]] == sc.explain(df)
    debtors = df.loc[df["dishonest_debtor"] == 1, "uscc"]
    got = r.frame.set_index("uscc").loc[debtors, "grade"]
    assert len(got) and set(got) <= {"CCC", "CC", "C"}


def test_score_one_firm_and_errors(trained, province_db):
    one = score(province_db, uscc="913200000000000005", year=2020).to_dict()
    assert [f["uscc"] for f in one["firms"]] == ["913200000000000005"]
    with pytest.raises(ReforgeError, match="no data for NOPE"):
        score(province_db, uscc="NOPE", year=2020)
    with pytest.raises(ReforgeError, match="outside the data"):
        score(province_db, year=1990)


def test_scoring_some_firms_gives_their_rows_of_the_whole_population(trained, province_db):
    """``score(uscc=[...])`` computes the features of those firms only (the boards' makers, a
    profile's firm); each firm's row equals its row in the whole population's scoring."""
    full = score(province_db, year=2022).frame.set_index("uscc")
    some = sorted(full.sample(25, random_state=3).index.tolist())
    part = score(province_db, year=2022, uscc=some).frame
    assert sorted(part["uscc"]) == some
    pd.testing.assert_frame_equal(part.set_index("uscc").sort_index(), full.loc[some].sort_index())


def test_train_errors(duck):
    with pytest.raises(ReforgeError, match="unknown target"):
        train(duck, target="bankrupt")
    with pytest.raises(ReforgeError, match="enterprise_years is empty"):
        train(duck)


def test_score_without_model(duck):
    with pytest.raises(ReforgeError, match="run `reforge credit train` first"):
        score(duck)


def test_report_html(trained, province_db, tmp_path):
    from reforge.credit.report import credit_report
    from reforge.engine import DuckDBEngine
    with DuckDBEngine(province_db, read_only=True) as e:
        p = credit_report(e, tmp_path / "r.html")
    html = p.read_text(encoding="utf-8")
    for part in ("Discrimination", "ROC curve", "Cumulative score distributions", "Calibration",
                 "Score distribution", "Grades", "information value", "population stability", "score_psi"):
        assert part in html
    assert html.count("data:image/png;base64,") == 4


runner = CliRunner()


def test_cli_validate_german_json():
    res = runner.invoke(app, ["credit", "validate", str(FIXTURES / "credit" / "germancredit.csv"),
                              "--target", "creditability", "--bad-value", "bad", "--folds", "5",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert set(d) == {"auc", "ks", "gini", "n", "bad_rate"}
    assert d["auc"] >= 0.77 and d["ks"] >= 0.42


def test_cli_validate_errors(tmp_path):
    f = tmp_path / "t.csv"
    pd.DataFrame({"x": [1, 2, 3, 4], "y": ["g", "g", "b", "g"]}).to_csv(f, index=False)
    res = runner.invoke(app, ["credit", "validate", str(f), "--target", "z", "--bad-value", "b"])
    assert res.exit_code != 0
    assert "target column 'z' not found" in str(res.exception) + res.output
    res = runner.invoke(app, ["credit", "validate", str(f), "--target", "y", "--bad-value", "b"])
    assert res.exit_code != 0
    assert "too few bad or good cases" in str(res.exception) + res.output


def test_cli_train_score_report(province_db, tmp_path):
    import shutil
    db = tmp_path / "c.duckdb"
    shutil.copy(province_db, db)
    res = runner.invoke(app, ["credit", "train", "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    mid = json.loads(res.stdout)["model_id"]
    res = runner.invoke(app, ["credit", "score", "--db", str(db), "--uscc", "913200000000000007",
                              "--year", "2021", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["year"] == 2021 and d["firms"][0]["uscc"] == "913200000000000007"
    res = runner.invoke(app, ["credit", "models", "--db", str(db), "--format", "json"])
    assert mid in res.stdout
    out = tmp_path / "rep.html"
    res = runner.invoke(app, ["credit", "report", "--db", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output and out.exists()


def test_score_pipeline_same_on_both_engines(any_engine, trained, province_db):
    """The whole scoring path (feature SQL, CASE points, grades, overlays) on DuckDB and Spark."""
    tables = make_province(300, years=(2020, 2022), seed=9)
    put_tables(any_engine, tables)
    got = score(any_engine, year=2022, model=trained.spec).to_dict()
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    ref_eng = DuckDBEngine(":memory:")
    ensure_schema(ref_eng)
    load_into(ref_eng, tables)
    ref = score(ref_eng, year=2022, model=trained.spec).to_dict()
    ref_eng.close()
    assert got == ref
    assert len(got["firms"]) > 200


def test_score_record_matches_database_scoring(trained, province_db):
    from reforge.credit.pipeline import score_record
    from reforge.engine import DuckDBEngine
    r = score(province_db, year=2022).frame.set_index("uscc")
    with DuckDBEngine(province_db, read_only=True) as e:
        df = panel(e, 2022, 2022).set_index("uscc")
    for u in df.index[:25]:
        rec = {k: (None if pd.isna(v) else v) for k, v in df.loc[u].items()}
        one = score_record(trained.spec, rec)
        assert one["score"] == r.loc[u, "score"] and one["grade"] == r.loc[u, "grade"]
        assert one["pd"] == r.loc[u, "pd"] and one["reasons"] == r.loc[u, "reasons"]
        assert one["overlays"] == r.loc[u, "overlays"]
    bad = score_record(trained.spec, {"serious_dishonesty": 1})
    assert bad["grade"] == "C" and bad["overlays"]


def test_cli_validate_writes_report(tmp_path):
    out = tmp_path / "german.html"
    res = runner.invoke(app, ["credit", "validate", str(FIXTURES / "credit" / "germancredit.csv"),
                              "--target", "creditability", "--bad-value", "bad", "--folds", "3",
                              "--report", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "pooled out-of-fold" in html and html.count("data:image/png;base64,") == 4
    assert "status_of_existing_checking_account" in html
    assert set(json.loads(res.stdout)) == {"auc", "ks", "gini", "n", "bad_rate"}
