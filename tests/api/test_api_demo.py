"""The capability endpoints over HTTP on the demo province (500 firms, trained credit model).

Checks are contracts of the capability issues plus rules that hold independently of the code
under test (the key-sector definition, pass means no failed condition, the enterprise account's
own credit entry equals its row in the full scoring, roles).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api.conftest import login
from tests.api.server import running_server

pytestmark = pytest.mark.slow
REFORGE = str(Path(sys.executable).with_name("reforge"))
API = "/api/v1"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    db = tmp_path_factory.mktemp("apidemo") / "demo.duckdb"
    for cmd in ([REFORGE, "demo", "--firms", "500", "--seed", "3", "--db", str(db)],
                [REFORGE, "credit", "train", "--db", str(db)]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr[-2000:]
    create_demo_accounts(db)
    with running_server(db) as url:
        yield url


@pytest.fixture(scope="module")
def hdr(demo_url):
    return login(demo_url, "analyst")


def get(url, path, headers, **params):
    r = httpx.get(f"{url}{API}{path}", headers=headers, params=params, timeout=300)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r.json()


def test_screening_contract(demo_url, hdr):
    d = get(demo_url, "/tiers/screen", hdr, tier="little_giant")
    assert {"tier", "rules", "year", "firms"} <= set(d) and d["tier"] == "little_giant"
    assert len(d["firms"]) == 500
    for f in d["firms"]:
        assert {"uscc", "outcome", "score", "points", "reasons", "failed", "missing"} <= set(f)
        if f["outcome"] == "pass":
            assert f["failed"] == []


def test_review_warnings_cohorts(demo_url, hdr):
    rev = get(demo_url, "/tiers/review", hdr)
    assert {"year", "rules", "firms"} <= set(rev)
    only = get(demo_url, "/tiers/review", hdr, tier="little_giant")
    assert all(f["kind"] == "little_giant" for f in only["firms"])
    w = get(demo_url, "/tiers/warnings", hdr)
    assert {f["level"] for f in w["firms"]} <= {"green", "amber", "red"}
    coh = get(demo_url, "/tiers/cohorts", hdr)
    assert coh["cohorts"] and all(0 <= c["share_passing"] <= 1 for c in coh["cohorts"])


def test_credit_scores_and_one_firm(demo_url, hdr):
    d = get(demo_url, "/credit/scores", hdr)
    assert {"year", "firms"} <= set(d) and d["firms"]
    for f in d["firms"]:
        assert {"uscc", "score", "pd", "grade", "reasons", "overlays"} <= set(f) and 0 <= f["pd"] <= 1
    ent = login(demo_url, "enterprise")
    own_uscc = get(demo_url, "/auth/me", ent)["uscc"]
    own = get(demo_url, f"/enterprises/{own_uscc}/credit", ent)
    row = next(f for f in d["firms"] if f["uscc"] == own_uscc)
    assert own["firms"] == [row]
    scr = get(demo_url, f"/enterprises/{own_uscc}/screening", ent)
    assert set(scr["screening"]) >= {"innovative_sme", "srdi_sme", "little_giant"}
    assert httpx.get(f"{demo_url}{API}/credit/scores", headers=ent).status_code == 403


def test_key_sectors_follow_the_definition(demo_url, hdr):
    tables = get(demo_url, "/sectors", hdr)
    assert tables
    d = get(demo_url, f"/sectors/{tables[0]['table_id']}/key-sectors", hdr)
    assert len(d["sectors"]) == tables[0]["sectors"]
    for s in d["sectors"]:  # Rasmussen/Hirschman: key when both normalised linkages exceed 1
        bl, fl = s["backward_linkage"] > 1, s["forward_linkage"] > 1
        expected = {(True, True): "key", (True, False): "backward_oriented",
                    (False, True): "forward_oriented", (False, False): "weak"}[(bl, fl)]
        assert s["class"] == expected, s


def test_chain_endpoints(demo_url, hdr):
    chains = get(demo_url, "/chains", hdr)
    assert len(chains) >= 6 and all(c["items"] >= 25 for c in chains)
    b = get(demo_url, f"/chains/{chains[0]['chain_id']}/bottlenecks", hdr)
    assert len(b["items"]) == chains[0]["items"]
    assert {i["label"] for i in b["items"]} <= {"missing", "blank", "chokepoint", "weak", "sound"}
    g = get(demo_url, "/chains/generic", hdr)
    assert all(len(i["chains"]) >= 2 for i in g["items"])
    assert get(demo_url, "/chains/generic?top=1", hdr)["items"] == g["items"][:1]
    sim = httpx.post(f"{demo_url}{API}/chains/{chains[0]['chain_id']}/simulate", headers=hdr,
                     json={"remove_country": "JP"}, timeout=300).json()
    assert sim["disrupted_firms_count"] == len(sim["disrupted_firms"]) and sim["lost_value"] >= 0
