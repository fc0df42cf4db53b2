"""The CLI beside a running `reforge serve` on the same DuckDB file (real server, real CLI processes).

Before the server kept its file read-only between writes, every CLI command here exited 2 with
"locked by another process".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pytest

from reforge.api.db import Database, Gate
from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from reforge.engine import DuckDBEngine
from reforge.engine.sharing import WriteRequest, pending_requests, server_info
from tests.api import smalldb
from tests.api.server import free_port

REFORGE = str(Path(sys.executable).with_name("reforge"))

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
print("released", flush=True)
"""


def run(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120,
        ) -> subprocess.CompletedProcess:
    return subprocess.run([REFORGE, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@contextmanager
def serve(db: Path) -> Iterator[str]:
    """A real `reforge serve` process on ``db``; yields its base URL."""
    port = free_port()
    p = subprocess.Popen([REFORGE, "serve", "--db", str(db), "--port", str(port), "--log-level", "warning"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            if p.poll() is not None:
                raise RuntimeError(f"server exited: {p.stdout.read()}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError("server did not start")
        yield url
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextmanager
def holder(db: Path, mode: str, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process holding ``db`` read-only ("ro") or read-write ("rw") for ``seconds``."""
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode, str(seconds)],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "holding"
        yield p
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def login(url: str, user: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/auth/token", data={"username": user, "password": password}, timeout=60)


@pytest.fixture
def db(tmp_path):
    p = smalldb.build(tmp_path / "served.duckdb")
    create_demo_accounts(p)
    return p


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("enterprises", "supply_links", "users")}
    finally:
        con.close()


@pytest.mark.slow
def test_read_commands_run_beside_the_server(db):
    want = _counts(db)
    with serve(db) as url:
        assert server_info(db)["url"] == f"{url}/"
        st = run("status", "--db", str(db), "--format", "json")
        assert st.returncode == 0, st.stderr
        tables = json.loads(st.stdout)["tables"]
        assert {t: tables[t] for t in want} == want
        q = run("sql", "SELECT COUNT(*) AS n FROM enterprises", "--db", str(db), "--format", "json")
        assert q.returncode == 0, q.stderr
        assert json.loads(q.stdout)[0]["n"] == want["enterprises"]
        u = run("users", "list", "--db", str(db), "--format", "json")
        assert u.returncode == 0, u.stderr
        assert sorted(r["username"] for r in json.loads(u.stdout)) == ["admin", "analyst", "enterprise"]
        # a backup beside the running server: every table with its rows, checked on restore
        bk = db.parent / "bk"
        b = run("backup", str(bk), "--db", str(db))
        assert b.returncode == 0, b.stderr
        from reforge.backup import restore_backup, verify_backup
        man = verify_backup(bk)
        assert {t: man.tables[t].rows for t in want} == want
        restore_backup(bk, db.parent / "restored.duckdb")
        assert _counts(db.parent / "restored.duckdb") == want
        # the server still answers while (and after) CLI readers held the file
        assert httpx.get(f"{url}/api/v1/health").status_code == 200
        assert login(url, "analyst", DEMO_PASSWORDS["analyst"]).status_code == 200


@pytest.mark.slow
def test_cli_write_waits_for_the_server_to_release_the_file(db):
    with serve(db) as url:
        tok = login(url, "admin", DEMO_PASSWORDS["admin"]).json()["access_token"]
        r = run("users", "add", "carol", "--role", "analyst", "--password-stdin", "--db", str(db),
                stdin="carol-long-password\n")
        assert r.returncode == 0, r.stderr
        # the server reopened the file and sees the new account (caches cleared)
        assert login(url, "carol", "carol-long-password").status_code == 200
        users = httpx.get(f"{url}/api/v1/users", headers={"Authorization": f"Bearer {tok}"}).json()
        assert "carol" in [u["username"] for u in users]
        assert pending_requests(db) == []  # the CLI withdrew its request
        # and a server write still works afterwards (read-write only for its duration)
        r = httpx.post(f"{url}/api/v1/users", headers={"Authorization": f"Bearer {tok}"},
                       json={"username": "dave", "password": "dave-long-password", "role": "analyst"})
        assert r.status_code == 201, r.text
    assert _counts(db)["users"] == 5


@pytest.mark.slow
def test_server_write_waits_for_a_cli_reader_and_keeps_serving(db):
    with serve(db) as url:
        tok = login(url, "admin", DEMO_PASSWORDS["admin"]).json()["access_token"]
        with holder(db, "ro", 2.0) as h:
            t0 = time.monotonic()
            done: dict = {}

            def write() -> None:
                done["r"] = httpx.post(f"{url}/api/v1/users", headers={"Authorization": f"Bearer {tok}"},
                                       json={"username": "erin", "password": "erin-long-password",
                                             "role": "analyst"}, timeout=60)
                done["t"] = time.monotonic() - t0
            th = threading.Thread(target=write)
            th.start()
            time.sleep(0.5)
            # while the write waits for the reader, reads are served
            assert httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200
            assert login(url, "analyst", DEMO_PASSWORDS["analyst"]).status_code == 200
            assert "r" not in done
            th.join(timeout=60)
            assert h.stdout.readline().strip() == "released"
        assert done["r"].status_code == 201, done["r"].text
        assert done["t"] >= 1.5  # it waited for the reader, not failed
        assert login(url, "erin", "erin-long-password").status_code == 200


@pytest.mark.slow
def test_cli_reader_waits_for_a_writer_with_a_message_and_gives_up_clearly(tmp_path, db):
    with holder(db, "rw", 6.0):  # longer than the CLI's start-up on a busy machine
        t0 = time.monotonic()
        r = run("sql", "SELECT COUNT(*) AS n FROM enterprises", "--db", str(db), "--format", "json")
        took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["n"] == len(smalldb.ENTERPRISES)
    assert "in use by another process" in r.stderr and "waiting up to 60 s" in r.stderr
    assert took >= 1.0
    with holder(db, "rw", 10.0) as h:
        r = run("status", "--db", str(db), env={"REFORGE_WAIT": "0.7"})
    assert r.returncode == 2
    assert f"in use by another process (pid {h.pid})" in r.stderr
    assert "did not release it within 0.7 s" in r.stderr and "REFORGE_WAIT" in r.stderr


@pytest.mark.slow
def test_cli_write_gives_up_clearly_and_the_server_recovers(db):
    with serve(db) as url:
        srv = server_info(db)
        # no waiting allowed: the message names the server that holds the file
        r = run("users", "add", "frank", "--role", "analyst", "--password-stdin", "--db", str(db),
                stdin="frank-long-password\n", env={"REFORGE_WAIT": "0"})
        assert r.returncode == 2
        assert f"in use by the Reforge server (pid {srv['pid']}, {url}/)" in r.stderr
        assert "import through the running server" in r.stderr
        # a CLI reader holds the file too: the server lets go, the writer still cannot get it
        with holder(db, "ro", 10.0) as h:
            r = run("users", "add", "frank", "--role", "analyst", "--password-stdin", "--db", str(db),
                    stdin="frank-long-password\n", env={"REFORGE_WAIT": "1"})
            assert r.returncode == 2
            assert f"(pid {h.pid})" in r.stderr and "did not release it within 1 s" in r.stderr
            assert pending_requests(db) == []
            assert httpx.get(f"{url}/api/v1/health").status_code == 200
            assert login(url, "analyst", DEMO_PASSWORDS["analyst"]).status_code == 200
    assert "frank" not in {r[0] for r in duckdb.connect(str(db), read_only=True).execute(
        "SELECT username FROM users").fetchall()}


@pytest.mark.slow
def test_a_killed_writer_leaves_no_lasting_request(db):
    with serve(db) as url:
        # a request of a process that no longer exists (kill -9) is ignored and removed
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        stale = Path(f"{db}.write-wanted.{dead.pid}.deadbeef")
        stale.write_text(f"{dead.pid}\n")
        time.sleep(0.5)
        assert not stale.exists()
        assert login(url, "analyst", DEMO_PASSWORDS["analyst"]).status_code == 200
        # a CLI writer killed while it waits: the server reopens once its request is gone
        with holder(db, "ro", 30.0):
            p = subprocess.Popen([REFORGE, "users", "add", "gina", "--role", "analyst", "--password-stdin",
                                  "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, text=True)
            p.stdin.write("gina-long-password\n")
            p.stdin.close()
            for _ in range(200):
                if pending_requests(db):
                    break
                time.sleep(0.05)
            assert pending_requests(db) == [p.pid]
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            t0 = time.monotonic()
            r = login(url, "analyst", DEMO_PASSWORDS["analyst"])
            assert r.status_code == 200 and time.monotonic() - t0 < 10
        assert pending_requests(db) == []


def test_temp_tables_and_analyses_work_on_the_read_only_server(db):
    """The server's read-only connection still runs analyses that materialise temp tables."""
    d = Database(db)
    try:
        with d.reader() as e:
            assert e.read_only
            e.materialize("t_chk", "SELECT uscc FROM enterprises")
            assert e.count("t_chk") == len(smalldb.ENTERPRISES)
            with pytest.raises(duckdb.Error):
                e.execute("DELETE FROM enterprises")
        with d.writer() as w:
            w.execute("CREATE TABLE scratch_rw (a INTEGER)")
            w.execute("INSERT INTO scratch_rw VALUES (1), (2)")
            with d.writer() as w2:  # nested writes share the engine
                assert w2 is w
        with d.quick() as e:
            assert e.fetch_scalar("SELECT SUM(a) FROM scratch_rw") == 3
        assert d.generation == 1
    finally:
        d.close()
    assert server_info(db) is None


def test_in_process_open_waits_for_the_in_process_server(db):
    """A read-write open in the server's own process (tests, scripts) gets the file too."""
    d = Database(db, poll=0.05)
    try:
        d.cache["x"] = 1
        with DuckDBEngine(db, read_only=False, wait=10) as e:
            e.execute("CREATE TABLE made_here (a INTEGER)")
        time.sleep(0.3)
        with d.reader() as e:
            assert e.table_exists("made_here")
        assert d.cache == {} and d.generation >= 1
    finally:
        d.close()


def test_gate_nested_shared_hold_does_not_deadlock_a_waiting_writer():
    g = Gate(hold_off=0.2)
    assert g.acquire_shared(1)
    got: dict = {}

    def writer() -> None:
        got["w"] = g.acquire_exclusive(5)
    th = threading.Thread(target=writer)
    th.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    assert g.acquire_shared(5)  # a nested hold waits the hold-off, then enters
    assert 0.1 <= time.monotonic() - t0 < 2
    assert "w" not in got
    g.release_shared()
    g.release_shared()
    th.join(5)
    assert got["w"] is True
    assert not g.acquire_shared(0.1)  # held exclusively: readers wait, then give up
    g.release_exclusive()
    assert g.acquire_shared(0.1)
    g.release_shared()


def test_request_waits_then_503_while_another_process_writes(db):
    d = Database(db, busy_wait=0.5, poll=0.05)
    try:
        with WriteRequest(db):  # a CLI writer asks; the server releases the file
            time.sleep(0.3)
            from fastapi import HTTPException
            with pytest.raises(HTTPException) as ei, d.reader():
                pass
            assert ei.value.status_code == 503 and ei.value.detail["code"] == "database_busy"
            assert ei.value.detail["msg_zh"]
        time.sleep(0.3)
        with d.reader() as e:
            assert e.count("enterprises") == len(smalldb.ENTERPRISES)
    finally:
        d.close()
