"""The planted leaders (reforge.demo.loop_plants) come out top-ranked in every demo chain on three
noisy seeds (realism on), and the leader's domestic suppliers include its planted ones."""

from __future__ import annotations

import pytest

from reforge.demo.generate import build_tables
from reforge.demo.loop_plants import planted_leaders
from reforge.engine import DuckDBEngine
from reforge.loop import chain_leaders
from tests.conftest import put_tables

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_leaders_top_ranked_with_realism(seed):
    t = build_tables(600, seed, realism=True)
    plan = planted_leaders(t)
    assert len(plan) == 6
    sl = t["supply_links"]
    with DuckDBEngine(":memory:") as e:
        put_tables(e, t)
        for p in plan.itertuples(index=False):
            res = chain_leaders(e, p.chain_id)
            top = res.leaders[0]
            assert top["uscc"] == p.uscc, (seed, p.chain_id, top["uscc"], top["score"], res.leaders[1]["score"])
            planted = {s for _, s in p.suppliers}
            mine = sl[(sl.year == 2024) & (sl.buyer_uscc == p.uscc) & (sl.supplier_type == "enterprise")]
            assert planted <= set(mine.supplier_id)
            assert top["domestic_suppliers"] >= len(planted)
