"""Page warm-up (issue 13): the server computes the heavy pages' results in the background after
it starts and after every data change, under the keys the pages read; a visitor after the
warm-up is served without running an analysis. On a copy of the 2,000-firm demo."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx

from reforge.api.db import Database
from reforge.cli.serve import create_demo_accounts
from tests.api.conftest import page_login
from tests.api.server import running_server

WARMED = ("bottlenecks", "warnings", "screen_shortlist", "review", "cohorts", "research_partners_view",
          "research_flows_view", "research_network_view", "loop_portfolio", "loop_gap_items", "loop_board")


def _wait(cond, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "warm-up did not finish"
        time.sleep(0.1)


def _stored_keys(p: Path) -> dict[str, set[str]]:
    """Per stored key family (the key's first element), the data stamps stored under it."""
    out: dict[str, set[str]] = {}
    for f in Path(f"{p}.results").glob("*.json"):
        entry = json.loads(f.read_text(encoding="utf-8"))
        out.setdefault(entry["key"].split("'")[1], set()).add(entry["stamp"])
    return out


def test_warm_up_after_start_and_after_a_data_change(demo_db, tmp_path, monkeypatch):
    from reforge.research.partners import propose_partners
    from reforge.web.research_pages import research_results
    from reforge.web.warm import PageWarmer
    p = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, p)
    d = Database(p)
    w = PageWarmer(d, pause=0.05)
    try:
        assert not w.ready
        w.start()
        _wait(lambda: w.ready)
        first = _stored_keys(p)
        for k in WARMED:
            assert k in first, k
        with d.reader() as e:  # what the page reads equals the analysis run now
            _, got, _ = research_results(d, None, None, None)
            assert got["ok"] and got["data"] == json.loads(json.dumps(propose_partners(e).to_dict()))
        with d.writer() as e:  # a data change: the pages are warmed again, for the new data
            e.execute("UPDATE enterprises SET name = name || ' (renamed)' WHERE uscc = "
                      "(SELECT MIN(uscc) FROM enterprises)")
        assert not w.ready
        _wait(lambda: w.ready)
        second = _stored_keys(p)
        assert all(len(second[k] - first[k]) == 1 for k in WARMED if k != "loop_board"), second
    finally:
        w.stop()
        d.close()
    # a server started on the warmed file reads the results back: nothing is recomputed for a visit

    def recomputed(*args, **kwargs):
        raise AssertionError("recomputed")

    for target in ("reforge.research.propose_partners", "reforge.loop.projects.portfolio",
                   "reforge.api.services.screen_shortlist"):
        monkeypatch.setattr(target, recomputed)
    create_demo_accounts(p)
    with running_server(p, login_limit=1000, warm_pages=True) as url:
        _wait(lambda: httpx.get(f"{url}/api/v1/health").json()["pages_ready"], 120)
        c = page_login(url, "analyst")
        for page, marker in (("/research", 'id="research-proposals"'), ("/loop/projects", 'id="projects-summary"'),
                             ("/tiers", 'id="tier-form"')):
            r = c.get(page)
            assert r.status_code == 200 and marker in r.text, (page, r.text[:300])
    with running_server(p, login_limit=1000) as url:  # tests switch the warm-up off unless asked
        assert "pages_ready" not in httpx.get(f"{url}/api/v1/health").json()
