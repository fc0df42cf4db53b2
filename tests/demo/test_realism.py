"""Realism mode of the demo generator (issue 14, finding 8): shares are no longer exact, some
capability rows and designations come late, some names carry typos; the plain mode is unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reforge.demo.generate import build_tables
from reforge.demo.realism import CAP_LATE, DES_LATE, SHARE_SIGMA, TYPO


@pytest.fixture(scope="module")
def both():
    return build_tables(500, 3), build_tables(500, 3, realism=True)


def _dom_share(sl: pd.DataFrame) -> pd.Series:
    y = sl[sl.year == sl.year.max()]
    dom = y[y.supplier_type == "enterprise"].groupby("item_id").value.sum()
    return (dom / y.groupby("item_id").value.sum()).fillna(0.0)


def test_realism_changes_what_it_says_and_nothing_else(both):
    plain, real = both
    assert build_tables(500, 3)["supply_links"].equals(plain["supply_links"])  # plain mode deterministic
    a, b = plain["supply_links"], real["supply_links"]
    assert a[["supplier_id", "buyer_uscc", "item_id", "year"]].equals(b[["supplier_id", "buyer_uscc", "item_id", "year"]])
    ratio = np.log(b.value.to_numpy() / a.value.to_numpy())
    assert abs(ratio.std() - SHARE_SIGMA) < 0.03  # lognormal noise of the stated size
    moved = (_dom_share(a) - _dom_share(b)).abs()
    assert moved.max() > 0.01  # item shares drift from the exact designs
    ca, cb = plain["capabilities"], real["capabilities"]
    ent = ca.producer_type == "enterprise"
    late = (cb.since_year.fillna(0) > 2024) & (ca.since_year.fillna(0) <= 2024) & ent
    assert 0.5 * CAP_LATE < late.sum() / ent.sum() < 1.5 * CAP_LATE
    da, db = plain["designations"], real["designations"]
    lag = (pd.to_datetime(db.granted_on) - pd.to_datetime(da.granted_on)).dt.days
    assert lag.min() >= 0 and 0.5 * DES_LATE < (lag > 0).mean() < 1.5 * DES_LATE and lag.max() <= 400
    assert (real["enterprises"].uscc == plain["enterprises"].uscc).all()  # keys never change
    typos = (real["enterprises"].name != plain["enterprises"].name).mean()
    assert 0 < typos < 3 * TYPO
    assert real["enterprise_years"].equals(plain["enterprise_years"])


def test_realism_goes_through_the_importer(tmp_path, both):
    """`reforge demo --realism` (build_demo(realism=True)) imports the noisy tables unchanged."""
    from reforge.demo.load import build_demo
    from reforge.engine import DuckDBEngine
    res, _ = build_demo(tmp_path / "r.duckdb", n_firms=500, seed=3, realism=True)
    assert res.ok, res.errors
    _plain, real = both
    with DuckDBEngine(tmp_path / "r.duckdb", read_only=True) as e:
        assert e.fetch_scalar("SELECT SUM(value) FROM supply_links") == pytest.approx(real["supply_links"].value.sum())
        assert e.fetch_scalar("SELECT COUNT(*) FROM capabilities WHERE since_year > 2024") == \
            int((real["capabilities"].since_year.fillna(0) > 2024).sum())
