"""The `reforge chain` commands on a small database holding the hand-made chain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reforge.cli.main import app
from reforge.engine import DuckDBEngine
from tests.chain.toy import toy_tables


@pytest.fixture
def toy_db(tmp_path: Path) -> Path:
    path = tmp_path / "toy.duckdb"
    with DuckDBEngine(path) as e:
        for name, df in toy_tables().items():
            e.con.register("v", df)
            e.con.execute(f"CREATE TABLE {name} AS SELECT * FROM v")
            e.con.unregister("v")
    return path


def _run(*args: str):
    r = CliRunner().invoke(app, list(args))
    assert r.exit_code == 0, (r.output, r.exception)
    return r.output


def test_commands(toy_db: Path, tmp_path: Path):
    db = ["--db", str(toy_db)]
    d = json.loads(_run("chain", "bottlenecks", "--chain", "toy", "--format", "json", *db))
    assert set(d) == {"chain_id", "thresholds", "items"} and d["items"][0]["item_id"] == "B"
    d = json.loads(_run("chain", "bottlenecks", "--chain", "toy", "--format", "json",
                        "--threshold", "chokepoint_downstream_reach=0.3", *db))
    assert {i["item_id"]: i["label"] for i in d["items"]}["D"] == "weak"
    d = json.loads(_run("chain", "simulate", "--remove-country", "JP", "--format", "json", *db))
    assert d["disrupted_firms_count"] == 2 and d["lost_value"] == 470.0
    out = _run("chain", "simulate", "--remove-firm", "D1", "--format", "csv", *db)
    assert out.splitlines()[0] == "item_id,name,lost_value,lost_links,disrupted_buyers"
    d = json.loads(_run("chain", "spof", "--format", "json", *db))
    assert d["firms"][0]["firm_id"] == "F_JP1" and d["firms"][0]["disrupted_count"] == 2
    d = json.loads(_run("chain", "map", "--chain", "toy", *db))
    assert len(d["nodes"]) == 7 and len(d["edges"]) == 5
    png = tmp_path / "toy.png"
    _run("chain", "bottlenecks", "--chain", "toy", "--plot", str(png), *db)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "toy.svg"
    _run("chain", "map", "--chain", "toy", "--plot", str(svg), *db)
    assert "<svg" in svg.read_text()[:500]
    assert "chokepoint_import_dependence = 0.5" in _run("chain", "bottlenecks", "--explain")
    d = json.loads(_run("chain", "generic", "--min-chains", "1", "--format", "json", *db))
    assert d["items"][0]["item_id"] == "B"
    d = json.loads(_run("chain", "list", "--format", "json", *db))
    assert d["chains"][0]["chain_id"] == "toy"


def test_user_error_is_one_line(toy_db: Path):
    r = subprocess.run([sys.executable, "-m", "reforge.cli.main", "chain", "simulate", "--remove-country",
                        "Japan", "--db", str(toy_db)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "ISO 3166 alpha-2" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_willems_commands(tmp_path: Path):
    from tests.conftest import FIXTURES
    fix = FIXTURES / "chain" / "willems2008"
    db = tmp_path / "w.duckdb"
    out = " ".join(_run("chain", "import-willems", str(fix), "--db", str(db)).split())  # lines wrap at 80
    assert "chains 5" in out and "chain_links 584" in out
    d = json.loads(_run("chain", "list", "--format", "json", "--db", str(db)))
    assert [c["chain_id"] for c in d["chains"]] == ["willems_01", "willems_02", "willems_05", "willems_07",
                                                    "willems_13"]
    d = json.loads(_run("chain", "willems", str(fix), "--format", "json"))
    first = d["chains"][0]
    assert (first["chain_id"], first["stages"], first["arcs"], first["assembly_top_count"],
            first["redundant_top_count"]) == ("willems_01", 8, 10, 5, 1)
