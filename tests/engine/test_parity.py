"""The same set-based analysis gives the same numbers on DuckDB and on Spark."""

import numpy as np
import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.engine.export import export_parquet
from reforge.ingest import import_tables
from reforge.report.summary import panel_summary
from tests.conftest import put_tables
from tests.synth import enterprise_years, enterprises


@pytest.fixture(scope="module")
def panel():
    ent = enterprises(400, seed=3)
    return ent, enterprise_years(ent, range(2018, 2024), seed=4)


def reference(ent: pd.DataFrame, ey: pd.DataFrame) -> pd.DataFrame:
    """The same summary computed independently with pandas."""
    d = ey.merge(ent, on="uscc")
    d["industry_division"] = d["industry_code"].str[:2]
    g = d.groupby(["province_code", "industry_division", "year"]).agg(
        enterprises=("uscc", "nunique"), revenue=("revenue", "sum"), rd_expense=("rd_expense", "sum"))
    g["rd_intensity"] = g.rd_expense / g.revenue
    return g.reset_index().rename(columns={"province_code": "province"})


def test_summary_matches_pandas_on_each_engine(any_engine, panel):
    ent, ey = panel
    put_tables(any_engine, {"enterprises": ent, "enterprise_years": ey})
    got = panel_summary(any_engine)
    ref = reference(ent, ey)
    assert list(got.columns) == list(ref.columns)
    assert len(got) == len(ref)
    for c in ["province", "industry_division"]:
        assert list(got[c]) == list(ref[c])
    np.testing.assert_array_equal(got.year.astype(int), ref.year.astype(int))
    np.testing.assert_array_equal(got.enterprises.astype(int), ref.enterprises.astype(int))
    for c in ["revenue", "rd_expense", "rd_intensity"]:
        np.testing.assert_allclose(got[c].astype(float), ref[c], rtol=1e-12)


@pytest.mark.spark
def test_duckdb_file_and_exported_warehouse_agree(tmp_path, panel, spark_engine):
    """The real path: import into a DuckDB file, export Parquet, read it with SparkEngine."""
    from reforge.engine.spark_engine import SparkEngine
    ent, ey = panel
    db = tmp_path / "p.duckdb"
    with DuckDBEngine(db) as e:
        assert import_tables(e, {"enterprises": [("e", ent)], "enterprise_years": [("y", ey)]}).ok
        duck = panel_summary(e, by=("province", "industry"))
        counts = export_parquet(e, tmp_path / "wh")
    assert counts["enterprise_years"] == len(ey)
    sp = SparkEngine(tmp_path / "wh")
    try:
        spark = panel_summary(sp, by=("province", "industry"))
    finally:
        sp.close()
    pd.testing.assert_frame_equal(duck.reset_index(drop=True), spark.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-12)
