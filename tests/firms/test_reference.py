"""Screening agrees with an independent pandas implementation of the 2022 Little Giant
conditions on random panels, on DuckDB and Spark alike."""

from __future__ import annotations

import collections

import pandas as pd

from reforge.firms import screen
from reforge.firms.screen import prepare_features
from tests.conftest import put_tables
from tests.firms.reference import lg2022_reference, random_panel


def test_little_giant_2022_matches_the_pandas_reference(any_engine):
    t = random_panel(400, range(2019, 2025), seed=3, missing=0.05)
    put_tables(any_engine, t)
    feats = prepare_features(any_engine, [2022, 2025])
    seen: collections.Counter = collections.Counter()
    for year in (2022, 2025):
        s = screen(any_engine, "little_giant", year, rules="2022", features=feats)
        got = s.frame.set_index("uscc")["outcome"].sort_index()
        want = lg2022_reference(t, year)
        assert list(got.index) == list(want.index)
        assert (got == want).all(), pd.DataFrame({"got": got, "want": want})[got != want].head()
        seen.update(got.to_list())
    assert seen["pass"] > 10 and seen["fail"] > 100 and seen["insufficient_data"] > 0
