"""`reforge match …` through the real entry point on a DuckDB file: JSON equals the library's
result, reasons render in Chinese, the text ranker works on CSV files, bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reforge.engine import DuckDBEngine
from reforge.match import match_demands
from tests.match.dbfile import planted_db


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reforge.cli.main", "match", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return planted_db(tmp_path_factory.mktemp("m") / "m.duckdb")


def test_demands_json_equals_the_library(db):
    r = run("demands", "--db", str(db), "--as-of", "2026-01-15", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    with DuckDBEngine(db, read_only=True) as e:
        lib = match_demands(e, as_of="2026-01-15").to_dict()
    assert out == json.loads(json.dumps(lib, ensure_ascii=False))
    d1 = next(d for d in out["demands"] if d["demand_id"] == "D1")
    assert d1["candidates"][0]["producer_id"] == "S_TRUE"
    assert {x["reasons"][0]["code"] for x in d1["excluded"]} == {
        "match.exclude.dishonest", "match.exclude.no_capacity", "match.exclude.level_below"}


def test_demands_table_in_chinese(db):
    r = run("demands", "--db", str(db), "--as-of", "2026-01-15", "--demand", "D1", "--lang", "zh", "--format", "csv")
    assert r.returncode == 0, r.stderr
    assert "技术水平 2 低于要求的 4" in r.stdout and "存在失信记录（有效 1 条）" in r.stdout
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("demand_id,rank,producer_id") and lines[1].startswith("D1,1,S_TRUE,")
    r = run("demands", "--db", str(db), "--as-of", "2026-01-15", "--lang", "zh")
    assert r.returncode == 0 and "5 项需求中有 2 项找到合格的国内供应商" in r.stdout


def test_degree_json(db):
    r = run("degree", "--db", str(db), "--as-of", "2026-01-15", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    chains = {c["chain_id"]: c for c in out["chains"]}
    assert chains["robot"]["demand_value"] == 18e6 and chains["robot"]["matchable_value"] == 10e6
    assert chains["robot"]["degree"] == pytest.approx(10 / 18) and chains["semi"]["degree"] == 1.0
    assert {i["item_id"]: i["degree"] for i in out["items"]}["servo_drive"] == 0.0


def test_rank_csv_files(tmp_path):
    q = tmp_path / "q.csv"
    c = tmp_path / "c.csv"
    q.write_text("id,need\n1,工业机器人RV减速器\n2,碳化硅衬底 6英寸\n3,\n", encoding="utf-8")
    c.write_text("name,desc\nA,高纯氧化铝陶瓷基板\nB,\"RV减速机, 机器人关节\"\nC,导电型SiC衬底\n", encoding="utf-8")
    r = run("rank", "--queries", str(q), "--candidates", str(c), "--query-col", "need", "--candidate-col", "desc",
            "--top", "2")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [o["hits"][0]["candidate"] for o in out[:2]] == [1, 2]
    assert out[2]["hits"] == [] and out[0]["hits"][0]["text"] == "RV减速机, 机器人关节"
    bad = run("rank", "--queries", str(q), "--candidates", str(c), "--query-col", "nope")
    assert bad.returncode == 2 and "no column 'nope'" in bad.stderr
    missing = run("rank", "--queries", str(tmp_path / "none.csv"), "--candidates", str(c))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_rank_reads_its_csv_files_as_a_spreadsheet_writes_them(tmp_path):
    """The texts are read with the standard library (no pandas): a BOM, quoted commas and line
    breaks, CRLF ends, blank lines, short rows are read as a spreadsheet writes them; a file that is
    not UTF-8, an empty one or a row with more fields than the header is a clear error (exit 2)."""
    q = tmp_path / "q.csv"
    q.write_bytes("\ufeffneed,n\r\nRV减速器,1\r\n\r\n\"谐波, 减速器\n精密\"\r\n".encode())
    c = tmp_path / "c.csv"
    c.write_text("desc\nRV减速机\n谐波减速器 精密\n", encoding="utf-8")
    r = run("rank", "--queries", str(q), "--candidates", str(c), "--query-col", "need", "--candidate-col", "desc",
            "--top", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [o["text"] for o in out] == ["RV减速器", "谐波, 减速器\n精密"]
    assert [o["hits"][0]["candidate"] for o in out] == [0, 1]
    for name, body, says in (("gbk.csv", "need\n减速器\n".encode("gbk"), "not a UTF-8 CSV file"),
                             ("empty.csv", b"", "not a UTF-8 CSV file"),
                             ("wide.csv", b"need\na,b\n", "line 2 has 2 fields")):
        f = tmp_path / name
        f.write_bytes(body)
        bad = run("rank", "--queries", str(f), "--candidates", str(c), "--query-col", "need",
                  "--candidate-col", "desc")
        assert bad.returncode == 2 and says in bad.stderr and "Traceback" not in bad.stderr, (name, bad.stderr)


def test_bad_options_exit_2(db):
    for args in (["--as-of", "2026-99-01"], ["--mode", "dense"], ["--top", "0"], ["--min-score", "3"]):
        r = run("demands", "--db", str(db), *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr


def test_assign_json_and_chinese_summary(db):
    r = run("assign", "--db", str(db), "--as-of", "2026-01-15", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["assigned_value"] == pytest.approx(18e6) and out["total_value"] == pytest.approx(27e6)
    status = {d["demand_id"]: d["status"]["code"] for d in out["demands"]}
    assert status == {"D1": "match.assign.full", "D2": "match.assign.full", "D3": "match.status.no_producer",
                      "D4": "match.status.all_excluded", "D5": "match.status.no_item"}
    r = run("assign", "--db", str(db), "--as-of", "2026-01-15", "--lang", "zh")
    assert r.returncode == 0 and "国内无该产品的生产企业" in r.stdout
