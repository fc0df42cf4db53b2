"""Region-scoped accounts (issue 19 "Also build"): an analyst bound to a GB/T 2260 region sees only
the enterprises of that region and below in the enterprise search, profile and per-firm routes;
province-level, unbound and admin accounts see all. Real server, real DuckDB file.

Expected sets are read off the small database by hand: E1 Suzhou (city 320500), E2 Nanjing
(320100), E3 Nanjing with county 320102 (set here), E4 with no city but county 320506 (Suzhou).
"""

from __future__ import annotations

import duckdb
import httpx
import pytest

from reforge.api.enterprise_queries import region_condition
from reforge.cli.serve import create_demo_accounts
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

E1, E2, E3, E4 = smalldb.E1, smalldb.E2, smalldb.E3, smalldb.E4
V1 = "/api/v1"
PW = "region-pass-1"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("regiondb") / "small.duckdb")
    con = duckdb.connect(str(p))
    con.execute("UPDATE enterprises SET county_code = '320102' WHERE uscc = ?", [E3])
    con.execute("UPDATE enterprises SET city_code = NULL, county_code = '320506' WHERE uscc = ?", [E4])
    con.close()
    create_demo_accounts(p)
    with running_server(p, login_limit=1000, login_per_ip=1000) as u:
        admin = login(u, "admin")
        for name, role, region in [("sz", "analyst", "320500"), ("njc", "analyst", "320102"),
                                   ("prov", "analyst", "320000"), ("free", "analyst", None),
                                   ("boss", "admin", "320500")]:
            r = httpx.post(u + V1 + "/users", headers=admin,
                           json={"username": name, "password": PW, "role": role, "region": region})
            assert r.status_code == 201, r.text
        yield u


def h(url: str, name: str) -> dict[str, str]:
    return login(url, name, PW)


def search(url: str, who: dict, **params) -> set[str]:
    r = httpx.get(url + V1 + "/enterprises", headers=who, params={"page_size": 200, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return {it["uscc"] for it in body["items"]}


def test_search_is_limited_to_the_region_and_below(url):
    assert search(url, h(url, "sz")) == {E1, E4}        # prefecture: its city, and a county under it
    assert search(url, h(url, "njc")) == {E3}           # county
    for everyone in ("prov", "free", "boss"):           # province-level, unbound, admin
        assert search(url, h(url, everyone)) == {E1, E2, E3, E4}
    assert search(url, h(url, "sz"), city_code="320100") == set()  # filters cannot widen the scope
    assert search(url, h(url, "sz"), q="南京") == set()


def test_profile_and_firm_routes_are_404_outside_the_region(url):
    free, sz = h(url, "free"), h(url, "sz")
    assert httpx.get(url + V1 + f"/enterprises/{E2}", headers=free).status_code == 200  # now cached
    assert httpx.get(url + V1 + f"/enterprises/{E2}", headers=sz).status_code == 404
    assert httpx.get(url + V1 + f"/enterprises/{E1}", headers=sz).status_code == 200
    for sub in ("screening", "warnings", "credit"):
        assert httpx.get(url + V1 + f"/enterprises/{E2}/{sub}", headers=sz, timeout=120).status_code == 404, sub
        assert httpx.get(url + V1 + f"/enterprises/{E1}/{sub}", headers=sz, timeout=120).status_code != 404, sub


def test_me_shows_the_region_and_rebinding_ends_old_tokens(url):
    sz = h(url, "sz")
    assert httpx.get(url + V1 + "/auth/me", headers=sz).json()["region"] == "320500"
    admin = login(url, "admin")
    r = httpx.patch(url + V1 + "/users/sz", headers=admin, json={"region": "320100"})
    assert r.status_code == 200 and r.json()["region"] == "320100"
    assert httpx.get(url + V1 + "/auth/me", headers=sz).status_code == 401
    assert search(url, h(url, "sz")) == {E2, E3}
    r = httpx.post(url + V1 + "/users", headers=admin,
                   json={"username": "bad", "password": PW, "role": "analyst", "region": "32050"})
    assert r.status_code == 422


def test_region_condition_rejects_non_codes():
    assert region_condition(None) == "TRUE"
    with pytest.raises(ValueError):
        region_condition("3205' OR 1=1 --")
