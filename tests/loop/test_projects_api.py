"""Project routes on a real uvicorn server over the hand-made DuckDB file: an enterprise account sees
only the projects its firm leads or partners in; hostile input gets a coded 4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api.server import running_server
from tests.loop.projects_data import AS_OF, make_db

API = "/api/v1/loop"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = make_db(tmp_path_factory.mktemp("loop_api") / "a.duckdb")
    create_demo_accounts(path)  # the enterprise account belongs to the smallest uscc: F1
    with running_server(path) as url:
        yield url


def _login(url, who):
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": who, "password": DEMO_PASSWORDS[who]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_enterprise_sees_only_its_projects(server):
    h = _login(server, "enterprise")
    r = httpx.get(f"{server}{API}/projects", params={"as_of": AS_OF}, headers=h, timeout=60)
    assert r.status_code == 200, r.text
    d = r.json()
    assert sorted(p["project_id"] for p in d["projects"]) == ["P1", "P2"]  # lead of P1, partner of P2
    assert d["budget_by_source"] == pytest.approx({"central": 100, "enterprise": 50, "provincial": 60})
    assert sorted((o["project_id"], o["milestone_id"]) for o in d["overdue"]) == [("P1", "M2"), ("P2", "M1")]
    assert sorted(d["uncovered"]) == ["D", "E"]
    b = httpx.get(f"{server}{API}/board/S", params={"as_of": AS_OF}, headers=h, timeout=60).json()
    proj = next(s for s in b["steps"] if s["key"] == "projects")
    assert not proj["filled"] and proj["missing"]["code"] == "loop.board.missing.projects"  # P9 is not its own
    b = httpx.get(f"{server}{API}/board/A", params={"as_of": AS_OF}, headers=h, timeout=60).json()
    mk = next(s for s in b["steps"] if s["key"] == "makers")
    assert all(r["grade"] is None for r in mk["rows"])
    assert httpx.get(f"{server}{API}/projects").status_code == 401


def test_analyst_sees_everything_and_hostile_input(server):
    h = _login(server, "analyst")
    d = httpx.get(f"{server}{API}/projects", params={"as_of": AS_OF}, headers=h, timeout=60).json()
    assert sorted(p["project_id"] for p in d["projects"]) == ["P1", "P2", "P3", "P4", "P9"]
    assert d["budget_by_source"]["other"] == 7 and "loop.projects.note.no_credit_model" in \
        [n["code"] for n in d["notes"]]
    b = httpx.get(f"{server}{API}/board/A", params={"as_of": AS_OF}, headers=h, timeout=60)
    assert b.status_code == 200 and [s["filled"] for s in b.json()["steps"]].count(False) == 1
    for path, params, want in (
            ("/board/nope", {}, 404), ("/board/<script>", {}, (404, 422)), ("/board/A", {"as_of": "2025-02-30"}, 422),
            ("/projects", {"as_of": "x' OR 1=1"}, 422), ("/projects", {"chain": "C9"}, 404),
            ("/projects", {"year": "abc"}, 422), ("/board/" + "a" * 300, {}, (404, 422))):
        r = httpx.get(f"{server}{API}{path}", params=params, headers=h, timeout=60)
        assert r.status_code in (want if isinstance(want, tuple) else (want,)), (path, params, r.status_code, r.text)
    r = httpx.get(f"{server}{API}/board/A", params={"as_of": "2025-02-30"}, headers=h)
    assert r.json()["detail"][0]["code"] == "loop.projects.bad_date"
