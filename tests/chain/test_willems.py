"""Willems (2008) chains: importer counts vs the published sizes, single points of failure
vs networkx (descendants for the assembly reading, dominator trees for the redundant one)."""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx
import pytest

from reforge.chain import bottlenecks, list_chains
from reforge.chain.willems import chain_spof, import_willems, read_chain, read_dir, to_template_tables
from reforge.engine import DuckDBEngine
from reforge.errors import ReforgeError
from tests.conftest import FIXTURES, SHARED

FIX = FIXTURES / "chain" / "willems2008"
FULL = SHARED / "data" / "willems2008"
# stages / arcs per chain, from the data set's SOURCE.md
COUNTS = {1: (8, 10), 2: (13, 13), 3: (17, 18), 4: (22, 39), 5: (27, 31), 6: (28, 28), 7: (38, 78),
          8: (40, 48), 9: (49, 52), 10: (58, 176), 11: (68, 108), 12: (88, 107), 13: (108, 452),
          14: (116, 119), 15: (133, 164), 16: (145, 224), 17: (152, 211), 18: (154, 224),
          19: (156, 263), 20: (156, 169), 21: (186, 359), 22: (253, 253), 23: (271, 524),
          24: (334, 1245), 25: (409, 853), 26: (468, 605), 27: (482, 941), 28: (577, 2262),
          29: (617, 753), 30: (626, 632), 31: (706, 908), 32: (844, 1685), 33: (976, 1009),
          34: (1206, 4063), 35: (1386, 1857), 36: (1451, 4812), 37: (1479, 2069), 38: (2025, 16225)}


def _graph(c) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(c.stages["stage"])
    g.add_edges_from(zip(c.arcs["source"], c.arcs["target"], strict=True))
    return g


def _dominated_counts(g: nx.DiGraph) -> dict[str, int]:
    """Size of each node's dominator-tree subtree minus itself, from a super-source."""
    h = g.copy()
    root = "__ROOT__"
    h.add_edges_from((root, s) for s in g.nodes if g.in_degree(s) == 0)
    idom = nx.immediate_dominators(h, root)
    tree = nx.DiGraph((d, v) for v, d in idom.items() if v != d)
    return {v: len(nx.descendants(tree, v)) for v in g.nodes if v in tree}


def _check(engine, c) -> None:
    g = _graph(c)
    assert nx.is_directed_acyclic_graph(g)
    a = chain_spof(engine, c, "assembly")
    got = dict(zip(a["firm_id"], a["disrupted_count"], strict=True))
    want = {v: len(nx.descendants(g, v)) for v in g.nodes}
    assert got == {v: n for v, n in want.items() if n > 0}
    r = chain_spof(engine, c, "redundant")
    got = dict(zip(r["firm_id"], r["disrupted_count"], strict=True))
    want = _dominated_counts(g)
    assert got == {v: n for v, n in want.items() if n > 0}


def test_fixture_chains_counts_and_spof():
    chains = read_dir(FIX)
    assert [c.number for c in chains] == [1, 2, 5, 7, 13]
    with DuckDBEngine(":memory:") as e:
        for c in chains:
            assert (len(c.stages), len(c.arcs)) == COUNTS[c.number]
            _check(e, c)


def test_chain_01_by_hand():
    # chain 1: Part_0001..3 -> Manuf_0001, Manuf_0002; Manuf_0001 -> Retail_0001, Retail_0002;
    # Manuf_0002 -> Retail_0002, Retail_0003. Assembly: each part disrupts both Manufs and all
    # three Retails (5); Manuf_0001 -> 2, Manuf_0002 -> 2. Redundant: no part alone; Manuf_0001
    # alone feeds Retail_0001 (1), Manuf_0002 alone feeds Retail_0003 (1).
    c = read_chain(FIX / "chain_01.csv")
    with DuckDBEngine(":memory:") as e:
        a = chain_spof(e, c, "assembly")
        assert dict(zip(a.firm_id, a.disrupted_count, strict=True)) == {
            "Part_0001": 5, "Part_0002": 5, "Part_0003": 5, "Manuf_0001": 2, "Manuf_0002": 2}
        r = chain_spof(e, c, "redundant")
        assert dict(zip(r.firm_id, r.disrupted_count, strict=True)) == {"Manuf_0001": 1, "Manuf_0002": 1}


@pytest.mark.slow
@pytest.mark.skipif(not FULL.is_dir() and not os.environ.get("CI"),
                    reason="shared Willems data not present (CI has it beside the clone)")
def test_all_38_chains_against_networkx():
    chains = read_dir(FULL)
    assert len(chains) == 38
    assert sum(len(c.stages) for c in chains) == 15872 and sum(len(c.arcs) for c in chains) == 43589
    with DuckDBEngine(":memory:") as e:
        for c in chains:
            assert (len(c.stages), len(c.arcs)) == COUNTS[c.number]
            _check(e, c)


def test_import_into_database(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    with DuckDBEngine(db) as e:
        n = import_willems(e, FIX)
        assert n == {"chains": 5, "items": 8 + 13 + 27 + 38 + 108, "chain_items": 194,
                     "chain_links": 10 + 13 + 31 + 78 + 452}
        import_willems(e, FIX)  # re-import replaces, does not duplicate
        rows = {r["chain_id"]: r for r in list_chains(e)}
        assert rows["willems_01"]["n_items"] == 8 and rows["willems_01"]["n_links"] == 10
        assert rows["willems_01"]["n_end_products"] == 3
        b = bottlenecks(e, "willems_01")  # no producers in the data: all missing
        assert {i["label"] for i in b.items} == {"missing"}
        reach = {i["item_id"]: i["downstream_reach"] for i in b.items}
        # end values = avgDemand x stageCost of Retail stages are 0 (cost 0) -> equal weights
        assert reach["w01_Part_0001"] == pytest.approx(1.0)
        assert reach["w01_Manuf_0001"] == pytest.approx(2 / 3)


def test_bad_inputs(tmp_path: Path):
    with pytest.raises(ReforgeError, match="is not a directory"):
        read_dir(tmp_path / "nope")
    with pytest.raises(ReforgeError, match="no chain_\\*.csv files"):
        read_dir(tmp_path)
    bad = tmp_path / "chain_99.csv"
    bad.write_text("/chain,,\na,b,c\n1,2,3\n")
    with pytest.raises(ReforgeError, match="missing column"):
        read_chain(bad)
    with pytest.raises(ReforgeError, match="mode must be assembly or redundant"):
        from reforge.chain.willems import stage_links
        stage_links(read_chain(FIX / "chain_01.csv"), "both")
    assert len(to_template_tables([read_chain(FIX / "chain_02.csv")])["items"]) == 13
