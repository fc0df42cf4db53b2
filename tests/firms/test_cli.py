"""`reforge firms …` against a real DuckDB file holding hand-made firms."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from reforge.cli.main import app
from reforge.engine import DuckDBEngine
from reforge.schema import ensure_schema
from tests.firms.factory import lg_exact, tables, twin


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("firms") / "f.duckdb"
    b = lg_exact("91320000MA00000001")
    b["designations"].append(dict(uscc=b["uscc"], kind="little_giant", granted_on="2021-07-01",
                                  expires_on="2024-06-30", status="active"))
    firms = [b, twin(b, "91320000MA00000002", y2023=dict(niche_market_share=0.09))]
    e = DuckDBEngine(path)
    ensure_schema(e)
    for name, df in tables(firms).items():
        if name == "credit_records":
            continue
        cols = e.columns(name)
        df = df[[c for c in df.columns if c in cols]]
        if name == "designations":
            df = df.assign(batch=None)
        e.register("tmp_in", df)
        e.execute(f"INSERT INTO {name} BY NAME SELECT * FROM tmp_in")
        e.drop("tmp_in")
    e.close()
    return path


def run(db, *args):
    r = CliRunner().invoke(app, ["firms", *args, "--db", str(db)])
    return r


def test_screen_json_contract(db):
    r = run(db, "screen", "--tier", "little_giant", "--year", "2024", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert list(d) == ["tier", "rules", "year", "firms"]
    assert (d["tier"], d["rules"], d["year"]) == ("little_giant", "2022", 2024)
    f = d["firms"]
    assert [x["uscc"] for x in f] == ["91320000MA00000001", "91320000MA00000002"]
    for x in f:
        # the contract's keys in order, extended by the codes of the reasons (issue 12)
        assert list(x) == ["uscc", "outcome", "score", "points", "reasons", "failed", "missing", "reason_codes"]
        assert [c["code"] for c in x["reason_codes"]] and all(c["code"].startswith("screen.reason.")
                                                              for c in x["reason_codes"])
    assert f[0]["outcome"] == "pass"
    assert f[1]["failed"] == [{"condition": "niche_share", "value": 0.09, "threshold": 0.1, "gap": 0.01}]


def test_screen_table_csv_and_only(db):
    r = run(db, "screen", "--tier", "little_giant", "--year", "2024", "--only", "near-miss", "--format", "csv")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("uscc,year,rules,province_code,outcome")
    assert len(lines) == 2 and "91320000MA00000002" in lines[1]
    r = run(db, "screen", "--tier", "srdi_sme", "--year", "2024")
    assert r.exit_code == 0 and "srdi_sme, screening year 2024" in r.output


def test_other_commands(db):
    r = run(db, "near-misses", "--tier", "little_giant", "--year", "2024", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["firms"][0]["condition"] == "niche_share"
    r = run(db, "review", "--year", "2024", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["firms"][0]["kind"] == "little_giant"
    r = run(db, "warnings", "--year", "2023", "--format", "json")
    assert r.exit_code == 0, r.output
    assert {f["level"] for f in json.loads(r.output)["firms"]} <= {"green", "amber", "red"}
    r = run(db, "profile", "91320000MA00000002", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["screening"]["little_giant"]["outcome"] == "fail"
    r = run(db, "cohorts", "--format", "csv")
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["firms", "rules", "--rules", "2026", "--tier", "little_giant", "--format", "csv"])
    assert r.exit_code == 0 and "niche share at least 10% or top 3" in r.output


def test_user_error_is_one_line(db):
    p = subprocess.run([sys.executable, "-m", "reforge.cli.main", "firms", "screen", "--tier", "little_giant",
                        "--year", "2031", "--db", str(db)], capture_output=True, text=True)
    assert p.returncode == 2
    assert "no figures for 2030" in p.stderr and len(p.stderr.strip().splitlines()) <= 2
