"""`reforge users add|list`, `reforge tokens create`, `reforge demo-accounts` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.api import smalldb

REFORGE = str(Path(sys.executable).with_name("reforge"))


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([REFORGE, *args], input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def db(tmp_path):
    return smalldb.build(tmp_path / "cli.duckdb")


def test_users_add_list_and_tokens(db):
    r = run("users", "add", "alice", "--role", "analyst", "--password-stdin", "--db", str(db),
            stdin="correct horse battery\n")
    assert r.returncode == 0, r.stderr
    r = run("users", "add", "firm1", "--role", "enterprise", "--uscc", smalldb.E2, "--password-stdin",
            "--db", str(db), stdin="firm-password-1\n")
    assert r.returncode == 0, r.stderr
    lst = json.loads(run("users", "list", "--db", str(db), "--format", "json").stdout)
    assert [(u["username"], u["role"], u["uscc"]) for u in lst] == [("alice", "analyst", None),
                                                                    ("firm1", "enterprise", smalldb.E2)]
    tok = run("tokens", "create", "alice", "--label", "nightly", "--db", str(db), "--format", "json")
    assert tok.returncode == 0, tok.stderr
    token = json.loads(tok.stdout)["token"]
    assert token.startswith("rf_")
    con = duckdb.connect(str(db), read_only=True)
    hashes = dict(con.execute("SELECT username, password_hash FROM users").fetchall())
    assert hashes["alice"].startswith("$argon2id$") and "correct horse" not in hashes["alice"]
    stored = con.execute("SELECT token_hash, label FROM api_tokens").fetchall()
    import hashlib
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "nightly")]
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions == ["user.create", "user.create", "token.create"]
    con.close()


@pytest.mark.parametrize("args,stdin,message", [
    (["users", "add", "bob", "--role", "boss", "--password-stdin"], "long-password\n", "role must be one of"),
    (["users", "add", "bob", "--role", "analyst", "--password-stdin"], "short\n", "at least 8 characters"),
    (["users", "add", "bob", "--role", "enterprise", "--password-stdin"], "long-password\n", "needs the uscc"),
    (["users", "add", "bob", "--role", "enterprise", "--uscc", "91320500MA1ZZZ000X", "--password-stdin"],
     "long-password\n", "not in the database"),
    (["users", "add", "bob", "--role", "analyst"], None, "--password-stdin"),
    (["tokens", "create", "nobody"], None, "no active user"),
])
def test_cli_user_errors(db, args, stdin, message):
    """In-process (fast): the command raises a ReforgeError that ``main()`` prints as one line."""
    from typer.testing import CliRunner

    from reforge.cli.main import app
    from reforge.errors import ReforgeError
    r = CliRunner().invoke(app, [*args, "--db", str(db)], input=stdin)
    assert isinstance(r.exception, ReforgeError), r.output
    assert message in str(r.exception)


def test_cli_error_is_one_line_with_exit_code_2(db):
    r = run("users", "add", "carol", "--role", "admin", "--password-stdin", "--db", str(db), stdin="long-password\n")
    assert r.returncode == 0
    r = run("users", "add", "carol", "--role", "admin", "--password-stdin", "--db", str(db), stdin="long-password\n")
    assert r.returncode == 2 and "already exists" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2  # one message (rich may wrap a long line once)


def test_demo_accounts_prints_logins_and_is_idempotent(db):
    r = run("demo-accounts", "--db", str(db))  # the small database is not built by `reforge demo`
    assert r.returncode == 2 and "not a demo database" in r.stderr
    r = run("demo-accounts", "--db", str(db), "--force")
    assert r.returncode == 0, r.stderr
    assert "http://127.0.0.1:8000/" in r.stdout and "analyst-demo-pass" in r.stdout
    assert run("demo-accounts", "--db", str(db), "--force").returncode == 0
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT username, role, uscc FROM users ORDER BY username").fetchall()
    con.close()
    # the enterprise login belongs to the (only) Little Giant of the small database
    assert rows == [("admin", "admin", None), ("analyst", "analyst", None), ("enterprise", "enterprise", smalldb.E1)]


def test_serve_refuses_a_missing_database(tmp_path):
    from typer.testing import CliRunner

    from reforge.cli.main import app
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "absent.duckdb")])
    assert "does not exist" in str(r.exception)


@pytest.mark.slow  # about twenty CLI processes
def test_cli_account_lifecycle_ends_tokens(db):
    """deactivate / activate / role / region / password / revoke-tokens / tokens list|revoke / delete
    through the real CLI; each checked against the stored rows and the token check of the server."""
    from reforge.api import auth as A
    from reforge.engine import DuckDBEngine

    def ok(*args: str, stdin: str | None = None) -> str:
        r = run(*args, "--db", str(db), stdin=stdin)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def token(name: str) -> str:
        return json.loads(ok("tokens", "create", name, "--format", "json"))["token"]

    def who(tok: str):
        with DuckDBEngine(db, read_only=True) as e:
            return A.user_from_bearer(e, tok)

    ok("users", "add", "root", "--role", "admin", "--password-stdin", stdin="root-password-1\n")
    ok("users", "add", "dana", "--role", "analyst", "--region", "320500", "--password-stdin", stdin="dana-password-1\n")
    t1, t2 = token("dana"), token("dana")
    assert who(t1).region == "320500" and who(t2).role == "analyst"
    listed = json.loads(ok("tokens", "list", "dana", "--format", "json"))
    assert len(listed) == 2 and all(t["valid"] for t in listed)
    import hashlib
    tid = hashlib.sha256(t1.encode()).hexdigest()[:12]
    ok("tokens", "revoke", tid)
    assert who(t1) is None and who(t2) is not None
    assert "no API token" in run("tokens", "revoke", tid, "--db", str(db)).stderr
    ok("users", "deactivate", "dana")
    assert who(t2) is None
    lst = {u["username"]: u for u in json.loads(ok("users", "list", "--format", "json"))}
    assert lst["dana"]["active"] is False and lst["dana"]["region"] == "320500"
    ok("users", "activate", "dana")
    assert who(t2) is None  # reactivation does not revive old tokens
    t3 = token("dana")
    ok("users", "role", "dana", "--role", "enterprise", "--uscc", smalldb.E2)
    assert who(t3) is None
    t4 = token("dana")
    assert who(t4).role == "enterprise" and who(t4).uscc == smalldb.E2
    ok("users", "region", "dana")  # unbind
    assert who(t4) is None
    t5 = token("dana")
    assert who(t5).region is None
    ok("users", "password", "dana", "--password-stdin", stdin="new-password-2\n")
    assert who(t5) is None
    with DuckDBEngine(db, read_only=True) as e:
        assert A.authenticate(e, "dana", "new-password-2") is not None
        assert A.authenticate(e, "dana", "dana-password-1") is None
    t6 = token("dana")
    ok("users", "revoke-tokens", "dana")
    assert who(t6) is None
    t7 = token("dana")
    ok("users", "delete", "dana")
    ok("users", "add", "dana", "--role", "admin", "--password-stdin", stdin="dana-password-1\n")
    assert who(t7) is None  # the name is reused by a new account: old tokens stay dead
    r = run("users", "delete", "root", "--db", str(db))
    assert r.returncode == 0  # dana is an admin now, so root is not the last one
    r = run("users", "delete", "dana", "--db", str(db))
    assert r.returncode == 2 and "last active admin" in r.stderr
    con = duckdb.connect(str(db), read_only=True)
    actions = [a for (a,) in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    con.close()
    assert actions.count("user.delete") == 2 and "user.deactivate" in actions and "token.revoke_all" in actions
