"""Appraisal routes on a real uvicorn server over a real DuckDB file: roles and shapes."""

from __future__ import annotations

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from tests.api.server import running_server
from tests.appraise.conftest import APPLICANT, fill

API = "/api/v1/appraise"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path_factory.mktemp("appraise_api") / "a.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e)
    create_demo_accounts(path)  # the enterprise account belongs to the smallest uscc: AP1's applicant
    with running_server(path) as url:
        yield url


def _login(url, who):
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": who, "password": DEMO_PASSWORDS[who]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_enterprise_sees_only_its_own_appraisals(server):
    h = _login(server, "enterprise")
    r = httpx.get(f"{server}{API}/appraisals", headers=h)
    assert r.status_code == 200 and [a["appraisal_id"] for a in r.json()] == ["AP1"]
    assert r.json()[0]["uscc"] == APPLICANT
    assert httpx.get(f"{server}{API}/appraisals/AP1/weights", headers=h).status_code == 200
    assert httpx.get(f"{server}{API}/appraisals/AP2/weights", headers=h).status_code == 404
    assert httpx.get(f"{server}{API}/appraisals/AP1/panel", headers=h).status_code == 403
    assert httpx.get(f"{server}{API}/ranking", params={"kind": "new_product"}, headers=h).status_code == 403
    r = httpx.post(f"{server}{API}/appraisals/AP1/judgments", headers=h,
                   json={"expert_id": "E2", "pairs": [{"a": "novelty", "b": "market", "value": 9}]})
    assert r.status_code == 403
    assert httpx.get(f"{server}{API}/appraisals").status_code == 401


def test_analyst_reads_panel_weights_and_ranking(server):
    h = _login(server, "analyst")
    assert len(httpx.get(f"{server}{API}/appraisals", headers=h).json()) == 3
    p = httpx.get(f"{server}{API}/appraisals/AP2/panel", headers=h).json()
    e1 = next(s for s in p["others"] if s["expert_id"] == "E1")
    assert e1["reasons"][0]["code"] == "appraise.panel.out.same_enterprise"
    w = httpx.get(f"{server}{API}/appraisals/AP1/weights", headers=h).json()
    assert w["experts"][3]["status"] == "excluded" and sum(w["weights"].values()) == pytest.approx(1)
    r = httpx.get(f"{server}{API}/ranking", headers=h,
                  params={"kind": "new_product", "year": 2025, "role_weight": "downstream_user=16"})
    assert r.status_code == 200 and r.json()["items"][0]["appraisal_id"] == "AP2"
    r = httpx.get(f"{server}{API}/ranking", headers=h, params={"id": ["AP1", "nope"]})
    assert r.status_code == 404
    r = httpx.get(f"{server}{API}/ranking", headers=h, params={"kind": "new_product", "role_weight": "bogus=1"})
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "appraise.role.unknown"
    r = httpx.get(f"{server}{API}/ranking", headers=h, params={"kind": "new_product", "role_weight": "x"})
    assert r.status_code == 422


def test_submit_judgments_validates_and_never_500s(server):
    h = _login(server, "analyst")
    url = f"{server}{API}/appraisals/AP3/judgments"
    good = {"expert_id": "E3", "pairs": [{"a": "novelty", "b": "reliability", "value": 2},
                                         {"a": "novelty", "b": "market", "value": 4},
                                         {"a": "reliability", "b": "market", "value": 2}]}
    r = httpx.post(url, headers=h, json=good)
    assert r.status_code == 201, r.text
    assert r.json()["consistent"] and r.json()["priorities"]["novelty"] == pytest.approx(4 / 7)
    w = httpx.get(f"{server}{API}/appraisals/AP3/weights", headers=h).json()
    assert w["weights"]["novelty"] == pytest.approx(4 / 7)
    hostile = [
        {"expert_id": "E3", "pairs": [{"a": "novelty", "b": "market", "value": 40}]},
        {"expert_id": "E3'; DROP TABLE experts; --", "pairs": good["pairs"]},
        {"expert_id": "E3", "pairs": [{"a": "<script>alert(1)</script>", "b": "market", "value": 2}]},
        {"expert_id": "E3", "pairs": good["pairs"][:2]},
        {"expert_id": "nobody", "pairs": good["pairs"]},
    ]
    for body in hostile:
        r = httpx.post(url, headers=h, json=body)
        assert r.status_code in (404, 422), (body, r.status_code, r.text)
    assert httpx.post(f"{server}{API}/appraisals/AP9/judgments", headers=h, json=good).status_code == 404
    assert httpx.post(f"{server}{API}/appraisals/a%20b/judgments", headers=h, json=good).status_code == 422
    w2 = httpx.get(f"{server}{API}/appraisals/AP3/weights", headers=h).json()
    assert w2["weights"] == w["weights"]
