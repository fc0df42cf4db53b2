"""The disruption_impact feature against a hand computation; the stored chain_impacts table.

Network of 2021 (values in CNY; threshold 0.5, a buyer is disrupted when MORE than half
of its purchases of some item is lost):

* A -> B item X 10 (B's only source of X);
* B -> C item Y 10 and E -> C item Y 5 (B is 10/15 of C's Y);
* F (foreign) -> A item Z 4 (A's only source of Z);
* G -> H item W 10 and K -> H item W 10 (G is exactly half of H's W: not more).

By hand: removing A disrupts B (10/10 > 0.5), then C (10/15 > 0.5): impact(A) = 2;
impact(B) = 1 (C); E: 5/15 -> 0; C, H supply nobody -> 0; G, K: exactly 0.5 -> 0;
D has no links at all -> 0. F (foreign) disrupts A, then B, then C: 3 (not a feature row:
F is no enterprise). 2022 has no supply links: NULL for every firm.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reforge.credit.chain_impact import TABLE, impact_status, refresh_impacts
from reforge.credit.features import FEATURES, materialize_features
from reforge.credit.pipeline import panel
from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from tests.conftest import put_tables

FIRMS = ["A", "B", "C", "D", "E", "G", "H", "K"]
EXPECTED_2021 = {"A": 2.0, "B": 1.0, "C": 0.0, "D": 0.0, "E": 0.0, "G": 0.0, "H": 0.0, "K": 0.0}
LINKS = [("A", "enterprise", "B", "X", 2021, 10.0),
         ("B", "enterprise", "C", "Y", 2021, 10.0), ("E", "enterprise", "C", "Y", 2021, 5.0),
         ("F", "foreign", "A", "Z", 2021, 4.0),
         ("G", "enterprise", "H", "W", 2021, 10.0), ("K", "enterprise", "H", "W", 2021, 10.0)]


def _links(rows=LINKS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"])


def _tables() -> dict[str, pd.DataFrame]:
    rows = [(u, y, 100.0, 5.0, 200.0, 100.0, 50.0, 25.0, 10, 1.0, 0, 0) for y in (2021, 2022) for u in FIRMS]
    ey = pd.DataFrame(rows, columns=["uscc", "year", "revenue", "net_profit", "total_assets", "total_liabilities",
                                     "current_assets", "current_liabilities", "employees", "rd_expense",
                                     "class1_ip", "class2_ip"])
    ent = pd.DataFrame({"uscc": FIRMS, "founded_on": [pd.Timestamp("2010-01-01")] * len(FIRMS)})
    cr = pd.DataFrame([("r1", "A", "tax_rating", "A", pd.Timestamp("2020-04-01"), pd.NaT)],
                      columns=["record_id", "uscc", "kind", "value", "recorded_on", "expires_on"])
    dflt = pd.DataFrame({"uscc": ["A"], "year": [2022], "defaulted": [False]})
    return {"enterprises": ent, "enterprise_years": ey, "supply_links": _links(), "credit_records": cr,
            "defaults": dflt}


def _impacts(df: pd.DataFrame, year: int) -> dict[str, float]:
    d = df[df["year"] == year]
    return dict(zip(d["uscc"], d["disruption_impact"], strict=True))


def test_disruption_impact_by_hand(any_engine):
    """Computed on the fly (no stored table) on DuckDB and Spark."""
    assert FEATURES["disruption_impact"] == "firms disrupted if it stopped supplying"
    put_tables(any_engine, _tables())
    df = panel(any_engine, 2021, 2022)
    assert len(df) == 2 * len(FIRMS)
    assert _impacts(df, 2021) == EXPECTED_2021
    assert all(math.isnan(v) for v in df.loc[df["year"] == 2022, "disruption_impact"])


def _stored(e) -> dict[str, tuple[int, str]]:
    df = e.fetch_df(f"SELECT firm_id, disrupted_count FROM {TABLE} "
                    "WHERE year = 2021 AND loss_threshold = 0.5 ORDER BY firm_id")
    return {r.firm_id: int(r.disrupted_count) for r in df.itertuples()}


def test_refresh_stores_reads_and_recomputes_when_stale():
    with DuckDBEngine(":memory:") as e:
        put_tables(e, _tables())
        assert impact_status(e, 2015, 2025) == {"fresh": [], "missing_or_stale": [2021], "orphaned": []}
        assert refresh_impacts(e, 2015, 2025) == [2021]
        # one row per supplier (0 included); the foreign supplier F disrupts A, B, C
        assert _stored(e) == {"A": 2, "B": 1, "E": 0, "F": 3, "G": 0, "K": 0}
        fp = e.fetch_df(f"SELECT DISTINCT links_fingerprint FROM {TABLE}")["links_fingerprint"].tolist()
        assert fp == ["6:4900"]  # 6 links, 49 CNY
        assert refresh_impacts(e, 2015, 2025) == []  # fresh: nothing to do
        # the panel reads fresh stored rows (not a recomputation): a planted value shows up
        e.execute(f"UPDATE {TABLE} SET disrupted_count = 99 WHERE firm_id = 'A'")
        assert _impacts(panel(e, 2021, 2021), 2021)["A"] == 99
        name = materialize_features(e, 2021, 2021)
        got = e.fetch_df(f"SELECT uscc, disruption_impact FROM {name} ORDER BY uscc")
        assert dict(zip(got["uscc"], got["disruption_impact"], strict=True)) == dict(EXPECTED_2021, A=99.0)
        # a changed link value makes 2021 stale: E is now 25 of C's 35 of Y
        e.register("supply_links", _links([r if r[0] != "E" else r[:5] + (25.0,) for r in LINKS]))
        assert impact_status(e, 2021, 2021)["missing_or_stale"] == [2021]
        want = dict(EXPECTED_2021, A=1.0, B=0.0, E=1.0)  # A disrupts B only; C keeps 25/35 from E
        assert _impacts(panel(e, 2021, 2021), 2021) == want  # computed on the fly ...
        assert _stored(e)["A"] == 99  # ... without writing
        assert refresh_impacts(e, 2021, 2021) == [2021]
        assert _stored(e) == {"A": 1, "B": 0, "E": 1, "F": 2, "G": 0, "K": 0}
        assert _impacts(panel(e, 2021, 2021), 2021) == want
        # force recomputes fresh years; a year that lost its links loses its rows
        assert refresh_impacts(e, 2021, 2021, force=True) == [2021]
        e.register("supply_links", _links()[0:0])
        assert impact_status(e, 2021, 2021) == {"fresh": [], "missing_or_stale": [], "orphaned": [2021]}
        assert refresh_impacts(e, 2021, 2021) == []
        assert e.count(TABLE) == 0
        assert panel(e, 2021, 2021)["disruption_impact"].isna().all()


def test_refresh_is_all_or_nothing(monkeypatch):
    with DuckDBEngine(":memory:") as e:
        put_tables(e, _tables())
        refresh_impacts(e, 2021, 2021)
        e.register("supply_links", _links(LINKS + [("A", "enterprise", "H", "W", 2021, 1.0)]))

        def boom(*a, **k):  # fails after the old rows were deleted, before the new ones are in
            raise RuntimeError("insert failed")
        monkeypatch.setattr(e, "register", boom)
        with pytest.raises(RuntimeError, match="insert failed"):
            refresh_impacts(e, 2021, 2021)
        assert _stored(e) == {"A": 2, "B": 1, "E": 0, "F": 3, "G": 0, "K": 0}  # old rows kept


def test_refresh_needs_writable_duckdb(tmp_path):
    db = tmp_path / "ro.duckdb"
    with DuckDBEngine(db) as e:
        e.execute("CREATE TABLE supply_links AS SELECT 'A' AS supplier_id, 'B' AS buyer_uscc, 'X' AS item_id, "
                  "2021 AS year, 1.0 AS value")
    with DuckDBEngine(db, read_only=True) as e, pytest.raises(ReforgeError, match="opened for writing"):
        refresh_impacts(e, 2021, 2021)


@pytest.mark.spark
def test_spark_reads_the_stored_table_from_the_warehouse(tmp_path, spark_engine):
    """A warehouse exported after the refresh carries chain_impacts; Spark finds it fresh (same
    fingerprint on both engines) and joins it instead of computing."""
    from reforge.engine.export import export_parquet
    from reforge.engine.spark_engine import SparkEngine
    db = tmp_path / "n.duckdb"
    with DuckDBEngine(db) as e:
        for name, df in _tables().items():
            for c in df.columns[df.dtypes == "datetime64[ns]"]:  # Spark reads no ns timestamps
                df[c] = df[c].astype("datetime64[us]")
            e.register("__in", df)
            e.execute(f"CREATE TABLE {name} AS SELECT * FROM __in")
            e.drop("__in")
        refresh_impacts(e, 2021, 2022)
        e.execute(f"UPDATE {TABLE} SET disrupted_count = 7 WHERE firm_id = 'B'")  # marks what is read
        export_parquet(e, tmp_path / "wh")
    sp = SparkEngine(tmp_path / "wh")
    try:
        assert impact_status(sp, 2021, 2022)["fresh"] == [2021]
        assert _impacts(panel(sp, 2021, 2022), 2021) == dict(EXPECTED_2021, B=7.0)
    finally:
        sp.close()
    with pytest.raises(ReforgeError, match="opened for writing"):
        refresh_impacts(spark_engine, 2021, 2021)
