"""Matching routes on a real uvicorn server over the planted DuckDB file: the JSON equals the
library's result, roles limit what an enterprise sees, bad input is 422 (never 500)."""

from __future__ import annotations

import httpx
import pytest

from reforge.api.auth import add_user
from reforge.cli.serve import create_demo_accounts
from reforge.engine import DuckDBEngine
from reforge.match import assign_demands, match_demands, matching_degree
from tests.api.conftest import login
from tests.api.server import running_server
from tests.match.dbfile import planted_db

AS_OF = "2026-01-15"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    p = planted_db(tmp_path_factory.mktemp("mapi") / "m.duckdb")
    accounts = create_demo_accounts(p)
    assert {a["username"]: a["uscc"] for a in accounts}["enterprise"] == "S_TRUE"  # the Little Giant
    with DuckDBEngine(p) as e:
        add_user(e, "buyer1", "buyer1-pass", "enterprise", "B1")
    return p


@pytest.fixture(scope="module")
def url(db):
    with running_server(db) as u:
        yield u


def get(url: str, path: str, headers: dict, **params) -> httpx.Response:
    return httpx.get(f"{url}/api/v1{path}", headers=headers, params=params, timeout=60)


def test_analyst_sees_every_demand_as_the_library_ranks_it(url, db):
    h = login(url, "analyst")
    r = get(url, "/match/demands", h, as_of=AS_OF)
    assert r.status_code == 200, r.text
    with DuckDBEngine(db, read_only=True) as e:
        lib = match_demands(e, as_of=AS_OF).model().model_dump(mode="json")
    assert r.json() == lib
    d1 = next(d for d in r.json()["demands"] if d["demand_id"] == "D1")
    assert [c["producer_id"] for c in d1["candidates"]][:1] == ["S_TRUE"]
    r = get(url, "/match/degree", h, as_of=AS_OF)
    assert r.status_code == 200
    with DuckDBEngine(db, read_only=True) as e:
        assert r.json() == matching_degree(e, as_of=AS_OF).model().model_dump(mode="json")
        ref = assign_demands(e, as_of=AS_OF).model().model_dump(mode="json")
    r = get(url, "/match/assign", h, as_of=AS_OF)
    assert r.status_code == 200 and r.json() == ref and r.json()["assigned_value"] == 18e6


def test_enterprise_sees_only_its_own_demands_and_its_own_rows(url):
    buyer = login(url, "buyer1", "buyer1-pass")
    r = get(url, "/match/demands", buyer, as_of=AS_OF)
    assert r.status_code == 200
    assert {d["demand_id"] for d in r.json()["demands"]} == {"D1", "D3", "D4"}
    r = get(url, "/match/demands", buyer, as_of=AS_OF, demand=["D2", "D1"])  # D2 belongs to B2
    assert [d["demand_id"] for d in r.json()["demands"]] == ["D1"]
    assert get(url, "/match/degree", buyer).status_code == 403
    assert get(url, "/match/assign", buyer).status_code == 403
    supplier = login(url, "enterprise")
    r = get(url, "/match/offers", supplier, as_of=AS_OF, uscc="S_BAD")  # the uscc asked for is ignored
    assert r.status_code == 200 and r.json()["uscc"] == "S_TRUE"
    rows = r.json()["demands"]
    assert [(x["demand_id"], x["candidate"]["producer_id"], x["candidate"]["rank"]) for x in rows] == \
        [("D1", "S_TRUE", 1)]
    assert get(url, "/match/demands", supplier, as_of=AS_OF).json()["demands"] == []  # S_TRUE has no demands
    analyst = login(url, "analyst")
    bad = get(url, "/match/offers", analyst, as_of=AS_OF, uscc="S_BAD").json()["demands"]
    assert [x["candidate"]["reasons"][0]["code"] for x in bad] == ["match.exclude.dishonest"]
    assert get(url, "/match/demands", {}).status_code == 401


def test_groups_analyst_all_enterprise_only_its_own(url, db):
    from reforge.match.groups import pre_research_groups
    r = get(url, "/match/groups", login(url, "analyst"), as_of=AS_OF)
    assert r.status_code == 200, r.text
    with DuckDBEngine(db, read_only=True) as e:
        lib = pre_research_groups(e, as_of=AS_OF)
    assert r.json() == lib.model().model_dump(mode="json")
    d4 = next(t for t in r.json()["targets"] if t["demand_id"] == "D4")  # B1's pre_research demand
    assert [(g["maker"]["uscc"], [a["uscc"] for a in g["adopters"]]) for g in d4["groups"]] == [("S_HARM", ["B1"])]
    mine = get(url, "/match/groups", login(url, "buyer1", "buyer1-pass"), as_of=AS_OF).json()
    assert [t["demand_id"] for t in mine["targets"]] == ["D4"]
    assert all(t["excluded"] == [] for t in mine["targets"])
    assert get(url, "/match/groups", login(url, "enterprise"), as_of=AS_OF).json()["targets"] == []
    assert get(url, "/match/groups", login(url, "analyst"), item="x' OR 1=1").status_code == 422
    assert get(url, "/match/groups", login(url, "analyst"), item="nope").status_code == 404


def test_bad_input_is_422_never_500(url):
    h = login(url, "analyst")
    for params in ({"as_of": "2026-13-40"}, {"mode": "dense"}, {"min_score": "2"},
                   {"demand": "D1' OR '1'='1"}, {"demand": "<script>"}):
        r = get(url, "/match/demands", h, **params)
        assert r.status_code == 422, (params, r.status_code, r.text)
    assert get(url, "/match/offers", h).status_code == 422
    assert get(url, "/match/demands", h, demand="NOPE", as_of=AS_OF).json()["demands"] == []


def test_matching_routes_pass_the_analysis_gate():
    from reforge.api.overload import ANALYSIS_PATHS
    for p in ("/api/v1/match/demands", "/api/v1/match/offers", "/api/v1/match/degree", "/api/v1/match/assign"):
        assert ANALYSIS_PATHS.match(p), p
    assert not ANALYSIS_PATHS.match("/api/v1/match/demandsX")


def test_routes_declare_their_response_models(url):
    spec = httpx.get(f"{url}/api/v1/openapi.json").json()
    for path, model in (("/api/v1/match/demands", "MatchModel"), ("/api/v1/match/offers", "SupplierMatchesModel"),
                        ("/api/v1/match/degree", "DegreeModel"), ("/api/v1/match/assign", "AssignModel")):
        ok = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model}"}, (path, ok)
        assert {"401", "422"} <= set(spec["paths"][path]["get"]["responses"])
