"""Label history: labels per year equal ``bottlenecks(year=t)``; transitions on the hand-made
3-year panel; stored once and recomputed when a year's inputs change; the demo's planted
transitions."""

from __future__ import annotations

import pytest

from reforge.chain import bottlenecks, list_chains
from reforge.engine import DuckDBEngine
from reforge.loop import label_history
from tests.loop.data import EXPECTED_LABELS, fill_duckdb


@pytest.fixture
def dbfile(tmp_path):
    from reforge.schema import ensure_schema
    path = tmp_path / "h.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill_duckdb(e)
    return path


def test_labels_equal_bottlenecks_every_year(dbfile):
    with DuckDBEngine(dbfile) as e:
        h = label_history(e, "c1")
        assert h.years == [2022, 2023, 2024]
        lab = h.labels()
        for y in h.years:
            for it in bottlenecks(e, "c1", year=y).items:
                assert lab[it["item_id"]][y] == it["label"], (y, it["item_id"])
        for item, by_year in EXPECTED_LABELS.items():
            assert lab[item] == by_year


def test_transitions_on_the_hand_made_panel(dbfile):
    with DuckDBEngine(dbfile, read_only=True) as e:
        h = label_history(e, "c1")
    got = [(t["item_id"], t["from_year"], t["to_year"], t["from_label"], t["to_label"], t["direction"])
           for t in h.transitions]
    assert got == [("X", 2022, 2023, "chokepoint", "weak", "better"),
                   ("X", 2023, 2024, "weak", "sound", "better"),
                   ("Y", 2023, 2024, "sound", "chokepoint", "worse")]
    assert h.since == 2023
    assert [r["item_id"] for r in h.resolved] == []          # X was weak in 2023, not a problem label
    assert [(r["item_id"], r["was"], r["now"]) for r in h.newly_choked] == [("Y", "sound", "chokepoint")]
    with DuckDBEngine(dbfile, read_only=True) as e:
        h2 = label_history(e, "c1", since=2022)
    assert [(r["item_id"], r["was"], r["now"]) for r in h2.resolved] == [("X", "chokepoint", "sound")]
    assert h2.to_dict()["items"][0]["name_zh"]  # names travel with the ids


def test_stored_once_and_recomputed_when_stale(dbfile):
    with DuckDBEngine(dbfile) as e:
        first = label_history(e, "c1")
        assert first.computed_years == [2022, 2023, 2024] and first.stored_years == []
        assert e.fetch_scalar("SELECT COUNT(*) FROM label_history WHERE chain_id = 'c1'") == 3 * 5
        again = label_history(e, "c1")
        assert again.stored_years == [2022, 2023, 2024] and again.computed_years == []
        assert again.labels() == first.labels()
        # 2024: JP now sells X for 200 (was 20): domestic 120 of 320 -> import dependence 0.625, all JP
        e.execute("UPDATE supply_links SET value = 200 WHERE year = 2024 AND supplier_id = 'FJ' AND item_id = 'X'")
        third = label_history(e, "c1")
        assert third.computed_years == [2024] and third.stored_years == [2022, 2023]
        assert third.labels()["X"][2024] == "chokepoint"
        stored = e.fetch_df("SELECT label FROM label_history WHERE chain_id = 'c1' AND year = 2024 AND item_id = 'X'")
        assert stored.label[0] == "chokepoint"
    with DuckDBEngine(dbfile, read_only=True) as e:  # read-only: nothing to write, still answers
        assert label_history(e, "c1").stored_years == [2022, 2023, 2024]


@pytest.mark.slow
def test_demo_history_equals_bottlenecks_and_planted_transitions(demo_db):
    from reforge.demo.generate import PLANTED
    with DuckDBEngine(demo_db, read_only=True) as e:
        for c in list_chains(e):
            cid = c["chain_id"]
            h = label_history(e, cid)
            lab = h.labels()
            for y in h.years:
                for it in bottlenecks(e, cid, year=y).items:
                    assert lab[it["item_id"]][y] == it["label"]
            resolved = {r["item_id"] for r in h.resolved}
            newly = {r["item_id"] for r in h.newly_choked}
            for p in PLANTED["label_transitions"][cid]:
                assert {y: lab[p["item_id"]][y] for y in (2023, 2024)} == p["labels"], (cid, p)
                assert p["item_id"] in (resolved if p["kind"] == "resolved" else newly)
