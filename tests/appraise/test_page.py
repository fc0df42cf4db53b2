"""The /appraise page in headless Chromium (Debian's, via Playwright) in both languages."""

from __future__ import annotations

import re

import pytest

from reforge.cli.serve import create_demo_accounts
from tests.api.server import running_server
from tests.appraise.conftest import fill
from tests.browser import login_page as _page  # the `browser` fixture comes from tests.browser too

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    path = tmp_path_factory.mktemp("appraise_page") / "p.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e)
        e.execute("UPDATE appraisals SET title = ? WHERE appraisal_id = 'AP3'", [HOSTILE])
    create_demo_accounts(path)
    with running_server(path, login_limit=1000) as url:
        yield url


@pytest.mark.parametrize("lang, title, conflict, downstream", [
    ("en", "Appraisal of new products", "conflict of interest: works for the applicant", "Downstream complete-machine user"),
    ("zh", "新产品与科技成果评审", "利益冲突：任职于申请单位", "下游整机用户"),
])
def test_analyst_sees_ranking_discourse_and_panel(browser, base_url, lang, title, conflict, downstream):
    ctx, page = _page(browser, base_url, "analyst", lang)
    resp = page.goto("/appraise?kind=new_product&year=2025&id=AP2")
    assert resp.status == 200
    assert page.inner_text("#appraise-title") == title
    assert page.locator("#appraise-ranking tbody tr").count() == 3
    assert downstream in page.inner_text("#appraise-discourse")
    panel = page.inner_text("#appraise-panel")
    assert conflict in panel and "E1" in panel
    assert re.search(r"W = 1[.,]000", page.inner_text("#appraise-kendall"))
    assert HOSTILE in page.inner_text("#appraise-list")  # shown as text, never run
    assert page.evaluate("window.__pwned === undefined")
    body = page.inner_text("body")
    assert "appraise." not in body  # no message code leaks untranslated
    if lang == "zh":
        assert "Appraisal of new products" not in body and "conflict of interest" not in body
    ctx.close()


def test_enterprise_sees_only_its_own_appraisals(browser, base_url):
    ctx, page = _page(browser, base_url, "enterprise", "en")
    resp = page.goto("/appraise?id=AP2")
    assert resp.status == 200
    rows = page.locator("#appraise-list tbody tr")
    assert rows.count() == 1 and "AP1" in rows.first.inner_text()
    assert page.locator("#appraise-ranking").count() == 0 and page.locator("#appraise-panel").count() == 0
    ctx.close()


@pytest.fixture(scope="module")
def links_url(tmp_path_factory):
    from reforge.engine import DuckDBEngine
    from reforge.schema import ensure_schema
    from tests.appraise.links_data import fill_links
    path = tmp_path_factory.mktemp("appraise_links_page") / "l.duckdb"
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        fill(e)
        fill_links(e)
    create_demo_accounts(path)
    with running_server(path, login_limit=1000) as url:
        yield url


@pytest.mark.parametrize("lang, gap, label, rank", [
    ("en", "closes a gap", "chokepoint", "the applicant ranks 1 of 1 qualified suppliers"),
    ("zh", "可补短板", "卡脖子", "申报企业在 1 家合格供应商中排第 1 名"),
])
def test_links_card_in_both_languages(browser, links_url, lang, gap, label, rank):
    ctx, page = _page(browser, links_url, "analyst", lang)
    assert page.goto("/appraise?id=AP9").status == 200
    card = page.inner_text("#appraise-links")
    assert gap in card and rank in card
    rows = page.locator("#appraise-link-chains tbody tr")
    assert rows.count() == 2 and label in rows.first.inner_text() and "mt" in rows.first.inner_text()
    adopters = [page.locator("#appraise-link-adopters tbody tr").nth(i).inner_text() for i in range(3)]
    assert ["400" in adopters[0], "200" in adopters[1], "180" in adopters[2]] == [True, True, True]
    assert "appraise." not in page.inner_text("body")
    ctx.close()


def test_enterprise_links_card_without_other_firms_values(browser, links_url):
    ctx, page = _page(browser, links_url, "enterprise", "en")
    assert page.goto("/appraise?id=AP9").status == 200
    first = page.locator("#appraise-link-adopters tbody tr").first.inner_text()
    assert "400" not in first and "100" in first  # its own sales shown, the buyer's total withheld
    assert page.goto("/appraise?id=AP7").status == 200
    assert page.locator("#appraise-links").count() == 0  # another firm's appraisal
    ctx.close()
