"""The all-or-nothing importer: every kind of bad row is reported with file, row,
column and reason; nothing is written when anything is wrong."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reforge.engine import DuckDBEngine
from reforge.ingest import import_files, import_tables
from reforge.schema.tables import DATA_TABLES
from tests.synth import enterprise_years, enterprises

REFORGE = [sys.executable, "-m", "reforge.cli.main"]


def counts(db: Path) -> dict[str, int]:
    with DuckDBEngine(db, read_only=True) as e:
        return {t: e.count(t) for t in DATA_TABLES}


def test_bad_check_digit_in_row_1234_of_5000(tmp_path):
    db = tmp_path / "x.duckdb"
    ent = enterprises(5000)
    ent.iloc[:100].to_csv(tmp_path / "first.csv", index=False)
    assert subprocess.run(REFORGE + ["import", "enterprises", str(tmp_path / "first.csv"), "--db", str(db)],
                          capture_output=True).returncode == 0
    before = counts(db)
    bad = enterprises(5000, start=100)
    u = bad.loc[1233, "uscc"]
    bad.loc[1233, "uscc"] = u[:17] + ("0" if u[17] != "0" else "1")  # data row 1234
    f = tmp_path / "bad.csv"
    bad.to_csv(f, index=False)
    r = subprocess.run(REFORGE + ["import", "enterprises", str(f), "--db", str(db), "--format", "json"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    rep = json.loads(r.stdout)
    assert rep["ok"] is False and rep["error_count"] == 1
    err = rep["errors"][0]
    assert err["row"] == 1234 and err["column"] == "uscc" and err["file"] == str(f)
    assert "check digit" in err["reason"]
    assert counts(db) == before
    # the table form prints one clear report, no traceback
    r2 = subprocess.run(REFORGE + ["import", "enterprises", str(f), "--db", str(db)], capture_output=True, text=True)
    assert r2.returncode == 2 and "Traceback" not in r2.stderr and "1234" in r2.stdout


def test_every_kind_of_problem_is_reported(tmp_path, duck):
    ent = enterprises(3)
    assert import_tables(duck, {"enterprises": [("e.csv", ent.astype(str))]}).ok
    ey = enterprise_years(ent, range(2020, 2022)).astype(object)
    ey.loc[0, "revenue"] = -5.0                       # negative money
    ey.loc[1, "niche_market_share"] = 1.5             # share out of range
    ey.loc[2, "year"] = 1700                          # implausible year
    ey.loc[3, "employees"] = "many"                   # not a number
    ey.loc[4, "uscc"] = "913201000000009999"          # wrong check digit
    ey.loc[5, "uscc"] = None                          # required missing
    ey = pd.concat([ey, ey.iloc[[0]].assign(revenue=1.0)], ignore_index=True)  # duplicate key of row 1
    res = import_tables(duck, {"enterprise_years": [("ey.csv", ey.astype(str).replace("None", ""))]})
    assert not res.ok
    got = {(e["row"], e["column"]) for e in res.errors}
    assert {(1, "revenue"), (2, "niche_market_share"), (3, "year"), (4, "employees"), (5, "uscc"),
            (6, "uscc")} <= got
    dup = [e for e in res.errors if e["row"] == 7]
    assert dup and "also in row 1" in dup[0]["reason"]
    assert duck.count("enterprise_years") == 0


def test_references_must_exist(duck):
    ent = enterprises(2)
    other = enterprises(1, start=50)
    ey = enterprise_years(pd.concat([ent, other]), range(2020, 2021))
    assert import_tables(duck, {"enterprises": [("e.csv", ent)]}).ok
    res = import_tables(duck, {"enterprise_years": [("ey.parquet", ey)]})
    assert not res.ok
    (e,) = res.errors
    assert e["row"] == 3 and e["column"] == "uscc" and "does not exist in enterprises.uscc" in e["reason"]
    # the same rows pass when the missing enterprise comes in the same batch
    res = import_tables(duck, {"enterprise_years": [("ey.parquet", ey)], "enterprises": [("o.csv", other)]})
    assert res.ok and res.rows_written == {"enterprises": 1, "enterprise_years": 3}


def test_modes_append_upsert_replace(duck):
    ent = enterprises(4)
    assert import_tables(duck, {"enterprises": [("a", ent)]}).ok
    res = import_tables(duck, {"enterprises": [("a", ent.iloc[:1])]})
    assert not res.ok and "already stored" in res.errors[0]["reason"]
    changed = ent.iloc[:1].assign(name="新名称")
    assert import_tables(duck, {"enterprises": [("a", changed)]}, mode="upsert").ok
    assert duck.fetch_scalar(f"SELECT name FROM enterprises WHERE uscc = '{ent.uscc[0]}'") == "新名称"
    assert duck.count("enterprises") == 4
    assert import_tables(duck, {"enterprises": [("a", ent.iloc[:2])]}, mode="replace").ok
    assert duck.count("enterprises") == 2
    log = duck.fetch_df("SELECT action, rows FROM audit_log ORDER BY id")
    # the rejected append is audited too
    assert list(log.action) == ["import:append", "import.rejected", "import:upsert", "import:replace"]


def test_file_level_problems(tmp_path, duck):
    f = tmp_path / "e.csv"
    enterprises(2).drop(columns=["name"]).assign(colour="red").to_csv(f, index=False)
    res = import_files(duck, "enterprises", [f])
    reasons = {(e["column"], e["reason"].split(" (")[0]) for e in res.errors}
    assert ("name", "required column is missing") in reasons
    assert ("colour", "unknown column for table enterprises") in reasons
    assert duck.count("enterprises") == 0


def test_xlsx_and_parquet_readers(tmp_path, duck):
    ent = enterprises(3)
    ent.iloc[:2].to_excel(tmp_path / "e.xlsx", index=False)
    ent.iloc[2:].to_parquet(tmp_path / "e.parquet", index=False)
    res = import_files(duck, "enterprises", [tmp_path / "e.xlsx", tmp_path / "e.parquet"])
    assert res.ok and duck.count("enterprises") == 3
    # codes keep their leading zeros when read from a spreadsheet
    assert set(duck.fetch_df("SELECT province_code FROM enterprises").province_code) <= {
        "320000", "310000", "330000", "440000"}


def test_unknown_table_and_mode(duck, tmp_path):
    from reforge.errors import ReforgeError
    with pytest.raises(ValueError, match="unknown table 'firms'"):
        import_files(duck, "firms", [])
    with pytest.raises(ReforgeError, match="unknown mode"):
        import_tables(duck, {"enterprises": []}, mode="merge")
    with pytest.raises(ReforgeError, match="file not found"):
        import_files(duck, "enterprises", [tmp_path / "nope.csv"])
