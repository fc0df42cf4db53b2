"""The /loop/leaders page and the chain page's label sparklines in headless Chromium, both languages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api.server import running_server
from tests.browser import login_page  # the `browser` fixture comes from tests.browser too
from tests.loop.data import U, fill_duckdb

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
SHOTS = Path(os.environ.get("REFORGE_SHOTS", "/tmp/helper-loop"))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path_factory.mktemp("loop_page") / "p.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill_duckdb(e)
        e.execute("UPDATE enterprises SET name = ?, name_en = ? WHERE uscc = ?", [HOSTILE, HOSTILE, U["L2"]])
    create_demo_accounts(path)
    with running_server(path, login_limit=1000) as url:
        yield url


def _page(browser, base_url, who, lang):
    return login_page(browser, base_url, who, lang, (1400, 1000))


@pytest.mark.parametrize("lang, title, reason, nav, resolved", [
    ("en", "Chain leaders", "66.7% of the chain's end-product output", "Leaders", "Newly choked since 2023"),
    ("zh", "链主企业", "占本链终端产品产出的 66.7%", "链主企业", "2023 年以来新增卡脖子"),
])
def test_leaders_page_and_sparklines(browser, base_url, lang, title, reason, nav, resolved):
    ctx, page = _page(browser, base_url, "analyst", lang)
    resp = page.goto("/loop/leaders?chain=c1&year=2024")
    assert resp.status == 200
    assert page.inner_text("#loop-title") == title
    rows = page.locator("#loop-leaders tbody tr")
    assert rows.count() == 5
    first = rows.nth(0).inner_text()
    assert ("企业L1" if lang == "zh" else "Firm L1") in first and reason in first
    assert HOSTILE in page.inner_text("#loop-leaders")  # the hostile firm name is text, never run
    assert page.locator(".eco").count() == 5
    assert page.locator("header nav").get_by_text(nav, exact=True).count() == 1
    page.screenshot(path=str(SHOTS / f"loop_leaders_{lang}.png"), full_page=True)
    body = page.inner_text("body")
    assert "loop.page" not in body and "loop.leader" not in body
    if lang == "zh":
        assert "Chain leaders" not in body and "end-product output" not in body
    # the chain page: one sparkline per item, filled by one HTMX request
    page.goto("/chains/c1")
    page.wait_for_selector("#loop-newly-choked")
    assert resolved in page.inner_text("#loop-newly-choked")
    assert page.locator("span.spark svg").count() == 5
    assert page.locator("#spark-X circle").count() == 3
    colours = [page.locator("#spark-X circle").nth(i).get_attribute("fill") for i in range(3)]
    assert colours == ["#ff7f0e", "#f2c94c", "#2ca02c"]  # chokepoint -> weak -> sound
    page.locator("#spark-X").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"loop_chain_{lang}.png"), full_page=True)
    assert page.evaluate("window.__pwned === undefined")
    ctx.close()


def test_enterprise_sees_only_its_row(browser, base_url):
    ctx, page = _page(browser, base_url, "enterprise", "en")
    assert page.goto("/loop/leaders?chain=c1&year=2024").status == 200
    assert page.locator("#loop-own-only").count() == 1
    rows = page.locator("#loop-leaders tbody tr")
    assert rows.count() == 1 and "Firm L1" not in page.inner_text("#loop-leaders")
    assert page.goto("/loop/sparklines?chain=c1").status in (302, 303, 403) or "spark" not in page.content()
    ctx.close()
