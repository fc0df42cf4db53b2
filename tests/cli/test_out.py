"""``--out FILE`` on every command (reforge.cli.output): xlsx/csv/json from the suffix, the same
rows as ``--format json``, nothing written when the command or the file name is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

REFORGE = str(Path(sys.executable).with_name("reforge"))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([REFORGE, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def db(demo_db) -> Path:
    """The session's 2,000-firm demo database (read only here)."""
    return demo_db


def test_xlsx_holds_the_rows_of_the_json_output(db, tmp_path):
    js = run("chain", "bottlenecks", "--chain", "industrial_robot", "--db", str(db), "--format", "json", cwd=tmp_path)
    assert js.returncode == 0, js.stderr
    items = json.loads(js.stdout)["items"]
    r = run("chain", "bottlenecks", "--chain", "industrial_robot", "--db", str(db), "--out", "b.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote b.xlsx" in r.stderr
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx").worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    got = [(row[head.index("item_id")], row[head.index("label")]) for row in rows[1:]]
    assert got == [(i["item_id"], i["label"]) for i in items]


def test_json_file_equals_format_json(db, tmp_path):
    args = ("chain", "simulate", "--remove-country", "JP", "--db", str(db))
    js = run(*args, "--format", "json", cwd=tmp_path)
    r = run(*args, "--out", "s.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8")) == json.loads(js.stdout)


def test_csv_has_a_bom_and_neutralised_formulas(db, tmp_path):
    r = run("sql", "SELECT '=1+1' AS f, '数控机床' AS name", "--db", str(db), "--out", "q.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    raw = (tmp_path / "q.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == ["f,name", "'=1+1,数控机床"]


def test_wrong_suffix_or_failing_command_writes_nothing(db, tmp_path):
    r = run("chain", "list", "--db", str(db), "--out", "l.txt", cwd=tmp_path)
    assert r.returncode == 2 and ".xlsx, .csv or .json" in r.stderr
    r = run("chain", "bottlenecks", "--chain", "no_such_chain", "--db", str(db), "--out", "x.xlsx", cwd=tmp_path)
    assert r.returncode == 2
    r = run("chain", "list", "--db", str(db), "--out", "missing/l.csv", cwd=tmp_path)
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_commands_with_their_own_out_keep_it(tmp_path):
    r = run("credit", "report", "--help", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.count("--out") == 1 and "HTML" in r.stdout
