"""`reforge loop leaders|history` through the real CLI entry point: the JSON contract, --lang zh,
coded errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.loop.data import U, fill_duckdb


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path_factory.mktemp("loop_cli") / "cli.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill_duckdb(e)
    return path


def _run(*args, lang="en"):
    return subprocess.run([sys.executable, "-m", "reforge.cli.main", "loop", *map(str, args)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "REFORGE_LANG": lang,
                                                               "PYTHONPATH": ":".join(sys.path)})


def test_leaders_json_contract(dbfile):
    r = _run("leaders", "--chain", "c1", "--year", "2024", "--db", dbfile, "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {"chain_id", "chain_name", "chain_name_zh", "year", "rules", "leaders", "notes"} <= set(d)
    top = d["leaders"][0]
    assert (d["chain_id"], d["year"], top["uscc"], top["rank"]) == ("c1", 2024, U["L1"], 1)
    assert set(top["parts"]) == {"output_share", "purchase_share", "domestic_suppliers", "tree_depth", "tree_size"}
    assert top["reasons"][0] == {"code": "loop.leader.output_share", "params": {"share": pytest.approx(2 / 3),
                                                                                "weight": 3.0},
                                 "text": top["reasons"][0]["text"]}
    assert [e["year"] for e in top["ecosystem"]] == [2022, 2023, 2024]
    assert top["ecosystem"][-1]["designated"] == {"srdi_sme": 1, "little_giant": 1}


def test_history_json_and_zh_table(dbfile):
    r = _run("history", "--chain", "c1", "--db", dbfile, "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["years"] == [2022, 2023, 2024]
    x = next(i for i in d["items"] if i["item_id"] == "X")
    assert x["labels"] == {"2022": "chokepoint", "2023": "weak", "2024": "sound"}
    assert [t["item_id"] for t in d["transitions"]] == ["X", "X", "Y"]
    assert d["newly_choked"][0]["item_id"] == "Y"
    r = _run("history", "--chain", "c1", "--db", dbfile, lang="zh")
    assert r.returncode == 0, r.stderr
    assert "零件X：由卡脖子（2022）变为薄弱（2023）" in r.stdout and "2023 年以来新增卡脖子: 材料Y" in r.stdout
    r = _run("leaders", "--chain", "c1", "--db", dbfile, "--lang", "zh")
    assert "企业L1" in r.stdout and "占本链终端产品产出的" in r.stdout


def test_unknown_chain_is_a_clear_error(dbfile):
    r = _run("leaders", "--chain", "nope<script>", "--db", dbfile, "--format", "json")
    assert r.returncode == 2 and "unknown chain" in r.stderr and "Traceback" not in r.stderr
