"""Hostile strings in every API path and query parameter: 4xx or a correct empty result, never a 500,
and not one row of the database changed.

The routes and their parameters come from the server's own OpenAPI document, so a new route is
covered without editing this file. The database is checked before and after with a row count
and an order-independent checksum per table (``SUM(hash(row))`` in SQL), read with the server
stopped (DuckDB allows one writer process per file).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from reforge.engine import DuckDBEngine
from tests.api import smalldb
from tests.api.server import running_server

API = "/api/v1"
HOSTILE = [
    "'", "''", '"', "'; DROP TABLE enterprises; --", "\"; DROP TABLE enterprises; --", "1' OR '1'='1",
    "robot_chain' OR 1=1 --", "\\", "\\'", "a\\b\\", "%", "_", "%' --", "\x00", "a\x00b", "NULL",
    "'" + "a" * 10_000, "苏州机器人'有限公司", "\u202e\U0001f600\u0301", "$1", "?", ":name", "${x}",
    "../../etc/passwd", "<script>alert(1)</script>", smalldb.E1 + "'",
]
# valid values for the parameters a hostile value is not put into
VALID = {"uscc": smalldb.E1, "chain_id": "robot_chain", "item_id": "robot", "username": "enterprise",
         "table": "enterprises", "table_id": "t", "run_id": "nope", "token_id": "nope"}
# writes get a body of {} (a 422 before any SQL is fine) and no baseline call with valid values
# (that would really delete or change an account); the account they name by default is one the
# test does not use
SKIP = {("POST", "/auth/logout")}


def checksums(path) -> dict[str, tuple[int, int]]:
    """Per stored table: (row count, SUM of the row hashes) - any changed, added or removed row shows."""
    with DuckDBEngine(path, read_only=True) as e:
        out = {}
        for t in e.tables():
            n, h = e.con.execute(f'SELECT COUNT(*), COALESCE(SUM(hash(x)::HUGEINT), 0) FROM "{t}" x').fetchone()
            out[t] = (int(n), int(h))
        return out


def operations(spec: dict) -> list[tuple[str, str, list[dict]]]:
    """(method, path, parameters) of every operation that takes a path or query parameter."""
    ops = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
            if params and (method.upper(), path.removeprefix(API)) not in SKIP:
                ops.append((method.upper(), path, params))
    return ops


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("hostile") / "small.duckdb")
    create_demo_accounts(p)
    with running_server(p) as url:  # tokens are stored: mint them before the 'before' snapshot
        tokens = {}
        for user in ("admin", "analyst"):
            r = httpx.post(f"{url}{API}/auth/token", data={"username": user, "password": DEMO_PASSWORDS[user]})
            assert r.status_code == 200, r.text
            tokens[user] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        spec = httpx.get(f"{url}{API}/openapi.json").json()
    return p, tokens, spec


@pytest.mark.slow
def test_hostile_parameters_never_500_and_change_no_row(db):
    path, tokens, spec = db
    before = checksums(path)
    assert before["enterprises"][0] == len(smalldb.ENTERPRISES)
    ops = operations(spec)
    assert len(ops) >= 20, [o[1] for o in ops]
    failures, baseline_ok, sent = [], 0, 0
    with running_server(path) as url, httpx.Client(base_url=url, timeout=60) as client:
        def call(method: str, route: str, params: list[dict], target: str | None, value: str | None,
                 auth: dict) -> httpx.Response:
            url_path, query = route, {}
            for p in params:
                v = value if p["name"] == target else VALID.get(p["name"])
                if p["in"] == "path":
                    url_path = url_path.replace("{" + p["name"] + "}", quote(v or "x", safe=""))
                elif v is not None:
                    query[p["name"]] = v
            body = {} if method in ("POST", "PUT", "PATCH") else None
            return client.request(method, url_path, params=query, json=body, headers=auth)

        for method, route, params in ops:
            auth = tokens["admin"]
            if method == "GET":
                r = call(method, route, params, None, None, auth)
                baseline_ok += r.status_code < 300
                if r.status_code >= 500:
                    failures.append((method, route, "baseline", r.status_code, r.text[:200]))
            for p in params:
                for s in HOSTILE:
                    r = call(method, route, params, p["name"], s, auth)
                    sent += 1
                    if r.status_code >= 500:
                        failures.append((method, route, p["name"], repr(s[:40]), r.status_code, r.text[:200]))
                    elif r.status_code < 300 and r.headers.get("content-type", "").startswith("application/json"):
                        assert "Traceback" not in r.text and "duckdb" not in r.text.lower()
        # the server still answers and the accounts used still work
        assert client.get(f"{API}/auth/me", headers=tokens["admin"]).status_code == 200
    assert failures == []
    assert baseline_ok >= 8 and sent >= 20 * len(HOSTILE)
    assert checksums(path) == before


def test_the_checksum_sees_one_changed_value(tmp_path):
    p = smalldb.build(tmp_path / "c.duckdb")
    before = checksums(p)
    with DuckDBEngine(p) as e:
        e.execute("UPDATE enterprises SET name = name || ' ' WHERE uscc = ?", [smalldb.E2])
    after = checksums(p)
    assert after["enterprises"][0] == before["enterprises"][0]  # same count ...
    assert after["enterprises"][1] != before["enterprises"][1]  # ... different checksum
    assert {t: v for t, v in after.items() if t != "enterprises"} == \
        {t: v for t, v in before.items() if t != "enterprises"}


# each process start costs seconds, so the hostile pieces are combined into three strings
CLI_HOSTILE = ["'; DROP TABLE enterprises; --", "a\\b'%_苏州\U0001f600\u202e", "'" + "a" * 10_000]
CLI_COMMANDS = [  # every CLI argument that reaches SQL; H marks where the hostile value goes
    ["chain", "bottlenecks", "--chain", "H"],
    ["chain", "map", "--chain", "H"],
    ["indicators", "show", "--region", "H"],
    ["indicators", "show", "--indicator", "H"],
    ["sectors", "key", "--table", "H"],
    ["sectors", "items", "--table", "H"],
    ["sectors", "items", "--table", "t", "--chain", "H"],
    ["tokens", "list", "H"],
    ["firms", "profile", "H"],
    ["credit", "score", "--uscc", "H"],
    ["policy", "evaluate", "--programme", "H", "--bootstrap", "0"],
]


@pytest.mark.slow
def test_hostile_cli_arguments_exit_2_or_empty_and_change_no_row(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path
    p = smalldb.build(tmp_path / "cli.duckdb")
    before = checksums(p)
    exe = str(Path(sys.executable).parent / "reforge")
    bad = []
    # every command gets the SQL-injection string and one of the other two in turn (every string
    # reaches several commands; the API test above sends every string to every parameter)
    for i, cmd in enumerate(CLI_COMMANDS):
        for s in (CLI_HOSTILE[0], CLI_HOSTILE[1 + i % (len(CLI_HOSTILE) - 1)]):
            args = [exe, *[s if a == "H" else a for a in cmd], "--db", str(p), "--format", "json"]
            r = subprocess.run(args, capture_output=True, text=True, timeout=300)
            ok = r.returncode == 2 and "error" in r.stderr and "Traceback" not in r.stderr
            if r.returncode == 0:  # a correct empty result
                out = json.loads(r.stdout) if r.stdout.strip() else []
                ok = out in ([], {}) or (isinstance(out, dict) and not any(
                    isinstance(v, list) and v for v in out.values()))
            if not ok:
                bad.append((cmd[:2], s[:30], r.returncode, r.stdout[:200], r.stderr[-300:]))
    assert bad == []
    assert checksums(p) == before
