"""`reforge sectors …` and `reforge indicators …` end to end (CliRunner + one real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from reforge.cli.main import app
from tests.conftest import FIXTURES

TB = FIXTURES / "sectors" / "io_textbook"
CN20 = FIXTURES / "sectors" / "io_china" / "china2020_io42_noncompetitive.csv"
runner = CliRunner()


def run(*args: str) -> str:
    r = runner.invoke(app, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_analyze_json_contract():
    out = json.loads(run("sectors", "analyze", str(TB / "miller_blair_2x2.csv"), "--format", "json"))
    assert set(out) == {"sectors", "n"} and out["n"] == 2
    s = out["sectors"][0]
    assert list(s) == ["code", "output_multiplier", "backward_linkage", "forward_linkage", "class",
                       "extraction_loss"]
    assert s["output_multiplier"] == pytest.approx(1.2541 + 0.2640, abs=1e-4)


def test_analyze_leontief_forward_and_table():
    g = json.loads(run("sectors", "analyze", str(TB / "germany1995_beutel_siot.csv"), "--format", "json"))
    lf = json.loads(run("sectors", "analyze", str(TB / "germany1995_beutel_siot.csv"), "--format", "json",
                        "--forward", "leontief"))
    assert [a["backward_linkage"] for a in g["sectors"]] == [b["backward_linkage"] for b in lf["sectors"]]
    assert [a["forward_linkage"] for a in g["sectors"]] != [b["forward_linkage"] for b in lf["sectors"]]
    txt = run("sectors", "analyze", str(TB / "germany1995_beutel_siot.csv"), "--format", "csv", "--all")
    assert txt.splitlines()[0].startswith("code,name,output_multiplier")


def test_load_key_items_and_indicators(tmp_path):
    db = str(tmp_path / "r.duckdb")
    out = json.loads(run("sectors", "load", str(CN20), "--id", "cn2020nc", "--db", db, "--format", "json"))
    assert out["sectors"] == 42 and out["table_id"] == "cn2020nc"
    tabs = json.loads(run("sectors", "tables", "--db", db, "--format", "json"))
    assert tabs["tables"][0]["table_id"] == "cn2020nc"
    key = json.loads(run("sectors", "key", "--table", "cn2020nc", "--db", db, "--format", "json"))
    assert key["n"] == 42 and key["sectors"][0]["class"] == "key"
    run("sectors", "concordance", "--db", db)
    r = runner.invoke(app, ["sectors", "items", "--table", "cn2020nc", "--chain", "nev_battery", "--db", db])
    assert "no items mapped to table 'cn2020nc' in item_sectors for chain 'nev_battery'" in str(r.exception)
    items = json.loads(run("sectors", "items", "--table", "cn2020nc", "--db", db, "--format", "json"))
    assert {"item_id", "sector_code", "backward_linkage", "import_dependence"} <= set(items["items"][0])
    run("indicators", "seed", "--db", db)
    png = tmp_path / "i.png"
    ind = json.loads(run("indicators", "show", "--region", "CN", "--db", db, "--format", "json", "--plot", str(png)))
    assert png.exists() and ind["plot"] == str(png)
    r2021 = [r for r in ind["indicators"] if r["year"] == 2021 and r["indicator"] == "manufacturing_va_share_gdp"]
    assert r2021[0]["value"] == pytest.approx(0.274) and r2021[0]["change"] == pytest.approx(0.011)
    assert "manufacturing_va_share_gdp" in run("indicators", "show", "--db", db, "--format", "csv")


def test_user_error_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,a,b,fd,total_output\na,1,2,3,7\nb,0,5,1,9\n")
    r = subprocess.run([sys.executable, "-c", "from reforge.cli.main import main; main()", "sectors", "analyze",
                        str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "row balance fails for sector 'b'" in r.stderr and r.stderr.count("\n") <= 2


def test_indicators_show_empty_and_unknown_table(tmp_path):
    db = str(tmp_path / "e.duckdb")
    run("indicators", "seed", "--db", db)
    r = runner.invoke(app, ["indicators", "show", "--region", "999999", "--db", db])
    assert "no indicators for region '999999'" in str(r.exception)
    r = runner.invoke(app, ["sectors", "key", "--table", "nope", "--db", db])
    assert "IO table 'nope' not found (stored: none)" in str(r.exception)
