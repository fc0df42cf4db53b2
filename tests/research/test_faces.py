"""`reforge match partners|flows|platforms` and the API routes on the hand-made DuckDB file: JSON
equals the library, Chinese output, roles, hostile input never a 500 or a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS
from reforge.engine import DuckDBEngine
from reforge.research import personnel_flows, propose_partners
from tests.api.server import running_server
from tests.research.handmade import AS_OF, U, faces_db


def run(*args: str):
    """The command in-process (Typer's runner): ``returncode`` and ``stdout`` like a subprocess."""
    from typer.testing import CliRunner

    from reforge.cli.main import app
    r = CliRunner().invoke(app, ["match", *args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, "")


def run_process(*args: str) -> subprocess.CompletedProcess:
    """The real console entry point (coded errors exit 2)."""
    return subprocess.run([sys.executable, "-m", "reforge.cli.main", "match", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return faces_db(tmp_path_factory.mktemp("research_faces") / "f.duckdb")


def test_cli_partners_json_equals_the_library(db):
    r = run("partners", "--item", "X", "--db", str(db), "--as-of", AS_OF, "--format", "json")
    assert r.returncode == 0, r.stderr
    with DuckDBEngine(db, read_only=True) as e:
        lib = propose_partners(e, "X", AS_OF).to_dict()
    assert json.loads(r.stdout) == json.loads(json.dumps(lib, ensure_ascii=False))
    assert json.loads(r.stdout)["proposals"][0]["lead"]["id"] == U["B"]


def test_cli_flows_and_platforms_in_chinese(db):
    r = run("flows", "--year", "2024", "--db", str(db), "--lang", "zh")
    assert r.returncode == 0, r.stderr
    # 2024: one move out of the system (M1), two into it (M2, M3): two-way 2 * 1 / 3
    assert "2024 年：流入体制内 2，流出 1，双向流动指数 0.67" in r.stdout
    r = run("flows", "--db", str(db), "--format", "json")
    with DuckDBEngine(db, read_only=True) as e:
        assert json.loads(r.stdout) == json.loads(json.dumps(personnel_flows(e).to_dict()))
    r = run("platforms", "--db", str(db), "--lang", "zh")
    assert r.returncode == 0, r.stderr
    assert "1 个平台服务了 2 家企业" in r.stdout
    r = run("platforms", "--db", str(db), "--format", "csv")
    assert r.returncode == 0 and r.stdout.startswith("platform_id,")


def test_cli_bad_input_exits_2_without_traceback(db):
    for args in (("flows", "--year", "3000"), ("partners", "--item", "X'; DROP TABLE items; --")):
        r = run_process(*args, "--db", str(db))
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def server(db):
    with running_server(db) as url:
        yield url


def _login(url: str, who: str) -> dict:
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": who, "password": DEMO_PASSWORDS[who]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_an_enterprise_sees_its_own_proposals_without_other_grades(db):
    with DuckDBEngine(db, read_only=True) as e:
        res = propose_partners(e, "X", AS_OF)
    own = res.for_firm(U["F"]).to_dict()["proposals"]  # F is the adopter
    assert len(own) == 1 and "grade" not in own[0]["lead"]["detail"] and own[0]["excluded"] == []
    assert "lead_credit" not in {x["part"] for x in own[0]["parts"]}
    lead = res.for_firm(U["B"]).to_dict()["proposals"][0]
    assert lead["lead"]["detail"]["grade"] == "A" and len(lead["parts"]) == 7
    assert res.for_firm(U["A"]).proposals == [] and res.for_firm(None).proposals == []


def test_api_routes_roles_and_hostile_input(server, db):
    h = _login(server, "analyst")
    r = httpx.get(f"{server}/api/v1/match/partners", params={"item": "X", "as_of": AS_OF}, headers=h)
    assert r.status_code == 200, r.text
    with DuckDBEngine(db, read_only=True) as e:
        assert r.json() == json.loads(json.dumps(propose_partners(e, "X", AS_OF).to_dict()))
    r = httpx.get(f"{server}/api/v1/match/flows", params={"year": 2024}, headers=h)
    assert r.status_code == 200 and r.json()["two_way"][0]["in_moves"] == 2
    r = httpx.get(f"{server}/api/v1/match/platforms", headers=h)
    assert r.status_code == 200 and r.json()["platforms"][0]["platform_id"] == "P1"
    for params in ({"item": "X'; DROP TABLE items; --"}, {"item": "<script>alert(1)</script>"},
                   {"credit_floor": "Z"}, {"as_of": "yesterday"}):
        r = httpx.get(f"{server}/api/v1/match/partners", params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
    assert httpx.get(f"{server}/api/v1/match/partners", params={"item": "nope"}, headers=h).status_code == 404
    assert httpx.get(f"{server}/api/v1/match/flows", params={"year": "1e9"}, headers=h).status_code == 422
    he = _login(server, "enterprise")  # the first Little Giant: firm B, the lead of X
    for route in ("flows", "platforms"):
        assert httpx.get(f"{server}/api/v1/match/{route}", headers=he).status_code == 403
    for route in ("partners", "flows", "platforms"):
        assert httpx.get(f"{server}/api/v1/match/{route}").status_code == 401
    r = httpx.get(f"{server}/api/v1/match/partners", params={"item": "X", "as_of": AS_OF}, headers=he)
    (own,) = r.json()["proposals"]
    assert own["lead"]["id"] == U["B"] and own["excluded"] == []  # A, C, D, G's records are not shown
    with DuckDBEngine(db, read_only=True) as e:
        assert e.fetch_scalar("SELECT COUNT(*) FROM items") == 2
