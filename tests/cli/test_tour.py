"""The README's "five-minute tour", run verbatim with `reforge serve` running on the same file.

The test reads the tour's bash block from README.md (so it follows the README), copies the
session's 2,000-firm demo database where `make run` puts it (``.reforge/reforge.duckdb``, relative to a scratch
working directory that links ``.venv``, ``examples`` and ``tests`` from the repository), starts a
real `reforge serve` process on it, and runs every command as its own bash process (after the
block's ``.``/``export`` lines). Only ``reforge serve`` itself and comments are skipped; the one
substitution is ``/tmp/new.duckdb`` -> a file in the scratch directory. Every command must exit
0 while the server keeps answering ``/api/v1/health`` and an authenticated read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.api.server import free_port

ROOT = Path(__file__).resolve().parents[2]
REFORGE = str(Path(sys.executable).with_name("reforge"))


def tour_lines(readme: Path = ROOT / "README.md") -> list[str]:
    """The non-empty, non-comment lines of the first bash block under "A five-minute tour"."""
    text = readme.read_text(encoding="utf-8")
    sec = text.split("## A five-minute tour", 1)[1]
    block = re.search(r"```bash\n(.*?)```", sec, re.S)
    assert block, "no bash block in the tour"
    return [ln for ln in (x.strip() for x in block.group(1).splitlines()) if ln and not ln.startswith("#")]


def test_tour_is_parsed_from_the_readme():
    lines = tour_lines()
    cmds = [ln for ln in lines if ln.startswith("reforge ")]
    assert len(cmds) >= 20
    assert lines[0].startswith(". ") and lines[1].startswith("export REFORGE_DB=")
    assert cmds[-1].startswith("reforge serve")
    for ln in cmds:  # every file the tour reads exists in the repository
        for arg in ln.split():
            if arg.startswith(("examples/", "tests/")):
                assert (ROOT / arg).exists(), arg


@pytest.mark.slow
@pytest.mark.spark
def test_readme_tour_runs_verbatim_beside_a_running_server(tmp_path, demo_db):
    work = tmp_path / "work"
    work.mkdir()
    for name in (".venv", "examples", "tests"):
        (work / name).symlink_to(ROOT / name)
    db = work / ".reforge" / "reforge.duckdb"
    db.parent.mkdir()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("REFORGE_DB", None)
    # the session's demo province (`reforge demo --firms 2000 --seed 7` through the same build_demo,
    # tests/conftest.py), copied: other files on this worker use it too, so it is built once
    shutil.copyfile(demo_db, db)
    r = subprocess.run([REFORGE, "demo-accounts", "--db", str(db)], cwd=work, capture_output=True, text=True,
                       env=env, timeout=900)
    assert r.returncode == 0, r.stderr

    lines = tour_lines()
    prelude = [ln for ln in lines if ln.startswith((". ", "source ", "export "))]
    commands = [ln for ln in lines if ln not in prelude and not ln.startswith("reforge serve")]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([REFORGE, "serve", "--db", ".reforge/reforge.duckdb", "--port", str(port),
                               "--log-level", "warning"], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    health: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.5):
            try:
                health.append(httpx.get(f"{url}/api/v1/health", timeout=30).status_code)
            except httpx.HTTPError:
                health.append(0)

    try:
        for _ in range(600):
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        # one login (the login rate limit is per client address, and every call here comes from
        # 127.0.0.1); after each command the token must still read the database through the server
        tok = httpx.post(f"{url}/api/v1/auth/token",
                         data={"username": "analyst", "password": "analyst-demo-pass"}, timeout=60)
        assert tok.status_code == 200, tok.text
        auth = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        failures = []
        for cmd in commands:
            line = cmd.replace("/tmp/new.duckdb", str(tmp_path / "new.duckdb"))
            script = "\n".join([*prelude, line])
            t0 = time.perf_counter()
            r = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                               timeout=1200)
            print(f"{time.perf_counter() - t0:6.1f} s  {cmd}")  # shown with -s or on failure
            if r.returncode != 0:
                failures.append(f"{cmd}\n  exit {r.returncode}: {r.stderr[-800:]}")
            assert server.poll() is None, f"server died during {cmd!r}"
            me = httpx.get(f"{url}/api/v1/enterprises", params={"limit": 1}, headers=auth, timeout=60)
            assert me.status_code == 200, (cmd, me.text)
        assert not failures, "\n".join(failures)
        stop.set()
        poller.join(timeout=60)
        assert health and set(health) == {200}, health
        # the tour's outputs were written (to the scratch directory, not the repository)
        for out in ("lg.html", "credit.html", "indicators.png", "grades.xlsx"):
            assert (work / out).stat().st_size > 0, out
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
