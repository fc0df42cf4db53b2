"""The demo province carries planted supplier-demand pairs and decoys (reforge.demo.matching),
imported through the real importer; matching finds the true suppliers and excludes each decoy
with its reason code."""

from __future__ import annotations

import pytest

from reforge.demo.matching import planted_pairs, planted_truth
from reforge.engine import DuckDBEngine
from reforge.match import match_demands

DECOYS = (("full_id", "match.exclude.no_capacity"), ("low_id", "match.exclude.level_below"),
          ("bad_id", "match.exclude.dishonest"))


@pytest.mark.slow
def test_planted_pairs_found_and_decoys_excluded(demo_db):
    with DuckDBEngine(demo_db, read_only=True) as e:
        tables = {t: e.fetch_df(f"SELECT * FROM {t}") for t in ("enterprises", "capabilities", "credit_records",
                                                                "designations", "demands", "offers")}
        plan = planted_truth(tables)
        assert len(plan) == 12 and plan[["true_id", "full_id", "low_id", "bad_id"]].notna().all().all()
        again = planted_pairs(tables, 7)  # the plan is recomputable from the stored data
        assert again[list(plan.columns)].astype(str).equals(plan.astype(str))
        stored = e.fetch_df("SELECT demand_id, uscc, item_id, value, required_level FROM demands "
                            "WHERE demand_id LIKE 'DMP%' ORDER BY demand_id")
        assert list(stored.demand_id) == list(plan.demand_id) and list(stored.uscc) == list(plan.buyer)
        res = match_demands(e, list(plan.demand_id), as_of="2026-01-15")
    c = res.candidates
    first = 0
    for p in plan.itertuples(index=False):
        g = c[c.demand_id == p.demand_id].set_index("producer_id")
        first += g.loc[p.true_id, "rank"] == 1
        for col, code in DECOYS:
            assert code in {m.code for m in g.loc[getattr(p, col), "reasons"]}, (p.demand_id, col)
    assert first / len(plan) >= 0.8  # measured 12/12 on seeds 3, 7, 11 with and without realism
