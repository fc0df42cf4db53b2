"""`reforge policy did FILE …` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reforge.cli.policy import app
from tests.conftest import FIXTURES
from tests.policy.test_mpdta import PUBLISHED_LPOP_NEVER

REFORGE = str(Path(sys.executable).parent / "reforge")
MPDTA = str(FIXTURES / "policy" / "mpdta.csv")
ARGS = ["--unit", "countyreal", "--time", "year", "--group", "first.treat", "--outcome", "lemp"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([REFORGE, "policy", "did", *args], capture_output=True, text=True)


def test_did_json_on_csv():
    p = _run(MPDTA, *ARGS, "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert round(d["aggregate"]["simple"]["att"], 4) == -0.0400
    assert round(d["aggregate"]["dynamic"]["att"], 4) == -0.0772
    assert round(d["pretest"]["p"], 3) == 0.168
    assert d["n_units"] == 500 and d["n_obs"] == 2500
    assert len(d["att_gt"]) == 12


def test_did_parquet_with_covariates_and_options(tmp_path):
    pq = tmp_path / "mpdta.parquet"
    pd.read_csv(MPDTA).to_parquet(pq)
    runner = CliRunner()
    p = runner.invoke(app, ["did", str(pq), *ARGS, "--covariates", "lpop", "--control", "notyet", "--format", "json"])
    assert p.exit_code == 0, p.output
    d = json.loads(p.stdout)
    assert round(d["att_gt"][0]["att"], 4) == -0.0212   # SOURCE.md C, not-yet-treated
    assert round(d["pretest"]["p"], 5) == 0.23326
    t = runner.invoke(app, ["did", MPDTA, *ARGS, "--bootstrap", "200", "--seed", "1", "--base-period", "universal"])
    assert t.exit_code == 0, t.output
    assert "aggregations" in t.stdout and "pre-trend Wald test" in t.stdout
    c = runner.invoke(app, ["did", MPDTA, *ARGS, "--format", "csv"])
    assert c.exit_code == 0 and c.stdout.splitlines()[0] == "group,time,att,se,post,lower,upper"


def test_did_user_errors():
    p = _run(MPDTA, "--unit", "countyreal", "--time", "year", "--group", "first.treat", "--outcome", "nope")
    assert p.returncode == 2
    assert "outcome column 'nope' not in policy_input" in p.stderr
    p = _run("/nonexistent/file.csv", *ARGS)
    assert p.returncode == 2 and "does not exist" in p.stderr


def test_did_json_loads_neither_pandas_nor_scipy():
    """The whole `policy did FILE --format json` process (issue 21): DuckDB reads the file and hands
    its results to numpy itself; pandas and scipy (~0.6 s of start-up) and pyarrow (~0.08 s) stay
    unloaded."""
    code = ("import atexit, json, sys\n"
            "atexit.register(lambda: sys.stderr.write('@@' + json.dumps(sorted({m.split('.')[0] "
            "for m in sys.modules})) + '\\n'))\n"
            "from reforge.cli.main import main\n"
            f"sys.argv = ['reforge', 'policy', 'did', {MPDTA!r}, *{ARGS!r}, '--covariates', 'lpop', "
            "'--cluster', 'countyreal', '--format', 'json']\n"
            "main()\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    mods = set(json.loads(p.stderr.rsplit("@@", 1)[1]))
    assert {"duckdb", "numpy", "reforge"} <= mods
    assert not {"pandas", "scipy", "pyarrow"} & mods
    d = json.loads(p.stdout)
    assert d["n_units"] == 500 and len(d["att_gt"]) == 12
    # the published R did numbers (xformla = ~lpop; clustering by the unit changes nothing)
    assert [round(r["att"], 4) for r in d["att_gt"]] == pytest.approx(PUBLISHED_LPOP_NEVER, abs=1e-12)
    assert round(d["pretest"]["p"], 5) == 0.23267
