"""The /research page in headless Chromium (Debian's, via Playwright) in both languages."""

from __future__ import annotations

import pytest

from tests.api.server import running_server
from tests.browser import login_page  # the `browser` fixture comes from tests.browser too
from tests.research.handmade import faces_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOSTILE = "<script>window.__pwned=1</script>"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with running_server(faces_db(tmp_path_factory.mktemp("research_page") / "p.duckdb"), login_limit=1000) as url:
        yield url


def _page(browser, base_url, who, lang):
    return login_page(browser, base_url, who, lang, (1400, 1000))


@pytest.mark.parametrize("lang, title, uni, part, excluded", [
    ("en", "Joint research", "University", "the lead holds no active tier designation",
     "excluded: active serious dishonesty record"),
    ("zh", "产学研联合攻关", "高校", "牵头企业无有效的梯度培育称号", "排除：存在有效的严重失信记录"),
])
def test_analyst_sees_matrix_proposal_and_network(browser, base_url, tmp_path_factory, lang, title, uni, part,
                                                  excluded):
    ctx, page = _page(browser, base_url, "analyst", lang)
    assert page.goto("/research?item=X&year=2024").status == 200
    assert page.inner_text("#research-title") == title
    # 2024: university -> private enterprise 1 (M1); private -> institute 1, private -> platform 1
    rows = page.locator("#research-matrix tbody tr")
    assert rows.count() == 5 and uni in rows.first.inner_text()
    assert [c.strip() for c in rows.first.inner_text().split("\t")[1:]] == ["0", "0", "0", "1", "0"]
    assert "0.67" in page.inner_text("#research-two-way")
    props = page.inner_text("#research-proposals")
    # as of today B's Little Giant designation (to 2026-07-01) has expired: 0.8133 - 0.1 tier points
    assert "企业B" in props and part in props and excluded in props and "0.713" in props
    assert "2023" in page.inner_text("#research-network")
    body = page.inner_text("body")
    assert "research." not in body  # no message code leaks untranslated
    if lang == "zh":
        assert "Joint research" not in body and "excluded:" not in body
    page.screenshot(path=str(tmp_path_factory.mktemp("shots") / f"research_{lang}.png"), full_page=True)
    page.screenshot(path=f"/tmp/research_page_{lang}.png", full_page=True)
    ctx.close()


def test_hostile_item_and_enterprise_account(browser, base_url):
    ctx, page = _page(browser, base_url, "analyst", "en")
    assert page.goto(f"/research?item={HOSTILE}&year=99999").status == 200
    assert page.evaluate("window.__pwned === undefined")
    ctx.close()
    ctx, page = _page(browser, base_url, "enterprise", "en")
    assert page.goto("/research").status == 200
    assert page.locator("#research-analysts-only").count() == 1
    assert page.locator("#research-proposals").count() == 0 and page.locator("#research-matrix").count() == 0
    ctx.close()
