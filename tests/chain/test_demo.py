"""On the demo province: planted blank / weak / chokepoint / sound items come out with those
labels (reforge.demo.generate.PLANTED), and Spark gives the same numbers as DuckDB."""

from __future__ import annotations

import pytest

from reforge.chain import bottlenecks, list_chains, simulate, single_points_of_failure
from reforge.engine import DuckDBEngine, open_engine

pytestmark = pytest.mark.slow


def test_planted_labels(demo_db):
    from reforge.demo.generate import PLANTED
    with DuckDBEngine(demo_db, read_only=True) as e:
        chains = [c["chain_id"] for c in list_chains(e)]
        assert "industrial_robot" in chains and len(chains) == 6
        n_checked = 0
        for cid in chains:
            b = bottlenecks(e, cid)
            by = {i["item_id"]: i for i in b.items}
            n_items = e.fetch_scalar(f"SELECT COUNT(*) FROM chain_items WHERE chain_id = '{cid}'")
            assert len(b.items) == n_items
            for label in ("blank", "weak", "chokepoint", "sound"):
                for item in PLANTED[label].get(cid, []):
                    assert by[item]["label"] == label, (cid, item, by[item]["reasons"])
                    n_checked += 1
            for item, cc in PLANTED["chokepoint_country"].items():
                if item in by and by[item]["label"] == "chokepoint":
                    assert by[item]["top_country"] == cc
        assert n_checked >= 6 * 3


def _summary(e):
    s = simulate(e, remove_country="JP").to_dict()
    p = single_points_of_failure(e, chain_id="industrial_robot").to_frame()
    b = bottlenecks(e, "industrial_robot").to_dict()
    return s, p, b


@pytest.mark.spark
@pytest.mark.extended  # each function's parity is tested on hand-made chains in tests/chain/
def test_spark_same_numbers(demo_db):
    pytest.importorskip("pyspark")
    with DuckDBEngine(demo_db, read_only=True) as e:
        sd, pd_, bd = _summary(e)
    assert sd["disrupted_firms_count"] > 0 and sd["lost_value"] > 0
    e = open_engine("spark", db=demo_db)
    try:
        ss, ps, bs = _summary(e)
    finally:
        e.close()
    assert ss["disrupted_firms"] == sd["disrupted_firms"] and ss["rounds"] == sd["rounds"]
    assert ss["lost_value"] == pytest.approx(sd["lost_value"], rel=1e-9)
    assert [(r["item_id"], r["lost_links"], r["disrupted_buyers"]) for r in ss["by_item"]] == \
        [(r["item_id"], r["lost_links"], r["disrupted_buyers"]) for r in sd["by_item"]]
    assert list(ps["firm_id"]) == list(pd_["firm_id"])
    assert list(ps["disrupted_count"]) == list(pd_["disrupted_count"])
    for a, b in zip(bs["items"], bd["items"], strict=True):
        assert a["item_id"] == b["item_id"] and a["label"] == b["label"]
        assert a["priority"] == pytest.approx(b["priority"], abs=1e-9)
        for k in ("domestic_share", "supplier_hhi", "foreign_country_hhi", "top_country_share"):
            assert (a[k] is None and b[k] is None) or a[k] == pytest.approx(b[k], rel=1e-9)


def test_unknown_level_not_sound_on_demo(demo_db):
    """Issue 14 finding 2 on the 2,000-firm seed-7 demo: interp_comp_sw in 2023 has a domestic
    supplier whose capability rows start later; the CLI says insufficient_data and why."""
    import json

    from typer.testing import CliRunner

    from reforge.cli.main import app
    with DuckDBEngine(demo_db, read_only=True) as e:
        first = e.fetch_scalar(
            "SELECT MIN(c.since_year) FROM capabilities c JOIN supply_links s ON s.supplier_id = c.producer_id "
            "AND s.item_id = c.item_id WHERE s.item_id = 'interp_comp_sw' AND s.year = 2023 "
            "AND s.supplier_type = 'enterprise'")
        n_dom = e.fetch_scalar("SELECT COUNT(DISTINCT supplier_id) FROM supply_links WHERE item_id = "
                               "'interp_comp_sw' AND year = 2023 AND supplier_type = 'enterprise'")
    assert first is None or first > 2023  # the data's own premise
    r = CliRunner().invoke(app, ["chain", "bottlenecks", "--db", str(demo_db), "--chain", "cnc_machine_tool",
                                 "--year", "2023", "--format", "json"])
    assert r.exit_code == 0, r.output
    item = {i["item_id"]: i for i in json.loads(r.stdout)["items"]}["interp_comp_sw"]
    assert item["label"] == "insufficient_data" and item["tech_gap"] is None
    assert item["missing"] == [{"code": "tech_level_unknown", "params": {"domestic_producers": n_dom}}]
    assert any("no technology level" in x for x in item["reasons"])
