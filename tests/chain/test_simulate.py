"""Disruption simulation: hand-computed scenario and >= 20 random layered networks
against the independent in-memory cascade of tests/chain/reference.py, on both engines."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.chain import simulate
from reforge.errors import ReforgeError
from tests.chain.reference import cascade_reference, country_of, network_tables, random_layered
from tests.chain.toy import toy_tables
from tests.conftest import put_tables


def test_hand_scenario_remove_japan(any_engine):
    # JP1 supplies D3 all its A (100/100 > .5) and D2 75% of its B (30/40): both disrupted
    # in round 1; lost = JP1's links 40 + 100 + 30 + D2's link 300 = 470.
    put_tables(any_engine, toy_tables())
    r = simulate(any_engine, remove_country="JP").to_dict()
    assert list(r) == ["disrupted_firms_count", "lost_value", "disrupted_firms", "rounds", "by_chain",
                       "by_item"]
    assert r["disrupted_firms_count"] == 2 and r["disrupted_firms"] == ["D2", "D3"]
    assert r["lost_value"] == pytest.approx(470.0) and r["rounds"] == 1
    assert [(i["item_id"], i["lost_value"], i["disrupted_buyers"]) for i in r["by_item"]] == [
        ("C", 300.0, 1), ("A", 140.0, 1), ("B", 30.0, 1)]
    assert r["by_chain"] == [{"chain_id": "toy", "lost_value": 470.0, "items_hit": 3, "disrupted_firms": 2,
                              "end_products_affected": ["E1", "E2"]}]


def test_hand_scenario_firm_two_rounds(any_engine):
    # D1 gives D2 60% of A -> D2 down (round 1); D2 is D3's only C supplier -> D3 (round 2).
    put_tables(any_engine, toy_tables())
    r = simulate(any_engine, remove_firm="D1")
    assert r.disrupted_firms == ["D2", "D3"] and r.rounds == 2
    assert r.lost_value == pytest.approx(60 + 20 + 300)
    r2 = simulate(any_engine, remove_firm="D1", loss_threshold=0.6)  # 0.6 is not > 0.6
    assert r2.disrupted_firms == [] and r2.lost_value == pytest.approx(80.0)


def test_remove_item_and_region(duck):
    put_tables(duck, toy_tables())
    r = simulate(duck, remove_item="C")  # D3 loses all its C
    assert r.disrupted_firms == ["D3"] and r.lost_value == pytest.approx(300.0)
    r = simulate(duck, remove_region="320000")  # D1 and D2 (Jiangsu) removed
    assert r.removed == ["D1", "D2"] and r.disrupted_firms == ["D3"]
    assert r.lost_value == pytest.approx(60 + 20 + 300)


@pytest.mark.parametrize("seed", range(24))
def test_random_layered_networks_equal_reference(duck, seed):
    """24 networks, one at a time, three kinds of shock each (DuckDB)."""
    links = random_layered(seed, layers=4 + seed % 3, width=5 + seed % 4)
    put_tables(duck, network_tables(links))
    rows = list(links[["supplier_id", "buyer_uscc", "item_id", "value"]].itertuples(index=False, name=None))
    thr = [0.5, 0.3, 0.7][seed % 3]
    cc = ["JP", "DE", "US"][seed % 3]
    removed = {f for f in set(links.supplier_id) if f.startswith("F") and country_of(f) == cc}
    want, want_lost = cascade_reference(rows, removed, thr)
    got = simulate(duck, remove_country=cc, loss_threshold=thr)
    assert sorted(got.disrupted_firms) == sorted(want)
    assert got.rounds == max(want.values(), default=0)
    assert got.lost_value == pytest.approx(want_lost, rel=1e-9)
    firm = f"E1_{seed % 5}"
    want, want_lost = cascade_reference(rows, {firm}, thr)
    got = simulate(duck, remove_firm=firm, loss_threshold=thr)
    assert sorted(got.disrupted_firms) == sorted(want) and got.lost_value == pytest.approx(want_lost)
    want, want_lost = cascade_reference(rows, set(), thr, frozenset({"I1_0"}))
    got = simulate(duck, remove_item="I1_0", loss_threshold=thr)
    assert sorted(got.disrupted_firms) == sorted(want) and got.lost_value == pytest.approx(want_lost)


@pytest.mark.parametrize("cc,thr", [("JP", 0.5), ("DE", 0.3)])
def test_24_random_networks_both_engines(any_engine, cc, thr):
    """24 independent random layered networks side by side in one data set (disjoint ids), so one
    cascade covers all of them; each network's disrupted set, rounds and lost value are checked
    against the reference run on that network alone, on DuckDB and on Spark."""
    nets = {f"n{s}_": random_layered(s, layers=4 + s % 3, width=5 + s % 4, prefix=f"n{s}_") for s in range(24)}
    allf = pd.concat(nets.values(), ignore_index=True)
    put_tables(any_engine, network_tables(allf))
    got = simulate(any_engine, remove_country=cc, loss_threshold=thr)
    lost_by_item = {r["item_id"]: r["lost_value"] for r in got.by_item}
    rounds = 0
    for p, links in nets.items():
        rows = list(links[["supplier_id", "buyer_uscc", "item_id", "value"]].itertuples(index=False, name=None))
        removed = {f for f in set(links.supplier_id) if f[len(p):].startswith("F") and country_of(f) == cc}
        want, _lost = cascade_reference(rows, removed, thr)
        assert sorted(f for f in got.disrupted_firms if f.startswith(p)) == sorted(want), p
        rounds = max(rounds, max(want.values(), default=0))
        dead = links[links.supplier_id.isin(set(want) | removed)].groupby("item_id")["value"].sum()
        for item, v in dead.items():
            assert lost_by_item[item] == pytest.approx(v, rel=1e-9)
    assert got.rounds == rounds


def test_bad_inputs(duck):
    put_tables(duck, toy_tables())
    with pytest.raises(ReforgeError, match="give at least one of"):
        simulate(duck)
    with pytest.raises(ReforgeError, match="ISO 3166 alpha-2"):
        simulate(duck, remove_country="Japan")
    with pytest.raises(ReforgeError, match="unknown firm 'ZZ'"):
        simulate(duck, remove_firm="ZZ")
    with pytest.raises(ReforgeError, match="6-digit GB/T 2260"):
        simulate(duck, remove_region="32")
    with pytest.raises(ReforgeError, match="unknown item 'Q'"):
        simulate(duck, remove_item="Q")
    with pytest.raises(ReforgeError, match=r"loss threshold must be in \[0, 1\)"):
        simulate(duck, remove_country="JP", loss_threshold=1.5)
    with pytest.raises(ReforgeError, match="loss threshold must be a number"):
        simulate(duck, remove_country="JP", loss_threshold="high")
    r = simulate(duck, remove_country="KR")  # nobody from KR: nothing happens
    assert r.disrupted_firms_count == 0 and r.lost_value == 0.0
