"""The outcome page on the demo province (a real server): the ATT, its band, the counts and the
event-study rows shown are the library's own figures (``project_outcome``), in both languages."""

from __future__ import annotations

import re
import shutil

import pytest

from reforge.cli.serve import create_demo_accounts
from reforge.engine import DuckDBEngine
from reforge.loop.outcome import project_outcome
from reforge.messages import render
from tests.api.conftest import page_login
from tests.api.server import running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("outcome_page") / "demo.duckdb"
    shutil.copy(demo_db, path)
    create_demo_accounts(path)
    with running_server(path, login_limit=1000) as url:
        yield path, url


def _text(html: str, id_: str) -> str:
    m = re.search(rf'id="{id_}"[^>]*>(.*?)</(p|table|div)>', html, re.S)
    assert m, id_
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_outcome_page_shows_the_library_estimate(served, lang):
    path, url = served
    with DuckDBEngine(path, read_only=True) as e:
        want = project_outcome(e, "domestic_share", 0, "never", "item").to_dict()
    assert want["estimable"], want["reason"]
    c = page_login(url, "analyst", timeout=120)
    html = c.get("/loop/outcome", params={"unit": "item", "outcome": "domestic_share", "lag": 0,
                                          "control": "never", "lang": lang}).text
    att = _text(html, "outcome-att")
    assert att.startswith(render("loop.outcome.att", {"att": want["att"], "lo": want["ci_low"],
                                                      "hi": want["ci_high"]}, lang))
    assert render("loop.outcome.head", {"outcome": render("loop.outcome.name.domestic_share", None, lang),
                                        "unit": render("loop.outcome.unit.item", None, lang), "lag": 0,
                                        "treated": want["n_treated"], "controls": want["n_controls"]}, lang) \
        .replace("&", "&amp;") in html
    rows = re.findall(r"<tr><td class=\"num\">(-?\d+)</td>", html.split('id="outcome-dynamic"')[1])
    assert [int(x) for x in rows] == [d["e"] for d in want["dynamic"]]
    assert 'id="c-outcome-chart"' in html
    assert page_login(url, "enterprise", timeout=120).get("/loop/outcome").status_code == 403
