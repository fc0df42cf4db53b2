"""Start-up stays light: importing the CLI, ``reforge --help`` and ``reforge status`` load no
heavy library (pandas, pyarrow, numpy, scipy, Spark, scikit-learn, optbinning, matplotlib,
FastAPI…), and ``--help`` still lists every command group with its help line."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

# top-level packages that no start-up path may import
HEAVY = {"pandas", "pyarrow", "numpy", "scipy", "pyspark", "sklearn", "optbinning", "matplotlib", "fastapi",
         "starlette", "uvicorn", "networkx", "igraph", "statsmodels", "jinja2", "sqlglot", "babel"}
# `--help` must not even open DuckDB
HEAVY_HELP = HEAVY | {"duckdb"}


def _loaded_after(code: str, *argv: str, env_db: Path | None = None) -> tuple[set[str], str]:
    """Run ``code`` in a fresh interpreter with ``sys.argv = ['reforge', *argv]``; return the
    top-level packages loaded at exit and what was printed."""
    script = ("import sys, json\n"
              f"sys.argv = ['reforge', *{list(argv)!r}]\n"
              "try:\n"
              + "".join(f"    {line}\n" for line in code.splitlines()) +
              "except SystemExit:\n    pass\n"
              "sys.stdout.flush()\n"
              "print('\\n@@MODULES@@' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "TERM": "dumb"}
    if env_db is not None:
        env["REFORGE_DB"] = str(env_db)
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    out, _, mods = p.stdout.rpartition("\n@@MODULES@@")
    return set(json.loads(mods)), out


def test_import_cli_loads_no_heavy_library():
    mods, _ = _loaded_after("import reforge\nimport reforge.cli.main")
    assert "typer" in mods  # the probe works
    assert not (mods & HEAVY_HELP), f"import reforge.cli.main pulled in {sorted(mods & HEAVY_HELP)}"


def test_import_engine_package_loads_no_pandas():
    """``reforge.engine`` (its interface and ``default_db_path``) is light; DuckDB only when opened."""
    mods, _ = _loaded_after("import reforge.engine\nfrom reforge.engine import default_db_path, Engine")
    assert not (mods & HEAVY_HELP), sorted(mods & HEAVY_HELP)


def test_help_lists_every_group_without_importing_them():
    from reforge.cli.main import _LAZY_GROUPS
    mods, out = _loaded_after("from reforge.cli.main import main\nmain()", "--help")
    assert not (mods & HEAVY_HELP), f"reforge --help imported {sorted(mods & HEAVY_HELP)}"
    # the root's help is Click's plain formatter: Typer's Rich formatter imports Markdown and
    # Pygments (about a third of the start-up), so only the groups' own help uses it
    assert not (mods & {"pygments", "markdown_it"}), sorted(mods & {"pygments", "markdown_it"})
    flat = " ".join(out.split())
    for name in ("status", "sql", "import", "export", "demo", "serve", "users", "tokens", *_LAZY_GROUPS):
        assert f" {name} " in flat, f"{name} missing from reforge --help:\n{out}"
    for name, (_, help_line) in _LAZY_GROUPS.items():
        # rich wraps long lines: compare the words
        assert " ".join(help_line.split()[:6]) in flat, f"help of {name} missing:\n{out}"


@pytest.mark.parametrize("name", ["chain", "firms", "policy", "credit", "sectors", "indicators"])
def test_listed_help_matches_the_group_module(name):
    """The help line shown by ``--help`` (kept in main.py) is the group module's own help."""
    from reforge.cli.main import _LAZY_GROUPS
    mod, help_line = _LAZY_GROUPS[name]
    grp = typer.main.get_command(importlib.import_module(mod).app)
    assert grp.help == help_line


def test_group_is_loaded_when_invoked():
    from reforge.cli.main import app
    r = CliRunner().invoke(app, ["policy", "--help"])
    assert r.exit_code == 0, r.output
    assert "did" in r.output and "evaluate" in r.output
    r = CliRunner().invoke(app, ["sectors", "nosuch"])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["polcy"])
    assert r.exit_code == 2 and "policy" in r.output  # typo suggestion still names lazy groups


def test_group_command_runs_in_a_fresh_process(tmp_path):
    """A lazy group's command runs end to end (the module is imported only then)."""
    csv = tmp_path / "p.csv"
    rows = ["u,t,g,y"]
    for u in range(1, 41):
        g = 2002 if u <= 20 else 0
        for t in (2000, 2001, 2002, 2003):
            rows.append(f"{u},{t},{g},{u % 7 + t - 2000 + (2.0 if g and t >= g else 0.0)}")
    csv.write_text("\n".join(rows) + "\n")
    p = subprocess.run([sys.executable, "-m", "reforge.cli.main", "policy", "did", str(csv), "--unit", "u",
                        "--time", "t", "--group", "g", "--outcome", "y", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    # outcome = unit effect + trend + 2 after treatment: every post ATT(g,t) is exactly 2
    assert d["aggregate"]["simple"]["att"] == pytest.approx(2.0)


def test_status_loads_no_pandas_or_arrow(tmp_path):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    db = tmp_path / "s.duckdb"
    with DuckDBEngine(db) as e:
        ensure_schema(e)
        e.execute("INSERT INTO foreign_suppliers SELECT 'S' || i, 'n', 'JP' FROM range(3) t(i)")
    for fmt in ("json", "table", "csv"):
        mods, out = _loaded_after("from reforge.cli.main import main\nmain()", "status", "--format", fmt,
                                  env_db=db)
        assert not (mods & HEAVY), f"reforge status --format {fmt} imported {sorted(mods & HEAVY)}"
        assert "enterprises" in out
    d = json.loads(_loaded_after("from reforge.cli.main import main\nmain()", "status", "--format", "json",
                                 env_db=db)[1])
    assert d["tables"]["foreign_suppliers"] == 3 and d["tables"]["enterprises"] == 0
    _, csv_out = _loaded_after("from reforge.cli.main import main\nmain()", "status", "--format", "csv", env_db=db)
    assert "foreign_suppliers,3" in csv_out.splitlines()


def test_match_rank_loads_no_pandas(tmp_path):
    """``reforge match rank`` (issue 21: no pandas round trip where none is needed) reads its CSV
    files with the standard library and ranks with the text ranker alone."""
    q, c = tmp_path / "q.csv", tmp_path / "c.csv"
    q.write_text("q\n精密减速器\n", encoding="utf-8")
    c.write_text("c\n谐波减速器\n轴承\n", encoding="utf-8")
    mods, out = _loaded_after("from reforge.cli.main import main\nmain()", "match", "rank", "--queries", str(q),
                              "--candidates", str(c), "--query-col", "q", "--candidate-col", "c", "--top", "1")
    assert json.loads(out)[0]["hits"][0]["text"] == "谐波减速器"
    assert not ({"pandas", "pyarrow", "pyspark", "sklearn", "matplotlib", "fastapi"} & mods), sorted(mods)


def test_lazy_group_looks_like_a_subgroup_and_usage_errors_are_plain():
    """A group loaded on demand has no completion options of its own (as with add_typer), and a
    usage error through the entry point is click's usage message with exit code 2."""
    rc = [sys.executable, "-m", "reforge.cli.main"]
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "120", "TERM": "dumb"}
    p = subprocess.run([*rc, "chain", "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and "chain [OPTIONS] COMMAND" in p.stdout and "bottlenecks" in p.stdout
    assert "--install-completion" not in p.stdout
    p = subprocess.run([*rc, "polcy"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2
    assert "No such command 'polcy'" in p.stderr and "policy" in p.stderr and "UsageError" not in p.stderr
    p = subprocess.run([*rc, "policy", "did"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and "Missing argument" in p.stderr and "policy did [OPTIONS]" in p.stderr
