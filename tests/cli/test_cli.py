"""The CLI: help lists every command, errors are one line with exit code 2, sql and export work."""

import json
import os
import subprocess
import sys

import pytest

from reforge.engine import DuckDBEngine
from reforge.ingest import import_tables
from tests.synth import enterprise_years, enterprises

REFORGE = [sys.executable, "-m", "reforge.cli.main"]


def run(*args, **kw):
    return subprocess.run(REFORGE + list(args), capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    p = tmp_path_factory.mktemp("cli") / "c.duckdb"
    ent = enterprises(50)
    with DuckDBEngine(p) as e:
        assert import_tables(e, {"enterprises": [("e", ent)],
                                 "enterprise_years": [("y", enterprise_years(ent, range(2020, 2023)))]}).ok
    return p


def test_help_lists_every_command():
    out = run("--help").stdout
    for cmd in ["status", "sql", "import", "export", "demo", "chain", "firms", "policy", "credit",
                "sectors", "indicators"]:
        assert cmd in out


def test_status_json(db):
    r = run("status", "--db", str(db), "--format", "json")
    assert r.returncode == 0
    st = json.loads(r.stdout)
    assert st["schema_version"] >= 1
    assert st["tables"]["enterprises"] == 50 and st["tables"]["enterprise_years"] == 150


def test_sql_formats(db):
    r = run("sql", "SELECT COUNT(*) AS n FROM enterprise_years WHERE year = 2021", "--db", str(db),
            "--format", "json")
    assert json.loads(r.stdout) == [{"n": 50}]
    r = run("sql", "SELECT 1 AS a, 'x' AS b", "--db", str(db), "--format", "csv")
    assert r.stdout.splitlines() == ["a,b", "1,x"]


def test_errors_are_one_line_exit_2(db, tmp_path):
    r = run("sql", "SELECT * FROM no_such_table", "--db", str(db))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("error:")
    r = run("status", "--db", str(tmp_path / "missing.duckdb"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = run("--debug", "sql", "SELECT * FROM no_such_table", "--db", str(db))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_coded_errors_speak_the_command_language(db):
    """A coded error is rendered from the catalog of ``--lang`` / ``$REFORGE_LANG``; an uncoded one
    (the generic code) keeps its own text."""
    args = ["match", "degree", "--min-score", "3", "--db", str(db)]
    en = run(*args)
    assert en.returncode == 2 and "min_score must be between 0 and 1" in en.stderr
    for r in (run(*args, env={**os.environ, "REFORGE_LANG": "zh"}), run(*args, "--lang", "zh")):
        assert r.returncode == 2 and "最低得分须在 0 到 1 之间" in r.stderr, r.stderr
    r = run("status", "--db", str(db) + ".missing", env={**os.environ, "REFORGE_LANG": "zh"})
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_export_parquet(db, tmp_path):
    r = run("export", "--to", "parquet", str(tmp_path / "wh"), "--db", str(db), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["tables"]["enterprise_years"] == 150
    assert (tmp_path / "wh" / "enterprises.parquet").exists()


def test_database_locked_by_writer_gives_clear_message(db):
    """A second process that wants to write while another holds the file gets a clear message."""
    holder = DuckDBEngine(db)  # this process holds the write lock
    try:
        env = {**os.environ, "REFORGE_WAIT": "1"}  # give up after 1 s instead of the default 60 s
        r = run("import", "enterprises", str(db), "--db", str(db), env=env)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "in use by another process" in r.stderr and "REFORGE_WAIT" in r.stderr
    finally:
        holder.close()
