"""Assignment under capacities: equals a brute-force optimum on small random integer instances
and networkx's maximum flow on larger ones, respects every capacity, prefers higher scores only
among value-maximal assignments, and gives each demand's unassigned value a reason."""

from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.errors import InvalidInput
from reforge.match import Edge, assign_demands, assign_flows
from tests.conftest import put_tables
from tests.match.test_rank import M, planted


def _instance(rng: random.Random, nd: int, ns: int, hi: int, p: float):
    values = {f"d{i}": rng.randint(0, hi) for i in range(nd)}
    caps = {f"s{j}": (math.inf if rng.random() < 0.15 else rng.randint(0, hi)) for j in range(ns)}
    edges = [Edge(d, s, rng.random()) for d in values for s in caps if rng.random() < p]
    return values, caps, edges


def _check_feasible(values, caps, edges, flows):
    allowed = {(e.demand, e.slot) for e in edges}
    assert set(flows) <= allowed and all(x > 0 for x in flows.values())
    for d, v in values.items():
        assert sum(x for (dd, _), x in flows.items() if dd == d) <= v + 1e-7
    for s, c in caps.items():
        assert sum(x for (_, ss), x in flows.items() if ss == s) <= c + 1e-7  # capacities exactly


def _brute(values, caps, edges) -> int:
    best = 0
    ranges = [range(0, int(min(values[e.demand], caps[e.slot] if caps[e.slot] < math.inf else 99)) + 1)
              for e in edges]
    for xs in itertools.product(*ranges):
        ok = all(sum(x for x, e in zip(xs, edges, strict=True) if e.demand == d) <= v for d, v in values.items()) \
            and all(sum(x for x, e in zip(xs, edges, strict=True) if e.slot == s) <= c for s, c in caps.items())
        if ok:
            best = max(best, sum(xs))
    return best


def test_equals_brute_force_on_small_random_instances():
    rng = random.Random(15)
    for _ in range(40):
        values, caps, edges = _instance(rng, 3, 2, 3, 0.7)
        flows = assign_flows(values, caps, edges)
        _check_feasible(values, caps, edges, flows)
        assert sum(flows.values()) == pytest.approx(_brute(values, caps, edges), abs=1e-7)


def test_equals_networkx_max_flow_on_larger_instances():
    rng = random.Random(7)
    for _ in range(10):
        values, caps, edges = _instance(rng, 12, 9, 50, 0.3)
        flows = assign_flows(values, caps, edges)
        _check_feasible(values, caps, edges, flows)
        g = nx.DiGraph()
        for d, v in values.items():
            g.add_edge("src", d, capacity=v)
        for s, c in caps.items():
            if c < math.inf:
                g.add_edge(s, "sink", capacity=c)
            else:
                g.add_edge(s, "sink")  # no capacity attribute: unlimited
        for e in edges:
            g.add_edge(e.demand, e.slot)
        ref = nx.maximum_flow_value(g, "src", "sink")
        assert sum(flows.values()) == pytest.approx(ref, abs=1e-6)


def test_score_only_breaks_ties_between_maximal_assignments():
    same = assign_flows({"d": 5}, {"a": 5, "b": 5}, [Edge("d", "a", 0.2), Edge("d", "b", 0.9)])
    assert same == {("d", "b"): pytest.approx(5)}
    # d1 prefers a, but giving a to d1 would leave d2 without supply: value wins over score
    flows = assign_flows({"d1": 5, "d2": 5}, {"a": 5, "b": 5},
                         [Edge("d1", "a", 1.0), Edge("d1", "b", 0.1), Edge("d2", "a", 0.5)])
    assert flows == {("d1", "b"): pytest.approx(5), ("d2", "a"): pytest.approx(5)}
    assert assign_flows({}, {"a": 1}, []) == {}
    with pytest.raises(InvalidInput) as ei:
        assign_flows({"d": -1}, {"a": 1}, [Edge("d", "a", 1)])
    assert ei.value.code == "match.assign.bad_value"
    with pytest.raises(InvalidInput):
        assign_flows({"d": 1}, {"a": float("nan")}, [Edge("d", "a", 1)])


def test_planted_demands_assigned_with_reasons_for_the_rest():
    frames = planted()
    extra = pd.DataFrame([("D6", "B1", "rv_reducer", "purchase", "RV减速器 批量采购", 25 * M, 4, None, False)],
                         columns=frames["demands"].columns)
    frames["demands"] = pd.concat([frames["demands"], extra], ignore_index=True)
    with DuckDBEngine(":memory:") as e:
        put_tables(e, frames)
        res = assign_demands(e, as_of="2026-01-15")
    d = res.demands.set_index("demand_id")
    # rv_reducer: 35M demanded, qualified spare capacity 20M + 5M + 3M = 28M
    assert d.loc["D1", "assigned"] + d.loc["D6", "assigned"] == pytest.approx(28 * M)
    assert d.loc["D1", "unmatched"] + d.loc["D6", "unmatched"] == pytest.approx(7 * M)
    short = [x for x in ("D1", "D6") if d.loc[x, "unmatched"] > 0]
    assert [d.loc[x, "status"].code for x in short] == ["match.unmatched.capacity_taken"] * len(short)
    assert d.loc["D2", "assigned"] == 8 * M and d.loc["D2", "status"].code == "match.assign.full"
    assert d.loc["D3", "status"].code == "match.status.no_producer" and d.loc["D3", "assigned"] == 0
    assert d.loc["D4", "status"].code == "match.status.all_excluded"
    slots = res.slots.set_index("producer_id")
    assert (slots["used"] <= slots["capacity"] + 1e-6).all()
    assert slots.loc["S_TRUE", "used"] == pytest.approx(20 * M)
    # decoys never receive value
    assert not set(res.flows["producer_id"]) & {"S_FULL", "S_LOW", "S_BAD", "S_SIC_GD"}
    out = res.model()
    assert out.assigned_value == pytest.approx(36 * M) and out.total_value == pytest.approx(52 * M)
