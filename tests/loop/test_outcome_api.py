"""GET /api/v1/loop/outcome on a real uvicorn server over the hand-made item panel: the numbers equal
``project_outcome`` called directly; enterprise accounts get a coded 403 (outcomes are province
aggregates); bad parameters get a coded 422, never a 500."""

from __future__ import annotations

import httpx
import pytest

from reforge.cli.serve import DEMO_PASSWORDS, create_demo_accounts
from reforge.engine import DuckDBEngine
from reforge.loop.outcome import project_outcome
from tests.api.server import running_server
from tests.loop.outcome_data import LAG, make_outcome_db

URL = "/api/v1/loop/outcome"
CASES = ({"outcome": "domestic_share", "lag": LAG}, {"outcome": "tech_gap", "lag": LAG},
         {"outcome": "tech_gap", "lag": LAG, "control": "notyet"}, {"lag": 0}, {"unit": "firm"})
KEYS = ("att", "se", "ci_low", "ci_high")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = make_outcome_db(tmp_path_factory.mktemp("loop_outcome_api") / "o.duckdb")
    create_demo_accounts(path)
    with DuckDBEngine(path, read_only=True) as e:
        want = [project_outcome(e, **{"outcome": "rd_intensity" if c.get("unit") == "firm" else "domestic_share",
                                      **c}).to_dict() for c in CASES]
    with running_server(path) as url:
        yield url, want


def _login(url, who):
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": who, "password": DEMO_PASSWORDS[who]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_route_equals_the_library(served):
    url, want = served
    h = _login(url, "analyst")
    assert want[1]["band"] == "placebo" and want[0]["band"] == "analytic" and not want[4]["estimable"]
    for case, w in zip(CASES, want, strict=True):
        r = httpx.get(f"{url}{URL}", params=case, headers=h, timeout=60)
        assert r.status_code == 200, (case, r.text)
        d = r.json()
        for k in KEYS:
            assert d[k] == (None if w[k] is None else pytest.approx(w[k], abs=1e-12)), (case, k)
        for k in ("unit", "outcome", "lag", "control", "estimable", "band", "band_draws", "n_treated", "n_controls",
                  "n_no_pre", "treated_units", "years"):
            assert d[k] == w[k], (case, k)
        assert [(x["e"], pytest.approx(x["att"])) for x in d["dynamic"]] == [(x["e"], x["att"]) for x in w["dynamic"]]
        assert [n["code"] for n in d["notes"]] == [n["code"] for n in w["notes"]]
        assert (d["reason"] or {}).get("code") == (w["reason"] or {}).get("code")
    a = httpx.get(f"{url}{URL}", params=CASES[1], headers=_login(url, "admin"), timeout=60)
    assert a.status_code == 200 and a.json()["ci_low"] == pytest.approx(want[1]["ci_low"])


def test_roles_and_bad_parameters(served):
    url, _ = served
    assert httpx.get(f"{url}{URL}", timeout=60).status_code == 401
    r = httpx.get(f"{url}{URL}", headers={**_login(url, "enterprise"), "Accept-Language": "zh"}, timeout=60)
    assert r.status_code == 403 and r.json()["detail"]["code"] == "loop.outcome.forbidden"
    assert "管理员" in r.json()["detail"]["msg"]
    h = _login(url, "analyst")
    for params, code, field in (({"outcome": "profit"}, "loop.outcome.bad_outcome", "outcome"),
                                ({"unit": "firm", "outcome": "tech_gap"}, "loop.outcome.bad_outcome", "outcome"),
                                ({"unit": "region"}, "loop.outcome.bad_unit", "unit"),
                                ({"lag": -1}, "loop.outcome.bad_lag", "lag"), ({"lag": 99}, "loop.outcome.bad_lag", "lag"),
                                ({"control": "x' OR 1=1"}, "loop.outcome.bad_control", "control")):
        r = httpx.get(f"{url}{URL}", params=params, headers=h, timeout=60)
        assert r.status_code == 422, (params, r.text)
        item = r.json()["detail"][0]
        assert item["code"] == code and item["loc"] == ["query", field], (params, item)
    for params in ({"lag": "abc"}, {"lag": "1e999"}, {"outcome": "x" * 500}, {"unit": "<script>"},
                   {"control": "'; DROP TABLE projects; --"}):
        r = httpx.get(f"{url}{URL}", params=params, headers=h, timeout=60)
        assert r.status_code == 422, (params, r.status_code, r.text)
    assert httpx.get(f"{url}{URL}", params={"outcome": "tech_gap", "lag": LAG}, headers=h,
                     timeout=60).json()["n_treated"] == 4  # the hostile values changed nothing
