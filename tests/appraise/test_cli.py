"""`reforge appraise …` through the real CLI entry point on a DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.appraise.conftest import fill


@pytest.fixture
def dbfile(tmp_path):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path / "cli.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e)
    return path


def _run(*args):
    return subprocess.run([sys.executable, "-m", "reforge.cli.main", "appraise", *map(str, args)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "REFORGE_LANG": "en"})


def test_rank_and_weights_as_json(dbfile):
    r = _run("rank", "--kind", "new_product", "--year", "2025", "--db", dbfile, "--format", "json",
             "--role-weight", "downstream_user=16")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["items"][0]["appraisal_id"] == "AP2" and out["notes"][0]["code"] == "appraise.note.excluded_inconsistent"
    r = _run("weights", "--id", "AP1", "--db", dbfile, "--format", "json")
    w = json.loads(r.stdout)["weights"]
    g = np.sqrt(np.array([0.2, 0.2, 0.6]) * np.array([0.2, 0.6, 0.2]))
    assert [w["market"], w["novelty"], w["reliability"]] == pytest.approx(list(g / g.sum()))


def test_panel_in_chinese_and_judge_roundtrip(dbfile):
    r = _run("panel", "AP2", "--db", dbfile, "--lang", "zh")
    assert r.returncode == 0 and "利益冲突" in r.stdout and "E1" in r.stdout
    r = _run("judge", "AP3", "E2", "--pair", "novelty:reliability=3", "--pair", "novelty:market=3",
             "--pair", "reliability:market=1", "--db", dbfile, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["consistent"] is True
    r = _run("weights", "--id", "AP3", "--db", dbfile, "--format", "json")
    assert json.loads(r.stdout)["weights"]["novelty"] == pytest.approx(0.6)
    r = _run("judge", "AP3", "E2", "--pair", "novelty:reliability=abc", "--db", dbfile)
    assert r.returncode == 2 and "A:B=VALUE" in (r.stderr + r.stdout) and "Traceback" not in r.stderr


def test_check_a_matrix_file(tmp_path):
    f = tmp_path / "m.json"
    f.write_text(json.dumps([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]))
    out = json.loads(_run("check", f, "--format", "json").stdout)
    assert out["cr"] == pytest.approx(0.0332, abs=1e-4) and out["consistent"]
    f.write_text(json.dumps([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]))
    out = json.loads(_run("check", f, "--repair", "--format", "json").stdout)
    assert not out["consistent"] and out["repair"]["cr_after"] <= 0.1
    f.write_text("[[1, 2], [2, 1]]")
    r = _run("check", f)
    assert r.returncode == 2 and "reciprocal" in (r.stderr + r.stdout)


def test_eligible_and_insurance_commands(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"in_catalogue": True, "years_since_first_purchase": 1}))
    out = json.loads(_run("eligible", "first_batch", f, "--format", "json").stdout)
    assert out["decision"] == "not_eligible" and out["reasons"][1]["code"] == "appraise.catalogue.fail"
    r = _run("eligible", "first_batch", f, "--lang", "zh")
    assert r.returncode == 0 and "不满足规则 first_year_of_use" in r.stdout
    out = json.loads(_run("insurance", "first_set", "--insured-value", "10000000", "--rate", "0.04",
                          "--years", "2", "--format", "json").stdout)
    assert out["total_subsidy"] == pytest.approx(2 * 0.8 * 300_000) and out["notes"][0]["code"] == \
        "appraise.insurance.rate_capped"
    r = _run("insurance", "first_set", "--insured-value", "-5", "--rate", "0.02")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_whatif_command(dbfile):
    r = _run("whatif", "--kind", "new_product", "--weights", "equal", "--db", dbfile, "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["role"] == "downstream_user" and out["weight"] == 2.0 and out["top"] in {"AP1", "AP2", "AP3"}
