"""Region scope of the cooperative capabilities (issue 19): matching, joint research, appraisals,
tackling projects, project outcomes and the disruption simulator, for an analyst bound to a city,
on a real server over the 2,000-firm demo province.

Every expectation is a brute force: plain SQL on the file for the city's firms, demands,
appraisals and projects, and the unbound analyst's answers filtered by hand.
"""

from __future__ import annotations

import re
import shutil
from types import SimpleNamespace

import duckdb
import httpx
import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api.conftest import login, page_login
from tests.api.server import running_server

V1 = "/api/v1"
PW = "coop-region-pass-1"
T = 180

# the city with the most demands among those whose firms also take part in a project and an appraisal
CITY_SQL = """
WITH f AS (SELECT uscc, city_code AS c FROM enterprises WHERE city_code IS NOT NULL),
n AS (
  SELECT f.c,
         (SELECT COUNT(*) FROM demands d JOIN f g ON g.uscc = d.uscc WHERE g.c = f.c) AS nd,
         (SELECT COUNT(*) FROM appraisals a JOIN f g ON g.uscc = a.uscc WHERE g.c = f.c) AS na,
         (SELECT COUNT(*) FROM projects p JOIN f g ON g.uscc = p.lead_uscc WHERE g.c = f.c) AS np
  FROM f GROUP BY f.c)
SELECT c FROM n WHERE na > 0 AND np > 0 ORDER BY nd DESC, c LIMIT 1"""


@pytest.fixture(scope="module")
def env(demo_db, tmp_path_factory):
    p = tmp_path_factory.mktemp("coop_region") / "demo.duckdb"
    shutil.copy(demo_db, p)
    con = duckdb.connect(str(p), read_only=True)
    city = con.execute(CITY_SQL).fetchone()[0]
    # GB/T 2260: a firm is in the prefecture by its city code, or by its county code when it has none
    firms = {u for u, c, k in con.execute("SELECT uscc, city_code, county_code FROM enterprises").fetchall()
             if c == city or (c is None and (k or "")[:4] == city[:4])}
    demands = {d for d, u in con.execute("SELECT demand_id, uscc FROM demands").fetchall() if u in firms}
    appraisals = {a for a, u in con.execute("SELECT appraisal_id, uscc FROM appraisals").fetchall() if u in firms}
    partners = con.execute("SELECT project_id, partner_id FROM project_partners "
                           "WHERE partner_type = 'enterprise'").fetchall()
    projects = ({pid for pid, lead in con.execute("SELECT project_id, lead_uscc FROM projects").fetchall()
                 if lead in firms} | {pid for pid, f in partners if f in firms})
    all_appraisals = {a for (a,) in con.execute("SELECT appraisal_id FROM appraisals").fetchall()}
    item = con.execute("SELECT i.item_id FROM project_items i JOIN projects p ON p.project_id = i.project_id "
                       "WHERE p.lead_uscc IN (SELECT UNNEST(?)) ORDER BY 1 LIMIT 1", [sorted(firms)]).fetchone()[0]
    con.close()
    assert demands and appraisals and projects and appraisals != all_appraisals
    create_demo_accounts(p)
    with running_server(p, login_limit=1000, login_per_ip=1000, analysis_rate=1000, analysis_burst=1000) as u:
        admin = login(u, "admin")
        for name, region in (("cityan", city), ("free", None)):
            r = httpx.post(u + V1 + "/users", headers=admin,
                           json={"username": name, "password": PW, "role": "analyst", "region": region})
            assert r.status_code == 201, r.text
        yield SimpleNamespace(url=u, city=city, firms=firms, demands=demands, appraisals=appraisals,
                              others=all_appraisals - appraisals, projects=projects, item=item,
                              city_h=login(u, "cityan", PW), free_h=login(u, "free", PW))


def get(env, who: str, path: str, status: int = 200, **params):
    r = httpx.get(env.url + V1 + path, headers=getattr(env, who + "_h"), params=params, timeout=T)
    assert r.status_code == status, (path, r.text[:300])
    return r.json()


def test_matching_covers_the_region_demands_with_candidates_from_anywhere(env):
    mine = get(env, "city", "/match/demands")["demands"]
    assert {d["demand_id"] for d in mine} == env.demands
    everyone = {d["demand_id"]: d for d in get(env, "free", "/match/demands")["demands"]}
    assert set(everyone) > env.demands
    for d in mine:  # the same candidates as for everyone: matching across regions is the point
        full = everyone[d["demand_id"]]
        assert ({c["producer_id"] for c in d["candidates"]} == {c["producer_id"] for c in full["candidates"]})
        assert d["matched"] == full["matched"]
    assert any(c["producer_id"] not in env.firms for d in mine for c in d["candidates"])
    # the degree over the region's demands, recomputed by hand from the demands
    want: dict[str, list[float]] = {}
    for d in mine:
        if d["item_id"] is not None:
            w = want.setdefault(d["item_id"], [0.0, 0.0, 0, 0])
            w[0] += d["value"] or 0.0
            w[1] += (d["value"] or 0.0) if d["matched"] else 0.0
            w[2] += 1
            w[3] += int(d["matched"])
    deg = get(env, "city", "/match/degree")
    assert deg["region"] == env.city and get(env, "free", "/match/degree")["region"] is None
    got = {r["item_id"]: r for r in deg["items"]}
    assert set(got) == set(want)
    for item, (value, matchable, n, n_ok) in want.items():
        assert got[item]["demand_value"] == pytest.approx(value)
        assert got[item]["matchable_value"] == pytest.approx(matchable)
        assert (got[item]["n_demands"], got[item]["n_matchable"]) == (n, n_ok)
    # the assignment of the region's demands; a supplier of another region answers 404 as unknown
    a = get(env, "city", "/match/assign")
    assert {d["demand_id"] for d in a["demands"]} == env.demands
    assert {f["demand_id"] for f in a["flows"]} <= env.demands
    for d in a["demands"]:
        assert d["assigned"] <= (d["value"] or 0) * (1 + 1e-9)
    outside = next(c["producer_id"] for d in mine for c in d["candidates"] if c["producer_id"] not in env.firms)
    get(env, "city", "/match/offers", 404, uscc=outside)
    assert get(env, "free", "/match/offers", uscc=outside)["demands"]
    inside = sorted(env.firms)[0]
    assert get(env, "city", "/match/offers", uscc=inside)["uscc"] == inside


def _with_a_firm(members: list[str], firms: set[str]) -> bool:
    return any(m in firms for m in members)


def test_groups_and_consortia_with_a_firm_of_the_region(env):
    full = get(env, "free", "/match/groups")["targets"]
    want = []
    for t in full:
        gs = [g for g in t["groups"] if _with_a_firm([g["maker"]["uscc"]] + [a["uscc"] for a in g["adopters"]],
                                                       env.firms)]
        if gs:
            want.append({**t, "groups": gs, "excluded": [x for x in t["excluded"] if x["uscc"] in env.firms]})
    assert get(env, "city", "/match/groups")["targets"] == want
    props = get(env, "free", "/match/partners")["proposals"]
    want_p = [{**p, "excluded": [x for x in p["excluded"] if x["id"] in env.firms]} for p in props
              if _with_a_firm(([p["lead"]["id"]] if p["lead"] else []) + [a["id"] for a in p["adopters"]], env.firms)]
    assert want_p, "the demo city should take part in a consortium"
    assert get(env, "city", "/match/partners")["proposals"] == want_p
    for path in ("/match/flows", "/match/platforms", "/loop/outcome"):  # counts of every region
        assert get(env, "city", path, 403)["detail"]["code"] == "scope.withheld"
        get(env, "free", path)


def test_appraisals_of_the_region_firms_only(env):
    assert {a["appraisal_id"] for a in get(env, "city", "/appraise/appraisals")} == env.appraisals
    assert {a["appraisal_id"] for a in get(env, "free", "/appraise/appraisals")} == env.appraisals | env.others
    other, own = sorted(env.others)[0], sorted(env.appraisals)[0]
    for sub in ("weights", "links", "panel"):
        get(env, "city", f"/appraise/appraisals/{other}/{sub}", 404)
        r = httpx.get(f"{env.url}{V1}/appraise/appraisals/{other}/{sub}", headers=env.free_h, timeout=T)
        assert r.status_code in (200, 422), r.text  # weights: 422 while no expert has judged it
    get(env, "city", f"/appraise/appraisals/{own}/links")
    r = httpx.post(f"{env.url}{V1}/appraise/appraisals/{other}/judgments", headers=env.city_h, timeout=T,
                   json={"expert_id": "X1", "pairs": [{"a": "novelty", "b": "maturity", "value": 2}]})
    assert r.status_code == 404, r.text
    r = httpx.get(f"{env.url}{V1}/appraise/ranking", headers=env.city_h, timeout=T,
                  params={"id": sorted(env.appraisals | env.others), "weights": "equal"})
    if len(env.appraisals) >= 2:  # the batch is cut to the region's appraisals
        assert r.status_code == 200, r.text
        assert {x["appraisal_id"] for x in r.json()["items"]} == env.appraisals
    else:
        assert r.status_code == 422 and "appraise.rank.too_few" in r.text


def test_projects_with_a_firm_of_the_region(env):
    mine = get(env, "city", "/loop/projects", as_of="2026-01-01")
    assert mine["region"] == env.city
    assert {p["project_id"] for p in mine["projects"]} == env.projects
    assert {x["uscc"] for x in mine["leads"]} <= env.firms
    assert {o["project_id"] for o in mine["overdue"]} <= env.projects
    full = get(env, "free", "/loop/projects", as_of="2026-01-01")
    assert full["region"] is None and {p["project_id"] for p in full["projects"]} > env.projects
    total = sum(sum(b.values()) for b in [mine["budget_by_source"]])
    assert 0 < total < sum(full["budget_by_source"].values())
    b = get(env, "city", f"/loop/board/{env.item}", as_of="2026-01-01")
    assert b["region"] == env.city
    step = {s["key"]: s for s in b["steps"]}
    assert step["projects"]["rows"] and {p["project_id"] for p in step["projects"]["rows"]} <= env.projects
    assert {a["uscc"] for a in step["appraisals"]["rows"]} <= env.firms
    hist = get(env, "city", "/loop/history", chain="industrial_robot")
    assert hist["region"] == env.city
    labels = {i["item_id"]: i["labels"][str(hist["years"][-1])] for i in hist["items"]}
    now = get(env, "city", "/chains/industrial_robot/bottlenecks", year=hist["years"][-1])
    assert labels == {i["item_id"]: i["label"] for i in now["items"]}


def test_simulation_reports_the_region_firms(env):
    body = {"remove_country": "JP"}
    r = {}
    for who in ("city", "free"):
        x = httpx.post(f"{env.url}{V1}/chains/industrial_robot/simulate", headers=getattr(env, who + "_h"),
                       json=body, timeout=T)
        assert x.status_code == 200, x.text
        r[who] = x.json()
    assert r["free"]["disrupted_firms"] and r["city"]["scope"] == {"region": env.city}
    assert set(r["city"]["disrupted_firms"]) == set(r["free"]["disrupted_firms"]) & env.firms
    assert r["city"]["disrupted_firms_count"] == len(r["city"]["disrupted_firms"])
    assert r["city"]["lost_value"] < r["free"]["lost_value"]


def test_pages_of_a_region_bound_analyst(env):
    c = page_login(env.url, "cityan", PW, timeout=T)
    p = c.get("/research")
    assert p.status_code == 200 and 'id="scope-note"' in p.text and 'id="research-matrix"' not in p.text
    a = c.get("/appraise")
    assert 'id="scope-note"' in a.text
    for other in env.others:
        assert other not in a.text
    assert all(x in a.text for x in env.appraisals)
    pr = c.get("/loop/projects", params={"as_of": "2026-01-01"})
    assert 'id="scope-note"' in pr.text and all(x in pr.text for x in env.projects)
    o = c.get("/loop/outcome")
    assert o.status_code == 200 and 'id="outcome-error"' in o.text
    assert 'id="scope-note"' in c.get(f"/loop/board/{env.item}").text
    # the simulator's "remove a firm" suggestions: the region's firms only
    free = page_login(env.url, "free", PW, timeout=T)
    for who, client in (("city", c), ("free", free)):
        found = set(re.findall(r'value="([0-9A-Z]{18})"', client.get("/chains/industrial_robot/firms",
                                                                      params={"remove_firm": "9"}).text))
        assert found and (found <= env.firms) == (who == "city"), who
    c.cookies.set("lang", "zh")
    assert "账户所属地区" in c.get("/research").text
    assert 'id="scope-note"' not in free.get("/research").text


def test_generic_technologies_from_the_region_purchases(env):
    """Labels from the region's purchases, as its chain pages; Suzhou (320500) buys its bearing steel
    abroad, so there the demo's one generic technology is a chokepoint, not weak as province-wide."""
    r = httpx.post(env.url + V1 + "/users", headers=login(env.url, "admin"),
                   json={"username": "szgen", "password": PW, "role": "analyst", "region": "320500"})
    assert r.status_code == 201, r.text
    full = get(env, "free", "/chains/generic")
    assert "scope" not in full
    differ = False
    for city, h in ((env.city, env.city_h), ("320500", login(env.url, "szgen", PW))):
        mine = httpx.get(env.url + V1 + "/chains/generic", headers=h, timeout=T).json()
        assert mine["scope"] == {"region": city}
        for it in mine["items"]:
            for c in it["chains"]:
                b = httpx.get(env.url + V1 + f"/chains/{c['chain_id']}/bottlenecks", headers=h, timeout=T).json()
                assert c["label"] == next(i["label"] for i in b["items"] if i["item_id"] == it["item_id"])
        differ |= mine["items"] != full["items"]
    assert differ
