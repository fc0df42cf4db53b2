"""Single points of failure equal brute force (one reference cascade per firm)."""

from __future__ import annotations

import pandas as pd
import pytest

from reforge.chain import simulate, single_points_of_failure
from reforge.errors import ReforgeError
from tests.chain.reference import cascade_reference, network_tables, random_layered
from tests.chain.toy import toy_tables
from tests.conftest import put_tables


def _brute(links, thr):
    rows = list(links[["supplier_id", "buyer_uscc", "item_id", "value"]].itertuples(index=False, name=None))
    out = {}
    for f in sorted(set(links.supplier_id)):
        down, lost = cascade_reference(rows, {f}, thr)
        if down:
            out[f] = (len(down), lost, max(down.values()))
    return out


def test_toy_spof(any_engine):
    put_tables(any_engine, toy_tables())
    s = single_points_of_failure(any_engine, chain_id="toy")
    got = {r.firm_id: (r.disrupted_count, r.lost_value, r.depth) for r in s.to_frame().itertuples()}
    # hand: JP1 -> D2, D3 (470); D1 -> D2 -> D3 (60+20+300); D2 -> D3 (300); US -> D3 (80); DE -> D3 (70)
    assert got == {"F_JP1": (2, 470.0, 1), "D1": (2, 380.0, 2), "D2": (1, 300.0, 1),
                   "F_US": (1, 80.0, 1), "F_DE": (1, 70.0, 1)}
    assert list(s.to_frame()["firm_id"][:2]) == ["F_JP1", "D1"]
    assert s.firms_checked == 5 and s.candidates == 5  # D3 supplies nobody
    assert set(s.timings) == {"build_s", "propagate_s"} and min(s.timings.values()) > 0
    assert "timings" not in s.to_dict()  # wall times would make the JSON differ run to run
    top1 = single_points_of_failure(any_engine, chain_id="toy", top=1).to_frame()
    assert top1[["rank", "firm_id", "firm_type", "country"]].values.tolist() == [[1, "F_JP1", "foreign", "JP"]]


@pytest.mark.parametrize("seed", range(12))
def test_spof_equals_brute_force(duck, seed):
    links = random_layered(100 + seed, layers=5, width=6, max_suppliers=3)
    put_tables(duck, network_tables(links))
    thr = [0.5, 0.3, 0.7, 0.0][seed % 4]
    want = _brute(links, thr)
    s = single_points_of_failure(duck, loss_threshold=thr).to_frame()
    got = {r.firm_id: (r.disrupted_count, r.lost_value, r.depth) for r in s.itertuples()}
    assert set(got) == set(want)
    for f, (n, lost, depth) in want.items():
        assert got[f][0] == n and got[f][2] == depth
        assert got[f][1] == pytest.approx(lost, rel=1e-9)


@pytest.mark.parametrize("thr", [0.5, 0.3])
def test_spof_many_networks_both_engines(any_engine, thr):
    """12 random networks with disjoint ids in one data set: every firm's cascade equals brute force."""
    nets = [random_layered(200 + s, layers=5, width=6, prefix=f"m{s}_") for s in range(12)]
    allf = pd.concat(nets, ignore_index=True)
    put_tables(any_engine, network_tables(allf))
    want = {}
    for links in nets:
        want.update(_brute(links, thr))
    s = single_points_of_failure(any_engine, loss_threshold=thr).to_frame()
    got = {r.firm_id: (r.disrupted_count, r.lost_value, r.depth) for r in s.itertuples()}
    assert set(got) == set(want)
    for f, (n, lost, depth) in want.items():
        assert got[f][0] == n and got[f][2] == depth and got[f][1] == pytest.approx(lost, rel=1e-9)


def test_spof_matches_simulate(duck):
    links = random_layered(7, layers=5, width=7)
    put_tables(duck, network_tables(links))
    s = single_points_of_failure(duck).to_frame()
    for r in s.head(5).itertuples():
        sim = simulate(duck, remove_firm=r.firm_id)
        assert sim.disrupted_firms_count == r.disrupted_count
        assert sim.lost_value == pytest.approx(r.lost_value)


def test_bad_inputs(duck):
    put_tables(duck, toy_tables())
    with pytest.raises(ReforgeError, match="unknown chain 'nope'"):
        single_points_of_failure(duck, chain_id="nope")
    with pytest.raises(ReforgeError, match="top must be a positive integer"):
        single_points_of_failure(duck, top=0)
    with pytest.raises(ReforgeError, match=r"loss threshold must be in \[0, 1\)"):
        single_points_of_failure(duck, loss_threshold=-0.1)


@pytest.mark.parametrize("seed", range(3))
def test_spof_on_links_sums_duplicate_links(duck, seed):
    """Without the key promise (``unique_links=False``) split rows of one (supplier, buyer, item)
    are summed first: each link split into two halves gives the brute-force answer of the whole."""
    from reforge.chain.spof import spof_on_links
    links = random_layered(300 + seed, layers=5, width=6, max_suppliers=3)
    want = _brute(links, 0.5)
    half = links.assign(value=links["value"] / 2.0)
    split = pd.concat([half, half], ignore_index=True).rename(columns={"buyer_uscc": "buyer_id"})
    duck.register("dup_links", split[["supplier_id", "buyer_id", "item_id", "value"]])
    with duck.scratch() as scratch:
        df, n_firms, _n_cand, _r = spof_on_links(duck, "dup_links", None, 0.5, scratch)
    got = {r.firm_id: (r.disrupted_count, r.lost_value, r.depth) for r in df.itertuples()}
    assert n_firms == links["supplier_id"].nunique()
    assert set(got) == set(want)
    for f, (n, lost, depth) in want.items():
        assert got[f][0] == n and got[f][2] == depth and got[f][1] == pytest.approx(lost, rel=1e-9)
