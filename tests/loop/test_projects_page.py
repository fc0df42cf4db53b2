"""The /loop/projects portfolio, the /loop/board item list and one board in headless Chromium, in both
languages (screenshots written to the pytest tmp folder); a script in a project title stays text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api.server import running_server
from tests.browser import login_page as _page  # the `browser` fixture comes from tests.browser too
from tests.loop.projects_data import AS_OF, HOSTILE, make_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    path = make_db(tmp_path_factory.mktemp("loop_page") / "p.duckdb", hostile=True)
    create_demo_accounts(path)
    with running_server(path, login_limit=1000) as url:
        yield url


@pytest.mark.parametrize("lang, title, nobody, missing", [
    ("en", "Tackling projects", "nobody works on it", "Item A: no eligible lead enterprise (1 excluded)"),
    ("zh", "关键核心技术攻关项目", "无人攻关", "产品A：没有符合条件的牵头企业（排除 1 家）"),
])
def test_portfolio_list_and_board(browser, base_url, tmp_path, lang, title, nobody, missing):
    ctx, page = _page(browser, base_url, "analyst", lang)
    try:
        resp = page.goto(f"/loop/projects?as_of={AS_OF}")
        assert resp.status == 200
        assert page.inner_text("#projects-title") == title
        assert page.locator("#projects-list tbody tr").count() == 5
        cov = page.inner_text("#projects-coverage")
        assert cov.count(nobody) == 2  # D and E
        assert page.locator("#projects-overdue tbody tr").count() == 2
        if lang == "zh":  # the Chinese page shows the filed title: the script text stays text
            assert HOSTILE in page.inner_text("#projects-list")
        assert page.evaluate("window.__pwned === undefined")
        page.screenshot(path=str(tmp_path / f"portfolio_{lang}.png"), full_page=True)
        body = page.inner_text("body")
        assert "loop." not in body
        page.goto("/loop/board")
        assert page.locator("#board-items tbody tr").count() == 5
        page.click("#board-items a[href='/loop/board/A']")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/loop/board/A")
        page.goto(f"/loop/board/A?as_of={AS_OF}")
        assert page.locator(".board-step").count() == 8 and page.locator(".board-step.empty").count() == 1
        assert missing in page.inner_text("#step-consortium")
        overdue = page.locator("#step-projects tr.overdue").all_inner_texts()
        assert [x.split()[0] for x in overdue] == ["M2", "M1"]  # P1's M2 (done late) and P2's M1
        page.screenshot(path=str(tmp_path / f"board_{lang}.png"), full_page=True)
        page.goto("/loop/board/Z")
        assert page.locator(".board-step.empty").count() == 8
        body = page.inner_text("body")
        assert "loop." not in body
        if lang == "zh":
            assert "nobody works on it" not in body and "Why it is choked" not in body
        assert page.goto("/loop/board/nope").status == 404
        assert page.evaluate("window.__pwned === undefined")
        if os.environ.get("LOOP_SHOTS"):  # a folder to copy the screenshots to, for a person to look at
            for f in tmp_path.glob("*.png"):
                Path(os.environ["LOOP_SHOTS"], f.name).write_bytes(f.read_bytes())
    finally:
        ctx.close()


def test_enterprise_page_is_scoped(browser, base_url):
    ctx, page = _page(browser, base_url, "enterprise", "en")
    try:
        assert page.goto(f"/loop/projects?as_of={AS_OF}").status == 200
        ids = page.locator("#projects-list tbody tr td:first-child").all_inner_texts()
        assert sorted(x.split()[0] for x in ids) == ["P1", "P2"]
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_outcome_page_says_why_it_cannot_estimate(browser, base_url, tmp_path, lang):
    """On the small database the projects cannot be evaluated: the page says why, in the page
    language, exactly as the library's coded reason renders; enterprise accounts get 403."""
    from reforge.engine import DuckDBEngine
    from reforge.loop.outcome import project_outcome
    from reforge.messages import render_coded
    path = make_db(tmp_path / "same.duckdb", hostile=True)  # the served data, built again
    with DuckDBEngine(path, read_only=True) as e:
        want = project_outcome(e, "domestic_share", 0, "never", "item").to_dict()
    assert not want["estimable"]
    ctx, page = _page(browser, base_url, "analyst", lang)
    try:
        assert page.goto("/loop/outcome").status == 200
        assert page.inner_text("#outcome-title") == ("Outcome of tackling projects" if lang == "en" else "攻关项目成效评估")
        assert page.inner_text("#outcome-reason") == render_coded(want["reason"], lang)
        assert page.locator("#outcome-att").count() == 0 and page.locator("#c-outcome-chart").count() == 0
        page.select_option("#outcome-form select[name=unit]", "firm")
        page.wait_for_load_state("networkidle")
        assert "unit=firm" in page.url
        from reforge.loop.outcome import FIRM_OUTCOMES
        from reforge.messages import render
        assert page.locator("#outcome-form select[name=outcome] option").all_inner_texts() == \
            [render(f"loop.outcome.name.{o}", None, lang) for o in FIRM_OUTCOMES]
        body = page.inner_text("body")
        assert "loop." not in body
        page.screenshot(path=str(tmp_path / f"outcome_{lang}.png"), full_page=True)
    finally:
        ctx.close()
    ctx, page = _page(browser, base_url, "enterprise", lang)
    try:
        assert page.goto("/loop/outcome").status == 403
        assert page.goto(f"/loop/projects?as_of={AS_OF}").status == 200
        assert page.locator("#outcome-link").count() == 0
    finally:
        ctx.close()
