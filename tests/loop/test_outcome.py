"""Outcome evaluation on the hand-made database: it says when an estimate cannot be made (one
treated item, or no year before treatment) and rejects bad arguments with codes."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import InvalidInput
from reforge.loop.outcome import item_panel, project_outcome
from tests.loop.projects_data import make_db


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("loop_outcome") / "o.duckdb")


def test_panel_values(db):
    with DuckDBEngine(db, read_only=True) as e:
        p = item_panel(e).set_index(["item_id", "year"])
    assert p.loc[("A", 2023), "domestic_share"] == pytest.approx(0.1)
    assert p.loc[("A", 2024), "domestic_share"] == pytest.approx(0.2)
    assert p.loc[("A", 2024), "tech_gap"] == 2 and p.loc[("A", 2024), "domestic_suppliers"] == 1
    assert p.loc[("B", 2024), "domestic_share"] == 0 and pd.isna(p.loc[("B", 2023), "domestic_share"])
    assert p.loc[("A", 2024), "start_year"] == 2021  # P1 (P3 is cancelled and does not count)
    assert p.loc[("E", 2024), "start_year"] == 2026 and pd.isna(p.loc[("D", 2024), "start_year"])


def test_says_when_no_estimate_can_be_made(db):
    with DuckDBEngine(db, read_only=True) as e:
        r = project_outcome(e, "domestic_share", lag=3)   # A treated from 2024; B has no 2023 purchases
        assert not r.estimable and r.att is None and r.ci == (None, None)
        assert r.reason.code == "loop.outcome.too_few"
        # A is the only item bought in both years: D, S, E (comparisons) have 2024 purchases only
        assert (r.reason.params["treated"], r.reason.params["controls"]) == (1, 0)
        assert "no estimate" in r.summary("en") and "无法估计" in r.summary("zh")
        r0 = project_outcome(e, "domestic_share", lag=0)  # P1 (A, B) and P9 (S) start before 2023
        assert not r0.estimable and r0.n_no_pre == 3 and "loop.outcome.no_pre" in [n.code for n in r0.notes]
        for kw, code in (({"outcome": "profit"}, "loop.outcome.bad_outcome"), ({"lag": -1}, "loop.outcome.bad_lag"),
                         ({"lag": True}, "loop.outcome.bad_lag"), ({"control": "all"}, "loop.outcome.bad_control")):
            with pytest.raises(InvalidInput) as ei:
                project_outcome(e, **kw)
            assert ei.value.code == code


def test_firm_unit_says_when_there_is_no_panel(db):
    with DuckDBEngine(db, read_only=True) as e:
        r = project_outcome(e, "rd_intensity", unit="firm")  # the hand-made database has no firm panel
        assert not r.estimable and r.reason.code == "loop.outcome.one_year" and r.unit == "firm"
        for kw, code in (({"unit": "region"}, "loop.outcome.bad_unit"),
                         ({"unit": "firm", "outcome": "domestic_share"}, "loop.outcome.bad_outcome")):
            with pytest.raises(InvalidInput) as ei:
                project_outcome(e, **kw)
            assert ei.value.code == code
