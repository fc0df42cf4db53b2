"""A region-scoped account sees and downloads only its region's enterprises on the dashboard
(the same scope as the API's search), on a real server with the small API database."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import duckdb
import httpx
import pytest

from reforge.chain import bottlenecks
from reforge.chain.metrics import LABELS as LABEL_ORDER
from reforge.cli.serve import create_demo_accounts
from reforge.engine import DuckDBEngine
from tests.api import smalldb
from tests.api.conftest import csrf_from, login, page_login
from tests.api.server import running_server

E1, E2, E3, E4 = smalldb.E1, smalldb.E2, smalldb.E3, smalldb.E4
PW = "region-pass-1"


LABELS: dict = {}  # region -> {item: label} of the library, read before the server opens the file


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    p = smalldb.build(tmp_path_factory.mktemp("regionweb") / "small.duckdb")
    con = duckdb.connect(str(p))
    con.execute("UPDATE enterprises SET city_code = NULL, county_code = '320506' WHERE uscc = ?", [E4])
    con.close()
    with DuckDBEngine(p) as e:
        for region in (None, "320100"):
            LABELS[region] = {i["item_id"]: i["label"] for i in bottlenecks(e, "robot_chain", region=region).items}
    create_demo_accounts(p)
    with running_server(p, login_limit=1000, login_per_ip=1000) as u:
        for name, region in (("sz", "320500"), ("nj", "320100")):
            r = httpx.post(u + "/api/v1/users", headers=login(u, "admin"),
                           json={"username": name, "password": PW, "role": "analyst", "region": region})
            assert r.status_code == 201, r.text
        yield u


@pytest.mark.parametrize("fmt", ["csv", "page"])
def test_region_scoped_account_sees_and_exports_only_its_region(url, fmt):
    c = page_login(url, "sz", PW)
    if fmt == "csv":
        r = c.get("/enterprises", params={"format": "csv", "lang": "en"})
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert {x[0] for x in rows[1:]} == {E1, E4}
    else:
        body = c.get("/enterprises").text
        assert E1 in body and E4 in body and E2 not in body and E3 not in body


def test_region_scoped_account_gets_404_for_a_profile_outside_its_region(url):
    c = page_login(url, "sz", PW)
    assert c.get(f"/enterprises/{E1}").status_code == 200
    assert c.get(f"/enterprises/{E2}").status_code == 404


def test_region_scoped_account_sees_only_its_region_in_tier_results(url):
    """API screening/review/warnings: the analyst's rows of the region's firms, nothing else;
    cohorts (aggregates over every region) withheld; the tiers page export likewise."""
    allh, szh = login(url, "analyst"), login(url, "sz", PW)
    region = {E1, E4}
    for path in ("/api/v1/tiers/screen?tier=innovative_sme", "/api/v1/tiers/review", "/api/v1/tiers/warnings"):
        full, mine = httpx.get(url + path, headers=allh).json(), httpx.get(url + path, headers=szh).json()
        assert mine["scope"] == {"region": "320500", "withheld": [k for k in ("summary",) if k in full]}
        assert mine["firms"] == [r for r in full["firms"] if r["uscc"] in region], path
    screened = httpx.get(url + "/api/v1/tiers/screen?tier=innovative_sme", headers=allh).json()["firms"]
    assert {r["uscc"] for r in screened} - region  # the test would notice a filter that does nothing
    mine = httpx.get(url + "/api/v1/tiers/screen?tier=innovative_sme", headers=szh).json()["firms"]
    assert {r["uscc"] for r in mine} == region & {r["uscc"] for r in screened} != set()
    coh = httpx.get(url + "/api/v1/tiers/cohorts", headers=szh).json()
    assert coh["scope"]["withheld"] == ["cohorts"] and "cohorts" not in coh
    c = page_login(url, "sz", PW)
    r = c.get("/tiers", params={"tier": "innovative_sme", "format": "csv", "export": "candidates", "lang": "en"})
    assert r.status_code == 200
    assert {x[0] for x in list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]} <= region


def test_overview_counts_the_accounts_region_only(url):
    """A region-bound analyst's overview counts its region's enterprises (E1 and E4 in 320500)
    and says that chain figures are the database's; an unscoped analyst sees every firm."""
    c = page_login(url, "sz", PW)
    body = c.get("/", params={"lang": "en"}).text
    counts = re.findall(r'<div class="count"><b>([\d,]+)</b>([^<]+)', body)
    got = {label.strip(): int(n.replace(",", "")) for n, label in counts}
    assert got["Enterprises"] == 2
    assert 'id="scope-note"' in body and "苏州市" in body  # the region by name (GB/T 2260)
    a = page_login(url, "analyst", "analyst-demo-pass")
    everyone = a.get("/", params={"lang": "en"}).text
    got_all = {label.strip(): int(n.replace(",", "")) for n, label in
               re.findall(r'<div class="count"><b>([\d,]+)</b>([^<]+)', everyone)}
    assert got_all["Enterprises"] == len(smalldb.ENTERPRISES) and 'id="scope-note"' not in everyone


def _page_labels(body: str) -> dict[str, str]:
    """{item: label} of the chain page's bottleneck table."""
    return dict(re.findall(r'hx-get="/chains/robot_chain/items/(\w+)[^"]*" hx-target="#item-detail">[^<]*</a></td>\s*'
                           r'<td><span class="badge (\w+)">', body))


def _glance(body: str) -> dict[str, int]:
    """Items per label of robot_chain in the overview's chains at a glance."""
    row = re.search(r'<a href="/chains/robot_chain">.*?</tr>', body, re.S).group(0)
    nums = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)][1:]  # after the item count
    return {k: n for k, n in zip(LABEL_ORDER, nums, strict=True) if n}


def test_chain_page_and_overview_of_a_region_bound_account_use_its_firms_purchases(url):
    """Nanjing (320100) buys nothing on this chain, so its labels differ from the national ones;
    the cached results of an unscoped and a bound account never stand in for each other, whoever
    asks first."""
    assert LABELS["320100"] != LABELS[None]
    want = {r: dict(Counter(v.values())) for r, v in LABELS.items()}
    a, nj = page_login(url, "analyst", "analyst-demo-pass"), page_login(url, "nj", PW)
    for _ in range(2):
        for c, region in ((a, None), (nj, "320100")):
            body = c.get("/chains/robot_chain", params={"lang": "en"}).text
            assert _page_labels(body) == LABELS[region], region
            assert ('id="scope-note"' in body) == (region is not None)
            assert _glance(c.get("/", params={"lang": "en"}).text) == want[region], region
    body = nj.get("/chains/robot_chain", params={"lang": "zh"}).text
    assert "南京市" in body and "企业的采购计算" in body


def test_policy_page_of_a_region_bound_account_runs_and_lists_its_region_only(url):
    """The dashboard's evaluation covers the region's firms (Suzhou: E1 treated, E4 control; see
    tests/api/test_auth_region.py for the hand computation); a whole-database run is not listed."""
    whole = httpx.post(url + "/api/v1/policy/evaluate", headers=login(url, "analyst"), timeout=120,
                       json={"programme": "little_giant_fund", "outcomes": ["revenue"]}).json()
    c = page_login(url, "sz", PW)
    page = c.get("/policy")
    assert page.status_code == 200 and 'id="scope-note"' in page.text and "苏州市" in page.text
    r = c.post("/policy/evaluate", data={"programme": "little_giant_fund", "outcome": "revenue",
                                         "csrf_token": csrf_from(page.text)}, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text[:500]
    runs = httpx.get(url + "/api/v1/policy/results", headers=login(url, "sz", PW)).json()
    assert len(runs) == 1 and runs[0]["params"]["region"] == "320500"
    assert whole["id"] not in c.get("/policy").text
    assert c.get(f"/policy?run={whole['id']}").status_code == 404
    assert c.get(f"/policy?run={runs[0]['id']}").status_code == 200
