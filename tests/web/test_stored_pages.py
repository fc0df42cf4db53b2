"""The joint-research and tackling-project pages keep their results in the result store
(``<db>.results/``): a restarted server on unchanged data shows the same page without running
the analyses again (issue 13: cold pages). Real servers over a copy of the 2,000-firm demo."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb

from reforge.cli.serve import create_demo_accounts
from tests.api.conftest import page_login
from tests.api.server import running_server

AS_OF = "2026-01-01"
STORED = ("research_flows_view", "research_partners_view", "research_network_view", "loop_portfolio",
          "loop_gap_items", "loop_board")


def _main(html: str) -> str:
    """The page's <main> (the header holds a per-session CSRF token)."""
    m = re.search(r"<main>(.*)</main>", html, re.S)
    assert m, html[:300]
    return m.group(1)


def test_heavy_pages_are_read_back_after_a_restart(demo_db, tmp_path, monkeypatch):
    p = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, p)
    with duckdb.connect(str(p), read_only=True) as con:
        item = con.execute("SELECT MIN(item_id) FROM project_items").fetchone()[0]
    create_demo_accounts(p)
    pages = ["/research", f"/loop/projects?as_of={AS_OF}", "/loop/board", f"/loop/board/{item}?as_of={AS_OF}"]
    with running_server(p, login_limit=1000) as url:
        c = page_login(url, "analyst")
        first = {x: c.get(x) for x in pages}
    assert all(r.status_code == 200 for r in first.values())
    assert 'id="research-proposals"' in first["/research"].text and 'id="research-matrix"' in first["/research"].text
    keys = " ".join(json.loads(f.read_text(encoding="utf-8"))["key"] for f in Path(f"{p}.results").glob("*.json"))
    for k in STORED:
        assert k in keys, k

    def recomputed(*args, **kwargs):
        raise AssertionError("recomputed instead of read from the result store")

    for target in ("reforge.research.propose_partners", "reforge.research.personnel_flows",
                   "reforge.research.collaboration_network", "reforge.loop.projects.portfolio",
                   "reforge.loop.projects.gap_items", "reforge.loop.board.board"):
        monkeypatch.setattr(target, recomputed)
    with running_server(p, login_limit=1000) as url:
        c = page_login(url, "analyst")
        for x in pages:
            again = c.get(x)
            assert again.status_code == 200 and _main(again.text) == _main(first[x].text), x
    # a page in Chinese renders the stored coded messages in Chinese
    with running_server(p, login_limit=1000) as url:
        c = page_login(url, "analyst")
        c.cookies.set("lang", "zh")
        assert "联合体" in c.get("/research").text or "牵头" in c.get("/research").text


def test_board_consortium_line_names_only_what_the_proposal_has(demo_db, tmp_path):
    """The board's consortium line: lead · institutions · platform · adopters, each part only when
    the proposal has it (a proposal without institutions showed "· ·"); institutions and the
    platform by their English names on the English page, the lead's tier by its name."""
    from reforge.engine import DuckDBEngine
    from reforge.research import propose_partners
    p = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, p)
    with DuckDBEngine(p, read_only=True) as e:
        props = propose_partners(e, None, as_of=AS_OF, include_demands=False).to_dict()["proposals"]
    bare = next(x for x in props if x["lead"] and not x["institutions"])
    full = next(x for x in props if x["lead"] and x["institutions"] and x["institutions"][0]["detail"].get("name_en"))
    create_demo_accounts(p)
    with running_server(p, login_limit=1000) as url:
        c = page_login(url, "analyst")
        for prop, lang in ((bare, "en"), (bare, "zh"), (full, "en")):
            html = c.get(f"/loop/board/{prop['item_id']}?as_of={AS_OF}&lang={lang}").text
            step = re.search(r'id="step-consortium".*?</table>', html, re.S)
            assert step, prop["item_id"]
            line = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", step.group(0)))
            assert "· ·" not in line, line
            assert not re.search(r"little_giant|srdi_sme|innovative_sme|single_champion", line), line  # names
            if prop is full:
                assert prop["institutions"][0]["detail"]["name_en"] in line
