"""Loop routes on a real uvicorn server over a real DuckDB file: roles, shapes, bad input."""

from __future__ import annotations

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api.server import running_server
from tests.loop.data import U, fill_duckdb

API = "/api/v1/loop"
REGIONAL_PASSWORD = "suzhou-analyst-pass-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path_factory.mktemp("loop_api") / "a.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill_duckdb(e)
    accounts = create_demo_accounts(path)
    from reforge.api.auth import add_user
    with DuckDBEngine(path) as e:  # a city analyst of Suzhou sees the leaders registered there: only L1
        e.execute("UPDATE enterprises SET city_code = '320500', county_code = '320506' WHERE uscc = ?", [U["L1"]])
        add_user(e, "suzhou", REGIONAL_PASSWORD, "analyst", region="320500")
    with DuckDBEngine(path, read_only=True) as e:
        own = e.fetch_scalar("SELECT uscc FROM users WHERE role = 'enterprise'")
    with running_server(path) as url:
        yield url, own, accounts


def _login(url, who):
    pw = DEMO_PASSWORDS.get(who, REGIONAL_PASSWORD)
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": who, "password": pw})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_analyst_sees_every_leader_and_the_history(server):
    url, _, _ = server
    h = _login(url, "analyst")
    r = httpx.get(f"{url}{API}/leaders", params={"chain": "c1", "year": 2024}, headers=h)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["leaders"][0]["uscc"] == U["L1"] and len(d["leaders"]) == 5
    assert d["leaders"][0]["reasons"][3]["code"] == "loop.leader.tree"
    r = httpx.get(f"{url}{API}/history", params={"chain": "c1"}, headers=h)
    assert r.status_code == 200 and r.json()["newly_choked"][0]["item_id"] == "Y"
    assert httpx.get(f"{url}{API}/history", params={"chain": "c1"}, headers=_login(url, "admin")).status_code == 200
    d = httpx.get(f"{url}{API}/leaders", params={"chain": "c1", "year": 2024}, headers=_login(url, "suzhou")).json()
    assert [(r["uscc"], r["rank"]) for r in d["leaders"]] == [(U["L1"], 1)]


def test_enterprise_sees_only_its_own_row(server):
    url, own, _ = server
    assert own in U.values()
    h = _login(url, "enterprise")
    d = httpx.get(f"{url}{API}/leaders", params={"chain": "c1", "year": 2024}, headers=h).json()
    assert [r["uscc"] for r in d["leaders"]] == [own]  # its firm buys S in 2024, so it is ranked
    assert all(e["year"] <= 2024 for e in d["leaders"][0]["ecosystem"])
    d2 = httpx.get(f"{url}{API}/leaders", params={"chain": "c2", "year": 2024}, headers=h).json()
    assert d2["leaders"] == []  # not a buyer in c2: nothing of other firms
    assert httpx.get(f"{url}{API}/history", params={"chain": "c1"}, headers=h).status_code == 403
    assert httpx.get(f"{url}{API}/leaders", params={"chain": "c1"}).status_code == 401


@pytest.mark.parametrize("params, status", [
    ({"chain": "nope"}, 404), ({"chain": "c1'; DROP TABLE chains; --"}, 422), ({"chain": "c1", "year": "x"}, 422),
    ({"chain": "c1", "year": 99999}, 422), ({}, 422), ({"chain": "<script>alert(1)</script>"}, 422)])
def test_bad_input_is_4xx(server, params, status):
    url, _, _ = server
    h = _login(url, "analyst")
    r = httpx.get(f"{url}{API}/leaders", params=params, headers=h)
    assert r.status_code == status, r.text
    if "year" not in params:  # the history takes no year
        assert httpx.get(f"{url}{API}/history", params=params, headers=h).status_code == status
    assert httpx.get(f"{url}{API}/leaders", params={"chain": "c1"}, headers=h).json()["chain_id"] == "c1"
