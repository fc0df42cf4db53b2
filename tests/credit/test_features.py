"""Credit features in SQL, checked by hand on three firms (DuckDB and Spark)."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.credit.features import FEATURES, feature_sql
from tests.conftest import put_tables

D = pd.Timestamp


def _tables() -> dict[str, pd.DataFrame]:
    ent = pd.DataFrame({"uscc": ["A", "B", "C"], "founded_on": [D("2010-05-01"), D("2015-01-01"), pd.NaT]})
    ey = pd.DataFrame([
        # uscc, year, revenue, net_profit, assets, liabilities, cur_assets, cur_liab, employees, rd, ip1, ip2
        ("A", 2020, 80.0, 4.0, 180.0, 120.0, 70.0, 35.0, 45, 4.0, 1, 1),
        ("A", 2021, 100.0, 10.0, 200.0, 150.0, 80.0, 40.0, 50, 5.0, 2, 3),
        ("B", 2021, 300.0, -6.0, 400.0, 100.0, 150.0, 0.0, 120, 0.0, 0, 0),
        ("C", 2021, 0.0, 1.0, 0.0, 10.0, 1.0, 1.0, 3, 0.0, 0, 0),
        ("A", 2022, 90.0, 2.0, 210.0, 160.0, 80.0, 50.0, 50, 5.0, 2, 3),
    ], columns=["uscc", "year", "revenue", "net_profit", "total_assets", "total_liabilities",
                "current_assets", "current_liabilities", "employees", "rd_expense", "class1_ip", "class2_ip"])
    sl = pd.DataFrame([
        ("A", "enterprise", "B", "I1", 2021, 30.0), ("A", "enterprise", "C", "I1", 2021, 10.0),
        ("A", "enterprise", "B", "I2", 2021, 20.0), ("C", "enterprise", "B", "I1", 2021, 50.0),
        ("F-JP", "foreign", "A", "I3", 2021, 40.0),
    ], columns=["supplier_id", "supplier_type", "buyer_uscc", "item_id", "year", "value"])
    cr = pd.DataFrame([
        ("r1", "A", "admin_penalty", "5000", D("2019-03-01"), pd.NaT),
        ("r2", "A", "admin_penalty", "5000", D("2018-06-01"), pd.NaT),
        ("r3", "A", "dishonest_debtor", None, D("2020-02-01"), D("2021-06-30")),
        ("r4", "A", "abnormal_operation", None, D("2021-08-01"), pd.NaT),
        ("r5", "A", "serious_dishonesty", None, D("2022-01-05"), D("2024-01-05")),
        ("r6", "A", "tax_rating", "B", D("2020-04-15"), pd.NaT),
        ("r7", "A", "tax_rating", "d ", D("2021-04-15"), pd.NaT),
        ("r8", "B", "tax_rating", "A", D("2021-04-15"), pd.NaT),
        ("r9", "B", "tax_evasion", None, D("2020-09-01"), pd.NaT),
        ("r10", "B", "major_incident", None, D("2021-09-01"), pd.NaT),
        ("r11", "B", "overdue_loan", None, D("2021-10-01"), pd.NaT),
    ], columns=["record_id", "uscc", "kind", "value", "recorded_on", "expires_on"])
    dflt = pd.DataFrame({"uscc": ["A", "B"], "year": [2022, 2022], "defaulted": [True, False]})
    return {"enterprises": ent, "enterprise_years": ey, "supply_links": sl, "credit_records": cr,
            "defaults": dflt}


def test_features_by_hand(any_engine):
    put_tables(any_engine, _tables())
    df = any_engine.fetch_df(f"SELECT * FROM ({feature_sql(2021, 2022)}) f ORDER BY year, uscc")
    assert list(zip(df["uscc"], df["year"], strict=True)) == [("A", 2021), ("B", 2021), ("C", 2021), ("A", 2022)]
    assert set(FEATURES) <= set(df.columns)
    a, b, c, a22 = (df.iloc[i] for i in range(4))
    assert a["debt_ratio"] == 150 / 200 and a["roa"] == 10 / 200 and a["net_margin"] == 10 / 100
    assert a["current_ratio"] == 80 / 40 and a["revenue_growth"] == pytest.approx(100 / 80 - 1)
    assert a["rd_intensity"] == 0.05 and a["ip_count"] == 5 and a["employees"] == 50
    assert a["firm_age"] == 11 and a["total_assets"] == 200
    assert a["n_buyers"] == 2 and a["top_buyer_share"] == pytest.approx(50 / 60)  # B: 30 + 20 of 60
    assert a["n_suppliers"] == 1 and a["single_source_share"] == 1.0  # I3 from F-JP only
    assert a["foreign_supply_share"] == 1.0 and b["foreign_supply_share"] == 0.0
    assert b["n_suppliers"] == 2 and b["single_source_share"] == pytest.approx(20 / 100)  # I2 single
    assert b["n_buyers"] == 0 and pd.isna(b["top_buyer_share"])
    assert pd.isna(b["current_ratio"]) and pd.isna(b["revenue_growth"])  # zero liabilities, no 2020
    assert pd.isna(c["debt_ratio"]) and pd.isna(c["net_margin"]) and pd.isna(c["firm_age"])
    # public credit at the end of 2021
    assert a["admin_penalties_3y"] == 1  # 2019 counts, 2018 is older than 3 years
    assert a["dishonest_debtor"] == 0  # expired 2021-06-30
    assert a["abnormal_operation"] == 1 and a["serious_dishonesty"] == 0  # listed only in 2022
    assert a["tax_rating"] == "D" and b["tax_rating"] == "A" and c["tax_rating"] is None
    assert b["fraud_3y"] == 1 and b["major_incident_3y"] == 1 and b["overdue_loans_3y"] == 1
    assert a22["serious_dishonesty"] == 1 and a22["admin_penalties_3y"] == 0
    # outcomes: 2022 is covered by defaults, 2023 is not
    assert a["default_next_year"] == 1 and b["default_next_year"] == 0 and c["default_next_year"] == 0
    assert pd.isna(a22["default_next_year"])
    assert a["defaulted_before"] == 0 and a22["defaulted_before"] == 1
