"""Region-scoped accounts (issue 19 "Also build"): an analyst bound to a GB/T 2260 region sees only
the enterprises of that region and below in the enterprise search, profile and per-firm routes;
province-level, unbound and admin accounts see all; chain bottlenecks and maps of a bound analyst
come from its region's firms' purchases. Real server, real DuckDB file.

Expected sets are read off the small database by hand: E1 Suzhou (city 320500), E2 Nanjing
(320100), E3 Nanjing with county 320102 (set here), E4 with no city but county 320506 (Suzhou).
"""

from __future__ import annotations

import duckdb
import httpx
import pytest

from reforge.api.enterprise_queries import region_condition
from reforge.chain import bottlenecks, chain_map
from reforge.cli.serve import create_demo_accounts
from reforge.errors import InvalidInput
from tests.api import smalldb
from tests.api.conftest import login
from tests.api.server import running_server

E1, E2, E3, E4 = smalldb.E1, smalldb.E2, smalldb.E3, smalldb.E4
V1 = "/api/v1"
PW = "region-pass-1"


# purchases of the Nanjing firms (E2, E3) beside E1's, so that chain metrics differ by region; E4
# (Suzhou, no capability) sells reducers to E1 only: a domestic producer the Nanjing firms do not buy from
NANJING_LINKS = [(E3, "enterprise", E2, "controller", 4e6), ("F-JP-1", "foreign", E2, "reducer", 2e6),
                 ("F-DE-1", "foreign", E3, "servo", 1e6), (E2, "enterprise", E3, "servo", 1.5e6),
                 (E4, "enterprise", E1, "reducer", 5e5)]
CHAIN_REGIONS = (None, "320100", "320500", "320102")
EXPECTED: dict = {}  # (route, region) -> the library's result, read before the server opens the file


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    from reforge.api import services as sv
    from reforge.api.models.base import plain
    from reforge.engine import DuckDBEngine
    p = smalldb.build(tmp_path_factory.mktemp("regiondb") / "small.duckdb")
    con = duckdb.connect(str(p))
    con.execute("UPDATE enterprises SET county_code = '320102' WHERE uscc = ?", [E3])
    con.execute("UPDATE enterprises SET city_code = NULL, county_code = '320506' WHERE uscc = ?", [E4])
    for link in NANJING_LINKS:
        con.execute("INSERT INTO supply_links (supplier_id, supplier_type, buyer_uscc, item_id, year, value, basis, "
                    "confidence, source) VALUES (?, ?, ?, ?, 2024, ?, 'observed', 1.0, 'test')", list(link))
    con.close()
    with DuckDBEngine(p) as e:
        for region in CHAIN_REGIONS:
            EXPECTED["bottlenecks", region] = plain(bottlenecks(e, "robot_chain", year=None, region=region).to_dict())
            EXPECTED["map", region] = plain(sv.jsonable(chain_map(e, "robot_chain", region=region)))
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
    with pytest.raises(InvalidInput) as ei:  # reforge.region.check_region, shared with reforge.chain
        region_condition("3205' OR 1=1 --")
    assert ei.value.code == "region.bad_code"


@pytest.mark.parametrize("region", ["320100", "320500", "320102"])
def test_chain_results_of_a_region_bound_analyst_come_from_its_firms(url, region):
    """Bottlenecks and map of a prefecture- or county-bound analyst equal the library's with
    ``region=`` and name the scope; an unscoped analyst (and a province-level one) gets the national
    result without ``scope``, before and after the scoped one asked."""
    name = f"chain{region}"
    r = httpx.post(url + V1 + "/users", headers=login(url, "admin"),
                   json={"username": name, "password": PW, "role": "analyst", "region": region})
    assert r.status_code == 201, r.text
    assert EXPECTED["bottlenecks", region] != EXPECTED["bottlenecks", None]  # the data differ by region
    for route in ("bottlenecks", "map"):
        path = f"{url}{V1}/chains/robot_chain/{route}"
        assert httpx.get(path, headers=h(url, "free"), timeout=120).json() == EXPECTED[route, None]
        body = httpx.get(path, headers=h(url, name), timeout=120).json()
        assert body.pop("scope") == {"region": region}
        assert body == EXPECTED[route, region], route
        for everyone in ("free", "prov"):
            assert httpx.get(path, headers=h(url, everyone), timeout=120).json() == EXPECTED[route, None]


def test_policy_evaluations_of_a_region_bound_analyst_cover_its_firms(url):
    """Hand computation on the small database (support in 2023, lag 1: E1 and E2 treated from 2024;
    revenue rises 2023 -> 2024 by 1e6 (E1), 2e6 (E2), 3e6 (E3), 4e6 (E4)). Suzhou (320500) holds E1
    and E4 (county 320506, no city code): ATT = 1e6 - 4e6. The whole database: 1.5e6 - 3.5e6."""
    body = {"programme": "little_giant_fund", "outcomes": ["revenue"]}
    # an account of its own: another test of this module re-binds "sz"
    r = httpx.post(url + V1 + "/users", headers=login(url, "admin"),
                   json={"username": "szpolicy", "password": PW, "role": "analyst", "region": "320500"})
    assert r.status_code == 201, r.text
    sz, free, prov = h(url, "szpolicy"), h(url, "free"), h(url, "prov")
    mine = httpx.post(url + V1 + "/policy/evaluate", headers=sz, json=body, timeout=120)
    assert mine.status_code == 200, mine.text
    res = mine.json()["result"]
    assert res["region"] == "320500" and res["n_firms"] == 2 and res["n_treated"] == 1
    assert res["outcomes"]["revenue"]["aggregate"]["simple"]["att"] == pytest.approx(-3e6)
    allrun = httpx.post(url + V1 + "/policy/evaluate", headers=free, json=body, timeout=120).json()
    assert allrun["result"]["region"] is None
    assert allrun["result"]["outcomes"]["revenue"]["aggregate"]["simple"]["att"] == pytest.approx(-2e6)
    # the region-bound analyst sees its own run only; the whole-database run is withheld (404, as unknown)
    listed = {r["id"] for r in httpx.get(url + V1 + "/policy/results", headers=sz).json()}
    assert mine.json()["id"] in listed and allrun["id"] not in listed
    assert httpx.get(url + V1 + f"/policy/results/{allrun['id']}", headers=sz).status_code == 404
    assert httpx.get(url + V1 + f"/policy/results/{allrun['id']}/report", headers=sz).status_code == 404
    rep = httpx.get(url + V1 + f"/policy/results/{mine.json()['id']}/report", headers=sz)
    assert rep.status_code == 200 and "苏州市" in rep.text and "320500" in rep.text
    # unbound and province-level accounts see both
    for who in (free, prov):
        ids = {r["id"] for r in httpx.get(url + V1 + "/policy/results", headers=who).json()}
        assert {mine.json()["id"], allrun["id"]} <= ids
