"""Feature table: lagged figures must be the right calendar year even when the panel has gaps.

Expected values are read off the hand-made panels below (revenue = the year, so a lag is
right exactly when it equals the year it names).
"""

from __future__ import annotations

import copy

import pytest

from reforge.firms import load_rules
from reforge.firms.screen import plan_tier, prepare_features, tier_sql
from tests.conftest import put_tables
from tests.firms.factory import lg_exact, tables


def _firm(uscc: str, years: list[int]) -> dict:
    f = lg_exact(uscc)
    tmpl = f["years"][2023]
    f["years"] = {y: dict(copy.deepcopy(tmpl), revenue=float(y), rd_expense=float(y) / 100) for y in years}
    return f


PANEL = [
    _firm("FULL", [2021, 2022, 2023]),
    _firm("GAP1", [2021, 2023]),  # 2022 missing: no 1-year lag, 2-year lag is 2021
    _firm("GAP2", [2019, 2020, 2021, 2023]),  # 2-year lag of 2023 is the row right before it
    _firm("OLD", [2016, 2023]),  # nothing within two years
]
# (uscc, screening year) -> (revenue, revenue_p1, revenue_p2)
WANT = {
    ("FULL", 2024): (2023.0, 2022.0, 2021.0),
    ("GAP1", 2024): (2023.0, None, 2021.0),
    ("GAP2", 2024): (2023.0, None, 2021.0),
    ("OLD", 2024): (2023.0, None, None),
    ("FULL", 2023): (2022.0, 2021.0, None),
    ("FULL", 2022): (2021.0, None, None),
    ("GAP2", 2022): (2021.0, 2020.0, 2019.0),
    ("GAP2", 2021): (2020.0, 2019.0, None),
    ("GAP1", 2022): (2021.0, None, None),
    ("OLD", 2017): (2016.0, None, None),
}


def _none(x):
    return None if x is None or x != x else float(x)


@pytest.mark.parametrize("years", [[2024], [2017, 2021, 2022, 2023, 2024]])
def test_lags_are_calendar_years(any_engine, years):
    put_tables(any_engine, tables(PANEL))
    feats = prepare_features(any_engine, years)
    df = any_engine.fetch_df(f"SELECT uscc, year, data_year, revenue, revenue_p1, revenue_p2, rd_expense_p2 "
                             f"FROM {feats} ORDER BY uscc, year")
    got = {(r.uscc, int(r.year)): (_none(r.revenue), _none(r.revenue_p1), _none(r.revenue_p2))
           for r in df.itertuples()}
    want = {k: v for k, v in WANT.items() if k[1] in years}
    assert got == want
    assert (df["data_year"] == df["year"] - 1).all()
    p2 = {(r.uscc, int(r.year)): _none(r.rd_expense_p2) for r in df.itertuples()}
    assert p2[("GAP1", 2024)] == pytest.approx(20.21)


def test_unordered_tier_query_has_the_same_rows(any_engine):
    put_tables(any_engine, tables(PANEL))
    ys = [2022, 2023, 2024]
    feats = prepare_features(any_engine, ys)
    plan = plan_tier(load_rules("2022"), "little_giant")
    ordered = any_engine.fetch_df(tier_sql(plan, feats, ys))
    name = any_engine.temp_name("lg")
    any_engine.materialize(name, tier_sql(plan, feats, ys, order=False))
    unordered = any_engine.fetch_df(f"SELECT * FROM {name} ORDER BY uscc, year")
    assert list(ordered.columns) == list(unordered.columns)
    assert ordered[["uscc", "year", "outcome"]].values.tolist() == unordered[["uscc", "year", "outcome"]].values.tolist()
    assert len(ordered) == 8  # FULL 2022-2024, GAP1 2022 and 2024, GAP2 2022 and 2024, OLD 2024


def test_one_firm_features_equal_its_rows_of_the_whole_table(duck):
    """``prepare_features(..., uscc=)`` (the profile's fast path) gives exactly the firm's rows
    of the full table, designation and credit flags included, and nothing else."""
    from tests.firms.factory import twin
    firms = [*PANEL, twin(lg_exact("FLAGGED"), "FLAGGED", credit=[dict(
        record_id="R9", kind="abnormal_operation", recorded_on="2023-03-01", expires_on=None)])]
    put_tables(duck, tables(firms))
    years = [2022, 2023, 2024]
    full = duck.fetch_df(f"SELECT * FROM {prepare_features(duck, years)} ORDER BY uscc, year")
    for u in ("FULL", "GAP1", "FLAGGED", "NOBODY"):
        one = duck.fetch_df(f"SELECT * FROM {prepare_features(duck, years, uscc=u)} ORDER BY uscc, year")
        want = full[full["uscc"] == u].reset_index(drop=True)
        assert len(one) == len(want) and (u == "NOBODY") == (len(one) == 0)
        assert one.astype(object).where(one.notna(), None).equals(want.astype(object).where(want.notna(), None))
    assert full.loc[full["uscc"] == "FLAGGED", "cr_abnormal_operation_active"].max() == 1
    hostile = "x' OR '1'='1"
    assert len(duck.fetch_df(f"SELECT * FROM {prepare_features(duck, years, uscc=hostile)}")) == 0


def test_features_among_a_query_equal_those_firms_rows(duck):
    """``prepare_features(..., among=)`` (the cohort tracking's restriction to designated firms)
    gives exactly those firms' rows of the full table."""
    put_tables(duck, tables(PANEL))
    years = [2022, 2023, 2024]
    full = duck.fetch_df(f"SELECT * FROM {prepare_features(duck, years)} ORDER BY uscc, year")
    two = prepare_features(duck, years, among="SELECT 'GAP1' AS uscc UNION ALL SELECT 'OLD'")
    some = duck.fetch_df(f"SELECT * FROM {two} ORDER BY uscc, year")
    want = full[full["uscc"].isin(["GAP1", "OLD"])].reset_index(drop=True)
    assert len(some) == len(want) > 0
    assert some.astype(object).where(some.notna(), None).equals(want.astype(object).where(want.notna(), None))
