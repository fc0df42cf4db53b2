"""A chain's matching degree per item and its gaps (``match.gaps.chain_gaps``), and the same block
in ``reforge chain bottlenecks --matching --format json``: the hand-computed figures of
tests/match/test_rank.py (robot chain: 10 of 18 million CNY matchable; the harmonic reducer and
the servo drive have no qualified domestic supplier)."""

from __future__ import annotations

import json

import pytest

from reforge.engine import DuckDBEngine
from reforge.match.gaps import chain_gaps
from tests.match.dbfile import planted_db
from tests.match.test_cli import run

M = 1_000_000.0


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return planted_db(tmp_path_factory.mktemp("gaps") / "m.duckdb")


def test_chain_gaps_lowest_first(db):
    with DuckDBEngine(db, read_only=True) as e:
        g = chain_gaps(e, "robot", as_of="2026-01-15")
        assert g["chain"]["degree"] == pytest.approx(10 / 18) and g["chain"]["demand_value"] == 18 * M
        assert [(r["item_id"], r["degree"], r["gap"]) for r in g["items"]] == [
            ("harmonic_reducer", 0.0, True), ("servo_drive", 0.0, True), ("rv_reducer", 1.0, False)]
        assert g["gaps"] == ["harmonic_reducer", "servo_drive"]
        # a region without any of the chain's buyers: no demands, no gaps
        none = chain_gaps(e, "robot", as_of="2026-01-15", region="110000")
        assert none["items"] == [] and none["gaps"] == [] and none["chain"] is None


def test_bottlenecks_json_gains_the_matching_block(db):
    r = run("degree", "--db", str(db), "--format", "json")  # the contract the block repeats
    assert r.returncode == 0, r.stderr
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "reforge.cli.main", "chain", "bottlenecks", "--chain", "robot",
                          "--matching", "--db", str(db), "--format", "json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"chain_id", "items", "matching"} <= set(d)
    assert d["matching"]["gaps"] == ["harmonic_reducer", "servo_drive"]
    deg = {x["item_id"]: x for x in json.loads(r.stdout)["items"]}
    for x in d["matching"]["items"]:
        assert x["degree"] == deg[x["item_id"]]["degree"] and x["demand_value"] == deg[x["item_id"]]["demand_value"]
    plain = subprocess.run([sys.executable, "-m", "reforge.cli.main", "chain", "bottlenecks", "--chain", "robot",
                            "--db", str(db), "--format", "json"], capture_output=True, text=True, timeout=120)
    assert "matching" not in json.loads(plain.stdout)  # the old shape without the flag
